"""Flick Admin's own tables for moderating as a team: who holds which item (claims and
assignments), actions waiting for a second pair of eyes (proposals), saved list filters,
and the colleges a moderator is limited to. Never columns on Flick's tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from flick_admin.db.base import JSONB, UUID, Base, new_uuid, utcnow


class Claim(Base):
    """One moderator holds one reported post or comment. ``expires_at`` NULL: an
    assignment, held until the item is decided or released."""

    __tablename__ = "admin_claims"
    __table_args__ = (sa.Index("ix_admin_claims_holder", "holder_id"),)

    target_type: Mapped[str] = mapped_column(sa.Text, primary_key=True)  # "post" | "comment"
    target_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    holder_id: Mapped[str] = mapped_column(sa.ForeignKey("auth.id", ondelete="CASCADE"))
    claimed_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    assigned_by_id: Mapped[str | None] = mapped_column(sa.ForeignKey("auth.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(sa.Text)


class Proposal(Base):
    """A severe action, held until a second staff member approves or rejects it."""

    __tablename__ = "admin_proposals"
    __table_args__ = (
        sa.Index("ix_admin_proposals_waiting", "created_at",
                 postgresql_where=sa.text("status = 'waiting'"),
                 sqlite_where=sa.text("status = 'waiting'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_uuid)
    kind: Mapped[str] = mapped_column(sa.Text)
    payload: Mapped[Any] = mapped_column(JSONB)
    summary: Mapped[str] = mapped_column(sa.Text)
    permission: Mapped[str] = mapped_column(sa.Text)
    proposer_id: Mapped[str | None] = mapped_column(sa.ForeignKey("auth.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime)
    status: Mapped[str] = mapped_column(sa.Text, default="waiting")
    decided_by_id: Mapped[str | None] = mapped_column(sa.ForeignKey("auth.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    decision_note: Mapped[str | None] = mapped_column(sa.Text)


class SavedView(Base):
    """A named filter of one list, personal or shared with all staff."""

    __tablename__ = "admin_saved_views"
    __table_args__ = (sa.UniqueConstraint("owner_id", "page", "name",
                                          name="admin_saved_views_owner_page_name_unique"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_uuid)
    owner_id: Mapped[str] = mapped_column(sa.ForeignKey("auth.id", ondelete="CASCADE"))
    page: Mapped[str] = mapped_column(sa.Text)
    name: Mapped[str] = mapped_column(sa.Text)
    query: Mapped[str] = mapped_column(sa.Text)
    shared: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)


class StaffScope(Base):
    """A moderator limited to the students of these colleges (no rows: every college).
    No foreign key to ``colleges``: a deleted college leaves its scope rows behind, so the
    moderator stays limited (to nothing there) instead of silently seeing everything."""

    __tablename__ = "admin_staff_scopes"

    user_id: Mapped[str] = mapped_column(sa.ForeignKey("auth.id", ondelete="CASCADE"), primary_key=True)
    college_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)


class Note(Base):
    """An internal note a staff member left on a post, a comment or a student (by their
    profile id): staff only — Flick never reads Flick Admin's tables. ``log_id`` is the
    audit row that recorded it, so an item's history shows the note where it was added."""

    __tablename__ = "admin_notes"
    __table_args__ = (
        sa.Index("ix_admin_notes_target", "target_type", "target_id", "created_at"),
        sa.Index("ix_admin_notes_log", "log_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_uuid)
    target_type: Mapped[str] = mapped_column(sa.Text)  # "post" | "comment" | "user"
    target_id: Mapped[uuid.UUID] = mapped_column(UUID)
    author_id: Mapped[str | None] = mapped_column(sa.ForeignKey("auth.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    log_id: Mapped[uuid.UUID | None] = mapped_column(UUID)


class Escalation(Base):
    """A reported post or comment handed to senior staff with a comment: while the row
    exists the item waits in the "Escalated" view instead of the ordinary queue. Ended
    by a de-escalation or by a decision on the item (in the decision's transaction)."""

    __tablename__ = "admin_escalations"

    target_type: Mapped[str] = mapped_column(sa.Text, primary_key=True)  # "post" | "comment"
    target_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    escalated_by_id: Mapped[str | None] = mapped_column(sa.ForeignKey("auth.id", ondelete="SET NULL"))
    escalated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    comment: Mapped[str] = mapped_column(sa.Text)
