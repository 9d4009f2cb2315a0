"""Read-only queries behind the moderation pages. Each list page is one keyset query
plus at most a couple of look-ups for the rows on that page, whatever its depth."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from flick_admin import reliability, scope, tallies
from flick_admin.audit.actions import AuditAction
from flick_admin.db import Auth, College, Comment, ContentReport, Log, PlatformUser, Post, Session
from flick_admin.db.base import utcnow
from flick_admin.db.audit import revert_of
from flick_admin.db.enums import EntityType, ReportStatus
from flick_admin.db.reports import about_post
from flick_admin.db.tallies import REPORTS, CommentCollege, PostCollege
from flick_admin.extensions import db
from flick_admin.listing import contains_pattern, end_of, prefix_pattern, search_words, start_of
from flick_admin.moderation import claims, escalations, list_sources, notes
from flick_admin.moderation.filters import (
    CommentFilters,
    PostFilters,
)
from flick_admin.pagination import Page, capturing, paginate, paginate_merged

EXCERPT = 240
THREAD_LIMIT = 500
HISTORY_LIMIT = 100
SANCTION_ACTIONS = (AuditAction.USER_BANNED.value, AuditAction.USER_SUSPENDED.value)
USER_HISTORY_ACTIONS = SANCTION_ACTIONS + (AuditAction.USER_UNBANNED.value,)


def _words(text: str) -> list[str]:
    """Search words: those a trigram index can serve (3 letters or digits in a row);
    a search with none is refused with a clear message (``listing.search_words``)."""
    return search_words(text)


def _by_author(text: str):
    """Content whose author's username starts with ``text``: the authors first, from the
    username prefix index (Flick stores usernames lower-case), so a name nobody has never
    walks every post."""
    author = sa.orm.aliased(PlatformUser)
    return PlatformUser.id.in_(sa.select(author.id).where(
        author.username.like(prefix_pattern(text.lower()), escape="\\")))


def college_match(text: str):
    return sa.or_(College.name.ilike(prefix_pattern(text), escape="\\"),
                  College.email_domain == text.lower())


def _pending_count(column) -> sa.ScalarSelect:
    pending = ContentReport.status == ReportStatus.PENDING.value
    return sa.select(sa.func.count()).where(column, pending).scalar_subquery()


# --- posts ----------------------------------------------------------------------------------

def post_queue(f: PostFilters, size: int) -> Page:
    if f.sort == "reported":
        # The running tally (exact: tallied reports plus those since its watermark), from
        # two sources merged into one page, each walked in its own index order.
        parts = []
        scoped_ids = list_sources.scoped_post_ids() if scope.limited() else None
        for ranked in tallies.pending_post_sources():
            stmt = _post_rows(f, ranked.c.pending, ranked.join(Post, Post.id == ranked.c.post_id))
            if scoped_ids is not None:
                stmt = stmt.where(list_sources.among(ranked.c.post_id, scoped_ids))
            parts.append((stmt, [ranked.c.pending, ranked.c.created_at, ranked.c.post_id]))
        return paginate_merged(parts, descending=True, size=size, after=f.after, before=f.before)
    if f.reported:
        # Posts with pending reports: the same sources, each walked in time order (the
        # tally's through ``ix_admin_post_pending_time``), instead of every post walked in
        # time order for the 3 % that have some (issue 25: 8 ms at full scale).
        parts = []
        scoped_ids = list_sources.scoped_post_ids() if scope.limited() else None
        for ranked in tallies.pending_post_sources():
            stmt = _post_rows(f, ranked.c.pending, ranked.join(Post, Post.id == ranked.c.post_id))
            if scoped_ids is not None:
                stmt = stmt.where(list_sources.among(ranked.c.post_id, scoped_ids))
            parts.append((stmt, [ranked.c.created_at, ranked.c.post_id]))
        return paginate_merged(parts, descending=f.sort == "newest", size=size, after=f.after,
                               before=f.before)
    pending = _pending_count(ContentReport.post_id == Post.id).correlate(Post)

    def reported(stmt: sa.Select) -> sa.Select:
        if not f.reported:
            return stmt
        return stmt.where(sa.exists().where(ContentReport.post_id == Post.id,
                                            ContentReport.status == ReportStatus.PENDING.value))

    if scope.limited() and not (f.state or f.topic or f.college or f.author or f.q or f.created_from
                                or f.created_to):
        return list_sources.keys_first(f, size, PostCollege, Post, Post.posted_by_id, f.sort == "newest",
                           lambda source: _post_rows(f, pending, source, by_scope=False))
    if scope.limited():
        # One time-ordered walk per college of the scope (the content-college tally) and one
        # over what was posted since its watermark, merged into the page.
        parts = [(reported(_post_rows(f, pending, source.join(Post, Post.id == key), by_scope=False)),
                  [created, key])
                 for source, created, key in tallies.scoped_content(PostCollege, scope.colleges())]
        live = _post_rows(f, pending, Post).where(Post.created_at > tallies.read_mark(tallies.CONTENT))
        parts.append((reported(live), [Post.created_at, Post.id]))
        return paginate_merged(parts, descending=f.sort == "newest", size=size, after=f.after,
                               before=f.before)
    return paginate(reported(_post_rows(f, pending, Post)), [Post.created_at, Post.id],
                    descending=f.sort == "newest", size=size, after=f.after, before=f.before)


def _post_rows(f: PostFilters, pending, source, *, by_scope: bool = True) -> sa.Select:
    """The posts list's columns from ``source``, with every filter but "reported".
    ``by_scope=False``: the source is already one college's (the content-college tally)."""
    stmt = (
        sa.select(
            Post.id, Post.title, sa.func.substr(Post.content, 1, EXCERPT).label("excerpt"),
            Post.topic, Post.views, Post.created_at, Post.is_banned, Post.is_shadow_banned,
            Post.is_private, PlatformUser.username, PlatformUser.auth_id,
            College.name.label("college"), pending.label("pending"),
        )
        .select_from(source)
        .outerjoin(PlatformUser, PlatformUser.id == Post.posted_by_id)
        .outerjoin(College, College.id == PlatformUser.college_id)
    )
    if by_scope and scope.limited():
        stmt = stmt.where(scope.students(PlatformUser.college_id))
    if f.state == "visible":
        stmt = stmt.where(sa.func.coalesce(Post.is_banned, False).is_(False),
                          sa.func.coalesce(Post.is_shadow_banned, False).is_(False))
    elif f.state == "banned":
        stmt = stmt.where(Post.is_banned.is_(True))
    elif f.state == "shadow":
        stmt = stmt.where(Post.is_shadow_banned.is_(True))
    elif f.state == "hidden":
        stmt = stmt.where(sa.or_(Post.is_banned.is_(True), Post.is_shadow_banned.is_(True)))
    if f.topic:
        stmt = stmt.where(Post.topic == f.topic)
    if f.college:
        stmt = stmt.where(college_match(f.college))
    if f.author:
        stmt = stmt.where(_by_author(f.author))
    for word in _words(f.q):
        stmt = stmt.where(sa.or_(Post.title.ilike(contains_pattern(word), escape="\\"),
                                 Post.content.ilike(contains_pattern(word), escape="\\")))
    if f.created_from:
        stmt = stmt.where(Post.created_at >= start_of(f.created_from))
    if f.created_to:
        stmt = stmt.where(Post.created_at < end_of(f.created_to))
    return stmt


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


def post_detail(post_id: uuid.UUID) -> PostDetail | None:
    head = db.session.execute(escalations.with_escalation(claims.with_holder(
        sa.select(Post, PlatformUser, Auth, College.name.label("college"), *_author_stats())
        .outerjoin(PlatformUser, PlatformUser.id == Post.posted_by_id)
        .outerjoin(Auth, Auth.id == PlatformUser.auth_id)
        .outerjoin(College, College.id == PlatformUser.college_id)
        .where(Post.id == post_id, scope.students(PlatformUser.college_id)), "post", Post.id), "post", Post.id)
    ).first()
    if head is None:
        return None
    author = None
    if head.PlatformUser is not None:
        author = {
            "profile": head.PlatformUser, "auth": head.Auth, "college": head.college,
            "sanctions": head.sanctions, "reports": head.post_reports + head.comment_reports,
        }
    comment_rows = db.session.execute(
        sa.select(Comment.id, Comment.content, Comment.is_banned, Comment.parent_comment_id,
                  Comment.created_at, PlatformUser.username, PlatformUser.auth_id,
                  _pending_count(ContentReport.comment_id == Comment.id)
                  .correlate(Comment).label("pending"))
        .outerjoin(PlatformUser, PlatformUser.id == Comment.commented_by_id)
        .where(Comment.post_id == post_id, scope.students(PlatformUser.college_id))
        .order_by(Comment.created_at, Comment.id)
        .limit(THREAD_LIMIT + 1)
    ).all()
    truncated = len(comment_rows) > THREAD_LIMIT
    comments = thread(comment_rows[:THREAD_LIMIT])
    columns = (ContentReport.id, ContentReport.type, ContentReport.comment_id,
               ContentReport.reason, ContentReport.message, ContentReport.status,
               ContentReport.created_at, ContentReport.reported_by_id)
    # Two index look-ups (the post's reports, its comments' reports), not an OR across a join;
    # for a scoped member only the reports on the comments the page shows.
    on_post = sa.select(*columns).where(ContentReport.post_id == post_id, about_post())
    commenter = sa.orm.aliased(PlatformUser)
    shown_comments = sa.select(Comment.id).where(Comment.post_id == post_id)
    if scope.limited():
        shown_comments = (shown_comments.join(commenter, commenter.id == Comment.commented_by_id)
                          .where(scope.students(commenter.college_id)))
    on_comments = sa.select(*columns).where(ContentReport.comment_id.in_(shown_comments))
    both = sa.union_all(on_post, on_comments).subquery()
    reports = db.session.execute(
        sa.select(both, *_reporter())
        .outerjoin(PlatformUser, PlatformUser.id == both.c.reported_by_id)
        .order_by(both.c.created_at.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    return PostDetail(head.Post, author, comments, truncated, reports,
                      entity_history(EntityType.POST, str(post_id)), claims.holder_from(head), head)


def _reporter() -> list:
    """A report's reporter (``PlatformUser`` in the statement), named only when within the
    scope of a college-scoped member."""
    return [scope.shown(PlatformUser.username, PlatformUser.college_id, scope.OUTSIDE_STUDENT).label("reporter"),
            scope.shown(PlatformUser.auth_id, PlatformUser.college_id).label("reporter_auth_id")]


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


def _holder_name(side) -> sa.ScalarSelect:
    """Who held the item before or after a claim row, by email (the row keeps their id)."""
    holder = sa.orm.aliased(Auth)
    return (sa.select(holder.email).where(holder.id == side["holder"].as_string())
            .correlate(Log).scalar_subquery())


def entity_history(entity_type: EntityType, entity_id: str, limit: int = HISTORY_LIMIT) -> list[Any]:
    """An item's audit rows, newest first, with the names their wording needs and the row
    that reverted each, if any (so a reverted row links to its revert instead of offering
    "Revert" again) — one statement."""
    dialect = db.session.get_bind().dialect.name
    actor_profile = sa.orm.aliased(PlatformUser)  # an outside student acting stays unnamed
    return db.session.execute(
        notes.with_notes(sa.select(Log.id, Log.occured_at, Log.action, Log.actor_id, Log.actor_type, Log.reason,
                                   Log.before, Log.after, Log.metadata_,
                                   scope.actor_shown(Auth.email, actor_profile).label("actor_email"),
                                   _holder_name(Log.before).label("before_holder"),
                                   _holder_name(Log.after).label("after_holder"),
                                   revert_of(Log.id, dialect).label("reverted_by")), Log.id)
        .outerjoin(Auth, Auth.id == Log.actor_id)
        .outerjoin(actor_profile, actor_profile.auth_id == Log.actor_id)
        .where(Log.entity_type == entity_type.value, Log.entity_id == entity_id)
        .order_by(Log.occured_at.desc(), Log.id.desc())
        .limit(limit)
    ).all()


# --- comments -------------------------------------------------------------------------------

@dataclass
class CommentDetail:
    comment: Any
    reports: list[Any]
    history: list[Any]
    holder: claims.Holder | None = None
    escalation: Any = None  # the head row, with its escalation columns


def comment_detail(comment_id: uuid.UUID) -> CommentDetail | None:
    # The post it answers and the comment it replies to may be by students outside a
    # scoped member's colleges: then the page names neither.
    parent, post_author, parent_author = (sa.orm.aliased(Comment), sa.orm.aliased(PlatformUser),
                                          sa.orm.aliased(PlatformUser))
    row = db.session.execute(escalations.with_escalation(claims.with_holder(
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
        .where(Comment.id == comment_id, scope.students(PlatformUser.college_id)), "comment", Comment.id),
        "comment", Comment.id)).first()
    if row is None:
        return None
    reports = db.session.execute(
        sa.select(ContentReport.id, ContentReport.reason, ContentReport.message,
                  ContentReport.status, ContentReport.created_at, *_reporter())
        .outerjoin(PlatformUser, PlatformUser.id == ContentReport.reported_by_id)
        .where(ContentReport.comment_id == comment_id)
        .order_by(ContentReport.created_at.desc()).limit(HISTORY_LIMIT)).all()
    return CommentDetail(row, reports, entity_history(EntityType.COMMENT, str(comment_id)),
                         claims.holder_from(row), row)


def _comment_rows(f: CommentFilters, source, *, by_scope: bool = True) -> sa.Select:
    """The comments list's columns from ``source``, with every filter (``by_scope=False``:
    the source is already one college's)."""
    post_author = sa.orm.aliased(PlatformUser)
    stmt = (
        sa.select(
            Comment.id, sa.func.substr(Comment.content, 1, EXCERPT).label("excerpt"),
            Comment.is_banned, Comment.created_at, Comment.post_id,
            scope.shown(Post.title, post_author.college_id, scope.OUTSIDE_POST).label("post_title"),
            scope.outside(post_author.college_id).label("post_outside"),
            PlatformUser.username, PlatformUser.auth_id,
            _pending_count(ContentReport.comment_id == Comment.id).correlate(Comment).label("pending"),
        )
        .select_from(source)
        .join(Post, Post.id == Comment.post_id)
        .outerjoin(PlatformUser, PlatformUser.id == Comment.commented_by_id)
    )
    if scope.limited():
        stmt = stmt.outerjoin(post_author, post_author.id == Post.posted_by_id)
    if by_scope and scope.limited():
        stmt = stmt.where(scope.students(PlatformUser.college_id))
    if f.state == "visible":
        stmt = stmt.where(Comment.is_banned.is_(False))
    elif f.state == "banned":
        stmt = stmt.where(Comment.is_banned.is_(True))
    if f.reported:
        stmt = stmt.where(
            sa.exists().where(ContentReport.comment_id == Comment.id,
                              ContentReport.status == ReportStatus.PENDING.value)
        )
    if f.author:
        stmt = stmt.where(_by_author(f.author))
    if f.post:
        stmt = stmt.where(Comment.post_id == f.post)
    for word in _words(f.q):
        stmt = stmt.where(Comment.content.ilike(contains_pattern(word), escape="\\"))
    return stmt


def comment_queue(f: CommentFilters, size: int) -> Page:
    if scope.limited():
        # As for posts: one walk per college of the scope, one over the newest comments.
        if not (f.state or f.reported or f.author or f.post or f.q):
            return list_sources.keys_first(f, size, CommentCollege, Comment, Comment.commented_by_id, True,
                               lambda source: _comment_rows(f, source, by_scope=False))
        parts = [(_comment_rows(f, source.join(Comment, Comment.id == key), by_scope=False), [created, key])
                 for source, created, key in tallies.scoped_content(CommentCollege, scope.colleges())]
        live = _comment_rows(f, Comment).where(Comment.created_at > tallies.read_mark(tallies.CONTENT))
        parts.append((live, [Comment.created_at, Comment.id]))
        return paginate_merged(parts, descending=True, size=size, after=f.after, before=f.before)
    if f.reported and capturing() and not (f.state or f.author or f.post or f.q):
        # A saved view only counts its comments: any order finds the same ones, and the
        # pending reports' index in comment order finds the first few without walking
        # comments in time order for the 0.5 % reported (issue 25: 88 ms at full scale).
        pending = ContentReport.status == ReportStatus.PENDING.value
        ids = (sa.select(ContentReport.comment_id).where(ContentReport.comment_id.is_not(None), pending)
               .distinct().order_by(ContentReport.comment_id).limit(size + 1).subquery("reported"))
        return paginate(_comment_rows(f, ids.join(Comment, Comment.id == ids.c.comment_id)), [Comment.id],
                        descending=False, size=size)
    return paginate(_comment_rows(f, Comment), [Comment.created_at, Comment.id], descending=True,
                    size=size, after=f.after, before=f.before)


# --- users (the list: ``users_list``) ----------------------------------------------------

def _reports_filed(profile_id) -> sa.Select:
    """The reports a student filed; for a scoped member, only those on content by students
    of the scope (the others are about content they may not see)."""
    stmt = sa.select(ContentReport.id, ContentReport.type, ContentReport.post_id, ContentReport.comment_id,
                     ContentReport.reason, ContentReport.status, ContentReport.created_at)
    stmt = stmt.where(ContentReport.reported_by_id == profile_id)
    if not scope.limited():
        return stmt
    author = sa.orm.aliased(PlatformUser)
    return (stmt.outerjoin(Post, Post.id == ContentReport.post_id)
            .outerjoin(Comment, Comment.id == ContentReport.comment_id)
            .join(author, author.id == sa.func.coalesce(Post.posted_by_id, Comment.commented_by_id))
            .where(scope.students(author.college_id)))


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


RECENT = 20


def user_detail(auth_id: str) -> UserDetail | None:
    decided, acted = reliability.columns(PlatformUser.id, tallies._mark(REPORTS))  # as a reporter
    head = db.session.execute(
        sa.select(Auth, PlatformUser, College.name.label("college"),
                  sa.select(sa.func.count()).select_from(Session)
                  .where(Session.user_id == Auth.id, Session.expires_at > utcnow())
                  .correlate(Auth).scalar_subquery().label("sessions"),
                  decided.label("decided"), acted.label("acted"))
        .outerjoin(PlatformUser, PlatformUser.auth_id == Auth.id)
        .outerjoin(College, College.id == PlatformUser.college_id)
        .where(Auth.id == auth_id, scope.students(PlatformUser.college_id))
    ).first()
    if head is None:
        return None
    profile = head.PlatformUser
    posts: list[Any] = []
    comments: list[Any] = []
    against: list[Any] = []
    filed: list[Any] = []
    if profile is not None:
        # Recent posts and comments in one statement, reports against and by the user in another.
        recent_posts = (
            sa.select(sa.literal("post").label("kind"), Post.id, Post.title.label("text"),
                      Post.id.label("post_id"), Post.created_at, Post.is_banned,
                      Post.is_shadow_banned)
            .where(Post.posted_by_id == profile.id)
            .order_by(Post.created_at.desc(), Post.id.desc()).limit(RECENT).subquery())
        recent_comments = (
            sa.select(sa.literal("comment").label("kind"), Comment.id,
                      sa.func.substr(Comment.content, 1, 160).label("text"), Comment.post_id,
                      Comment.created_at, Comment.is_banned,
                      sa.literal(False).label("is_shadow_banned"))
            .where(Comment.commented_by_id == profile.id)
            .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(RECENT).subquery())
        for row in db.session.execute(sa.union_all(sa.select(recent_posts), sa.select(recent_comments))):
            (posts if row.kind == "post" else comments).append(row)
        report_cols = (ContentReport.id, ContentReport.type, ContentReport.post_id,
                       ContentReport.comment_id, ContentReport.reason, ContentReport.status,
                       ContentReport.created_at)

        def newest(stmt, kind: str):
            return (stmt.add_columns(sa.literal(kind).label("kind"))
                    .order_by(ContentReport.created_at.desc()).limit(RECENT).subquery())

        parts = [
            newest(sa.select(*report_cols).join(Post, Post.id == ContentReport.post_id)
                   .where(Post.posted_by_id == profile.id, about_post()), "against"),
            newest(sa.select(*report_cols).join(Comment, Comment.id == ContentReport.comment_id)
                   .where(Comment.commented_by_id == profile.id), "against"),
            newest(_reports_filed(profile.id), "filed"),
        ]
        for row in db.session.execute(sa.union_all(*(sa.select(p) for p in parts))):
            (against if row.kind == "against" else filed).append(row)
        against.sort(key=lambda r: r.created_at, reverse=True)
        del against[RECENT:]
        filed.sort(key=lambda r: r.created_at, reverse=True)
    history = entity_history(EntityType.USER, head.Auth.id)
    record = reliability.Record(int(head.decided or 0), int(head.acted or 0)) if profile else None
    return UserDetail(head.Auth, profile, head.college, posts, comments, against, filed,
                      history, head.sessions, record)
