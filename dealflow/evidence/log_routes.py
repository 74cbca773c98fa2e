"""The transparency log over HTTP: checkpoints, proofs and cosignatures, for verifiers and witnesses.

No login and no cookies needed: everything here is public and checkable. Proofs are JSON with
hashes in hex; checkpoints are C2SP signed notes as text.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, request
from sqlalchemy.exc import IntegrityError, OperationalError

from dealflow.evidence import checkpoints, tree
from dealflow.evidence.checkpoints import CheckpointError
from dealflow.evidence.signing import log_key
from dealflow.evidence.verify_export import Broken
from dealflow.extensions import csrf, db, limiter
from dealflow.models import LedgerCheckpoint, LedgerHead
from dealflow.parsing import parse_int

bp = Blueprint("ledger_log", __name__)
log = logging.getLogger(__name__)
MAX_LISTED = 1000


def _text(body: str) -> Response:
    response = Response(body, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(message: str, status: int = 400) -> tuple[Response, int]:
    return jsonify(error=message), status


def _latest() -> LedgerCheckpoint | None:
    """The latest checkpoint, signing a new one first when one is due (batched: at most every few seconds)."""
    try:
        checkpoints.issue_checkpoint_if_due()
        db.session.commit()
    except (OperationalError, IntegrityError):  # another request is signing the same tree: serve what exists
        db.session.rollback()
    return checkpoints.latest_checkpoint()


def _tree_size() -> int:
    head = db.session.get(LedgerHead, 1)
    return head.tree_size if head is not None else 0


@bp.route("/checkpoint")
def checkpoint() -> Response | tuple[Response, int]:
    """The latest signed checkpoint with its witnesses' cosignatures: what a witness or a client starts from."""
    latest = _latest()
    if latest is None:
        return _error("the log has no checkpoint yet", 404)
    return _text(checkpoints.cosigned_note(latest))


@bp.route("/checkpoints")
def checkpoint_list() -> Response:
    """Every checkpoint ever issued, oldest first, a thousand at a time (?after=SIZE for the next page)."""
    after = parse_int(request.args.get("after"), minimum=0, default=0)
    listed = checkpoints.checkpoints_from(after, MAX_LISTED)
    return jsonify(
        checkpoints=[
            {"tree_size": c.tree_size, "root_hash": c.root_hash, "issued_at": c.issued_at.isoformat(), "note": c.note}
            for c in listed
        ],
        next_after=listed[-1].tree_size if len(listed) == MAX_LISTED else None,
    )


@bp.route("/checkpoints/<int:size>")
def checkpoint_of_size(size: int) -> Response | tuple[Response, int]:
    """One earlier checkpoint, as signed then, with the cosignatures it has gathered since."""
    found = checkpoints.checkpoint_of_size(size)
    if found is None:
        return _error(f"no checkpoint of size {size}", 404)
    return _text(checkpoints.cosigned_note(found))


@bp.route("/log-key")
def public_key() -> Response:
    """The log's public key as a C2SP note verifier key."""
    return _text(log_key().verifier_key + "\n")


@bp.route("/proof/inclusion")
def inclusion() -> Response | tuple[Response, int]:
    """That leaf `index` is in the tree of `size` leaves: the audit path, leaf side first."""
    index, size = parse_int(request.args.get("index")), parse_int(request.args.get("size"))
    if index is None or size is None or not 0 <= index < size <= _tree_size():
        return _error("give 0 <= index < size <= the tree's size")
    proof = tree.inclusion_proof(index, size)
    return jsonify(leaf_index=index, tree_size=size, proof=[p.hex() for p in proof])


@bp.route("/proof/consistency")
def consistency() -> Response | tuple[Response, int]:
    """That the tree of `from` leaves is a prefix of the tree of `to` leaves (RFC 6962 consistency proof)."""
    old, new = parse_int(request.args.get("from")), parse_int(request.args.get("to"))
    if old is None or new is None or not 0 < old <= new <= _tree_size():
        return _error("give 0 < from <= to <= the tree's size")
    proof = tree.consistency_proof(old, new)
    return jsonify(**{"from": old, "to": new, "proof": [p.hex() for p in proof]})


@bp.route("/cosignature", methods=["POST"])
@csrf.exempt
@limiter.limit("120 per hour")
def cosignature() -> tuple[Response, int]:
    """A registered witness posts its cosignature of one checkpoint (signed by its key, so no CSRF token)."""
    body = request.get_json(silent=True) or {}
    size, line = body.get("tree_size"), body.get("cosignature")
    if not isinstance(size, int) or not isinstance(line, str):
        return _error("post JSON with tree_size and cosignature")
    try:
        stored = checkpoints.add_cosignature(size, line)
    except (CheckpointError, Broken, ValueError) as exc:
        db.session.rollback()
        log.warning("Refused a cosignature of checkpoint %s: %s", size, exc)
        return _error(str(exc))
    db.session.commit()
    return jsonify(tree_size=stored.tree_size, signed_at=stored.signed_at.isoformat()), 201
