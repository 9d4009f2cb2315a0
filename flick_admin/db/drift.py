"""The live schema against what the migrations at head define: Flick's baseline (its
production schema facts) plus Flick Admin's own objects (enum values, ``admin_*`` tables,
indexes), in plain words. Used by ``flask db check`` and ``adopt --check``.

Blocking: what would break Flick Admin or Flick's server — a missing table or column, another
type or nullability, a missing enum value, an enum value Flick Admin does not know (a row
holding it cannot be read), a revision behind head. Warnings: what it survives — a missing
index (slower), other defaults or constraints, extra columns, tables or indexes.
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from flick_admin.db import enums, schema_facts
from flick_admin.db.base import Base
from flick_admin.db.migration_helpers import compare_type, include_object_for
from flick_admin.db.schema_facts import Drift


def current_revision(conn: Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def at_head(conn: Connection, head: str) -> Drift:
    expected = schema_facts.expected_facts()
    postgres = conn.dialect.name == "postgresql"
    drift = schema_facts.compare(schema_facts.live_facts(conn), expected) if postgres \
        else schema_facts.compare_sqlite(conn, expected)
    current = current_revision(conn)
    if current != head:
        drift.blocking.insert(0, f"the database is at revision {current or 'none'}, the migrations' "
                                 f"head is {head}: run `flask --app wsgi db upgrade`")
    if postgres:
        _enum_values(conn, drift, expected)
    _admin_objects(conn, drift, expected)
    return drift


def _enum_values(conn: Connection, drift: Drift, expected: dict) -> None:
    live = schema_facts.live_facts(conn)["enums"]
    for name in expected["enums"]:
        have, want = live.get(name), enums.values(name)
        if have is None:
            continue  # reported by the baseline comparison
        flick = set(expected["enums"][name])
        missing = [v for v in want if v not in have and v not in flick]
        if missing:
            drift.blocking.append(f"enum type {name} lacks Flick Admin's values {', '.join(missing)}")
        extra = [v for v in have if v not in want]
        if extra:
            drift.blocking.append(
                f"enum type {name} has the values {', '.join(extra)}, which no migration defines: "
                "Flick Admin cannot read a row holding them")


def _admin_objects(conn: Connection, drift: Drift, expected: dict) -> None:
    """Alembic's comparison of the live schema with the models (which agree with the
    migrations at head), kept to what the baseline comparison did not already say."""
    flick_tables = set(expected["tables"])
    baseline_indexes = {(t, i["name"]) for t, spec in expected["tables"].items() for i in spec["indexes"]}
    context = MigrationContext.configure(conn, opts={
        "compare_type": compare_type, "target_metadata": Base.metadata,
        "include_object": include_object_for(conn.dialect.name)})
    with warnings.catch_warnings():  # SQLite cannot reflect expression indexes: known, not drift
        warnings.filterwarnings("ignore", message="autogenerate skipping")
        diffs = compare_metadata(context, Base.metadata)
    for diff in _flatten(diffs):
        kind = diff[0]
        if kind in ("add_index", "remove_index"):
            index = diff[1]
            table = index.table.name
            if (table, index.name) in baseline_indexes:
                continue
            if kind == "add_index":
                drift.warnings.append(f"index {index.name} on {table} is missing (pages that use it are slower)")
            elif table not in flick_tables or not index.name.startswith(("ix_admin", "admin_")):
                drift.warnings.append(f"index {index.name} on {table} is not defined by the migrations")
            continue
        if kind == "add_table":
            drift.blocking.append(f"table {diff[1].name} is missing")
        elif kind == "remove_table":
            if diff[1].name != "alembic_version":
                drift.warnings.append(f"table {diff[1].name} is not defined by the migrations")
        elif kind in ("add_column", "remove_column", "modify_type", "modify_nullable", "modify_default"):
            table = diff[2] if kind in ("add_column", "remove_column") else diff[2]
            if table in flick_tables:
                continue  # the baseline comparison speaks of Flick's columns
            column = diff[3].name if kind in ("add_column", "remove_column") else diff[3]
            where = f"column {table}.{column}"
            if kind == "add_column":
                drift.blocking.append(f"{where} is missing")
            elif kind == "remove_column":
                drift.warnings.append(f"{where} is not defined by the migrations")
            elif kind == "modify_type":
                drift.blocking.append(f"{where} is of type {diff[5]}, expected {diff[6]}")
            elif kind == "modify_nullable":
                drift.blocking.append(f"{where} is {'nullable' if diff[5] else 'NOT NULL'}, expected "
                                      f"{'nullable' if diff[6] else 'NOT NULL'}")
            else:
                drift.warnings.append(f"{where} has another default")
        else:
            drift.warnings.append(f"{kind.replace('_', ' ')}: {diff[1:]}"[:300])


def _flatten(diffs):
    for diff in diffs:
        if isinstance(diff, list):  # column modifications come grouped
            yield from diff
        else:
            yield diff
