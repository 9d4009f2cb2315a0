"""Moving chosen reports between statuses: a revert's way to put a decision's reports back.

Unlike a decision on an item (which settles every pending report on it), this moves exactly
the reports named, each from the status it must still have, with the checks every action
on an item makes: scope, claims (another moderator's item is a 409), the running tallies,
reporters told of a decision, one audit row per report.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from flick_admin import scope, tallies
from flick_admin.audit.actions import AuditAction
from flick_admin.audit.recorder import record
from flick_admin.db import ContentReport
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType, ReportStatus
from flick_admin.db.transaction import transaction
from flick_admin.moderation import claims, escalations, reporters
from flick_admin.moderation.services import TargetKind, _last_change
from flick_admin.outcomes import clean_reason
from flick_admin.refusals import NotFound, StaleState


@dataclass(frozen=True)
class ReportMove:
    """One report to move from the status it must have now to another (a revert's step),
    with extra metadata for its audit row."""

    report_id: uuid.UUID
    expected: str
    to_status: ReportStatus
    metadata: dict[str, Any] | None = None


def move_reports(moves: list[ReportMove], reason: str | None) -> int:
    """Move these reports, each from the status it must have now to another, in one unit:
    the items' scope and claims are checked (another moderator's item is a 409), the
    running tallies move, reporters are told of a decision, one audit row per report."""
    reason = clean_reason(reason)
    if not moves:
        return 0
    with transaction() as session:
        found = {r.id: r for r in session.execute(
            sa.select(ContentReport.id, ContentReport.status, ContentReport.post_id,
                      ContentReport.comment_id, ContentReport.created_at, ContentReport.reported_by_id)
            .where(ContentReport.id.in_([m.report_id for m in moves]))
            .order_by(ContentReport.id).with_for_update())}
        items: dict[uuid.UUID, tuple[TargetKind, uuid.UUID]] = {}
        for move in moves:
            row = found.get(move.report_id)
            if row is None:
                raise NotFound("A report of this decision no longer exists; nothing was written.")
            items[row.id] = ((TargetKind.COMMENT, row.comment_id) if row.comment_id is not None
                             else (TargetKind.POST, row.post_id))
        held = list(dict.fromkeys((kind.value, ident) for kind, ident in items.values()))
        scope.check_targets(session, held)
        claims.check_free(session, held)
        escalations.end_by_decision(session, held, "reports moved")  # a decision, like any other
        for move in moves:
            row = found[move.report_id]
            if row.status != move.expected:
                raise StaleState(
                    f"A report of this decision is now {row.status} "
                    f"({_last_change(session, EntityType.CONTENT_REPORT, str(row.id))}). Nothing was written.")
        now = utcnow()
        told: dict[uuid.UUID, Any] = {}
        for to_status in {m.to_status for m in moves}:
            ids = [m.report_id for m in moves if m.to_status is to_status]
            session.execute(sa.update(ContentReport).where(ContentReport.id.in_(ids))
                            .values(status=to_status.value, updated_at=now)
                            .execution_options(synchronize_session=False))
            into_pending = to_status is ReportStatus.PENDING
            tallies.reports_moved(
                session, [tallies.MovedReport(found[i].post_id, found[i].created_at, found[i].reported_by_id,
                                              found[i].status, to_status.value, items[i][1],
                                              found[i].comment_id)
                              for i in ids],
                into_pending=into_pending)
            for kind in TargetKind:
                decided = [(i, found[i].reported_by_id, items[i][1]) for i in ids
                           if items[i][0] is kind and found[i].status == ReportStatus.PENDING.value]
                if decided:
                    told.update(reporters.tell_reporters(session, noun=kind.value, to_status=to_status,
                                                         reports=decided))
        for move in moves:
            kind, target = items[move.report_id]
            record(AuditAction.REPORT_STATUS_CHANGED, entity_type=EntityType.CONTENT_REPORT,
                   entity_id=move.report_id, before={"status": found[move.report_id].status},
                   after={"status": move.to_status.value}, reason=reason,
                   metadata={"target": f"{kind}:{target}", **(move.metadata or {}),
                             **({"reporter_notified": True, "notification_id": told[move.report_id]}
                                if move.report_id in told else {})},
                   flush=False)
        session.flush()
    return len(moves)
