"""Claims: one moderator at a time on a reported post or comment.

Opening an item from the queue (or ``c`` on its row) claims it for ``CLAIM_MINUTES``.
The claim is one ``INSERT … ON CONFLICT DO UPDATE … WHERE`` (the holder renews, anyone
takes an expired claim), so two moderators claiming at the same instant cannot both win.
An assignment is a claim made for a colleague, with a note, that does not expire. A
claim ends when the item is decided (``end_claims`` runs in the decision's transaction),
released, or expires. Acting on an item another moderator holds is refused with 409
naming them, unless the moderator takes it over (audited, the previous holder named).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from flick_admin import scope
from flick_admin.audit.actions import AuditAction
from flick_admin.audit.recorder import current_actor, record
from flick_admin.db import Auth, Comment, Post
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType
from flick_admin.db.team import Claim
from flick_admin.db.transaction import transaction
from flick_admin.extensions import db
from flick_admin.outcomes import Outcome
from flick_admin.permissions import Permission, permissions_of
from flick_admin.refusals import Conflict, InvalidInput, NotFound

DEFAULT_MINUTES = 10
MAX_NOTE = 1000
KINDS = {"post": (Post, EntityType.POST), "comment": (Comment, EntityType.COMMENT)}


def claim_minutes() -> int:
    if has_app_context():
        return max(1, int(current_app.config.get("CLAIM_MINUTES", DEFAULT_MINUTES)))
    return DEFAULT_MINUTES


def active(now=None):
    """The condition of a claim in force (an assignment, or a claim not yet expired);
    ``now`` may be a bound parameter (a statement built once, run with the time)."""
    return sa.or_(Claim.expires_at.is_(None), Claim.expires_at > (utcnow() if now is None else now))


@dataclass(frozen=True)
class Holder:
    id: str
    name: str
    claimed_at: datetime
    expires_at: datetime | None
    assigned_by: str | None
    note: str | None

    def describe(self, now: datetime | None = None) -> str:
        minutes = max(0, int(((now or utcnow()) - self.claimed_at).total_seconds() // 60))
        ago = "just now" if minutes == 0 else f"{minutes} min ago"
        if self.expires_at is None:
            by = f" by {self.assigned_by}" if self.assigned_by else ""
            return f"assigned to {self.name}{by}, {ago}"
        return f"claimed by {self.name}, {ago}"


def display_name(name: str | None, email: str | None) -> str:
    return (name or "").strip() or email or "a former staff member"


def _with_holder_columns(stmt: sa.Select) -> sa.Select:
    """``stmt`` (which joins ``admin_claims``) with the holder's and assigner's names, as
    ``holder_from`` reads them."""
    holder, assigner = sa.orm.aliased(Auth), sa.orm.aliased(Auth)
    return (stmt.add_columns(Claim.holder_id, holder.name.label("holder_name"),
                             holder.email.label("holder_email"), Claim.claimed_at,
                             Claim.expires_at.label("claim_expires"), Claim.assigned_by_id,
                             assigner.name.label("assigner_name"), assigner.email.label("assigner_email"),
                             Claim.note.label("claim_note"))
            .outerjoin(holder, holder.id == Claim.holder_id)
            .outerjoin(assigner, assigner.id == Claim.assigned_by_id))


def holder_row(kind: str, target, now=None) -> sa.Select:
    """Who holds the item ``target`` (a column of an outer statement), as ``holder_from``
    reads it: at most one row (claims are keyed by the item), for a LATERAL join."""
    return _with_holder_columns(sa.select().select_from(Claim).where(
        Claim.target_type == kind, Claim.target_id == target, active(now))).limit(1)


def holder_from(row) -> Holder | None:
    if row is None or row.holder_id is None:
        return None
    return Holder(row.holder_id, display_name(row.holder_name, row.holder_email), row.claimed_at,
                  row.claim_expires,
                  display_name(row.assigner_name, row.assigner_email) if row.assigned_by_id else None,
                  row.claim_note)


def with_holder(stmt: sa.Select, kind: str, target, now=None) -> sa.Select:
    """Add who holds each row's item to a statement over posts or comments (no extra
    statement for a page)."""
    return _with_holder_columns(
        stmt.outerjoin(Claim, sa.and_(Claim.target_type == kind, Claim.target_id == target, active(now))))


def holders(session: Session, kind: str, ids: list[uuid.UUID]) -> dict[uuid.UUID, Holder]:
    """Who holds each of these items now (one statement)."""
    if not ids:
        return {}
    rows = session.execute(_with_holder_columns(
        sa.select(Claim.target_id).where(Claim.target_type == kind, Claim.target_id.in_(ids), active())))
    return {row.target_id: holder_from(row) for row in rows}


def holder_of(kind: str, target_id: uuid.UUID) -> Holder | None:
    return holders(db.session(), kind, [target_id]).get(target_id)


def _held_refusal(kind: str, target_id: uuid.UUID, holder: Holder) -> Conflict:
    refusal = Conflict(f"This {kind} is {holder.describe()}. Nothing was written; take it over "
                       "if you need to act on it now.")
    refusal.held = (kind, target_id)  # the 409 page offers "Take over" and a way back to it
    return refusal


def check_free(session: Session, targets: list[tuple[str, uuid.UUID]]) -> None:
    """Refuse (409, naming the holder) when another moderator holds any of the targets."""
    me = current_actor().id
    if me is None or not targets:
        return
    for kind in KINDS:
        ids = [i for k, i in targets if k == kind]
        for target_id, holder in holders(session, kind, ids).items():
            if holder.id != me:
                raise _held_refusal(kind, target_id, holder)


def end_claims(session: Session, targets: list[tuple[str, uuid.UUID]]) -> None:
    """The items are decided: whoever held them, the claims end (in the same unit)."""
    for kind in KINDS:
        ids = [i for k, i in targets if k == kind]
        if ids:
            session.execute(sa.delete(Claim).where(Claim.target_type == kind, Claim.target_id.in_(ids))
                            .execution_options(synchronize_session=False))


def target(session: Session, kind: str, target_id: uuid.UUID, verb: str = "claimed"):
    """The post or comment a team action is about, and its audit entity: 400 for another
    kind, 404 when it does not exist or lies outside the member's colleges."""
    if kind not in KINDS:
        raise InvalidInput(f"Only posts and comments can be {verb}, not {kind[:20]!r}.")
    model, entity = KINDS[kind]
    row = session.get(model, target_id)
    if row is None:
        raise NotFound(f"That {kind} does not exist (it may have been deleted).")
    scope.check_targets(session, [(kind, target_id)])
    return row, entity


def label(row) -> str:
    return (getattr(row, "title", None) or getattr(row, "content", "") or "")[:80]


def _upsert(session: Session, kind: str, target_id: uuid.UUID, me: str, now: datetime):
    """Insert the claim, or take it over only from an expired claim or from oneself: one
    statement, so a concurrent claim waits for the first and then sees it held."""
    expires = now + timedelta(minutes=claim_minutes())
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(Claim).values(target_type=kind, target_id=target_id, holder_id=me,
                                        claimed_at=now, expires_at=expires)
    table = Claim.__table__
    mine = table.c.holder_id == me
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.target_type, table.c.target_id],
        set_={
            "holder_id": me,
            "claimed_at": sa.case((mine, table.c.claimed_at), else_=now),
            # An assignment stays one; a claim is renewed.
            "expires_at": sa.case((sa.and_(mine, table.c.expires_at.is_(None)), None), else_=expires),
            "assigned_by_id": sa.case((mine, table.c.assigned_by_id), else_=None),
            "note": sa.case((mine, table.c.note), else_=None),
        },
        where=sa.or_(mine, sa.and_(table.c.expires_at.is_not(None), table.c.expires_at <= now)),
    ).returning(table.c.claimed_at)
    return session.execute(stmt).scalar()


def _claim(session: Session, kind: str, target_id: uuid.UUID, me: str, row, entity) -> Outcome:
    now = utcnow()
    claimed_at = _upsert(session, kind, target_id, me, now)
    if claimed_at is None:
        holder = holders(session, kind, [target_id]).get(target_id)
        raise _held_refusal(kind, target_id, holder) if holder else Conflict(
            f"This {kind} was just claimed by someone else; try again.")
    if claimed_at != now:
        return Outcome(False, f"You hold this {kind}; your claim was renewed "
                              f"for {claim_minutes()} minutes.")
    record(AuditAction.CONTENT_CLAIMED, entity_type=entity, entity_id=target_id,
           after={"holder": me, "minutes": claim_minutes()}, metadata={"label": label(row)})
    return Outcome(True, f"You hold this {kind} for {claim_minutes()} minutes.")


def _me() -> str:
    me = current_actor().id
    if me is None:
        raise InvalidInput("Only a signed-in moderator can hold an item.")
    return me


def claim(kind: str, target_id: uuid.UUID) -> Outcome:
    """Claim the item for ``CLAIM_MINUTES`` (renewing one's own claim); 409 when another
    moderator holds it."""
    me = _me()
    with transaction() as session:
        row, entity = target(session, kind, target_id)
        return _claim(session, kind, target_id, me, row, entity)


def release(kind: str, target_id: uuid.UUID) -> Outcome:
    me = _me()
    with transaction() as session:
        row, entity = target(session, kind, target_id)
        gone = session.execute(
            sa.delete(Claim).where(Claim.target_type == kind, Claim.target_id == target_id,
                                   Claim.holder_id == me, active())
            .returning(Claim.holder_id)).first()
        if gone is None:
            return Outcome(False, f"You do not hold this {kind}; nothing was changed.")
        record(AuditAction.CONTENT_RELEASED, entity_type=entity, entity_id=target_id,
               before={"holder": me}, metadata={"label": label(row)})
    return Outcome(True, f"You released this {kind}.")


def _locked_claim(session: Session, kind: str, target_id: uuid.UUID) -> Claim | None:
    return session.scalars(
        sa.select(Claim).where(Claim.target_type == kind, Claim.target_id == target_id, active())
        .with_for_update().execution_options(populate_existing=True)).first()


def take_over(kind: str, target_id: uuid.UUID, reason: str | None = None) -> Outcome:
    """Take an item another moderator holds (audited, naming them); the taker holds it
    for ``CLAIM_MINUTES``."""
    me = _me()
    with transaction() as session:
        row, entity = target(session, kind, target_id)
        held = _locked_claim(session, kind, target_id)
        if held is None or held.holder_id == me:  # nothing to take over: an ordinary claim
            return _claim(session, kind, target_id, me, row, entity)
        previous = holders(session, kind, [target_id])[target_id]
        now = utcnow()
        held.holder_id, held.claimed_at = me, now
        held.expires_at = now + timedelta(minutes=claim_minutes())
        held.assigned_by_id, held.note = None, None
        record(AuditAction.CONTENT_TAKEN_OVER, entity_type=entity, entity_id=target_id,
               before={"holder": previous.id}, after={"holder": me},
               reason=(reason or "").strip()[:MAX_NOTE] or None,
               metadata={"label": label(row), "previous_holder": previous.name})
    return Outcome(True, f"You took this {kind} over from {previous.name}.")


def _assignee(session: Session, user_id: str, kind: str, target_id: uuid.UUID) -> Auth:
    user = session.get(Auth, (user_id or "")[:200])
    if user is None or Permission.CONTENT_MODERATE not in permissions_of(user.role) or user.banned:
        raise InvalidInput("Assign to a staff member who moderates (pick one from the list).",
                           field="assignee")
    if not session.scalar(sa.select(scope.covers(user.id, kind, target_id))):
        raise InvalidInput(f"{display_name(user.name, user.email)} moderates other colleges than this "
                           f"{kind}'s author's, so they could not open it; assign it to a colleague "
                           "whose colleges include it.", field="assignee")
    return user


def _insert_assignment(session: Session, kind: str, target_id: uuid.UUID, holder: str, me: str,
                       note: str | None) -> bool:
    """Insert the assignment (or replace an expired claim) in one statement: a claim or an
    assignment committed meanwhile by someone else wins, and this one is refused (False)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    now = utcnow()
    values = {"holder_id": holder, "claimed_at": now, "expires_at": None, "assigned_by_id": me, "note": note}
    table = Claim.__table__
    stmt = (dialect.insert(Claim).values(target_type=kind, target_id=target_id, **values)
            .on_conflict_do_update(index_elements=[table.c.target_type, table.c.target_id], set_=values,
                                   where=sa.and_(table.c.expires_at.is_not(None), table.c.expires_at <= now))
            .returning(table.c.holder_id))
    return session.execute(stmt).first() is not None


def assign(kind: str, target_id: uuid.UUID, assignee_id: str, note: str | None) -> Outcome:
    """Give the item to a colleague with a note; it waits under their "assigned to me"
    until decided or released. Refused (409) while a third moderator holds it."""
    me = _me()
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"The note is at most {MAX_NOTE} characters.", field="note")
    with transaction() as session:
        row, entity = target(session, kind, target_id)
        assignee = _assignee(session, assignee_id, kind, target_id)
        held = _locked_claim(session, kind, target_id)
        before = None
        if held is not None:
            if held.holder_id not in (me, assignee.id):
                raise _held_refusal(kind, target_id, holders(session, kind, [target_id])[target_id])
            before = {"holder": held.holder_id}
            session.delete(held)
            session.flush()
        if not _insert_assignment(session, kind, target_id, assignee.id, me, note or None):
            holder = holders(session, kind, [target_id]).get(target_id)
            raise _held_refusal(kind, target_id, holder) if holder else Conflict(
                f"This {kind} was just claimed by someone else; try again.")
        name = display_name(assignee.name, assignee.email)
        record(AuditAction.CONTENT_ASSIGNED, entity_type=entity, entity_id=target_id,
               before=before, after={"holder": assignee.id, "note": note or None},
               metadata={"label": label(row), "assignee": name})
    return Outcome(True, f"Assigned to {name}.")


def _assignable_roles() -> list[str]:
    return [r for r in ("moderator", "admin", "superadmin")
            if Permission.CONTENT_MODERATE in permissions_of(r)]


def moderators(kind: str, target_id: uuid.UUID) -> list[tuple[str, str]]:
    """Active staff who may be assigned this item (their colleges, if limited, include
    it): (id, name), by name."""
    rows = db.session().execute(
        sa.select(Auth.id, Auth.name, Auth.email)
        .where(Auth.role.in_(_assignable_roles()), sa.or_(Auth.banned.is_(None), Auth.banned.is_(False)),
               scope.covers(Auth.id, kind, target_id))
        .order_by(Auth.name, Auth.email)).all()
    return [(r.id, display_name(r.name, r.email)) for r in rows]
