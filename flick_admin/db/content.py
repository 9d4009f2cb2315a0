"""Posts, comments, votes, bookmarks and notifications."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from flick_admin.db.base import JSONB, UUID, Base, new_uuid, pg_enum, utcnow, utcnow_tz

if TYPE_CHECKING:
    from flick_admin.db.users import PlatformUser


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        sa.Index("ix_admin_posts_created", "createdAt", "id"),
        sa.Index("ix_admin_posts_author", "postedBy", "createdAt"),
        sa.Index(
            "posts_visibility_idx",
            "isBanned",
            "isShadowBanned",
            sa.text('"createdAt" DESC NULLS LAST'),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_uuid)
    title: Mapped[str] = mapped_column(sa.Text)
    content: Mapped[str] = mapped_column(sa.Text)
    posted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        "postedBy", sa.ForeignKey("platform_user.id", ondelete="CASCADE")
    )
    topic: Mapped[str] = mapped_column(pg_enum("topic_enum"))
    is_private: Mapped[bool] = mapped_column("isPrivate", sa.Boolean, default=False)
    # Nullable in Flick's schema; NULL is read as "not banned".
    is_banned: Mapped[bool | None] = mapped_column("isBanned", sa.Boolean, default=False)
    is_shadow_banned: Mapped[bool | None] = mapped_column(
        "isShadowBanned", sa.Boolean, default=False
    )
    views: Mapped[int | None] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column("createdAt", sa.DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column("updatedAt", sa.DateTime, default=utcnow)

    author: Mapped[PlatformUser | None] = relationship(back_populates="posts")
    comments: Mapped[list[Comment]] = relationship(
        back_populates="post", passive_deletes=True, lazy="raise"
    )


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        sa.Index("ix_admin_comments_post", "postId", "createdAt"),
        sa.Index("ix_admin_comments_author", "commentedBy", "createdAt"),
        sa.Index("ix_admin_comments_created", "createdAt", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_uuid)
    content: Mapped[str] = mapped_column(sa.Text)
    post_id: Mapped[uuid.UUID] = mapped_column(
        "postId", sa.ForeignKey("posts.id", ondelete="CASCADE")
    )
    commented_by_id: Mapped[uuid.UUID] = mapped_column(
        "commentedBy", sa.ForeignKey("platform_user.id", ondelete="CASCADE")
    )
    is_banned: Mapped[bool] = mapped_column("isBanned", sa.Boolean, default=False)
    parent_comment_id: Mapped[uuid.UUID | None] = mapped_column(
        "parentCommentId", sa.ForeignKey("comments.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column("createdAt", sa.DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column("updatedAt", sa.DateTime, default=utcnow)

    post: Mapped[Post] = relationship(back_populates="comments")
    author: Mapped[PlatformUser] = relationship(back_populates="comments")
    parent: Mapped[Comment | None] = relationship(
        remote_side="Comment.id", back_populates="replies"
    )
    replies: Mapped[list[Comment]] = relationship(back_populates="parent", lazy="raise")


class Vote(Base):
    __tablename__ = "votes"
    __table_args__ = (
        sa.Index("votes_user_target_unique", "user_id", "target_type", "target_id", unique=True),
        sa.Index("votes_target_lookup_idx", "target_type", "target_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_uuid)
    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("platform_user.id", ondelete="CASCADE")
    )
    target_type: Mapped[str] = mapped_column(pg_enum("vote_entity_enum"))
    target_id: Mapped[uuid.UUID] = mapped_column(UUID)
    vote_type: Mapped[str] = mapped_column(pg_enum("vote_type_enum"))


class Bookmark(Base):
    __tablename__ = "bookmarks"
    __table_args__ = (sa.Index("bookmark_user_id_idx", "userId", "postId"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_uuid)
    post_id: Mapped[uuid.UUID | None] = mapped_column(
        "postId", sa.ForeignKey("posts.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        "userId", sa.ForeignKey("platform_user.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column("createdAt", sa.DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column("updatedAt", sa.DateTime, default=utcnow)


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_uuid)
    seen: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    post_id: Mapped[uuid.UUID | None] = mapped_column("postId", sa.ForeignKey("posts.id"))
    receiver_id: Mapped[str] = mapped_column("receiverId", sa.Text)
    actor_usernames: Mapped[Any] = mapped_column("actorUsernames", JSONB)
    content: Mapped[str | None] = mapped_column(sa.Text)
    type: Mapped[str] = mapped_column(pg_enum("notification_type"), default="general")
    created_at: Mapped[datetime] = mapped_column(
        "createdAt", sa.DateTime(timezone=True), default=utcnow_tz
    )
    updated_at: Mapped[datetime] = mapped_column(
        "updatedAt", sa.DateTime(timezone=True), default=utcnow_tz
    )
