"""The catalogue of removal reasons (Flick Admin's own table): what a moderator picks in a
decision form, and the text the student whose post, comment or account it concerns reads
in their Flick notification. Never deleted, only retired: past audit rows name them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from flick_admin.db.base import JSONB, UUID, Base, new_uuid, utcnow


class RemovalReason(Base):
    """``fits``: the report reasons of Flick (``content_reports.reason``) it answers, so a
    decision form offers it first on an item reported for one of them."""

    __tablename__ = "admin_removal_reasons"
    __table_args__ = (sa.Index("ix_admin_removal_reasons_active", "title",
                               postgresql_where=sa.text("retired_at IS NULL"),
                               sqlite_where=sa.text("retired_at IS NULL")),)

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_uuid)
    title: Mapped[str] = mapped_column(sa.Text)
    student_text: Mapped[str] = mapped_column(sa.Text)
    fits: Mapped[Any] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
