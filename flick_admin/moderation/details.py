"""Read-only queries behind the item pages: a post (its thread, reports and history), a
comment, a student or staff account, and any item's history.

Each page is a handful of statements, each built once per scope and dialect and run with
its values as bound parameters (``prebuilt.once``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from flick_admin import reliability, scope, tallies
from flick_admin.prebuilt import once
from flick_admin.db import Auth, College, Comment, ContentReport, Log, PlatformUser, Post, Session
from flick_admin.db.audit import revert_of
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType
from flick_admin.db.reports import about_post
from flick_admin.db.tallies import REPORTS
from flick_admin.db.team import Claim
from flick_admin.extensions import db
from flick_admin.moderation import claims, escalations, notes
from flick_admin.moderation.queries import SANCTION_ACTIONS, _pending_count

THREAD_LIMIT = 500
HISTORY_LIMIT = 100
RECENT = 20


def _reporter() -> list:
    """A report's reporter (``PlatformUser`` in the statement), named only when within the
    scope of a college-scoped member."""
    return [scope.shown(PlatformUser.username, PlatformUser.college_id, scope.OUTSIDE_STUDENT).label("reporter"),
            scope.shown(PlatformUser.auth_id, PlatformUser.college_id).label("reporter_auth_id")]


# --- posts ----------------------------------------------------------------------------------

@dataclass
class PostDetail:
    post: Any
    author: Any
    comments: list[Any]
    comments_truncated: bool
    reports: list[Any]
    history: list[Any]
    holder: claims.Holder | None = None
    escalation: Any = None  # the head row, with its escalation columns
    post_fits: list[str] = field(default_factory=list)  # the reasons of the post's own reports
    comment_fits: dict[uuid.UUID, list[str]] = field(default_factory=dict)  # a reported comment's


def _held_and_escalated(stmt: sa.Select, kind: str, target, dialect: str) -> sa.Select:
    """``stmt`` with who holds the item and its escalation (``claims.holder_from`` and the
    team panel read them). On PostgreSQL each is a LATERAL subquery of at most one row,
    planned on its own: as five more joins of the head, the join search took a third of
    the post page's head planning (1.2 ms, 0.8 with the subqueries, at full scale)."""
    now = sa.bindparam("now", type_=Claim.expires_at.type)
    if dialect != "postgresql":
        return escalations.with_escalation(claims.with_holder(stmt, kind, target, now=now), kind, target)
    held = claims.holder_row(kind, target, now=now).lateral("held")
    escalation = escalations.escalation_row(kind, target).lateral("escalated")
    return (stmt.add_columns(*held.c, *escalation.c)
            .outerjoin(held, sa.true()).outerjoin(escalation, sa.true()))


def _author_stats() -> list:
    """How often the author (``PlatformUser`` in the outer query) was sanctioned or reported."""
    return [
        sa.select(sa.func.count()).select_from(Log)
        .where(Log.entity_type == EntityType.USER.value, Log.entity_id == PlatformUser.auth_id,
               Log.action.in_(SANCTION_ACTIONS))
        .correlate(PlatformUser).scalar_subquery().label("sanctions"),
        sa.select(sa.func.count()).select_from(ContentReport)
        .join(Post, Post.id == ContentReport.post_id)
        .where(Post.posted_by_id == PlatformUser.id, about_post())
        .correlate(PlatformUser).scalar_subquery().label("post_reports"),
        sa.select(sa.func.count()).select_from(ContentReport)
        .join(Comment, Comment.id == ContentReport.comment_id)
        .where(Comment.commented_by_id == PlatformUser.id)
        .correlate(PlatformUser).scalar_subquery().label("comment_reports"),
    ]


@once
def _post_head(dialect: str) -> sa.Select:
    return _held_and_escalated(
        sa.select(Post, PlatformUser, Auth, College.name.label("college"), *_author_stats())
        .outerjoin(PlatformUser, PlatformUser.id == Post.posted_by_id)
        .outerjoin(Auth, Auth.id == PlatformUser.auth_id)
        .outerjoin(College, College.id == PlatformUser.college_id)
        .where(Post.id == sa.bindparam("post_id"), scope.students(PlatformUser.college_id)),
        "post", Post.id, dialect)


@once
def _post_thread(dialect: str) -> sa.Select:
    return (sa.select(Comment.id, Comment.content, Comment.is_banned, Comment.parent_comment_id,
                      Comment.created_at, PlatformUser.username, PlatformUser.auth_id,
                      _pending_count(ContentReport.comment_id == Comment.id)
                      .correlate(Comment).label("pending"))
            .outerjoin(PlatformUser, PlatformUser.id == Comment.commented_by_id)
            .where(Comment.post_id == sa.bindparam("post_id"), scope.students(PlatformUser.college_id))
            .order_by(Comment.created_at, Comment.id)
            .limit(THREAD_LIMIT + 1))


@once
def _post_reports(dialect: str) -> sa.Select:
    columns = (ContentReport.id, ContentReport.type, ContentReport.comment_id,
               ContentReport.reason, ContentReport.message, ContentReport.status,
               ContentReport.created_at, ContentReport.reported_by_id)
    # Two index look-ups (the post's reports, its comments' reports), not an OR across a join;
    # for a scoped member only the reports on the comments the page shows.
    post_id = sa.bindparam("post_id", type_=Post.id.type)
    on_post = sa.select(*columns).where(ContentReport.post_id == post_id, about_post())
    commenter = sa.orm.aliased(PlatformUser)
    shown_comments = sa.select(Comment.id).where(Comment.post_id == post_id)
    if scope.limited():
        shown_comments = (shown_comments.join(commenter, commenter.id == Comment.commented_by_id)
                          .where(scope.students(commenter.college_id)))
    on_comments = sa.select(*columns).where(ContentReport.comment_id.in_(shown_comments))
    both = sa.union_all(on_post, on_comments).subquery()
    return (sa.select(both, *_reporter())
            .outerjoin(PlatformUser, PlatformUser.id == both.c.reported_by_id)
            .order_by(both.c.created_at.desc())
            .limit(HISTORY_LIMIT))


def post_detail(post_id: uuid.UUID) -> PostDetail | None:
    head = db.session.execute(_post_head(), {"post_id": post_id, "now": utcnow()}).first()
    if head is None:
        return None
    author = None
    if head.PlatformUser is not None:
        author = {
            "profile": head.PlatformUser, "auth": head.Auth, "college": head.college,
            "sanctions": head.sanctions, "reports": head.post_reports + head.comment_reports,
        }
    comment_rows = db.session.execute(_post_thread(), {"post_id": post_id}).all()
    truncated = len(comment_rows) > THREAD_LIMIT
    comments = thread(comment_rows[:THREAD_LIMIT])
    reports = db.session.execute(_post_reports(), {"post_id": post_id}).all()
    post_fits: list[str] = []
    comment_fits: dict[uuid.UUID, list[str]] = defaultdict(list)
    for report in reports:  # what the decision forms offer first (the catalogue's fitting reasons)
        (comment_fits[report.comment_id] if report.comment_id else post_fits).append(report.reason)
    return PostDetail(head.Post, author, comments, truncated, reports,
                      entity_history(EntityType.POST, str(post_id)), claims.holder_from(head), head,
                      post_fits, dict(comment_fits))


def thread(rows: list[Any]) -> list[tuple[int, Any]]:
    """Comments in reading order with their depth (replies under their parent)."""
    children: dict[uuid.UUID | None, list[Any]] = defaultdict(list)
    ids = {r.id for r in rows}
    for row in rows:
        parent = row.parent_comment_id if row.parent_comment_id in ids else None
        children[parent].append(row)
    out: list[tuple[int, Any]] = []
    stack = [(0, r) for r in reversed(children[None])]
    while stack:
        depth, row = stack.pop()
        out.append((depth, row))
        stack.extend((depth + 1, c) for c in reversed(children[row.id]))
    return out


# --- an item's history ----------------------------------------------------------------------

def _holder_name(side) -> sa.ScalarSelect:
    """Who held the item before or after a claim row, by email (the row keeps their id)."""
    holder = sa.orm.aliased(Auth)
    return (sa.select(holder.email).where(holder.id == side["holder"].as_string())
            .correlate(Log).scalar_subquery())


@once
def _history(dialect: str, limit: int) -> sa.Select:
    actor_profile = sa.orm.aliased(PlatformUser)  # an outside student acting stays unnamed
    return (
        notes.with_notes(sa.select(Log.id, Log.occured_at, Log.action, Log.actor_id, Log.actor_type, Log.reason,
                                   Log.before, Log.after, Log.metadata_,
                                   scope.actor_shown(Auth.email, actor_profile).label("actor_email"),
                                   _holder_name(Log.before).label("before_holder"),
                                   _holder_name(Log.after).label("after_holder"),
                                   revert_of(Log.id, dialect).label("reverted_by")), Log.id)
        .outerjoin(Auth, Auth.id == Log.actor_id)
        .outerjoin(actor_profile, actor_profile.auth_id == Log.actor_id)
        .where(Log.entity_type == sa.bindparam("entity_type", type_=Log.entity_type.type),
               Log.entity_id == sa.bindparam("entity_id", type_=Log.entity_id.type))
        .order_by(Log.occured_at.desc(), Log.id.desc())
        .limit(limit)
    )


def entity_history(entity_type: EntityType, entity_id: str, limit: int = HISTORY_LIMIT) -> list[Any]:
    """An item's audit rows, newest first, with the names their wording needs and the row
    that reverted each, if any (so a reverted row links to its revert instead of offering
    "Revert" again) — one statement."""
    return db.session.execute(_history(limit), {"entity_type": entity_type.value,
                                                "entity_id": entity_id}).all()


# --- comments -------------------------------------------------------------------------------

@dataclass
class CommentDetail:
    comment: Any
    reports: list[Any]
    history: list[Any]
    holder: claims.Holder | None = None
    escalation: Any = None  # the head row, with its escalation columns


@once
def _comment_head(dialect: str) -> sa.Select:
    # The post it answers and the comment it replies to may be by students outside a
    # scoped member's colleges: then the page names neither.
    parent, post_author, parent_author = (sa.orm.aliased(Comment), sa.orm.aliased(PlatformUser),
                                          sa.orm.aliased(PlatformUser))
    return _held_and_escalated(
        sa.select(Comment.id, Comment.content, Comment.is_banned, Comment.created_at,
                  Comment.post_id,
                  scope.shown(Post.title, post_author.college_id, scope.OUTSIDE_POST).label("post_title"),
                  scope.outside(post_author.college_id).label("post_outside"),
                  PlatformUser.username, PlatformUser.auth_id,
                  scope.shown(parent.content, parent_author.college_id).label("parent_content"))
        .join(Post, Post.id == Comment.post_id)
        .outerjoin(post_author, post_author.id == Post.posted_by_id)
        .outerjoin(PlatformUser, PlatformUser.id == Comment.commented_by_id)
        .outerjoin(parent, parent.id == Comment.parent_comment_id)
        .outerjoin(parent_author, parent_author.id == parent.commented_by_id)
        .where(Comment.id == sa.bindparam("comment_id"), scope.students(PlatformUser.college_id)),
        "comment", Comment.id, dialect)


@once
def _comment_reports(dialect: str) -> sa.Select:
    return (sa.select(ContentReport.id, ContentReport.reason, ContentReport.message,
                      ContentReport.status, ContentReport.created_at, *_reporter())
            .outerjoin(PlatformUser, PlatformUser.id == ContentReport.reported_by_id)
            .where(ContentReport.comment_id == sa.bindparam("comment_id"))
            .order_by(ContentReport.created_at.desc()).limit(HISTORY_LIMIT))


def comment_detail(comment_id: uuid.UUID) -> CommentDetail | None:
    row = db.session.execute(_comment_head(), {"comment_id": comment_id, "now": utcnow()}).first()
    if row is None:
        return None
    reports = db.session.execute(_comment_reports(), {"comment_id": comment_id}).all()
    return CommentDetail(row, reports, entity_history(EntityType.COMMENT, str(comment_id)),
                         claims.holder_from(row), row)


# --- users ----------------------------------------------------------------------------------

@dataclass
class UserDetail:
    auth: Auth
    profile: PlatformUser | None
    college: str | None
    posts: list[Any]
    comments: list[Any]
    reports_against: list[Any]
    reports_filed: list[Any]
    history: list[Any]
    sessions: int
    reporter: reliability.Record | None = None  # their reports' record (a student's page)


@once
def _user_head(dialect: str) -> sa.Select:
    decided, acted = reliability.columns(PlatformUser.id, tallies._mark(REPORTS))  # as a reporter
    return (sa.select(Auth, PlatformUser, College.name.label("college"),
                      sa.select(sa.func.count()).select_from(Session)
                      .where(Session.user_id == Auth.id, Session.expires_at > sa.bindparam("now"))
                      .correlate(Auth).scalar_subquery().label("sessions"),
                      decided.label("decided"), acted.label("acted"))
            .outerjoin(PlatformUser, PlatformUser.auth_id == Auth.id)
            .outerjoin(College, College.id == PlatformUser.college_id)
            .where(Auth.id == sa.bindparam("auth_id"), scope.students(PlatformUser.college_id)))


@once
def _user_recent(dialect: str) -> sa.CompoundSelect:
    """Recent posts and comments in one statement."""
    profile_id = sa.bindparam("profile_id", type_=PlatformUser.id.type)
    recent_posts = (
        sa.select(sa.literal("post").label("kind"), Post.id, Post.title.label("text"),
                  Post.id.label("post_id"), Post.created_at, Post.is_banned,
                  Post.is_shadow_banned)
        .where(Post.posted_by_id == profile_id)
        .order_by(Post.created_at.desc(), Post.id.desc()).limit(RECENT).subquery())
    recent_comments = (
        sa.select(sa.literal("comment").label("kind"), Comment.id,
                  sa.func.substr(Comment.content, 1, 160).label("text"), Comment.post_id,
                  Comment.created_at, Comment.is_banned,
                  sa.literal(False).label("is_shadow_banned"))
        .where(Comment.commented_by_id == profile_id)
        .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(RECENT).subquery())
    return sa.union_all(sa.select(recent_posts), sa.select(recent_comments))


def _reports_filed(profile_id) -> sa.Select:
    """The reports a student filed; for a scoped member, only those on content by students
    of the scope (the others are about content they may not see)."""
    stmt = sa.select(ContentReport.id, ContentReport.type, ContentReport.post_id, ContentReport.comment_id,
                     ContentReport.reason, ContentReport.status, ContentReport.created_at)
    stmt = stmt.where(ContentReport.reported_by_id == profile_id)
    if not scope.limited():
        return stmt
    author = sa.orm.aliased(PlatformUser)
    # A report naming a comment is about the comment, even when it carries its post too.
    written_by = sa.case((ContentReport.comment_id.is_not(None), Comment.commented_by_id),
                         else_=Post.posted_by_id)
    return (stmt.outerjoin(Post, Post.id == ContentReport.post_id)
            .outerjoin(Comment, Comment.id == ContentReport.comment_id)
            .join(author, author.id == written_by)
            .where(scope.students(author.college_id)))


@once
def _user_reports(dialect: str) -> sa.CompoundSelect:
    """Reports against and by the user in one statement."""
    profile_id = sa.bindparam("profile_id", type_=PlatformUser.id.type)
    report_cols = (ContentReport.id, ContentReport.type, ContentReport.post_id,
                   ContentReport.comment_id, ContentReport.reason, ContentReport.status,
                   ContentReport.created_at)

    def newest(stmt, kind: str):
        return (stmt.add_columns(sa.literal(kind).label("kind"))
                .order_by(ContentReport.created_at.desc()).limit(RECENT).subquery())

    parts = [
        newest(sa.select(*report_cols).join(Post, Post.id == ContentReport.post_id)
               .where(Post.posted_by_id == profile_id, about_post()), "against"),
        newest(sa.select(*report_cols).join(Comment, Comment.id == ContentReport.comment_id)
               .where(Comment.commented_by_id == profile_id), "against"),
        newest(_reports_filed(profile_id), "filed"),
    ]
    return sa.union_all(*(sa.select(p) for p in parts))


def user_detail(auth_id: str) -> UserDetail | None:
    head = db.session.execute(_user_head(), {"auth_id": auth_id, "now": utcnow()}).first()
    if head is None:
        return None
    profile = head.PlatformUser
    posts: list[Any] = []
    comments: list[Any] = []
    against: list[Any] = []
    filed: list[Any] = []
    if profile is not None:
        for row in db.session.execute(_user_recent(), {"profile_id": profile.id}):
            (posts if row.kind == "post" else comments).append(row)
        for row in db.session.execute(_user_reports(), {"profile_id": profile.id}):
            (against if row.kind == "against" else filed).append(row)
        against.sort(key=lambda r: r.created_at, reverse=True)
        del against[RECENT:]
        filed.sort(key=lambda r: r.created_at, reverse=True)
    history = entity_history(EntityType.USER, head.Auth.id)
    record = reliability.Record(int(head.decided or 0), int(head.acted or 0)) if profile else None
    return UserDetail(head.Auth, profile, head.college, posts, comments, against, filed,
                      history, head.sessions, record)
