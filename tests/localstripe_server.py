"""Run localstripe on 127.0.0.1 only (its own command listens on every interface), with an empty store.

python -m tests.localstripe_server 8420
"""

from __future__ import annotations

import sys

from aiohttp import web
from localstripe.server import app


def main(port: int) -> None:
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8420)
