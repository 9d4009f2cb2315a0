"""The hash chain over the audit rows Flick Admin writes, and its verification.

Each ``logs`` row the dashboard writes gets a link in ``admin_audit_chain``: a gap-free
sequence number, the previous link's hash and ``sha256(prev_hash + canonical(row))``.
Links are added when the unit of work commits (``seal``), after every other lock the unit
takes, under one lock for the whole chain — so the order is strict and no deadlock can
form around it. Changing a chained row's content, deleting it, or reordering links breaks
the chain at that exact row, and ``verify`` names it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from flick_admin.db.audit import AuditChainLink, AuditCheckpoint, Log

GENESIS = "0" * 64
PENDING_KEY = "flick_admin.audit_pending"
CHAIN_LOCK = "flick_admin:audit-chain"
VERIFY_BATCH = 5000


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return value.isoformat(timespec="microseconds")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def canonical(row: Any) -> str:
    """The row's fields as one JSON text with sorted keys — the same bytes whether they
    are read from the Python object being written or from the database later."""
    fields = {
        "id": _text(row.id),
        "occured_at": _iso(row.occured_at),
        "actor_id": row.actor_id,
        "actor_type": row.actor_type,
        "action": row.action,
        "entity_type": row.entity_type,
        "entity_id": row.entity_id,
        "before": row.before,
        "after": row.after,
        "reason": row.reason,
        "ip_address": _text(row.ip_address),
        "user_agent": row.user_agent,
        "request_id": _text(row.request_id),
        "metadata": row.metadata_,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link_hash(prev_hash: str, row: Any) -> str:
    return hashlib.sha256((prev_hash + canonical(row)).encode("utf-8")).hexdigest()


def remember(session: Session, row: Log) -> None:
    """Called by ``record()``: this row is to be chained when the unit commits."""
    session.info.setdefault(PENDING_KEY, []).append(row)


def forget(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


def tip(session: Session) -> tuple[int, str]:
    """The last link (or the last purge checkpoint when every link was purged)."""
    last = session.execute(
        sa.select(AuditChainLink.seq, AuditChainLink.row_hash)
        .order_by(AuditChainLink.seq.desc()).limit(1)).first()
    checkpoint = session.execute(
        sa.select(AuditCheckpoint.last_seq, AuditCheckpoint.last_hash)
        .order_by(AuditCheckpoint.last_seq.desc()).limit(1)).first()
    candidates = [c for c in (last, checkpoint) if c is not None]
    if not candidates:
        return 0, GENESIS
    best = max(candidates, key=lambda c: c[0])
    return int(best[0]), best[1]


def lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                        {"k": CHAIN_LOCK})


def seal(session: Session) -> int:
    """Chain the audit rows this unit wrote. Runs just before the unit commits."""
    pending = session.info.pop(PENDING_KEY, [])
    if not pending:
        return 0
    session.flush()
    # Rows undone by a rolled-back savepoint are no longer persistent: skip them.
    rows = [r for r in pending if sa.inspect(r).persistent]
    if not rows:
        return 0
    lock_chain(session)
    seq, prev = tip(session)
    for row in rows:
        seq += 1
        digest = link_hash(prev, row)
        session.add(AuditChainLink(seq=seq, log_id=row.id, prev_hash=prev, row_hash=digest))
        prev = digest
    session.flush()
    return len(rows)


# --- verification ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    intact: bool
    checked: int
    problem: str | None = None
    seq: int | None = None
    log_id: uuid.UUID | None = None
    first_seq: int | None = None
    last_seq: int | None = None

    @property
    def summary(self) -> str:
        if self.intact:
            span = f" (links {self.first_seq}–{self.last_seq})" if self.checked else ""
            return f"intact, {self.checked:,} rows{span}"
        return f"BROKEN at link {self.seq}: {self.problem}"


LOG_COLUMNS = (Log.id, Log.occured_at, Log.actor_id, Log.actor_type, Log.action,
               Log.entity_type, Log.entity_id, Log.before, Log.after, Log.reason, Log.ip_address,
               Log.user_agent, Log.request_id, Log.metadata_.label("metadata_"))


def _links(session: Session, start_after: int) -> Iterator[Any]:
    """Links in order with their log row's columns (plain rows: nothing piles up in the
    session however long the chain is)."""
    last = start_after
    while True:
        batch = session.execute(
            sa.select(AuditChainLink.seq, AuditChainLink.log_id, AuditChainLink.prev_hash,
                      AuditChainLink.row_hash, *LOG_COLUMNS)
            .outerjoin(Log, Log.id == AuditChainLink.log_id)
            .where(AuditChainLink.seq > last)
            .order_by(AuditChainLink.seq).limit(VERIFY_BATCH)
        ).all()
        if not batch:
            return
        yield from batch
        last = batch[-1].seq


def verify(session: Session) -> Verdict:
    """Walk the chain from the latest purge checkpoint (or the start) to its tip."""
    checkpoint = session.execute(
        sa.select(AuditCheckpoint.last_seq, AuditCheckpoint.last_hash)
        .order_by(AuditCheckpoint.last_seq.desc()).limit(1)).first()
    expected_seq, prev = (int(checkpoint[0]), checkpoint[1]) if checkpoint else (0, GENESIS)
    first = None
    checked = 0
    for link in _links(session, expected_seq):
        first = first if first is not None else link.seq
        expected_seq += 1
        where = {"seq": link.seq, "log_id": link.log_id}
        if link.seq != expected_seq:
            return Verdict(False, checked, f"link {expected_seq} is missing (the chain jumps from "
                           f"{expected_seq - 1} to {link.seq}); a link was deleted", **where)
        if link.prev_hash != prev:
            return Verdict(False, checked, "its previous hash does not match the link before it: "
                           "links were reordered, replaced or inserted", **where)
        if link.id is None:
            return Verdict(False, checked, f"its log row {link.log_id} is gone (deleted)", **where)
        if link_hash(prev, link) != link.row_hash:
            return Verdict(False, checked, f"the content of log row {link.log_id} no longer matches "
                           "its hash (edited)", **where)
        prev = link.row_hash
        checked += 1
    return Verdict(True, checked, first_seq=first, last_seq=expected_seq if checked else None)
