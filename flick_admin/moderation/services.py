"""Moderation actions on posts, comments, reports and users.

Each public function is one unit of work: it locks what it changes, checks the state the
moderator saw, changes it with Flick's semantics, resolves the reports it settles and
records the audit rows — all in one transaction. Acting twice is harmless: the second
call reports "already done" and writes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from flick_admin.audit.actions import AuditAction
from flick_admin.audit.recorder import changed_fields, current_actor, record
from flick_admin.auth.permissions import ROLE_RANK, STAFF_ROLES
from flick_admin.auth.sessions import end_sessions_of
from flick_admin.db import Auth, Comment, ContentReport, Log, PlatformUser, Post
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType, ReportStatus, StaffRole
from flick_admin.db.transaction import transaction
from flick_admin.outcomes import MAX_REASON, Outcome, clean_reason, excerpt
from flick_admin.refusals import (
    ActionRefused,
    BatchItemFailed,
    InvalidInput,
    NotAllowed,
    NotFound,
    StaleState,
)

MAX_BATCH = 500


class ContentAction(StrEnum):
    BAN = "ban"
    UNBAN = "unban"
    SHADOW_BAN = "shadow_ban"
    UNSHADOW_BAN = "unshadow_ban"


class ReportAction(StrEnum):
    IGNORE = "ignore"
    REOPEN = "reopen"


class TargetKind(StrEnum):
    POST = "post"
    COMMENT = "comment"


CONTENT_AUDIT = {
    ContentAction.BAN: AuditAction.CONTENT_BANNED,
    ContentAction.UNBAN: AuditAction.CONTENT_UNBANNED,
    ContentAction.SHADOW_BAN: AuditAction.CONTENT_SHADOW_BANNED,
    ContentAction.UNSHADOW_BAN: AuditAction.CONTENT_SHADOW_UNBANNED,
}
DONE_WORDS = {
    ContentAction.BAN: "banned",
    ContentAction.UNBAN: "not banned",
    ContentAction.SHADOW_BAN: "shadow-banned",
    ContentAction.UNSHADOW_BAN: "not shadow-banned",
}


@dataclass(frozen=True)
class Target:
    """One item of a batch: what to act on and the state the moderator saw."""

    kind: TargetKind
    id: uuid.UUID
    state: str | None = None

    @property
    def label(self) -> str:
        return f"{self.kind} {self.id}"


# --- state tokens: what the form was drawn from --------------------------------------------

def post_state(post: Post) -> str:
    return f"b{int(bool(post.is_banned))}s{int(bool(post.is_shadow_banned))}"


def comment_state(comment: Comment) -> str:
    return f"b{int(bool(comment.is_banned))}"


def user_state(user: Auth) -> str:
    if not user.ban_in_force():
        return "free"
    return "ban:" + (user.ban_expires.isoformat(timespec="seconds") if user.ban_expires else "forever")


# --- helpers --------------------------------------------------------------------------------

def _locked(session: Session, model, ident):
    stmt = (
        sa.select(model).where(model.id == ident).with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).first()


def _last_change(session: Session, entity_type: EntityType, entity_id: str) -> str:
    """"by whom and when" for a 409 page, from the newest audit row of the entity."""
    row = session.execute(
        sa.select(Log.occured_at, Log.actor_id, Log.actor_type, Auth.email)
        .outerjoin(Auth, Auth.id == Log.actor_id)
        .where(Log.entity_type == entity_type.value, Log.entity_id == entity_id)
        .order_by(Log.occured_at.desc(), Log.id.desc()).limit(1)
    ).first()
    if row is None:
        return "by someone outside Flick Admin"
    who = row.email or row.actor_id or row.actor_type
    return f"by {who} at {row.occured_at:%Y-%m-%d %H:%M} UTC"


def _describe_post(state: str) -> str:
    return {"b0s0": "visible", "b1s0": "banned", "b0s1": "shadow-banned",
            "b1s1": "banned and shadow-banned"}.get(state, state)


def _author_label(session: Session, platform_user_id: uuid.UUID | None) -> str | None:
    if platform_user_id is None:
        return None
    return session.scalar(sa.select(PlatformUser.username).where(PlatformUser.id == platform_user_id))


# --- reports --------------------------------------------------------------------------------

def _set_reports(
    session: Session,
    *,
    kind: TargetKind,
    target_id: uuid.UUID,
    from_statuses: tuple[str, ...],
    to_status: ReportStatus,
    reason: str,
    metadata: dict[str, Any],
) -> int:
    column = ContentReport.post_id if kind is TargetKind.POST else ContentReport.comment_id
    rows = session.execute(
        sa.select(ContentReport.id, ContentReport.status)
        .where(column == target_id, ContentReport.status.in_(from_statuses))
        .order_by(ContentReport.created_at, ContentReport.id)
        .with_for_update()
    ).all()
    if not rows:
        return 0
    session.execute(
        sa.update(ContentReport)
        .where(ContentReport.id.in_([r.id for r in rows]))
        .values(status=to_status.value, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    for report_id, old in rows:
        record(
            AuditAction.REPORT_STATUS_CHANGED,
            entity_type=EntityType.CONTENT_REPORT,
            entity_id=report_id,
            before={"status": old},
            after={"status": to_status.value},
            reason=reason,
            metadata={**metadata, "target": f"{kind}:{target_id}"},
            flush=False,
        )
    session.flush()
    return len(rows)


# --- posts and comments ---------------------------------------------------------------------

def _moderate_post(session: Session, post_id: uuid.UUID, action: ContentAction, reason: str,
                   expected: str | None, batch_id: uuid.UUID | None) -> Outcome:
    post = _locked(session, Post, post_id)
    if post is None:
        raise NotFound("That post does not exist (it may have been deleted).")
    banned, shadow = bool(post.is_banned), bool(post.is_shadow_banned)
    already = {
        ContentAction.BAN: banned, ContentAction.UNBAN: not banned,
        ContentAction.SHADOW_BAN: shadow, ContentAction.UNSHADOW_BAN: not shadow,
    }[action]
    if already:
        return Outcome(False, f"This post is already {DONE_WORDS[action]}; nothing was changed.")
    current = post_state(post)
    if expected is not None and expected != current:
        raise StaleState(
            f"This post changed after you opened it: it is now {_describe_post(current)} "
            f"({_last_change(session, EntityType.POST, str(post.id))}). Nothing was written; "
            "look at it again and decide."
        )
    before = {"isBanned": banned, "isShadowBanned": shadow}
    # Flick's semantics: a ban clears a shadow ban and the other way round.
    if action is ContentAction.BAN:
        post.is_banned, post.is_shadow_banned = True, False
    elif action is ContentAction.SHADOW_BAN:
        post.is_banned, post.is_shadow_banned = False, True
    elif action is ContentAction.UNBAN:
        post.is_banned = False
    else:
        post.is_shadow_banned = False
    post.updated_at = utcnow()
    after = {"isBanned": bool(post.is_banned), "isShadowBanned": bool(post.is_shadow_banned)}
    old, new = changed_fields(before, after)
    metadata = {"label": excerpt(post.title), "author": _author_label(session, post.posted_by_id)}
    if batch_id:
        metadata["batch_id"] = batch_id
    record(CONTENT_AUDIT[action], entity_type=EntityType.POST, entity_id=post.id,
           before=old, after=new, reason=reason, metadata=metadata, flush=False)
    settled = 0
    if action in (ContentAction.BAN, ContentAction.SHADOW_BAN):
        settled = _set_reports(session, kind=TargetKind.POST, target_id=post.id,
                               from_statuses=(ReportStatus.PENDING,), to_status=ReportStatus.RESOLVED,
                               reason=reason, metadata={"batch_id": batch_id} if batch_id else {})
    session.flush()
    done = {ContentAction.BAN: "Post banned", ContentAction.SHADOW_BAN: "Post shadow-banned",
            ContentAction.UNBAN: "Post unbanned", ContentAction.UNSHADOW_BAN: "Shadow ban lifted"}
    suffix = f"; {settled} pending report(s) resolved." if settled else "."
    return Outcome(True, done[action] + suffix, settled)


def _moderate_comment(session: Session, comment_id: uuid.UUID, action: ContentAction, reason: str,
                      expected: str | None, batch_id: uuid.UUID | None) -> Outcome:
    if action not in (ContentAction.BAN, ContentAction.UNBAN):
        raise InvalidInput("Comments can be banned or unbanned; Flick has no shadow ban for comments.")
    comment = _locked(session, Comment, comment_id)
    if comment is None:
        raise NotFound("That comment does not exist (it may have been deleted).")
    banned = bool(comment.is_banned)
    if banned == (action is ContentAction.BAN):
        return Outcome(False, f"This comment is already {DONE_WORDS[action]}; nothing was changed.")
    current = comment_state(comment)
    if expected is not None and expected != current:
        raise StaleState(
            f"This comment changed after you opened it: it is now "
            f"{'banned' if banned else 'visible'} "
            f"({_last_change(session, EntityType.COMMENT, str(comment.id))}). Nothing was written."
        )
    comment.is_banned = action is ContentAction.BAN
    comment.updated_at = utcnow()
    metadata = {"label": excerpt(comment.content), "post_id": comment.post_id,
                "author": _author_label(session, comment.commented_by_id)}
    if batch_id:
        metadata["batch_id"] = batch_id
    record(CONTENT_AUDIT[action], entity_type=EntityType.COMMENT, entity_id=comment.id,
           before={"isBanned": banned}, after={"isBanned": not banned}, reason=reason,
           metadata=metadata, flush=False)
    settled = 0
    if action is ContentAction.BAN:
        settled = _set_reports(session, kind=TargetKind.COMMENT, target_id=comment.id,
                               from_statuses=(ReportStatus.PENDING,), to_status=ReportStatus.RESOLVED,
                               reason=reason, metadata={"batch_id": batch_id} if batch_id else {})
    session.flush()
    word = "Comment banned" if action is ContentAction.BAN else "Comment unbanned"
    return Outcome(True, word + (f"; {settled} pending report(s) resolved." if settled else "."), settled)


def _report_action(session: Session, kind: TargetKind, target_id: uuid.UUID, action: ReportAction,
                   reason: str, batch_id: uuid.UUID | None) -> Outcome:
    model = Post if kind is TargetKind.POST else Comment
    if session.get(model, target_id) is None:
        raise NotFound(f"That {kind} does not exist (it may have been deleted).")
    metadata = {"batch_id": batch_id} if batch_id else {}
    if action is ReportAction.IGNORE:
        count = _set_reports(session, kind=kind, target_id=target_id,
                             from_statuses=(ReportStatus.PENDING,), to_status=ReportStatus.IGNORED,
                             reason=reason, metadata=metadata)
        if not count:
            return Outcome(False, f"This {kind} has no pending reports; nothing was changed.")
        return Outcome(True, f"{count} report(s) ignored.", count)
    count = _set_reports(session, kind=kind, target_id=target_id,
                         from_statuses=(ReportStatus.RESOLVED, ReportStatus.IGNORED),
                         to_status=ReportStatus.PENDING, reason=reason, metadata=metadata)
    if not count:
        return Outcome(False, f"This {kind} has no closed reports to reopen; nothing was changed.")
    return Outcome(True, f"{count} report(s) reopened.", count)


def _apply(session: Session, target: Target, action: str, reason: str,
           batch_id: uuid.UUID | None) -> Outcome:
    if action in (ReportAction.IGNORE, ReportAction.REOPEN):
        return _report_action(session, target.kind, target.id, ReportAction(action), reason, batch_id)
    try:
        content_action = ContentAction(action)
    except ValueError:
        raise InvalidInput(f"Unknown action {action!r}.") from None
    if target.kind is TargetKind.POST:
        return _moderate_post(session, target.id, content_action, reason, target.state, batch_id)
    return _moderate_comment(session, target.id, content_action, reason, target.state, batch_id)


def moderate(target: Target, action: str, reason: str | None) -> Outcome:
    """Act on one post or comment: a content action or a report action."""
    reason = clean_reason(reason)
    with transaction() as session:
        return _apply(session, target, action, reason, None)


@dataclass(frozen=True)
class BatchOutcome:
    batch_id: uuid.UUID
    changed: int
    unchanged: int

    @property
    def message(self) -> str:
        text = f"{self.changed} item(s) changed"
        if self.unchanged:
            text += f", {self.unchanged} already in that state"
        return text + "."


def moderate_batch(targets: list[Target], action: str, reason: str | None) -> BatchOutcome:
    """One action with one reason on many items, in one transaction. Every audit row
    carries the batch id; if any item fails, nothing of the batch is kept."""
    reason = clean_reason(reason)
    if not targets:
        raise InvalidInput("Select at least one item.")
    if len(targets) > MAX_BATCH:
        raise InvalidInput(f"A batch takes at most {MAX_BATCH} items ({len(targets)} selected).")
    if len({(t.kind, t.id) for t in targets}) != len(targets):
        raise InvalidInput("The same item is selected twice.")
    batch_id = uuid.uuid4()
    changed = unchanged = 0
    with transaction() as session:
        for index, target in enumerate(targets):
            try:
                outcome = _apply(session, target, action, reason, batch_id)
            except ActionRefused as refused:
                raise BatchItemFailed(index, target.label, refused) from refused
            changed += outcome.changed
            unchanged += not outcome.changed
    return BatchOutcome(batch_id, changed, unchanged)


# --- users ----------------------------------------------------------------------------------

class SanctionKind(StrEnum):
    BAN = "ban"
    SUSPEND = "suspend"


def _check_may_sanction(target: Auth) -> None:
    actor = current_actor()
    if actor.id is not None and actor.id == target.id:
        raise NotAllowed("Nobody can sanction their own account.")
    if target.role in STAFF_ROLES:
        if actor.type == StaffRole.MODERATOR or actor.type not in ROLE_RANK:
            raise NotAllowed("Moderators cannot sanction staff accounts.")
        if ROLE_RANK[actor.type] <= ROLE_RANK[target.role]:
            raise NotAllowed("You cannot sanction a staff member of your rank or higher.")


def _ban_fields(user: Auth) -> dict[str, Any]:
    return {"banned": bool(user.banned), "ban_reason": user.ban_reason,
            "ban_expires": user.ban_expires.isoformat(timespec="seconds") if user.ban_expires else None}


def _user_metadata(session: Session, user: Auth) -> dict[str, Any]:
    profile = session.execute(
        sa.select(PlatformUser.id, PlatformUser.username).where(PlatformUser.auth_id == user.id)
    ).first()
    return {"label": profile.username if profile else user.email, "email": user.email,
            "platform_user_id": profile.id if profile else None}


def sanction_user(auth_id: str, kind: SanctionKind, reason: str | None,
                  until: datetime | None = None, expected: str | None = None) -> Outcome:
    """Ban (permanent) or suspend (until a date). Ends the user's sessions at once."""
    reason = clean_reason(reason)
    kind = SanctionKind(kind)
    now = utcnow()
    if kind is SanctionKind.SUSPEND:
        if until is None:
            raise InvalidInput("A suspension needs an end date.")
        if until <= now:
            raise InvalidInput("A suspension must end in the future.")
    else:
        until = None
    with transaction() as session:
        user = _locked(session, Auth, auth_id)
        if user is None:
            raise NotFound("That user does not exist.")
        _check_may_sanction(user)
        if user.ban_in_force() and user.ban_expires == until:
            word = "banned" if until is None else f"suspended until {until:%Y-%m-%d %H:%M}"
            return Outcome(False, f"This user is already {word}; nothing was changed.")
        current = user_state(user)
        if expected is not None and expected != current:
            raise StaleState(
                "This user's ban changed after you opened the page "
                f"({_last_change(session, EntityType.USER, user.id)}). Nothing was written."
            )
        before = _ban_fields(user)
        user.banned, user.ban_reason, user.ban_expires = True, reason, until
        user.updated_at = now
        old, new = changed_fields(before, _ban_fields(user))
        ended = end_sessions_of(user.id)
        metadata = {**_user_metadata(session, user), "sessions_ended": ended}
        record(AuditAction.USER_BANNED if until is None else AuditAction.USER_SUSPENDED,
               entity_type=EntityType.USER, entity_id=user.id, before=old, after=new,
               reason=reason, metadata=metadata)
    what = "banned" if until is None else f"suspended until {until:%Y-%m-%d %H:%M} UTC"
    return Outcome(True, f"User {what}; {ended} session(s) ended.")


def lift_sanction(auth_id: str, reason: str | None, expected: str | None = None) -> Outcome:
    reason = clean_reason(reason)
    with transaction() as session:
        user = _locked(session, Auth, auth_id)
        if user is None:
            raise NotFound("That user does not exist.")
        _check_may_sanction(user)
        if not user.ban_in_force():
            return Outcome(False, "This user has no ban in force; nothing was changed.")
        if expected is not None and expected != user_state(user):
            raise StaleState(
                "This user's ban changed after you opened the page "
                f"({_last_change(session, EntityType.USER, user.id)}). Nothing was written."
            )
        before = _ban_fields(user)
        user.banned, user.ban_reason, user.ban_expires = False, None, None
        user.updated_at = utcnow()
        old, new = changed_fields(before, _ban_fields(user))
        record(AuditAction.USER_UNBANNED, entity_type=EntityType.USER, entity_id=user.id,
               before=old, after=new, reason=reason, metadata=_user_metadata(session, user))
    return Outcome(True, "Ban lifted.")

