"""Content reports filed by students, and their feedback."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.visitors import InternalTraversal

from flick_admin.db.base import UUID, Base, new_uuid, pg_enum, utcnow

if TYPE_CHECKING:
    from flick_admin.db.content import Comment, Post
    from flick_admin.db.users import PlatformUser


class ContentReport(Base):
    __tablename__ = "content_reports"
    __table_args__ = (
        sa.Index("ix_admin_reports_post", "post_id", "status", "created_at"),
        sa.Index("ix_admin_reports_comment", "comment_id", "status", "created_at"),
        sa.Index("ix_admin_reports_status_created", "status", "created_at", "id"),
        sa.Index("ix_admin_reports_reporter", "reported_by", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_uuid)
    type: Mapped[str] = mapped_column(pg_enum("report_type"))
    post_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("posts.id", ondelete="CASCADE")
    )
    comment_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("comments.id", ondelete="CASCADE")
    )
    reported_by_id: Mapped[uuid.UUID] = mapped_column(
        "reported_by", sa.ForeignKey("platform_user.id", ondelete="CASCADE")
    )
    reason: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    message: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    post: Mapped[Post | None] = relationship()
    comment: Mapped[Comment | None] = relationship()
    reporter: Mapped[PlatformUser] = relationship()


# What a report is about, by its ids (Flick's schema ties neither id to ``type``, and both
# may be empty): a report that names a comment is about that comment, even when it also
# carries the comment's post; one that names only a post is about the post; one that names
# neither is about nothing that can be found ("unlinked"). Every query that groups,
# counts or settles reports by their item reads them through these.

def about_post(report=ContentReport) -> sa.ColumnElement[bool]:
    return sa.and_(report.post_id.is_not(None), report.comment_id.is_(None))


def about_comment(report=ContentReport) -> sa.ColumnElement[bool]:
    return report.comment_id.is_not(None)


def unlinked(report=ContentReport) -> sa.ColumnElement[bool]:
    return sa.and_(report.post_id.is_(None), report.comment_id.is_(None))


def subject_id(report=ContentReport) -> sa.ColumnElement:
    """The id of the item the report is about (NULL when unlinked)."""
    return sa.func.coalesce(report.comment_id, report.post_id)


def subject_kind(report=ContentReport) -> sa.ColumnElement:
    """'Comment', 'Post' or NULL, by the ids (never by ``type``)."""
    return sa.case((report.comment_id.is_not(None), sa.literal("Comment")),
                   (report.post_id.is_not(None), sa.literal("Post")), else_=sa.null())


class _among(sa.sql.expression.ColumnElement):
    """``column`` is one of the ids ``items`` (a SELECT) selects: on PostgreSQL
    ``column = ANY(ARRAY(items))``, which the planner takes for a few values (an index
    probe each) where an ``IN`` of a subquery would be planned as a join over every row."""

    type = sa.Boolean()
    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("items", InternalTraversal.dp_clauseelement)]

    def __init__(self, column, items: sa.Select):
        self.column, self.items = column, items


@compiles(_among, "postgresql")
def _among_pg(element, compiler, **kw):
    return f"{compiler.process(element.column, **kw)} = ANY(ARRAY({compiler.process(element.items, **kw)}))"


@compiles(_among)
def _among_other(element, compiler, **kw):
    return f"{compiler.process(element.column, **kw)} IN ({compiler.process(element.items, **kw)})"


def about_any(items: sa.Select, report=ContentReport) -> sa.ColumnElement[bool]:
    """Reports about one of a few items (``items`` selects their ids): the same as
    ``subject_id(report).in_(items)``, but each kind found through its own index."""
    return sa.or_(sa.and_(report.comment_id.is_(None), _among(report.post_id, items)),
                  _among(report.comment_id, items))


class Feedback(Base):
    __tablename__ = "feedbacks"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_uuid)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("platform_user.id", ondelete="SET NULL")
    )
    type: Mapped[str] = mapped_column(sa.Text)
    title: Mapped[str] = mapped_column(sa.Text)
    content: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    user: Mapped[PlatformUser | None] = relationship()
