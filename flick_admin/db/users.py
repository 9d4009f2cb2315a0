"""Students' profiles (``platform_user``) and user-to-user blocks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from flick_admin.db.base import UUID, Base, new_uuid, pg_enum, utcnow

if TYPE_CHECKING:
    from flick_admin.db.auth import Auth
    from flick_admin.db.colleges import College
    from flick_admin.db.content import Comment, Post


class PlatformUser(Base):
    __tablename__ = "platform_user"
    __table_args__ = (
        sa.Index("ix_admin_platform_user_college", "college_id"),
        sa.Index("ix_admin_platform_user_college_created", "college_id", "created_at"),
        sa.Index("ix_admin_platform_user_created", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_uuid)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    auth_id: Mapped[str] = mapped_column(
        sa.ForeignKey("auth.id", ondelete="CASCADE"), unique=True
    )
    username: Mapped[str] = mapped_column(sa.Text, unique=True)
    college_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("colleges.id", ondelete="CASCADE"))
    branch: Mapped[str | None] = mapped_column(sa.Text)
    karma: Mapped[int | None] = mapped_column(sa.Integer, default=0)
    is_accepted_terms: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    status: Mapped[str] = mapped_column(pg_enum("user_status"), default="ONBOARDING")

    auth: Mapped[Auth] = relationship(back_populates="profile")
    college: Mapped[College] = relationship(back_populates="students")
    posts: Mapped[list[Post]] = relationship(
        back_populates="author", passive_deletes=True, lazy="raise"
    )
    comments: Mapped[list[Comment]] = relationship(
        back_populates="author", passive_deletes=True, lazy="raise"
    )


class UserBlock(Base):
    __tablename__ = "user_blocks"
    __table_args__ = (
        sa.Index("user_blocks_unique_idx", "blocker_id", "blocked_id", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_uuid)
    blocker_id: Mapped[str] = mapped_column(sa.ForeignKey("auth.id", ondelete="CASCADE"))
    blocked_id: Mapped[str] = mapped_column(sa.ForeignKey("auth.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
