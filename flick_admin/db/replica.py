"""An optional read replica for the read-only list pages.

With ``DATABASE_REPLICA_URL`` set, list pages read through ``reader()``: a session on the
replica, opened read-only (on PostgreSQL the server itself refuses writes on it). Detail
pages, forms and every service keep using the primary, so a moderator always sees the
result of their own action on the page they come back to. Without the setting, ``reader()``
is simply the primary session.
"""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy.orm import Session

from flick_admin.db.extension import db

BIND = "replica"


def binds_for(url: str) -> dict[str, object]:
    options: dict[str, object] = {"url": url, "pool_pre_ping": True}
    if url.startswith("postgresql"):
        options["connect_args"] = {"options": "-c default_transaction_read_only=on"}
    return {BIND: options}


def reader() -> Session:
    if BIND not in db.engines:
        return db.session()
    if "replica_session" not in g:
        g.replica_session = Session(bind=db.engines[BIND], expire_on_commit=False)
    return g.replica_session


def init_app(app: Flask) -> None:
    @app.teardown_appcontext
    def close_replica_session(_exc) -> None:
        session = g.pop("replica_session", None)
        if session is not None:
            session.close()
