"""Email: built inside the transaction, sent only after it commits, through SMTP or to the console."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
OUTBOX = "dealflow_outbox"


def queue(session: Session, message: EmailMessage) -> None:
    """Send the message once the session commits; never if it rolls back."""
    session.info.setdefault(OUTBOX, []).append(message)


def build(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = " ".join(subject.split())  # a header is one line, whatever a name contains
    message.set_content(body)
    return message


def deliver(messages: list[EmailMessage]) -> None:
    """Hand messages to the configured backend; a failure is logged and never undoes the user's action."""
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "null" or not messages:
        return
    if backend == "console":
        for message in messages:
            print(f"--- email ---\n{message}", flush=True)  # noqa: T201 -- the development backend
        return
    config = current_app.config
    try:
        smtp_class: Any = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
        with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            for message in messages:
                smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        log.exception("could not send %d email(s)", len(messages))


def discard(session: Session) -> None:
    """Drop the emails queued so far in this session (e.g. for demo data)."""
    session.info.pop(OUTBOX, None)


def _after_commit(session: Session) -> None:
    messages = session.info.pop(OUTBOX, [])
    if messages:
        deliver(messages)


def _after_rollback(session: Session) -> None:
    session.info.pop(OUTBOX, None)


def register_session_events() -> None:
    """Once per process: every session sends its outbox after commit and drops it on rollback."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", lambda session, _previous: _after_rollback(session))
