"""Read-only queries behind the moderation pages. Each list page is one keyset query
plus at most a couple of look-ups for the rows on that page, whatever its depth."""

from __future__ import annotations

import sqlalchemy as sa

from flick_admin import scope, tallies
from flick_admin.audit.actions import AuditAction
from flick_admin.db import College, Comment, ContentReport, PlatformUser, Post
from flick_admin.db.enums import ReportStatus
from flick_admin.db.tallies import CommentCollege, PostCollege
from flick_admin.listing import contains_pattern, end_of, prefix_pattern, search_words, start_of
from flick_admin.moderation import list_sources
from flick_admin.moderation.filters import (
    CommentFilters,
    PostFilters,
)
from flick_admin.pagination import Page, capturing, paginate, paginate_merged

EXCERPT = 240
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
        # tally's through ``ix_admin_post_pending_created``), instead of every post walked in
        # time order for the 3 % that have some (issue 25: 8 ms at full scale).
        parts = []
        scoped_ids = list_sources.scoped_post_ids() if scope.limited() else None
        for ranked in tallies.pending_post_sources():
            stmt = _post_rows(f, ranked.c.pending, ranked.join(Post, Post.id == ranked.c.post_id))
            # Each still has a pending report (a probe a row: Flick may delete some).
            stmt = stmt.where(sa.exists().where(ContentReport.post_id == Post.id,
                                                ContentReport.status == ReportStatus.PENDING.value))
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
    if scope.limited():
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


# --- comments -------------------------------------------------------------------------------

def _comment_rows(f: CommentFilters, source, *, by_scope: bool = True, walked: bool = False) -> sa.Select:
    """The comments list's columns from ``source``, with every filter (``by_scope=False``:
    the source is already one college's; ``walked``: "reported" is a count probed for each
    row of an ordered walk — an EXISTS would be planned as a join of every pending report)."""
    post_author = sa.orm.aliased(PlatformUser)
    pending = _pending_count(ContentReport.comment_id == Comment.id).correlate(Comment)
    stmt = (
        sa.select(
            Comment.id, sa.func.substr(Comment.content, 1, EXCERPT).label("excerpt"),
            Comment.is_banned, Comment.created_at, Comment.post_id,
            scope.shown(Post.title, post_author.college_id, scope.OUTSIDE_POST).label("post_title"),
            scope.outside(post_author.college_id).label("post_outside"),
            PlatformUser.username, PlatformUser.auth_id,
            pending.label("pending"),
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
    if f.reported and walked:
        stmt = stmt.where(pending > 0)
    elif f.reported:
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
    counting = f.reported and capturing() and not (scope.limited() or f.state or f.author or f.post or f.q)
    if f.reported and not counting:
        # Comments with pending reports: the running tally's comments in time order (through
        # ``ix_admin_comment_pending_created``) and those reported since its watermark, each
        # probed for a still-pending report (``_comment_rows``) and, for a scoped member,
        # for its author's college — instead of every comment walked in time order for the
        # 1 % that have some (issue 25: 90 ms at full scale).
        parts = [(_comment_rows(f, ranked.join(Comment, Comment.id == ranked.c.comment_id), walked=True),
                  [ranked.c.created_at, ranked.c.comment_id])
                 for ranked in tallies.pending_comment_sources()]
        return paginate_merged(parts, descending=True, size=size, after=f.after, before=f.before)
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
    if counting:
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


# --- users: the list is ``users_list``, the page ``details`` -------------------------------
