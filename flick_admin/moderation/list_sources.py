"""Where the posts and comments lists of a college-scoped moderator find their rows: the
content-college tally walked per college, and the candidates of "most reported" (issue 25).
Read by ``moderation.queries``; reads only the db layer, the tallies and the scope."""

from __future__ import annotations

import sqlalchemy as sa

from flick_admin import scope, tallies
from flick_admin.db import ContentReport, PlatformUser
from flick_admin.db.enums import ReportStatus
from flick_admin.db.tallies import PRIORITY, ItemPriority
from flick_admin.extensions import db
from flick_admin.pagination import Page, merged_keys, paginate


def keys_first(f, size: int, tally, model, author, descending: bool, rows) -> Page:
    """A scoped list without filters: the page's keys first (a key-only walk of the tally
    per college, one over what is newer, merged in SQL), then ``rows(source)`` joined to
    those only (the walks joined three pages' worth of rows for one shown; issue 25)."""
    parts = [(sa.select(created).select_from(source), [created, key])
             for source, created, key in tallies.scoped_content(tally, scope.colleges())]
    profile = sa.orm.aliased(PlatformUser)
    live = (sa.select(model.created_at).join(profile, profile.id == author)
            .where(model.created_at > tallies.read_mark(tallies.CONTENT), scope.students(profile.college_id)))
    keys = merged_keys(parts + [(live, [model.created_at, model.id])], descending=descending, size=size,
                       after=f.after, before=f.before)
    return paginate(rows(keys.join(model, model.id == keys.c.k1)), [keys.c.k0, keys.c.k1],
                    descending=descending, size=size, after=f.after, before=f.before)


def scoped_post_ids() -> sa.CompoundSelect:
    """Ids of every post with pending reports that may be by a student of the member's
    colleges (the author check that follows keeps the right ones), without reading the
    scope's posts one by one (issue 25: 28.5 ms at full scale, then 22 ms through the
    content-college tally): the pending items of the scope's colleges as the priority keys
    hold them (``ix_admin_item_priority_college``: a post with a pending report about it,
    up to their watermark), the posts reported since that watermark, and the posts named
    by pending reports about one of their comments (the pending tally counts those too;
    ``ix_admin_reports_pending_carried``, usually empty)."""
    pending = ContentReport.status == ReportStatus.PENDING.value
    return sa.union_all(
        sa.select(ItemPriority.target_id).where(ItemPriority.college_id.in_(scope.colleges()),
                                                ItemPriority.type == "Post"),
        sa.select(ContentReport.post_id).where(pending, ContentReport.post_id.is_not(None),
                                               ContentReport.created_at > tallies.read_mark(PRIORITY)),
        sa.select(ContentReport.post_id).where(pending, ContentReport.post_id.is_not(None),
                                               ContentReport.comment_id.is_not(None)))


def among(column, ids: sa.CompoundSelect) -> sa.ColumnElement:
    """``column IN ids``; on PostgreSQL ``= ANY(ARRAY(ids))``, read first: the tally is
    probed by key for the few ids instead of hashed whole."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    return column == sa.any_(sa.func.array(ids.scalar_subquery())) if postgres else column.in_(ids)
