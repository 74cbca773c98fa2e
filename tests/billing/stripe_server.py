"""localstripe as the tests run it: on 127.0.0.1 only, empty, and honouring Idempotency-Key as Stripe does.

python -m tests.billing.stripe_server PORT

localstripe 1.15.7 ignores the Idempotency-Key header, so against it a test cannot tell a request that Stripe
would answer from its idempotency cache (the same customer, the same subscription) from one that makes a
second object. Stripe's rule, kept here: a POST whose key was seen before with the same API key gets the first
answer again, without doing anything; the same key with other parameters is refused with an idempotency_error.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable

from aiohttp import web
from localstripe.server import app

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# (Authorization header, Idempotency-Key) -> (method and path, body, status, content type, answer)
_answers: dict[tuple[str, str], tuple[str, bytes, int, str, bytes]] = {}


@web.middleware
async def idempotency(request: web.Request, handler: Handler) -> web.StreamResponse:
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key:
        return await handler(request)
    body = await request.read()  # aiohttp keeps it: localstripe reads it again
    scope = (request.headers.get("Authorization", ""), key)
    target = f"{request.method} {request.path_qs}"
    seen = _answers.get(scope)
    if seen is not None:
        seen_target, seen_body, status, content_type, answer = seen
        if (seen_target, seen_body) != (target, body):
            error = {
                "error": {
                    "type": "idempotency_error",
                    "message": (
                        "Keys for idempotent requests can only be used with the same parameters they were first "
                        f"used with. Try using a key other than '{key}' if you meant to execute a different request."
                    ),
                }
            }
            return web.json_response(error, status=400)
        return web.Response(
            body=answer, status=status, content_type=content_type, headers={"Idempotent-Replayed": "true"}
        )
    response = await handler(request)
    if isinstance(response, web.Response) and isinstance(response.body, bytes):
        _answers[scope] = (target, body, response.status, response.content_type, response.body)
    return response


def main(port: int) -> None:
    app.middlewares.insert(0, idempotency)  # outermost: it sees localstripe's answers, errors included
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8420)
