"""The outbox's delivery: lease a batch, hand each message to its channel, record each outcome at once."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Sequence
from datetime import datetime

from flask import current_app

from dealflow.extensions import db
from dealflow.notifications import mail, outbox

log = logging.getLogger(__name__)


def worker_name() -> str:
    """Which worker holds a lease: host, process and thread, for the admin page and the logs."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:120]


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _deliver_emails(rows: Sequence[outbox.Leased], worker: str) -> int:
    """Send over one connection; each outcome is committed as soon as it is known, so a crash repeats one at most.

    Before each message the lease on the rest of the batch is renewed and committed: a slow but live worker
    keeps its rows, and a row another worker took over (this one's lease ran out) is skipped, never sent twice.
    No transaction is open while a message is with the server. Every outcome is recorded only if this worker
    still holds the row.
    """
    waiting = list(rows)
    sent = 0
    try:
        with mail.connection() as send:
            while waiting:
                held = outbox.renew_lease(db.session(), waiting, worker)
                db.session.commit()
                waiting = [row for row in waiting if row.id in held]
                if not waiting:
                    break
                row = waiting.pop(0)
                try:
                    send(mail.as_email(row))
                except mail.DeliveryErrors as exc:
                    log.warning("email %s (outbox row %d) failed: %s", row.message_id, row.id, _describe(exc))
                    outbox.mark_failed(db.session(), row, worker, _describe(exc))
                    if mail.lost_connection(exc):  # the rest of the batch waits for the server, attempts kept
                        db.session.commit()
                        raise
                except Exception as exc:  # the message itself cannot be sent: retrying will not help
                    log.exception("email %s (outbox row %d) cannot be sent", row.message_id, row.id)
                    outbox.mark_failed(db.session(), row, worker, _describe(exc), permanent=True)
                else:
                    if outbox.mark_sent(db.session(), row, worker):
                        sent += 1
                db.session.commit()
    except Exception as exc:  # no connection at all (or no login), or it broke between two messages
        db.session.rollback()
        transient = isinstance(exc, mail.DeliveryErrors)
        log.warning("mail backend unavailable, %d email(s) wait for a retry: %s", len(waiting), _describe(exc))
        for row in waiting:
            # the server, not the message, failed: the attempt is given back (a long outage kills no email)
            outbox.mark_failed(db.session(), row, worker, _describe(exc), counted=not transient)
        db.session.commit()
    return sent


def deliver_due(*, max_batches: int = 20, now: datetime | None = None) -> int:
    """Deliver the outbox's due rows batch by batch until none is left; returns how many were sent.

    now is the moment rows are due by (a test passes a later one instead of waiting for a retry's delay).
    """
    worker = worker_name()
    size = current_app.config["OUTBOX_BATCH_SIZE"]
    sent = 0
    for _ in range(max_batches):
        rows = [
            outbox.Leased.of(row)
            for row in outbox.claim_due(db.session(), worker, channel=mail.EMAIL, limit=size, now=now)
        ]
        db.session.commit()  # the lease is visible to other workers before any message leaves
        if not rows:
            break
        sent += _deliver_emails(rows, worker)
    return sent
