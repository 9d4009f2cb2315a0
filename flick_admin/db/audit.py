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
        sa.Index("ix_admin_logs_time", "occured_at", "id"),
        sa.Index("ix_admin_logs_action_time", "action", "occured_at", "id"),
        sa.Index("ix_admin_logs_actor_time", "actor_id", "occured_at", "id"),
        sa.Index("ix_admin_logs_actor_type_time", "actor_type", "occured_at", "id"),
        sa.Index("ix_admin_logs_entity_time", "entity_type", "entity_id", "occured_at", "id"),
        sa.Index("ix_admin_logs_request", "request_id"),
        sa.Index("ix_admin_logs_entity_type_time", "entity_type", "occured_at", "id"),
        # Rows of one batch (PostgreSQL only; the migration builds it concurrently).
        sa.Index("ix_admin_logs_batch", sa.text("(metadata ->> 'batch_id')")).ddl_if(
            dialect="postgresql"),
        # Whether a row was reverted (PostgreSQL only; built concurrently by 0011).
        sa.Index("ix_admin_logs_reverts", sa.text("(metadata ->> 'reverts')")).ddl_if(
            dialect="postgresql"),
        # Rows of one unit of work, the server's id of a decision (built concurrently by 0013).
        sa.Index("ix_admin_logs_unit", sa.text("(metadata ->> 'unit_id')")).ddl_if(
            dialect="postgresql"),
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


class AuditChainLink(Base):
    """One link of the hash chain over the ``logs`` rows Flick Admin writes."""

    __tablename__ = "admin_audit_chain"
    __table_args__ = (
        sa.UniqueConstraint("log_id", name="admin_audit_chain_log_id_unique"),
        sa.Index("ix_admin_audit_chain_json", "seq", postgresql_where=sa.text("format = 1"),
                 sqlite_where=sa.text("format = 1")),
    )

    seq: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    log_id: Mapped[uuid.UUID] = mapped_column(UUID)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    row_hash: Mapped[str] = mapped_column(sa.String(64))
    chained_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow_tz)
    # How ``row_hash`` was computed: 1 = a JSON text Python builds (any database),
    # 2 = the row's text as PostgreSQL prints it (verified inside PostgreSQL).
    format: Mapped[int] = mapped_column(sa.SmallInteger, default=1, server_default="1")


class AuditCheckpoint(Base):
    """Where a retention purge cut the chain: verification resumes from here."""

    __tablename__ = "admin_audit_checkpoints"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow_tz)
    last_seq: Mapped[int] = mapped_column(sa.BigInteger)
    last_hash: Mapped[str] = mapped_column(sa.String(64))
    purged_before: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    purged_rows: Mapped[int] = mapped_column(sa.BigInteger)
    actor_id: Mapped[str | None] = mapped_column(sa.Text)


def revert_of(log_id, dialect: str) -> sa.ScalarSelect:
    """The id of the audit row that reverts the row ``log_id`` (a column), if any: one
    probe of the ``ix_admin_logs_reverts`` index (its expression exactly, on PostgreSQL)."""
    from flick_admin.db.base import uuid_text

    revert = sa.orm.aliased(Log)
    if dialect == "postgresql":
        key = revert.metadata_.op("->>", return_type=sa.Text)(sa.literal_column("'reverts'"))
    else:
        key = sa.func.json_extract(revert.metadata_, "$.reverts")
    return sa.select(revert.id).where(key == uuid_text(log_id, dialect)).limit(1).scalar_subquery()
