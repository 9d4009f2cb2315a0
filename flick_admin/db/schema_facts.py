"""Schema facts of a live PostgreSQL database, and the plain-words difference between a
live schema and Flick's baseline (used by ``adopt``, the tests and the health page).

``flick-schema.json`` beside this file holds the facts of Flick's production schema.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

EXPECTED_PATH = Path(__file__).with_name("flick-schema.json")

_COLUMNS = sa.text("""
    SELECT c.table_name, c.column_name,
           CASE WHEN c.data_type = 'USER-DEFINED' THEN 'enum:' || c.udt_name
                WHEN c.data_type = 'ARRAY' THEN 'array:' || c.udt_name
                ELSE c.data_type END AS type,
           c.is_nullable = 'YES' AS nullable, c.column_default
    FROM information_schema.columns c
    JOIN information_schema.tables t
      ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
""")
_CONSTRAINTS = sa.text("""
    SELECT rel.relname, con.conname, con.contype::text, pg_get_constraintdef(con.oid)
    FROM pg_constraint con
    JOIN pg_class rel ON rel.oid = con.conrelid
    JOIN pg_namespace ns ON ns.oid = rel.relnamespace
    WHERE ns.nspname = 'public'
""")
_INDEXES = sa.text(
    "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
)
_ENUMS = sa.text("""
    SELECT t.typname, e.enumlabel
    FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
    JOIN pg_namespace ns ON ns.oid = t.typnamespace
    WHERE ns.nspname = 'public'
    ORDER BY t.typname, e.enumsortorder
""")


def expected_facts() -> dict[str, Any]:
    return json.loads(EXPECTED_PATH.read_text())


def live_facts(conn: Connection) -> dict[str, Any]:
    """The same shape as ``flick-schema.json``, read from the catalog."""
    tables: dict[str, dict[str, list[dict[str, Any]]]] = {}

    def table(name: str) -> dict[str, list[dict[str, Any]]]:
        return tables.setdefault(name, {"columns": [], "constraints": [], "indexes": []})

    for tname, cname, ctype, nullable, default in conn.execute(_COLUMNS):
        table(tname)["columns"].append(
            {"name": cname, "type": ctype, "nullable": bool(nullable), "default": default}
        )
    for tname, cname, ctype, definition in conn.execute(_CONSTRAINTS):
        if tname in tables:
            table(tname)["constraints"].append(
                {"name": cname, "type": ctype, "definition": definition}
            )
    for tname, iname, definition in conn.execute(_INDEXES):
        if tname in tables:
            table(tname)["indexes"].append({"name": iname, "definition": definition})
    for t in tables.values():
        for key in t:
            t[key].sort(key=lambda item: item["name"])
    enums: dict[str, list[str]] = {}
    for typname, label in conn.execute(_ENUMS):
        enums.setdefault(typname, []).append(label)
    return {"enums": enums, "tables": tables}


@dataclass
class Drift:
    """Differences between a live schema and the baseline, in plain words."""

    blocking: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.blocking


def compare(live: dict[str, Any], expected: dict[str, Any] | None = None) -> Drift:
    """What in ``live`` differs from Flick's baseline.

    Blocking: anything the dashboard reads or writes that is missing or of another shape
    (tables, columns, types, nullability, enum values). Warnings: differences it survives
    (defaults, indexes, constraints, extra objects).
    """
    expected = expected or expected_facts()
    drift = Drift()
    live_enums = live.get("enums") or {}
    for name, labels in expected["enums"].items():
        have = live_enums.get(name)
        if have is None:
            drift.blocking.append(f"enum type {name} is missing")
            continue
        missing = [label for label in labels if label not in have]
        if missing:
            drift.blocking.append(f"enum type {name} lacks the values {', '.join(missing)}")
    live_tables = live.get("tables") or {}
    for tname, want in expected["tables"].items():
        have = live_tables.get(tname)
        if have is None:
            drift.blocking.append(f"table {tname} is missing")
            continue
        cols = {c["name"]: c for c in have["columns"]}
        for col in want["columns"]:
            got = cols.pop(col["name"], None)
            where = f"column {tname}.{col['name']}"
            if got is None:
                drift.blocking.append(f"{where} is missing")
                continue
            if got["type"] != col["type"]:
                drift.blocking.append(f"{where} is of type {got['type']}, expected {col['type']}")
            if got["nullable"] != col["nullable"]:
                drift.blocking.append(
                    f"{where} is {'nullable' if got['nullable'] else 'NOT NULL'}, expected "
                    f"{'nullable' if col['nullable'] else 'NOT NULL'}"
                )
            if got["default"] != col["default"]:
                drift.warnings.append(
                    f"{where} defaults to {got['default'] or 'nothing'}, "
                    f"expected {col['default'] or 'nothing'}"
                )
        for extra in cols:
            drift.warnings.append(f"column {tname}.{extra} is not part of Flick's baseline")
        _compare_named(drift, tname, "constraint", want["constraints"], have["constraints"])
        _compare_named(drift, tname, "index", want["indexes"], have["indexes"])
    return drift


def _compare_named(drift: Drift, tname: str, kind: str, want: list, have: list) -> None:
    got = {item["name"]: item["definition"] for item in have}
    for item in want:
        definition = got.get(item["name"])
        if definition is None:
            drift.warnings.append(f"{kind} {item['name']} on {tname} is missing")
        elif definition != item["definition"]:
            drift.warnings.append(
                f"{kind} {item['name']} on {tname} is `{definition}`, expected `{item['definition']}`"
            )


def compare_sqlite(conn: Connection, expected: dict[str, Any] | None = None) -> Drift:
    """On SQLite only presence can be checked: every table and column must exist."""
    expected = expected or expected_facts()
    inspector = sa.inspect(conn)
    drift = Drift()
    present = set(inspector.get_table_names())
    for tname, want in expected["tables"].items():
        if tname not in present:
            drift.blocking.append(f"table {tname} is missing")
            continue
        have = {c["name"] for c in inspector.get_columns(tname)}
        for col in want["columns"]:
            if col["name"] not in have:
                drift.blocking.append(f"column {tname}.{col['name']} is missing")
    return drift
