"""Telling the author, in Flick's own ``notifications`` table, when Flick Admin bans their
post or comment, or suspends or bans their account — and correcting it when that decision
is reverted.

The row has the shape of the reporters' notifications (``moderation.reporters``): type
``general`` — Flick's ``notification_type`` has no moderation value, and its app shows a
``general`` row's ``content`` as the message — ``receiverId`` the author's
``platform_user`` id, no actors, and no ``postId`` (Flick's foreign key would stop a banned
post from ever being deleted, and the app would link to a post it hides). So the text
names the post: "Your post “…” was removed from Flick." followed by the chosen removal
reason's text for students, or a general sentence when the moderator typed their own
reason (an audit reason is staff's, never shown to a student).

A shadow-ban never tells anyone: it must stay invisible to its author. Every decision
writes its authors' notifications in its own transaction, in one INSERT for a whole batch;
the audit row of each decision names its notification (``author_notification_id``), so a
revert can send "An update on your post “…”: we reversed our decision…" (one INSERT for
the whole revert). ``NOTIFY_AUTHORS=0`` turns both off.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from flick_admin.audit.actions import AuditAction
from flick_admin.db import Notification, Post
from flick_admin.db.base import utcnow_tz
from flick_admin.db.reasons import RemovalReason
from flick_admin.outcomes import excerpt
from flick_admin.refusals import InvalidInput

GENERAL = "It breaks Flick's community rules."
TOLD = {AuditAction.CONTENT_BANNED.value, AuditAction.USER_BANNED.value, AuditAction.USER_SUSPENDED.value}


@dataclass(frozen=True)
class Notice:
    """What the author reads: the chosen removal reason's text, or the general sentence."""

    reason_id: uuid.UUID | None = None
    title: str | None = None
    student_text: str = GENERAL

    def metadata(self) -> dict[str, Any]:
        """For the decision's audit rows: which catalogue reason was chosen."""
        return {"removal_reason": {"id": self.reason_id, "title": self.title}} if self.reason_id else {}


def enabled() -> bool:
    return bool(current_app.config.get("NOTIFY_AUTHORS", True)) if has_app_context() else True


def notice(session: Session, reason_id: uuid.UUID | str | None) -> Notice:
    """The notice for a decision (inside its transaction): a retired or unknown catalogue
    reason is refused, and nothing is written."""
    if not reason_id:
        return Notice()
    try:
        row = session.get(RemovalReason, uuid.UUID(str(reason_id)))
    except ValueError:
        row = None
    if row is None or row.retired_at is not None:
        raise InvalidInput("That removal reason was retired or does not exist; choose another. "
                           "Nothing was changed.")
    return Notice(row.id, row.title, row.student_text)


def _insert(session: Session, notes: list[tuple[uuid.UUID, str, str]]) -> None:
    if not notes:
        return
    now = utcnow_tz()
    session.execute(sa.insert(Notification), [
        {"id": note_id, "seen": False, "post_id": None, "receiver_id": str(receiver),
         "actor_usernames": [], "content": content, "type": "general", "created_at": now,
         "updated_at": now}
        for note_id, receiver, content in notes])


def _told(note_id: uuid.UUID) -> dict[str, Any]:
    return {"author_notified": True, "author_notification_id": note_id}


def tell_content(session: Session, kind: str, items: Iterable[tuple[uuid.UUID, Any, str, Any]],
                 told: Notice) -> dict[uuid.UUID, dict[str, Any]]:
    """Banned posts or comments (item id, author's profile id, its text, for a comment its
    post id): one notification per item, one INSERT. Returns each item's audit metadata."""
    items = [i for i in items if i[1] is not None]
    if not items or not enabled():
        return {}
    posts: dict[Any, str] = {}
    if kind == "comment":
        posts = dict(session.execute(sa.select(Post.id, Post.title)
                                     .where(Post.id.in_({i[3] for i in items if i[3]}))).all())
    notes, meta = [], {}
    for item_id, author, text, post_id in items:
        if kind == "comment":
            where = f" on the post “{excerpt(posts.get(post_id), 60)}”" if posts.get(post_id) else ""
            said = f"Your comment “{excerpt(text, 60)}”{where} was removed from Flick. {told.student_text}"
        else:
            said = f"Your post “{excerpt(text, 60)}” was removed from Flick. {told.student_text}"
        note_id = uuid.uuid4()
        notes.append((note_id, author, said))
        meta[item_id] = _told(note_id)
    _insert(session, notes)
    return meta


def tell_user(session: Session, profile_id: Any, until: datetime | None, told: Notice) -> dict[str, Any]:
    """A suspended or banned account: one notification (none without a Flick profile)."""
    if profile_id is None or not enabled():
        return {}
    what = ("Your Flick account was banned." if until is None
            else f"Your Flick account is suspended until {until:%d %B %Y, %H:%M} UTC.")
    note_id = uuid.uuid4()
    _insert(session, [(note_id, profile_id, f"{what} {told.student_text}")])
    return _told(note_id)


CORRECTIONS = {
    "post": "An update on your post “{label}”: we reversed our decision to remove it.",
    "comment": "An update on your comment “{label}”: we reversed our decision to remove it.",
    AuditAction.USER_BANNED.value: "An update on your Flick account: we reversed our decision to ban it.",
    AuditAction.USER_SUSPENDED.value: "An update on your Flick account: we reversed our decision to suspend it.",
}


def correct(session: Session, rows: Iterable[Any]) -> set[Any]:
    """A revert of these audit rows: each author told of one of them gets a short correction
    (one INSERT for all). Returns the ids of the rows whose author was corrected."""
    wanted: dict[uuid.UUID, Any] = {}
    for row in rows:
        meta = row.metadata_ if isinstance(row.metadata_, dict) else {}
        if row.action in TOLD and meta.get("author_notification_id"):
            wanted[uuid.UUID(str(meta["author_notification_id"]))] = row
    if not wanted or not enabled():
        return set()
    receivers = dict(session.execute(sa.select(Notification.id, Notification.receiver_id)
                                     .where(Notification.id.in_(list(wanted)))).all())
    notes, corrected = [], set()
    for note_id, row in wanted.items():
        if note_id not in receivers:
            continue  # removed in Flick since: nothing to correct
        key = row.entity_type if row.action == AuditAction.CONTENT_BANNED.value else row.action
        label = excerpt(str((row.metadata_ or {}).get("label") or ""), 60)
        notes.append((uuid.uuid4(), receivers[note_id], CORRECTIONS[key].format(label=label)))
        corrected.add(row.id)
    _insert(session, notes)
    return corrected
