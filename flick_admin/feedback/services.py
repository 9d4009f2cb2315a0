"""Feedback status changes and deletion, each one unit of work with Flick's audit action."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from flick_admin.audit.actions import AuditAction
from flick_admin.audit.recorder import record
from flick_admin.db import Feedback
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType
from flick_admin.db.transaction import transaction
from flick_admin.outcomes import Outcome
from flick_admin.refusals import InvalidInput, NotFound

STATUSES = ("new", "reviewed", "dismissed")
TYPES = ("feedback", "bug", "feature", "other")


def _locked(session, feedback_id: uuid.UUID) -> Feedback:
    row = session.scalars(sa.select(Feedback).where(Feedback.id == feedback_id)
                          .with_for_update()).first()
    if row is None:
        raise NotFound("That feedback does not exist.")
    return row


def set_status(feedback_id: uuid.UUID, status: str) -> Outcome:
    if status not in ("reviewed", "dismissed", "new"):
        raise InvalidInput(f"Unknown status {status[:20]!r}; use reviewed, dismissed or new.")
    with transaction() as session:
        row = _locked(session, feedback_id)
        if row.status == status:
            return Outcome(False, f"This feedback is already {status}; nothing was changed.")
        before = {"status": row.status}
        row.status, row.updated_at = status, utcnow()
        record(AuditAction.FEEDBACK_STATUS_CHANGED, entity_type=EntityType.FEEDBACK,
               entity_id=row.id, before=before, after={"status": status},
               metadata={"label": row.title[:80]})
    return Outcome(True, f"Feedback marked {status}.")


def delete(feedback_id: uuid.UUID, confirmed: bool) -> None:
    if not confirmed:
        raise InvalidInput("Tick the confirmation box to delete this feedback.")
    with transaction() as session:
        row = _locked(session, feedback_id)
        before = {"id": row.id, "type": row.type, "title": row.title, "content": row.content,
                  "status": row.status, "user_id": row.user_id}
        session.delete(row)
        session.flush()
        record(AuditAction.FEEDBACK_DELETED, entity_type=EntityType.FEEDBACK, entity_id=feedback_id,
               before=before, metadata={"label": before["title"][:80]})
