"""Reports that name neither a post nor a comment (the content is gone, or the report was
never linked to it): listed apart from the queue, where a moderator ignores them."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from flick_admin import scope
from flick_admin.audit.actions import AuditAction
from flick_admin.audit.recorder import record
from flick_admin.db import ContentReport
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType, ReportStatus
from flick_admin.db.reports import unlinked
from flick_admin.db.transaction import transaction
from flick_admin.moderation.services import MAX_BATCH, _last_change
from flick_admin.outcomes import Outcome, clean_reason
from flick_admin.refusals import InvalidInput, NotFound, StaleState


def ignore(seen: list[tuple[uuid.UUID, str]], reason: str | None) -> Outcome:
    """Ignore reports that name neither a post nor a comment (listed apart from the queue).
    ``seen``: each report with the status it was drawn in; a report that has changed since
    (decided by someone else, or linked to an item after all) is a 409 and nothing is
    written. No reporter is told: there is no item to tell them about."""
    reason = clean_reason(reason)
    if not seen:
        raise InvalidInput("Select at least one report.")
    if len(seen) > MAX_BATCH:
        raise InvalidInput(f"A batch takes at most {MAX_BATCH} items ({len(seen)} selected).")
    if len({i for i, _ in seen}) != len(seen):
        raise InvalidInput("The same report is selected twice.")
    if scope.limited():
        raise NotFound("That report does not exist.")
    batch_id = uuid.uuid4() if len(seen) > 1 else None
    with transaction() as session:
        rows = {r.id: r for r in session.execute(
            sa.select(ContentReport.id, ContentReport.status, ContentReport.post_id, ContentReport.comment_id)
            .where(ContentReport.id.in_([i for i, _ in seen])).order_by(ContentReport.id).with_for_update())}
        for report_id, status in seen:
            row = rows.get(report_id)
            if row is None:
                raise NotFound("That report does not exist (it may have been deleted).")
            if row.post_id is not None or row.comment_id is not None or row.status != status:
                raise StaleState(
                    f"Report {report_id} changed after you opened the page (it is now "
                    f"{row.status}{'' if row.post_id is None and row.comment_id is None else ', linked to an item'}; "
                    f"{_last_change(session, EntityType.CONTENT_REPORT, str(report_id))}). Nothing was written.")
        todo = [i for i, status in seen if status == ReportStatus.PENDING.value]
        if not todo:
            return Outcome(False, "None of these reports is pending; nothing was changed.")
        session.execute(sa.update(ContentReport)
                        .where(ContentReport.id.in_(todo), unlinked(ContentReport))
                        .values(status=ReportStatus.IGNORED.value, updated_at=utcnow())
                        .execution_options(synchronize_session=False))
        for report_id in todo:
            record(AuditAction.REPORT_STATUS_CHANGED, entity_type=EntityType.CONTENT_REPORT,
                   entity_id=report_id, before={"status": ReportStatus.PENDING.value},
                   after={"status": ReportStatus.IGNORED.value}, reason=reason,
                   metadata={"target": "unlinked", **({"batch_id": batch_id} if batch_id else {})},
                   flush=False)
        session.flush()
    return Outcome(True, f"{len(todo)} unlinked report(s) ignored.", len(todo))
