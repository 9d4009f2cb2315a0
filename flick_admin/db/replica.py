"""An optional read replica for the read-only list pages, with read-your-writes.

With ``DATABASE_REPLICA_URL`` set, list pages read through ``reader()``: a session on the
replica, opened read-only (on PostgreSQL the server itself refuses writes on it). Detail
pages, forms and every service keep using the primary.

A streaming replica lags. So that a moderator always sees their own action, the commit of
each unit of work remembers the primary's WAL position in the staff member's client
session; a list page reads the replica only once it has replayed past that position
(``pg_last_wal_replay_lsn()``), and the primary until then. A colleague's pages may show
the older state until replay catches up; acting on it is then a 409 from the primary.

A replica that does not answer within ``REPLICA_CONNECT_TIMEOUT`` seconds is marked
unavailable for ``REPLICA_RETRY_SECONDS``: list pages read the primary meanwhile, and the
health page and ``/metrics`` say so, with how far behind it was when last seen. Without
the setting, ``reader()`` is simply the primary session.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, session as client_session
from sqlalchemy.orm import Session

from flick_admin.db.extension import db

BIND = "replica"
LSN_KEY = "wal_lsn"  # the client-session key holding the staff member's last commit position
log = logging.getLogger("flick_admin.replica")


def binds_for(url: str, *, connect_timeout: int = 2) -> dict[str, object]:
    options: dict[str, object] = {"url": url, "pool_pre_ping": True}
    if url.startswith("postgresql"):
        options["connect_args"] = {"options": "-c default_transaction_read_only=on",
                                   "connect_timeout": connect_timeout}
    return {BIND: options}


def lsn_value(lsn: str) -> int:
    high, low = lsn.split("/")
    return (int(high, 16) << 32) | int(low, 16)


@dataclass
class Status:
    """What this worker knows of the replica."""

    available: bool = True
    down_since: float | None = None  # wall-clock time of the first failure
    retry_at: float = 0.0  # monotonic time of the next attempt while unavailable
    error: str = ""
    lag_bytes: int | None = None  # replay behind the primary, when last measured
    lag_seconds: float | None = None
    measured_at: float | None = None  # wall-clock time of that measurement


class Tracker:
    def __init__(self, retry_seconds: float):
        self.retry_seconds = retry_seconds
        self.status = Status()
        self._lock = threading.Lock()

    def usable(self) -> bool:
        with self._lock:
            return self.status.available or time.monotonic() >= self.status.retry_at

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            was = self.status.available
            self.status.available = False
            self.status.down_since = self.status.down_since or time.time()
            self.status.retry_at = time.monotonic() + self.retry_seconds
            self.status.error = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
        if was:
            log.warning("Read replica unavailable, list pages read the primary: %s", self.status.error)

    def answered(self) -> None:
        with self._lock:
            was = self.status.available
            self.status.available, self.status.down_since, self.status.error = True, None, ""
        if not was:
            log.warning("Read replica available again; list pages read it")

    def measured(self, lag_bytes: int | None, lag_seconds: float | None) -> None:
        with self._lock:
            self.status.lag_bytes, self.status.lag_seconds = lag_bytes, lag_seconds
            self.status.measured_at = time.time()


def tracker(app: Flask | None = None) -> Tracker | None:
    return (app or current_app).extensions.get("flick_admin.replica")


def reader() -> Session:
    if BIND not in db.engines:
        return db.session()
    if "replica_session" not in g:
        if g.get("reader_on_primary"):
            return db.session()
        replica = _replica_session()
        if replica is None:
            g.reader_on_primary = True
            return db.session()
        g.replica_session = replica
    return g.replica_session


def _replica_session() -> Session | None:
    """A session on the replica when it answers and has replayed this staff member's last
    commit; None to read the primary."""
    track = tracker()
    if track is None or not track.usable():
        return None
    replica = Session(bind=db.engines[BIND], expire_on_commit=False)
    wanted = client_session.get(LSN_KEY) if has_request_context() else None
    try:
        if wanted and replica.get_bind().dialect.name == "postgresql":
            replayed = replica.execute(sa.text("SELECT pg_last_wal_replay_lsn()::text")).scalar()
            # NULL: the server is not a standby (the setting points at a primary).
            if replayed is not None and lsn_value(replayed) < lsn_value(wanted):
                replica.close()
                return None
            client_session.pop(LSN_KEY, None)
        else:
            replica.connection()  # connects (and pings) now, so a dead replica falls back here
    except sa.exc.DBAPIError as exc:
        replica.close()
        if exc.connection_invalidated or isinstance(exc, sa.exc.OperationalError):
            track.failed(exc)
            return None
        raise
    track.answered()
    return replica


def remember_commit(session: Session) -> None:
    """After a unit of work commits: keep the primary's WAL position for this staff member,
    so their next list page waits for the replica to have it (or reads the primary)."""
    if BIND not in db.engines or not has_request_context():
        return
    if session.get_bind().dialect.name != "postgresql":
        return
    try:
        client_session[LSN_KEY] = session.execute(
            sa.text("SELECT pg_current_wal_insert_lsn()::text")).scalar()
    except sa.exc.DBAPIError:
        # The action is committed and must be reported so; only the routing hint is lost.
        session.rollback()
        client_session.pop(LSN_KEY, None)


def measure(app: Flask) -> Status | None:
    """Ask the replica how far behind it is (for the health page and /metrics)."""
    track = tracker(app)
    if track is None:
        return None
    try:
        with db.engines[BIND].connect() as conn:
            standby, replayed, seconds = conn.execute(sa.text(
                "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,"
                " EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())")).one()
        lag_bytes = None
        if standby and replayed is not None:
            with db.engine.connect() as conn:
                current = conn.scalar(sa.text("SELECT pg_current_wal_lsn()::text"))
            lag_bytes = max(lsn_value(current) - lsn_value(replayed), 0)
        elif not standby:
            lag_bytes, seconds = 0, 0.0
        track.measured(lag_bytes, float(seconds) if seconds is not None else None)
        track.answered()
    except sa.exc.DBAPIError as exc:
        track.failed(exc)
    return track.status


def init_app(app: Flask) -> None:
    from flick_admin.db.transaction import after_commit_hooks

    if remember_commit not in after_commit_hooks:
        after_commit_hooks.append(remember_commit)
    if BIND in app.config.get("SQLALCHEMY_BINDS", {}):
        app.extensions["flick_admin.replica"] = Tracker(float(app.config.get("REPLICA_RETRY_SECONDS", 10)))

        with app.app_context():
            engine = db.engines[BIND]

        @sa.event.listens_for(engine, "handle_error")
        def _lost(context):
            # The replica went away in the middle of a page: the next pages read the primary.
            if context.is_disconnect:
                app.extensions["flick_admin.replica"].failed(context.original_exception)

    @app.teardown_appcontext
    def close_replica_session(_exc) -> None:
        session = g.pop("replica_session", None)
        if session is not None:
            session.close()
