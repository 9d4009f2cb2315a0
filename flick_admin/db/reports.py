"""Content reports filed by students, and their feedback."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
