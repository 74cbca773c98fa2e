"""Email: written to the outbox inside the action's transaction, handed to SMTP or the console by the worker."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dealflow.models import OutboxMessage
from dealflow.notifications.outbox import Leased

WRITTEN = "dealflow_outbox_written"  # session.info: the rows this unit of work added, so the worker is woken
EMAIL = "email"
DeliveryErrors = (OSError, smtplib.SMTPException)
Send = Callable[[EmailMessage], None]


def lost_connection(exc: BaseException) -> bool:
    """The connection, not the message, failed (the server hung up or the network broke) mid-batch."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def one_line(value: str) -> str:
    """A header is one line, whatever a name contains: every run of whitespace, CR and LF included, is one space."""
    return " ".join(value.split())


def subject_line(subject: str) -> str:
    """The subject as a reader will see it, on one line, with nothing left that decodes into a second line.

    RFC 2047 encoded words ("=?utf-8?b?…?=") in a name are decoded by every mail reader, so they are decoded
    here (again, until nothing changes) and the result flattened: an encoded CR/LF cannot become a header.
    """
    value = one_line(subject)
    for _ in range(8):
        probe = EmailMessage()
        probe["Subject"] = value
        decoded = one_line(str(probe["Subject"]))
        if decoded == value:
            return value
        value = decoded
    return value.replace("=?", "= ?")  # still changing: make sure nothing in it reads as an encoded word


def build(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = one_line(current_app.config["MAIL_DEFAULT_SENDER"])
    message["To"] = one_line(to)
    message["Subject"] = subject_line(subject)
    message.set_content(body)
    return message


def new_message_id() -> str:
    """A Message-ID made once, when the row is written, and carried by every delivery attempt."""
    return make_msgid(domain=urlsplit(current_app.config["SITE_URL"]).hostname or "dealflow.kz")


def queue(session: Session, message: EmailMessage, *, dedupe_key: str | None = None) -> bool:
    """Write the email to the outbox in the caller's transaction: sent if it commits, gone if it rolls back.

    With a dedupe_key the email is written at most once ever (False when it was written before).
    """
    row = OutboxMessage(
        channel=EMAIL,
        message_id=str(message["Message-ID"] or new_message_id()),
        dedupe_key=dedupe_key,
        sender=str(message["From"]),
        recipient=str(message["To"]),
        subject=subject_line(str(message["Subject"] or "")),
        body=str(message.get_content()),
    )
    if dedupe_key is not None:
        if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None:
            return False
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # a parallel transaction wrote it first
            return False
    else:
        session.add(row)
    session.info.setdefault(WRITTEN, []).append(row)
    return True


def mark_written(session: Session) -> None:
    """Wake the worker once this unit of work ends, e.g. after an administrator retried a dead letter."""
    session.info.setdefault(WRITTEN, [])


def take_written(session: Session) -> bool:
    """Whether this unit of work wrote to the outbox; asked once, at its end."""
    return session.info.pop(WRITTEN, None) is not None


def discard(session: Session) -> None:
    """Drop the emails queued so far in this session (e.g. for demo data)."""
    for row in session.info.pop(WRITTEN, []):
        if row in session.new:
            session.expunge(row)
        elif row in session:
            session.delete(row)
    session.flush()


def as_email(row: OutboxMessage | Leased) -> EmailMessage:
    """The stored row as the message it was queued as, with its own Message-ID."""
    message = EmailMessage()
    message["From"] = one_line(row.sender)
    message["To"] = one_line(row.recipient)
    message["Subject"] = subject_line(row.subject)
    message["Message-ID"] = one_line(row.message_id)
    message.set_content(row.body)
    return message


@contextmanager
def connection() -> Iterator[Send]:
    """One connection to the configured backend for a batch; raises DeliveryErrors when it cannot be had."""
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "null":
        yield lambda _message: None
        return
    if backend == "console":
        yield lambda message: print(f"--- email ---\n{message}", flush=True)  # noqa: T201 -- the development backend
        return
    config = current_app.config
    smtp_class: Any = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT_SECONDS"]) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        yield smtp.send_message
