"""Escalation: a reported post or comment handed to senior staff with a comment.

An escalated item leaves the ordinary report queue for the "Escalated" view
(``/reports/?escalated=1``), which admins work, and moderators who opt in on their
account page. Escalating ends the escalator's own claim on the item (senior staff can act
at once); a colleague's claim stays. Staff who sort the queue (triage, moderators, admins) escalate; staff who
decide (``content:moderate``) end it — by "De-escalate" (back to the ordinary queue), or
by any decision on the item (ban, shadow-ban, ignore, a revert …), which ends it in the
decision's transaction with its own audit row. A revert of that decision does not
escalate the item again: the revert puts the content and its reports back, and the item
returns to the ordinary queue (escalate it again if it still needs senior eyes).
"""

from __future__ import annotations

import uuid
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from flick_admin.moderation import claims
from flick_admin.audit.actions import AuditAction
from flick_admin.audit.recorder import current_actor, record
from flick_admin.db import Auth
from flick_admin.db.base import utcnow
from flick_admin.db.team import Claim, Escalation
from flick_admin.db.transaction import transaction
from flick_admin.outcomes import Outcome
from flick_admin.refusals import InvalidInput

MAX_COMMENT = 1000
KINDS = claims.KINDS


def _item(session: Session, kind: str, target_id: uuid.UUID):
    row, entity = claims.target(session, kind, target_id, "escalated")
    return entity, claims.label(row)


def _comment(text: str | None, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(f"Say why ({what} needs a comment).", field="comment")
    if len(text) > MAX_COMMENT:
        raise InvalidInput(f"The comment is at most {MAX_COMMENT} characters.", field="comment")
    return text


def escalate(kind: str, target_id: uuid.UUID, comment: str | None) -> Outcome:
    """Hand the item to senior staff with a comment (acting twice: "already escalated")."""
    me = current_actor().id
    with transaction() as session:
        entity, label = _item(session, kind, target_id)  # outside the scope: 404 first
        comment = _comment(comment, "an escalation")
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        added = session.execute(
            dialect.insert(Escalation).values(target_type=kind, target_id=target_id, escalated_by_id=me,
                                              escalated_at=utcnow(), comment=comment)
            .on_conflict_do_nothing().returning(Escalation.target_id)).first()
        if added is None:
            return Outcome(False, f"This {kind} is already escalated; nothing was changed.")
        # Handing it on: one's own claim ends, so senior staff can act on it at once.
        released = session.execute(sa.delete(Claim).where(Claim.target_type == kind, Claim.target_id == target_id,
                                                          Claim.holder_id == me)
                                   .returning(Claim.holder_id)).first() is not None
        record(AuditAction.CONTENT_ESCALATED, entity_type=entity, entity_id=target_id,
               after={"escalated": True}, reason=comment,
               metadata={"label": label, **({"released_claim": True} if released else {})})
    return Outcome(True, f"Escalated: the {kind} now waits in the Escalated view"
                         + (", and your claim on it is released." if released else "."))


def de_escalate(kind: str, target_id: uuid.UUID, comment: str | None) -> Outcome:
    """Send the item back to the ordinary queue."""
    comment = (comment or "").strip()[:MAX_COMMENT] or None
    with transaction() as session:
        entity, label = _item(session, kind, target_id)
        gone = session.execute(sa.delete(Escalation)
                               .where(Escalation.target_type == kind, Escalation.target_id == target_id)
                               .returning(Escalation.target_id)).first()
        if gone is None:
            return Outcome(False, f"This {kind} is not escalated; nothing was changed.")
        record(AuditAction.CONTENT_DEESCALATED, entity_type=entity, entity_id=target_id,
               before={"escalated": True}, after={"escalated": False}, reason=comment,
               metadata={"label": label})
    return Outcome(True, f"The {kind} is back in the ordinary queue.")


def end_by_decision(session: Session, targets: list[tuple[str, uuid.UUID]], action: str) -> None:
    """A decision on the items ends their escalation, in the decision's unit, with an audit
    row each (a revert of the decision takes only the decision's own rows, so it does not
    escalate the item again)."""
    for kind, (_model, entity) in KINDS.items():
        ids = [i for k, i in targets if k == kind]
        if not ids:
            continue
        ended = session.execute(sa.delete(Escalation)
                                .where(Escalation.target_type == kind, Escalation.target_id.in_(ids))
                                .returning(Escalation.target_id)
                                .execution_options(synchronize_session=False)).all()
        for row in ended:
            record(AuditAction.CONTENT_DEESCALATED, entity_type=entity, entity_id=row.target_id,
                   before={"escalated": True}, after={"escalated": False},
                   metadata={"ended_by": action}, flush=False)


# --- reading escalations inside the statements pages already run -----------------------------

def _escalation_columns(who) -> list:
    return [Escalation.escalated_at.label("escalated_at"), Escalation.comment.label("escalation_comment"),
            sa.func.coalesce(sa.func.nullif(sa.func.trim(who.name), ""), who.email).label("escalated_by")]


def with_escalation(stmt: sa.Select, kind: str, target) -> sa.Select:
    """Add each row's escalation (when, by whom, the comment) to a statement over posts or
    comments (the queue's targets, an item's page: no extra statement)."""
    who = sa.orm.aliased(Auth)
    return (stmt.add_columns(*_escalation_columns(who))
            .outerjoin(Escalation, sa.and_(Escalation.target_type == kind, Escalation.target_id == target))
            .outerjoin(who, who.id == Escalation.escalated_by_id))


def escalation_row(kind: str, target) -> sa.Select:
    """The escalation of the item ``target`` (a column of an outer statement), with the
    columns ``with_escalation`` adds: at most one row, for a LATERAL join."""
    who = sa.orm.aliased(Auth)
    return (sa.select(*_escalation_columns(who)).select_from(Escalation)
            .outerjoin(who, who.id == Escalation.escalated_by_id)
            .where(Escalation.target_type == kind, Escalation.target_id == target).limit(1))


def escalated(target_id_column) -> sa.ColumnElement:
    """Whether the report's item is escalated (by the target id, like the claims)."""
    return sa.exists().where(Escalation.target_id == target_id_column)

