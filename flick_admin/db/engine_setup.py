"""Per-dialect engine settings.

PostgreSQL: JIT compilation off for the dashboard's connections. The dashboard's
statements are short index walks, but correlated counts make the planner's cost estimates
large enough to cross ``jit_above_cost``; compiling then costs 10–15 ms for a query that
runs in 5 (measured on the colleges list sorted by size). Set ``POSTGRES_JIT=1`` to keep
the server's setting.

Behind PgBouncer in transaction pooling (``PGBOUNCER=1``) consecutive transactions of one
connection may run on different server connections, so nothing may outlive a transaction:
psycopg's server-side prepared statements are switched off (``prepare_threshold=None``),
and no startup option is sent (PgBouncer refuses them; set ``jit = off`` on the role
instead). Everything else Flick Admin sets is transaction-scoped already (``SET LOCAL``,
``pg_advisory_xact_lock``); a test keeps it so.

SQLite: foreign keys on (Flick's cascades must behave as on PostgreSQL) and real
transactions (pysqlite's own BEGIN handling breaks SAVEPOINTs, so the driver's is
switched off and SQLAlchemy emits BEGIN itself).
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from flick_admin.db.extension import db


def configure(app: Flask) -> None:
    with app.app_context():
        engines = list(db.engines.values())
    for engine in engines:
        if engine.dialect.name == "sqlite":
            configure_sqlite(engine)
        elif engine.dialect.name == "postgresql" and app.config.get("PGBOUNCER"):
            configure_pgbouncer(engine)
        elif engine.dialect.name == "postgresql" and not app.config.get("POSTGRES_JIT"):
            configure_postgresql(engine)


def configure_postgresql(engine: Engine) -> None:
    if getattr(engine, "_flick_admin_pg", False):
        return
    engine._flick_admin_pg = True  # type: ignore[attr-defined]

    @event.listens_for(engine, "do_connect")
    def _on_connect(_dialect, _record, _cargs, cparams):
        # A startup option of each new connection (no statement, nothing to commit).
        options = cparams.get("options", "")
        cparams["options"] = f"{options} -c jit=off".strip()


def configure_pgbouncer(engine: Engine) -> None:
    if getattr(engine, "_flick_admin_pgbouncer", False):
        return
    engine._flick_admin_pgbouncer = True  # type: ignore[attr-defined]

    @event.listens_for(engine, "do_connect")
    def _on_connect(_dialect, _record, _cargs, cparams):
        cparams["prepare_threshold"] = None
        cparams.pop("options", None)


def configure_sqlite(engine: Engine) -> None:
    if getattr(engine, "_flick_admin_sqlite", False):
        return
    engine._flick_admin_sqlite = True  # type: ignore[attr-defined]

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN")
