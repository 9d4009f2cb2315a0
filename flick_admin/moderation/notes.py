"""Internal notes: what a staff member wants colleagues to know about a post, a comment or
a student ("third report this week, see the thread on …").

Notes live only in Flick Admin's own ``admin_notes`` table — Flick's server and app never
read it, so no student sees them. Staff who read moderation (``content:read``) read them,
on the item's history and on the report queue's row; staff who sort the queue
(``content:triage``: triage, moderators, admins) write them. Each change is one unit with
its audit row; the audit row names the note (``note_id``) and its length, never its text,
so the text stays in the one table that holds it. A note's author edits or deletes it.
A college-scoped member reads and writes notes only on items of their colleges' students
(the same check as every page: outside is a 404).
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from flick_admin import scope
from flick_admin.audit.actions import AuditAction
from flick_admin.audit.recorder import current_actor, record
from flick_admin.db import Auth, Comment, PlatformUser, Post
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType
from flick_admin.db.team import Note
from flick_admin.db.transaction import transaction
from flick_admin.outcomes import Outcome
from flick_admin.refusals import InvalidInput, NotAllowed, NotFound

MAX_NOTE = 2000
KINDS = ("post", "comment", "user")


def clean_body(body: str | None) -> str:
    body = (body or "").strip()
    if not body:
        raise InvalidInput("Write the note first (it cannot be empty).", field="body")
    if len(body) > MAX_NOTE:
        raise InvalidInput(f"A note is at most {MAX_NOTE} characters ({len(body)} given).", field="body")
    if "\x00" in body:
        raise InvalidInput("The note contains a NUL character, which Flick Admin does not accept.")
    return body


def _me() -> str:
    me = current_actor().id
    if me is None:
        raise NotAllowed("Only a signed-in staff member can write a note.")
    return me


def _item(session: Session, kind: str, ident: str) -> tuple[uuid.UUID, EntityType, str, str]:
    """The note's target: (its id in admin_notes, audit entity type, audit entity id,
    label). 404 when it does not exist or is outside the member's colleges."""
    if kind in ("post", "comment"):
        try:
            target_id = uuid.UUID(str(ident))
        except ValueError:
            raise NotFound(f"That {kind} does not exist (it may have been deleted).") from None
        row = session.get(Post if kind == "post" else Comment, target_id)
        if row is None:
            raise NotFound(f"That {kind} does not exist (it may have been deleted).")
        scope.check_targets(session, [(kind, target_id)])
        label = (getattr(row, "title", None) or getattr(row, "content", "") or "")[:80]
        return target_id, EntityType(kind), str(target_id), label
    if kind != "user":
        raise InvalidInput(f"Notes are kept on posts, comments and users, not {kind[:20]!r}.")
    auth_id = str(ident)[:200]
    scope.check_user(session, auth_id)
    profile = session.execute(sa.select(PlatformUser.id, PlatformUser.username)
                              .where(PlatformUser.auth_id == auth_id)).first()
    if profile is None:
        if session.get(Auth, auth_id) is None:
            raise NotFound("That user does not exist.")
        raise InvalidInput("Notes are kept on students' accounts; this account has no student profile.")
    return profile.id, EntityType.USER, auth_id, profile.username or ""


def _note_item(session: Session, note: Note) -> tuple[EntityType, str, str]:
    """The audit entity of an existing note's target, checked against the member's scope
    (a note on an outside item does not exist for them)."""
    if note.target_type in ("post", "comment"):
        try:
            scope.check_targets(session, [(note.target_type, note.target_id)])
        except NotFound:
            raise NotFound("That note does not exist.") from None
        row = session.get(Post if note.target_type == "post" else Comment, note.target_id)
        label = (getattr(row, "title", None) or getattr(row, "content", "") or "")[:80] if row else ""
        return EntityType(note.target_type), str(note.target_id), label
    profile = session.execute(sa.select(PlatformUser.auth_id, PlatformUser.username, PlatformUser.college_id)
                              .where(PlatformUser.id == note.target_id)).first()
    within = scope.colleges()
    if profile is None or (within is not None and profile.college_id not in within):
        raise NotFound("That note does not exist.")
    return EntityType.USER, profile.auth_id, profile.username or ""


def add(kind: str, ident: str, body: str | None) -> Outcome:
    """Leave a note on a post, comment or student (one unit with its audit row). An item
    outside the member's colleges is a 404 before anything else is checked."""
    me = _me()
    with transaction() as session:
        target_id, entity, entity_id, label = _item(session, kind, ident)
        body = clean_body(body)
        note_id = uuid.uuid4()
        log = record(AuditAction.NOTE_ADDED, entity_type=entity, entity_id=entity_id,
                     after={"note_characters": len(body)},
                     metadata={"label": label, "note_id": str(note_id)})
        session.add(Note(id=note_id, target_type=kind, target_id=target_id, author_id=me, body=body,
                         created_at=utcnow(), log_id=log.id))
        session.flush()
    return Outcome(True, "Your note is saved. Only staff can read it.")


def _own(session: Session, note_id: uuid.UUID, me: str) -> tuple[Note, EntityType, str, str]:
    note = session.scalars(sa.select(Note).where(Note.id == note_id).with_for_update()
                           .execution_options(populate_existing=True)).first()
    if note is None:
        raise NotFound("That note does not exist (it may have been deleted).")
    entity, entity_id, label = _note_item(session, note)
    if note.author_id != me:
        raise NotAllowed("Only the note's author can edit or delete it.")
    return note, entity, entity_id, label


def edit(note_id: uuid.UUID, body: str | None) -> Outcome:
    me = _me()
    with transaction() as session:
        note, entity, entity_id, label = _own(session, note_id, me)
        body = clean_body(body)
        if note.body == body:
            return Outcome(False, "The note is unchanged.")
        before = len(note.body)
        note.body, note.edited_at = body, utcnow()
        record(AuditAction.NOTE_EDITED, entity_type=entity, entity_id=entity_id,
               before={"note_characters": before}, after={"note_characters": len(body)},
               metadata={"label": label, "note_id": str(note.id)})
    return Outcome(True, "Your note is updated.")


def delete(note_id: uuid.UUID) -> Outcome:
    me = _me()
    with transaction() as session:
        note, entity, entity_id, label = _own(session, note_id, me)
        record(AuditAction.NOTE_DELETED, entity_type=entity, entity_id=entity_id,
               before={"note_characters": len(note.body)},
               metadata={"label": label, "note_id": str(note.id)})
        session.delete(note)
    return Outcome(True, "Your note is deleted.")


# --- reading notes inside the statements pages already run -----------------------------------

def latest_columns(kind: str, target) -> list[Any]:
    """The newest note on each row's item and who wrote it, as two columns of a statement
    over posts or comments (the report queue's targets: no extra statement)."""
    # Each a scalar subquery directly inside the statement, so that it correlates to the
    # row's post or comment.
    def newest(column, *joins):
        stmt = sa.select(column).select_from(Note)
        for table, on in joins:
            stmt = stmt.join(table, on)
        return (stmt.where(Note.target_type == kind, Note.target_id == target)
                .order_by(Note.created_at.desc(), Note.id.desc()).limit(1).scalar_subquery())

    body = newest(Note.body)
    by = newest(sa.func.coalesce(sa.func.nullif(sa.func.trim(Auth.name), ""), Auth.email),
                (Auth, Auth.id == Note.author_id))
    return [body.label("latest_note"), by.label("latest_note_by")]


def with_notes(stmt: sa.Select, log_id) -> sa.Select:
    """An item's history (a statement over ``logs``) with the note each "left a note" row
    recorded, as it reads now (edited, or gone when deleted)."""
    return (stmt.add_columns(Note.id.label("note_id"), Note.body.label("note_body"),
                             Note.author_id.label("note_author_id"), Note.edited_at.label("note_edited_at"))
            .outerjoin(Note, Note.log_id == log_id))
