"""A live server on a free loopback port and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from dealflow import demo
from dealflow.extensions import db
from tests.conftest import TestDatabase, make_app
from tests.test_email import Inbox, body, free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def closing_when_dropped(app: Flask) -> Callable[[dict[str, Any], Any], Iterator[bytes]]:
    """The app's responses, closed even when the browser drops the connection mid-file.

    Werkzeug's development server closes a response only after sending all of it; a logo cut off by a page
    change kept its file open until the garbage collector found it, and the ResourceWarning failed a test.
    """

    def serve(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        body = app(environ, start_response)
        try:
            yield from body
        finally:
            if hasattr(body, "close"):
                body.close()

    return serve


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, closing_when_dropped(app), threaded=True)  # type: ignore[arg-type]
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_app(test_databases: TestDatabase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = make_app(test_databases.create("browser"), UPLOAD_FOLDER=str(tmp_path_factory.mktemp("live-uploads")))
    with app.app_context():
        demo.seed_demo()
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app: Flask) -> Iterator[LiveServer]:
    with LiveServer(live_app) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer, request: Any) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def live_inbox(live_app: Flask) -> Iterator[Inbox]:
    """The live server's mail goes to a real SMTP server on loopback (aiosmtpd) for this test."""
    collected = Inbox()
    controller = Controller(collected, hostname="127.0.0.1", port=free_port())
    controller.start()
    saved = {name: live_app.config[name] for name in ("MAIL_BACKEND", "MAIL_SERVER", "MAIL_PORT")}
    live_app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    try:
        yield collected
    finally:
        live_app.config.update(saved)
        controller.stop()


EMAILED_LINK = re.compile(r"https?://[^/\s]+(/(?:verify-email|reset-password|account/email/confirm)/\S+)")


def open_emailed_link(page: Page, inbox: Inbox, address: str) -> None:
    """Follow the newest account link emailed to the address, on the live server, as the recipient would."""
    messages = inbox.to(address)
    assert messages, f"no email reached {address}"
    found = EMAILED_LINK.search(body(messages[-1]))
    assert found, body(messages[-1])
    page.goto(found.group(1))
