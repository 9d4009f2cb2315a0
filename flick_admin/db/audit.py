"""Flick's audit table ``logs`` (time column spelled ``occured_at``, as in Flick)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from flick_admin.db.base import INET, JSONB, UUID, Base, new_uuid, pg_enum, utcnow_tz


class Log(Base):
    __tablename__ = "logs"
    __table_args__ = (
        sa.Index("idx_audit_logs_entity", "entity_type", "entity_id"),
        sa.Index("idx_audit_logs_actor", "actor_id"),
        sa.Index("idx_audit_logs_occurred_at", sa.text("occured_at DESC NULLS LAST")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_uuid)
    occured_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow_tz)
    actor_id: Mapped[str | None] = mapped_column(sa.Text)
    actor_type: Mapped[str] = mapped_column(pg_enum("log_role"))
    action: Mapped[str] = mapped_column(sa.Text)
    entity_type: Mapped[str] = mapped_column(pg_enum("log_entity_type"))
    entity_id: Mapped[str | None] = mapped_column(sa.Text)
    before: Mapped[Any] = mapped_column(JSONB, nullable=True)
    after: Mapped[Any] = mapped_column(JSONB, nullable=True)
    ip_address: Mapped[str | None] = mapped_column(INET)
    user_agent: Mapped[str | None] = mapped_column(sa.Text)
    request_id: Mapped[uuid.UUID | None] = mapped_column(UUID)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    metadata_: Mapped[Any] = mapped_column("metadata", JSONB, nullable=True)
