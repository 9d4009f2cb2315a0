"""The banned-word list Flick's server filters posts and comments with."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from flick_admin.db.base import UUID, Base, new_uuid, pg_enum, utcnow


class BannedWord(Base):
    __tablename__ = "banned_words"
    __table_args__ = (
        sa.Index("banned_words_word_idx", "word"),
        sa.Index("banned_words_strict_mode_idx", "strict_mode"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_uuid)
    word: Mapped[str] = mapped_column(sa.Text, unique=True)
    strict_mode: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    severity: Mapped[str] = mapped_column(pg_enum("moderation_severity_enum"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
