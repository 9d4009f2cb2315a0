"""Moderation actions on posts, comments, reports and users.

Each public function is one unit of work: it locks what it changes, checks the state the
moderator saw, changes it with Flick's semantics, resolves the reports it settles and
records the audit rows — all in one transaction. Acting twice is harmless: the second
call reports "already done" and writes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from flick_admin import scope, tallies
from flick_admin.audit.actions import AuditAction
from flick_admin.audit.recorder import changed_fields, record
from flick_admin.moderation import authors, claims, escalations, reporters
from flick_admin.db import Auth, Comment, ContentReport, Log, PlatformUser, Post
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType, ReportStatus
from flick_admin.db.reports import about_post
from flick_admin.db.transaction import transaction
from flick_admin.outcomes import Outcome, clean_reason, excerpt
from flick_admin.refusals import (
    ActionRefused,
    BatchItemFailed,
    InvalidInput,
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


def _describe(kind: TargetKind, state: str) -> str:
    if kind is TargetKind.POST:
        return _describe_post(state)
    return "banned" if state == "b1" else "visible"


def _hidden(item) -> bool:
    """Whether Flick hides the item now (banned, or a post shadow-banned)."""
    return bool(item.is_banned) or bool(getattr(item, "is_shadow_banned", False))


def _authors(session: Session, user_ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    ids = [i for i in user_ids if i is not None]
    if not ids:
        return {}
    return dict(session.execute(
        sa.select(PlatformUser.id, PlatformUser.username).where(PlatformUser.id.in_(ids))).all())


def _locked_rows(session: Session, model, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """Lock the rows in id order (two batches over the same rows cannot deadlock)."""
    stmt = (sa.select(model).where(model.id.in_(ids)).order_by(model.id).with_for_update()
            .execution_options(populate_existing=True))
    return {row.id: row for row in session.scalars(stmt)}


class _Refusals:
    """Raises a refusal as it is for one item, or naming the item within a batch."""

    def __init__(self, batch: bool):
        self.batch = batch

    def __call__(self, index: int, target: Target, cause: ActionRefused) -> ActionRefused:
        return BatchItemFailed(index, target.label, cause) if self.batch else cause


# --- reports --------------------------------------------------------------------------------

def _set_reports(
    session: Session,
    *,
    kind: TargetKind,
    target_ids: list[uuid.UUID],
    from_statuses: tuple[str, ...],
    to_status: ReportStatus,
    reason: str,
    batch_id: uuid.UUID | None,
    hidden: set[uuid.UUID] = frozenset(),
) -> dict[uuid.UUID, int]:
    """Move the reports about these targets from one status to another: one SELECT … FOR
    UPDATE, one UPDATE and an audit row per report. A post's reports are its own (a report
    that names a comment is about the comment, even when it carries the post's id).
    ``hidden``: the targets Flick hides now (what their reporters are told depends on it).
    Returns the count per target."""
    if kind is TargetKind.POST:
        column = ContentReport.post_id
        about = sa.and_(about_post(ContentReport), column.in_(target_ids))
    else:
        column = ContentReport.comment_id
        about = column.in_(target_ids)
    rows = session.execute(
        sa.select(ContentReport.id, ContentReport.status, column.label("target"),
                  ContentReport.post_id, ContentReport.created_at, ContentReport.reported_by_id)
        .where(about, ContentReport.status.in_(from_statuses))
        .order_by(ContentReport.id)
        .with_for_update()
    ).all()
    counts: dict[uuid.UUID, int] = {}
    if not rows:
        return counts
    session.execute(
        sa.update(ContentReport)
        .where(ContentReport.id.in_([r.id for r in rows]))
        .values(status=to_status.value, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    into_pending = to_status is ReportStatus.PENDING
    tallies.reports_moved(
        session, [tallies.MovedReport(r.post_id, r.created_at, r.reported_by_id, r.status, to_status.value,
                                      r.target, r.target if kind is TargetKind.COMMENT else None)
                  for r in rows],
        into_pending=into_pending)
    told = reporters.tell_reporters(
        session, noun=kind.value, to_status=to_status, hidden=hidden,
        reports=[(r.id, r.reported_by_id, r.target) for r in rows if r.status == ReportStatus.PENDING.value])
    metadata_base = {"batch_id": batch_id} if batch_id else {}
    for report_id, old, target, _post, _created, _reporter in rows:
        counts[target] = counts.get(target, 0) + 1
        record(
            AuditAction.REPORT_STATUS_CHANGED,
            entity_type=EntityType.CONTENT_REPORT,
            entity_id=report_id,
            before={"status": old},
            after={"status": to_status.value},
            reason=reason,
            metadata={**metadata_base, "target": f"{kind}:{target}",
                      **({"reporter_notified": True, "notification_id": told[report_id]}
                         if report_id in told else {})},
            flush=False,
        )
    return counts


# --- posts and comments ---------------------------------------------------------------------

def _settle_decided(session: Session, kind: TargetKind, action: ContentAction,
                    decided: list[tuple[int, uuid.UUID]], outcomes: dict[int, Outcome],
                    reason: str, batch_id: uuid.UUID | None) -> None:
    """Banning what is already banned changes nothing on the item, but the reports still
    pending on it (filed after the ban, or before a ban made outside Flick Admin) are
    settled by the decision: they leave the queue, each with its audit row."""
    if not decided or action not in (ContentAction.BAN, ContentAction.SHADOW_BAN):
        return
    settled = _set_reports(session, kind=kind, target_ids=[i for _, i in decided],
                           from_statuses=(ReportStatus.PENDING,), to_status=ReportStatus.RESOLVED,
                           reason=reason, batch_id=batch_id)
    for index, target_id in decided:
        count = settled.get(target_id, 0)
        if count:
            outcomes[index] = Outcome(
                True, f"This {kind} was already {DONE_WORDS[action]}; {count} pending report(s) resolved.",
                count)


POST_DONE = {ContentAction.BAN: "Post banned", ContentAction.SHADOW_BAN: "Post shadow-banned",
             ContentAction.UNBAN: "Post unbanned", ContentAction.UNSHADOW_BAN: "Shadow ban lifted"}


def _settled_suffix(count: int) -> str:
    return f"; {count} pending report(s) resolved." if count else "."


def _moderate_posts(session: Session, items: list[tuple[int, Target]], action: ContentAction,
                    reason: str, batch_id: uuid.UUID | None, refuse: _Refusals,
                    told: authors.Notice = authors.Notice()) -> dict[int, Outcome]:
    rows = _locked_rows(session, Post, [t.id for _, t in items])
    outcomes: dict[int, Outcome] = {}
    changed: list[tuple[int, Post, dict, dict]] = []
    decided_before: list[tuple[int, uuid.UUID]] = []
    for index, target in items:
        post = rows.get(target.id)
        if post is None:
            raise refuse(index, target, NotFound("That post does not exist (it may have been deleted)."))
        banned, shadow = bool(post.is_banned), bool(post.is_shadow_banned)
        already = {
            ContentAction.BAN: banned, ContentAction.UNBAN: not banned,
            ContentAction.SHADOW_BAN: shadow, ContentAction.UNSHADOW_BAN: not shadow,
        }[action]
        if already:
            outcomes[index] = Outcome(False, f"This post is already {DONE_WORDS[action]}; nothing was changed.")
            decided_before.append((index, post.id))
            continue
        current = post_state(post)
        if target.state is not None and target.state != current:
            raise refuse(index, target, StaleState(
                f"This post changed after you opened it: it is now {_describe_post(current)} "
                f"({_last_change(session, EntityType.POST, str(post.id))}). Nothing was written; "
                "look at it again and decide."))
        before = {"isBanned": banned, "isShadowBanned": shadow}
        # Flick's model: two independent flags. Each action sets or clears its own and
        # never touches the other (its own admin app does the same).
        if action is ContentAction.BAN:
            post.is_banned = True
        elif action is ContentAction.SHADOW_BAN:
            post.is_shadow_banned = True
        elif action is ContentAction.UNBAN:
            post.is_banned = False
        else:
            post.is_shadow_banned = False
        post.updated_at = utcnow()
        old, new = changed_fields(before, {"isBanned": bool(post.is_banned),
                                           "isShadowBanned": bool(post.is_shadow_banned)})
        changed.append((index, post, old, new))
    _settle_decided(session, TargetKind.POST, action, decided_before, outcomes, reason, batch_id)
    if not changed:
        return outcomes
    session.flush()
    names = _authors(session, {post.posted_by_id for _, post, _, _ in changed})
    notes = authors.tell_content(session, "post", [(p.id, p.posted_by_id, p.title, p.id) for _, p, _, _ in changed],
                                 told) if action is ContentAction.BAN else {}
    for _, post, old, new in changed:
        metadata = {"label": excerpt(post.title), "author": names.get(post.posted_by_id),
                    **told.metadata(), **notes.get(post.id, {})}
        if batch_id:
            metadata["batch_id"] = batch_id
        record(CONTENT_AUDIT[action], entity_type=EntityType.POST, entity_id=post.id,
               before=old, after=new, reason=reason, metadata=metadata, flush=False)
    settled: dict[uuid.UUID, int] = {}
    if action in (ContentAction.BAN, ContentAction.SHADOW_BAN):
        settled = _set_reports(session, kind=TargetKind.POST, target_ids=[p.id for _, p, _, _ in changed],
                               from_statuses=(ReportStatus.PENDING,), to_status=ReportStatus.RESOLVED,
                               reason=reason, batch_id=batch_id)
    session.flush()
    for index, post, _, _ in changed:
        count = settled.get(post.id, 0)
        outcomes[index] = Outcome(True, POST_DONE[action] + _other_flag(action, post)
                                  + _settled_suffix(count), count)
    return outcomes


def _other_flag(action: ContentAction, post: Post) -> str:
    """What the result must say when the other flag is still set (the post's true state)."""
    if action in (ContentAction.BAN, ContentAction.UNBAN) and post.is_shadow_banned:
        return (" (it is still shadow-banned, so it stays hidden; lift the shadow ban to show it)"
                if action is ContentAction.UNBAN else " (it is also shadow-banned)")
    if action in (ContentAction.SHADOW_BAN, ContentAction.UNSHADOW_BAN) and post.is_banned:
        return (" (it is still banned, so it stays hidden; unban it to show it)"
                if action is ContentAction.UNSHADOW_BAN else " (it is also banned)")
    return ""


def _moderate_comments(session: Session, items: list[tuple[int, Target]], action: ContentAction,
                       reason: str, batch_id: uuid.UUID | None, refuse: _Refusals,
                       told: authors.Notice = authors.Notice()) -> dict[int, Outcome]:
    if action not in (ContentAction.BAN, ContentAction.UNBAN):
        index, target = items[0]
        raise refuse(index, target, InvalidInput(
            "Comments can be banned or unbanned; Flick has no shadow ban for comments."))
    rows = _locked_rows(session, Comment, [t.id for _, t in items])
    outcomes: dict[int, Outcome] = {}
    changed: list[tuple[int, Comment]] = []
    decided_before: list[tuple[int, uuid.UUID]] = []
    banning = action is ContentAction.BAN
    for index, target in items:
        comment = rows.get(target.id)
        if comment is None:
            raise refuse(index, target, NotFound("That comment does not exist (it may have been deleted)."))
        banned = bool(comment.is_banned)
        if banned == banning:
            outcomes[index] = Outcome(False, f"This comment is already {DONE_WORDS[action]}; nothing was changed.")
            decided_before.append((index, comment.id))
            continue
        if target.state is not None and target.state != comment_state(comment):
            raise refuse(index, target, StaleState(
                f"This comment changed after you opened it: it is now "
                f"{'banned' if banned else 'visible'} "
                f"({_last_change(session, EntityType.COMMENT, str(comment.id))}). Nothing was written."))
        comment.is_banned, comment.updated_at = banning, utcnow()
        changed.append((index, comment))
    _settle_decided(session, TargetKind.COMMENT, action, decided_before, outcomes, reason, batch_id)
    if not changed:
        return outcomes
    session.flush()
    names = _authors(session, {c.commented_by_id for _, c in changed})
    notes = authors.tell_content(session, "comment", [(c.id, c.commented_by_id, c.content, c.post_id)
                                                      for _, c in changed], told) if banning else {}
    for _, comment in changed:
        metadata = {"label": excerpt(comment.content), "post_id": comment.post_id,
                    "author": names.get(comment.commented_by_id), **told.metadata(), **notes.get(comment.id, {})}
        if batch_id:
            metadata["batch_id"] = batch_id
        record(CONTENT_AUDIT[action], entity_type=EntityType.COMMENT, entity_id=comment.id,
               before={"isBanned": not banning}, after={"isBanned": banning}, reason=reason,
               metadata=metadata, flush=False)
    settled: dict[uuid.UUID, int] = {}
    if banning:
        settled = _set_reports(session, kind=TargetKind.COMMENT, target_ids=[c.id for _, c in changed],
                               from_statuses=(ReportStatus.PENDING,), to_status=ReportStatus.RESOLVED,
                               reason=reason, batch_id=batch_id)
    session.flush()
    word = "Comment banned" if banning else "Comment unbanned"
    for index, comment in changed:
        count = settled.get(comment.id, 0)
        outcomes[index] = Outcome(True, word + _settled_suffix(count), count)
    return outcomes


def _report_actions(session: Session, items: list[tuple[int, Target]], action: ReportAction,
                    reason: str, batch_id: uuid.UUID | None, refuse: _Refusals) -> dict[int, Outcome]:
    outcomes: dict[int, Outcome] = {}
    for kind, model, state_of in ((TargetKind.POST, Post, post_state),
                                  (TargetKind.COMMENT, Comment, comment_state)):
        mine = [(i, t) for i, t in items if t.kind is kind]
        if not mine:
            continue
        # Locked like a content action, so a ban cannot slip in between the check of the
        # state the moderator saw and the decision made on it.
        rows = _locked_rows(session, model, [t.id for _, t in mine])
        hidden: set[uuid.UUID] = set()
        for index, target in mine:
            item = rows.get(target.id)
            if item is None:
                raise refuse(index, target, NotFound(f"That {kind} does not exist (it may have been deleted)."))
            current = state_of(item)
            if target.state is not None and target.state != current:
                raise refuse(index, target, StaleState(
                    f"This {kind} changed after you opened it: it is now {_describe(kind, current)} "
                    f"({_last_change(session, EntityType(kind.value), str(item.id))}). Nothing was "
                    "written; look at it again and decide."))
            if _hidden(item):
                hidden.add(item.id)
        if action is ReportAction.IGNORE:
            counts = _set_reports(session, kind=kind, target_ids=[t.id for _, t in mine],
                                  from_statuses=(ReportStatus.PENDING,), to_status=ReportStatus.IGNORED,
                                  reason=reason, batch_id=batch_id, hidden=hidden)
        else:
            counts = _set_reports(session, kind=kind, target_ids=[t.id for _, t in mine],
                                  from_statuses=(ReportStatus.RESOLVED, ReportStatus.IGNORED),
                                  to_status=ReportStatus.PENDING, reason=reason, batch_id=batch_id)
        for index, target in mine:
            count = counts.get(target.id, 0)
            if not count:
                what = "pending reports" if action is ReportAction.IGNORE else "closed reports to reopen"
                outcomes[index] = Outcome(False, f"This {kind} has no {what}; nothing was changed.")
            else:
                word = "ignored" if action is ReportAction.IGNORE else "reopened"
                outcomes[index] = Outcome(True, f"{count} report(s) {word}.", count)
    session.flush()
    return outcomes


def _apply(session: Session, targets: list[Target], action: str, reason: str,
           batch_id: uuid.UUID | None, removal_reason: uuid.UUID | None = None) -> list[Outcome]:
    """Apply one action to many targets with a constant number of statements."""
    refuse = _Refusals(batch=batch_id is not None)
    items = list(enumerate(targets))
    held = [(t.kind.value, t.id) for t in targets]
    scope.check_targets(session, held)
    claims.check_free(session, held)
    if action in (ReportAction.IGNORE, ReportAction.REOPEN):
        outcomes = _report_actions(session, items, ReportAction(action), reason, batch_id, refuse)
    else:
        try:
            content_action = ContentAction(action)
        except ValueError:
            raise InvalidInput(f"Unknown action {action!r}.") from None
        outcomes, told = {}, authors.notice(session, removal_reason)
        posts = [(i, t) for i, t in items if t.kind is TargetKind.POST]
        comments = [(i, t) for i, t in items if t.kind is TargetKind.COMMENT]
        if posts:
            outcomes.update(_moderate_posts(session, posts, content_action, reason, batch_id, refuse, told))
        if comments:
            outcomes.update(_moderate_comments(session, comments, content_action, reason, batch_id, refuse, told))
    claims.end_claims(session, held)
    escalations.end_by_decision(session, held, action)
    return [outcomes[i] for i, _ in items]


def moderate(target: Target, action: str, reason: str | None,
             removal_reason: uuid.UUID | None = None) -> Outcome:
    """Act on one post or comment: a content action or a report action. ``removal_reason``:
    the catalogue reason chosen (what a banned item's author reads)."""
    reason = clean_reason(reason)
    with transaction() as session:
        return _apply(session, [target], action, reason, None, removal_reason)[0]


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


BATCH_ACTIONS = frozenset(ContentAction) | frozenset(ReportAction)


def check_batch(targets: list[Target], action: str) -> None:
    """What makes a batch well-formed, before it runs or is proposed (400 otherwise)."""
    if not targets:
        raise InvalidInput("Select at least one item.")
    if len(targets) > MAX_BATCH:
        raise InvalidInput(f"A batch takes at most {MAX_BATCH} items ({len(targets)} selected).")
    if len({(t.kind, t.id) for t in targets}) != len(targets):
        raise InvalidInput("The same item is selected twice.")
    if action not in BATCH_ACTIONS:
        raise InvalidInput(f"Unknown action {action[:40]!r}.")


def moderate_batch(targets: list[Target], action: str, reason: str | None,
                   removal_reason: uuid.UUID | None = None) -> BatchOutcome:
    """One action with one reason on many items, in one transaction. Every audit row
    carries the batch id; if any item fails, nothing of the batch is kept."""
    reason = clean_reason(reason)
    check_batch(targets, action)
    batch_id = uuid.uuid4()
    with transaction() as session:
        outcomes = _apply(session, targets, action, reason, batch_id, removal_reason)
    changed = sum(o.changed for o in outcomes)
    return BatchOutcome(batch_id, changed, len(outcomes) - changed)

