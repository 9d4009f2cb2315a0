"""Flick Admin's own running tallies over Flick's tables (never columns or triggers on
them): pending reports per post, the college behind each report, students per college.

Each tally covers Flick's rows created up to its watermark (``through``); rows created
after it are counted live by the pages, so what a page shows is exact either way. NULL
``through`` means nothing is tallied yet (a fresh install): every row is counted live.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from flick_admin.db.base import UUID, Base, utcnow

REPORTS = "reports"
STUDENTS = "students"
CONTENT = "content"  # the college of each post's and comment's author
PRIORITY = "priority"  # the report queue's priority key per pending item


class TallyWatermark(Base):
    __tablename__ = "admin_tally_watermarks"

    name: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    through: Mapped[datetime | None] = mapped_column(sa.DateTime)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)


class PostPendingTally(Base):
    """Pending reports per post, for the "most reported" order (keyset over the index)."""

    __tablename__ = "admin_post_pending"
    __table_args__ = (
        sa.Index("ix_admin_post_pending_rank", "pending", "post_created_at", "post_id",
                 postgresql_where=sa.text("pending > 0"), sqlite_where=sa.text("pending > 0")),
        # The posts list's "with pending reports", newest or oldest first.
        sa.Index("ix_admin_post_pending_created", "post_created_at", "post_id",
                 postgresql_where=sa.text("pending > 0"), sqlite_where=sa.text("pending > 0")),
    )

    post_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    post_created_at: Mapped[datetime] = mapped_column(sa.DateTime)
    pending: Mapped[int] = mapped_column(sa.Integer)


class CommentPendingTally(Base):
    """Pending reports per comment, for the comments list's "with pending reports"."""

    __tablename__ = "admin_comment_pending"
    __table_args__ = (
        sa.Index("ix_admin_comment_pending_created", "comment_created_at", "comment_id",
                 postgresql_where=sa.text("pending > 0"), sqlite_where=sa.text("pending > 0")),
    )

    comment_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    comment_created_at: Mapped[datetime] = mapped_column(sa.DateTime)
    pending: Mapped[int] = mapped_column(sa.Integer)


class ReportCollege(Base):
    """The college of the student whose post or comment a report is about."""

    __tablename__ = "admin_report_colleges"
    __table_args__ = (sa.Index("ix_admin_report_colleges_college", "college_id", "report_id"),)

    report_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    college_id: Mapped[uuid.UUID] = mapped_column(UUID)


class CollegeStudentTally(Base):
    __tablename__ = "admin_college_students"

    college_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    students: Mapped[int] = mapped_column(sa.Integer)


class PostCollege(Base):
    """The college of each post's author, walked in time order per college (the lists of
    a college-scoped moderator)."""

    __tablename__ = "admin_post_colleges"
    __table_args__ = (sa.Index("ix_admin_post_colleges_walk", "college_id", "created_at", "post_id"),)

    post_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    college_id: Mapped[uuid.UUID] = mapped_column(UUID)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime)


class CommentCollege(Base):
    __tablename__ = "admin_comment_colleges"
    __table_args__ = (sa.Index("ix_admin_comment_colleges_walk", "college_id", "created_at", "comment_id"),)

    comment_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    college_id: Mapped[uuid.UUID] = mapped_column(UUID)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime)


class ReporterReliability(Base):
    """Per reporter (a student's profile id): how many of their reports were decided and
    how many of those were acted on (the item banned or shadow-banned). Reports that name
    no post and no comment are left out (there was nothing to act on)."""

    __tablename__ = "admin_reporter_reliability"

    reporter_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    decided: Mapped[int] = mapped_column(sa.Integer)
    acted: Mapped[int] = mapped_column(sa.Integer)


class ItemPriority(Base):
    """Per pending reported post or comment (its pending reports created up to the reports'
    watermark): the report queue's priority less the age term's growth, a number that does
    not change while time passes (``flick_admin.priority_keys``), walked through its index
    for the queue's first page. Rewritten for the items a decision, a sanction of their
    author or a catch-up touches; items with reports after the watermark are scored live."""

    __tablename__ = "admin_item_priority"
    __table_args__ = (
        sa.Index("ix_admin_item_priority_key", "key", "target_id"),
        sa.Index("ix_admin_item_priority_college", "college_id", "key", "target_id"),
        sa.Index("ix_admin_item_priority_author", "author_id"),
    )

    target_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    type: Mapped[str] = mapped_column(sa.Text)  # "Post" or "Comment"
    key: Mapped[int] = mapped_column(sa.BigInteger)
    author_id: Mapped[uuid.UUID | None] = mapped_column(UUID, nullable=True)
    college_id: Mapped[uuid.UUID | None] = mapped_column(UUID, nullable=True)


class ItemReasonPriority(Base):
    """``ItemPriority`` per reason: the key over an item's pending reports of one reason
    (what the queue's reason filter orders by), kept with it by the same statements, under
    the same watermark; the author's sanctions are in it, the author is in ``ItemPriority``."""

    __tablename__ = "admin_item_reason_priority"
    __table_args__ = (
        sa.Index("ix_admin_item_reason_priority_key", "reason", "key", "target_id"),
        sa.Index("ix_admin_item_reason_priority_college", "reason", "college_id", "key", "target_id"),
    )

    target_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    reason: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    type: Mapped[str] = mapped_column(sa.Text)  # "Post" or "Comment"
    key: Mapped[int] = mapped_column(sa.BigInteger)
    college_id: Mapped[uuid.UUID | None] = mapped_column(UUID, nullable=True)
