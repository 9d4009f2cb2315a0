"""Declarative base, column types that work on PostgreSQL and SQLite, and helpers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase

from flick_admin.db import enums

# Flick's constraint names follow Drizzle's pattern; unnamed constraints get the same shape.
NAMING_CONVENTION = {
    "pk": "%(table_name)s_pkey",
    "uq": "%(table_name)s_%(column_0_name)s_unique",
    # Every foreign key in Flick points at an ``id`` column.
    "fk": "%(table_name)s_%(column_0_name)s_%(referred_table_name)s_id_fk",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


UUID = sa.Uuid(as_uuid=True)
JSONB = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
INET = sa.String(64).with_variant(postgresql.INET(), "postgresql")


def pg_enum(name: str) -> sa.Enum:
    """A named enum type (native on PostgreSQL, plain text on SQLite)."""
    return sa.Enum(*enums.values(name), name=name, create_constraint=False, validate_strings=True)


def utcnow() -> datetime:
    """Naive UTC, as Flick stores ``timestamp without time zone``."""
    return datetime.now(UTC).replace(tzinfo=None)


def utcnow_tz() -> datetime:
    return datetime.now(UTC)


def new_uuid() -> uuid.UUID:
    return uuid.uuid4()


def uuid_text(column, dialect: str):
    """A uuid column as the text ``str(uuid)`` gives (how audit rows name their entity and
    the row a revert reverts): PostgreSQL casts; SQLite stores 32 hex digits."""
    if dialect == "postgresql":
        return sa.cast(column, sa.Text)
    hexed = sa.func.lower(sa.cast(column, sa.Text))
    return (sa.func.substr(hexed, 1, 8) + "-" + sa.func.substr(hexed, 9, 4) + "-" + sa.func.substr(hexed, 13, 4)
            + "-" + sa.func.substr(hexed, 17, 4) + "-" + sa.func.substr(hexed, 21, 12))
