"""SQL built from names goes through psycopg's ``sql`` module, never through string
formatting: an identifier is quoted (and its quotes doubled) by ``sql.Identifier``, a value
by ``sql.Literal``. The quoted text is valid on SQLite too (both use double quotes)."""

from __future__ import annotations

from psycopg import sql


def ident(*names: str) -> str:
    """``"name"`` (or ``"schema"."name"``), safely quoted, as text for DDL strings."""
    return sql.Identifier(*names).as_string(None)


def literal(value: object) -> str:
    return sql.Literal(value).as_string(None)


def idents(names) -> str:
    return ", ".join(ident(n) for n in names)


def compose(template: str, **names: str) -> sql.Composed:
    """``compose("SELECT count(*) FROM {table}", table=t)``: a statement psycopg runs as it is."""
    return sql.SQL(template).format(**{k: sql.Identifier(v) for k, v in names.items()})


def run(connection, statement: sql.Composable):
    """Run a composed statement on a SQLAlchemy connection's psycopg connection (in its
    transaction); returns the first row, if the statement returns rows."""
    with connection.connection.driver_connection.cursor() as cursor:
        cursor.execute(statement)
        return cursor.fetchone() if cursor.description else None
