"""Changes to the audit trail itself: recording exports and verifications, and the one
documented way to remove old rows (a retention purge that leaves the chain verifiable)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from flick_admin.audit import chain
from flick_admin.audit.actions import AuditAction
from flick_admin.audit.recorder import record
from flick_admin.db.audit import AuditChainLink, AuditCheckpoint, Log
from flick_admin.db.enums import EntityType
from flick_admin.db.transaction import transaction
from flick_admin.outcomes import clean_reason
from flick_admin.refusals import Conflict, InvalidInput

MIN_RETENTION_DAYS = 90


def record_export(*, filters: dict[str, Any], fmt: str, rows: int, sha256: str, complete: bool) -> None:
    with transaction():
        record(AuditAction.AUDIT_EXPORTED, entity_type=EntityType.AUDIT_LOG,
               metadata={"filter": filters, "format": fmt, "rows": rows, "sha256": sha256,
                         "complete": complete, "label": f"{rows:,} rows as {fmt}"})


def verify_and_record(*, full: bool = False, expect: chain.Anchor | None = None) -> chain.Verdict:
    """Verify the chain — by default only what was added since the last intact verification
    — and record it. An intact verification records the head it reached, so the next one
    resumes there; the record is itself a chained row."""
    full = full or expect is not None  # an anchor is checked by a full re-hash
    with transaction() as session:
        verdict = chain.verify(session, full=full, expect=expect)
        head = verdict.head
        metadata = {"intact": verdict.intact, "checked": verdict.checked, "broken_at": verdict.seq,
                    "full": full, "resumed_from": verdict.resumed_from, "label": verdict.summary}
        if verdict.intact and head is not None:
            metadata.update(through_seq=head.seq, head_hash=head.hash)
        if expect is not None:
            metadata["expected"] = str(expect)
        record(AuditAction.AUDIT_VERIFIED, entity_type=EntityType.AUDIT_LOG, metadata=metadata)
    return verdict


@dataclass(frozen=True)
class PurgeResult:
    rows: int
    checkpoint_seq: int


def purge(before: datetime, reason: str | None, *, min_days: int = MIN_RETENTION_DAYS) -> PurgeResult:
    """Delete audit rows older than ``before``. The chained rows go as a prefix of the
    chain, and a checkpoint keeps the last purged link's hash so that the rest verifies.
    Refused when the chain is already broken (that would destroy the evidence)."""
    reason = clean_reason(reason)
    before = before.astimezone(UTC) if before.tzinfo else before.replace(tzinfo=UTC)
    if before > datetime.now(UTC) - timedelta(days=min_days):
        raise InvalidInput(f"Audit rows are kept at least {min_days} days; choose an earlier date.")
    with transaction() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(sa.text("SET LOCAL flick_admin.audit_purge = 'on'"))
        chain.lock_chain(session)
        verdict = chain.verify(session)
        if not verdict.intact:
            raise Conflict(f"The audit chain is broken ({verdict.summary}); nothing was purged.")
        first_kept = session.scalar(
            sa.select(sa.func.min(AuditChainLink.seq))
            .join(Log, Log.id == AuditChainLink.log_id)
            .where(Log.occured_at >= before))
        last_seq, _ = chain.tip(session)
        cut = (first_kept - 1) if first_kept is not None else last_seq
        cut_hash = session.scalar(sa.select(AuditChainLink.row_hash).where(AuditChainLink.seq == cut))
        chained = sa.select(AuditChainLink.log_id).where(AuditChainLink.seq <= cut)
        unchained_old = sa.and_(
            Log.occured_at < before,
            ~sa.exists().where(AuditChainLink.log_id == Log.id))
        removed = session.execute(
            sa.delete(Log).where(sa.or_(Log.id.in_(chained), unchained_old))
            .execution_options(synchronize_session=False)).rowcount or 0
        if cut_hash is not None:
            session.execute(sa.delete(AuditChainLink).where(AuditChainLink.seq <= cut))
            session.add(AuditCheckpoint(last_seq=cut, last_hash=cut_hash, purged_before=before,
                                        purged_rows=removed, actor_id=None))
        session.flush()
        record(AuditAction.AUDIT_PURGED, entity_type=EntityType.AUDIT_LOG, reason=reason,
               after={"purged_before": before, "rows": removed, "checkpoint_seq": cut},
               metadata={"label": f"{removed:,} rows before {before:%Y-%m-%d}"})
    return PurgeResult(removed, cut)
