"""Per-dialect engine settings.

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
