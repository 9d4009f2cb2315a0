"""What an admin needs to know about the database, read with cheap catalog queries.

Each section is read on its own connection and may fail alone: a statistic the role may
not read shows as "not available" with the reason, never as an error page. Results are
kept for a short time so a refresh does not hammer the catalog.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy.engine import Connection, Engine

from flick_admin.db import schema_facts
from flick_admin.extensions import db

CACHE_SECONDS = 30
LONG_RUNNING_SECONDS = 30
IDLE_IN_TRANSACTION_SECONDS = 10
# A tally watermark further behind than this is worth a note (catch-up runs every minute).
TALLY_STALE_MINUTES = 30


@dataclass
class Section:
    title: str
    available: bool = True
    note: str = ""
    rows: list[dict[str, Any]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class Health:
    dialect: str
    sections: list[Section]
    read_at: float


def head_revision() -> str:
    migrate = current_app.extensions["migrate"]
    return ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory)).get_current_head()


def current_revision(conn: Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _section(engine: Engine, title: str, read) -> Section:
    section = Section(title)
    try:
        with engine.connect() as conn:
            read(conn, section)
    except sa.exc.DBAPIError as exc:
        section.available = False
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        section.note = f"not available: {reason}"
    return section


def _migrations(conn: Connection, section: Section) -> None:
    current, head = current_revision(conn), head_revision()
    drift = (schema_facts.compare(schema_facts.live_facts(conn)) if conn.dialect.name == "postgresql"
             else schema_facts.compare_sqlite(conn))
    section.facts = {"current revision": current or "none (not managed yet)", "head": head,
                     "at head": current == head, "schema matches": drift.ok}
    section.rows = ([{"difference": d, "blocks": True} for d in drift.blocking]
                    + [{"difference": d, "blocks": False} for d in drift.warnings])


def _connection(conn: Connection, section: Section) -> None:
    row = conn.execute(sa.text(
        "SELECT s.ssl, s.version, s.cipher, current_setting('server_version') AS server, "
        "current_user AS role, current_database() AS database "
        "FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()")).mappings().first()
    section.facts = {"encrypted (TLS)": bool(row["ssl"]), "TLS version": row["version"] or "—",
                     "cipher": row["cipher"] or "—", "server": row["server"], "role": row["role"],
                     "database": row["database"]}


def _activity(conn: Connection, section: Section) -> None:
    rows = conn.execute(sa.text("""
        SELECT pid, usename AS role, application_name, client_addr::text AS client, state,
               extract(epoch FROM now() - xact_start)::int AS transaction_seconds,
               extract(epoch FROM now() - query_start)::int AS query_seconds,
               left(query, 300) AS query
        FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()
          AND ((state = 'active' AND now() - query_start > make_interval(secs => :long))
               OR (state LIKE 'idle in transaction%' AND now() - state_change > make_interval(secs => :idle)))
        ORDER BY xact_start NULLS LAST LIMIT 50"""),
        {"long": LONG_RUNNING_SECONDS, "idle": IDLE_IN_TRANSACTION_SECONDS}).mappings().all()
    section.rows = [dict(r) for r in rows]
    if any(r["query"] == "<insufficient privilege>" for r in section.rows):
        section.note = ("Other roles' queries are hidden from this role; grant it pg_read_all_stats "
                        "to see them.")
    if not section.rows:
        section.note = section.note or (f"No statement running longer than {LONG_RUNNING_SECONDS} s and "
                                        f"no transaction idle longer than {IDLE_IN_TRANSACTION_SECONDS} s.")


def _statements(conn: Connection, section: Section) -> None:
    installed = conn.execute(sa.text(
        "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'")).scalar()
    if not installed:
        section.available = False
        section.note = ("pg_stat_statements is not enabled. Add it to shared_preload_libraries in "
                        "postgresql.conf, restart PostgreSQL, then run CREATE EXTENSION "
                        "pg_stat_statements in this database.")
        return
    rows = conn.execute(sa.text("""
        SELECT left(query, 200) AS query, calls, round(mean_exec_time::numeric, 2) AS mean_ms,
               round(total_exec_time::numeric, 0) AS total_ms, rows
        FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        ORDER BY mean_exec_time DESC LIMIT 10""")).mappings().all()
    section.rows = [dict(r) for r in rows]


def _indexes(conn: Connection, section: Section) -> None:
    unused = conn.execute(sa.text("""
        SELECT s.relname AS "table", s.indexrelname AS "index", s.idx_scan AS scans,
               pg_size_pretty(pg_relation_size(s.indexrelid)) AS size
        FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
        WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary
        ORDER BY pg_relation_size(s.indexrelid) DESC LIMIT 20""")).mappings().all()
    scanned = conn.execute(sa.text("""
        SELECT relname AS "table", seq_scan, seq_tup_read, idx_scan, n_live_tup AS rows
        FROM pg_stat_user_tables
        WHERE seq_scan > 0 AND n_live_tup > 10000
        ORDER BY seq_tup_read DESC LIMIT 10""")).mappings().all()
    section.rows = [{"kind": "unused index", **dict(r)} for r in unused]
    section.facts = {"big tables read by sequential scans": [dict(r) for r in scanned]}


def _tables(conn: Connection, section: Section) -> None:
    rows = conn.execute(sa.text("""
        SELECT c.relname AS "table", pg_size_pretty(pg_total_relation_size(c.oid)) AS size,
               greatest(c.reltuples, 0)::bigint AS rows_estimate, s.n_dead_tup AS dead_rows,
               s.last_autovacuum, s.last_autoanalyze
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
        WHERE n.nspname = 'public' AND c.relkind = 'r'
        ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 30""")).mappings().all()
    section.rows = [dict(r) for r in rows]


POSTGRES_ONLY = ("Connection", "Long-running and idle-in-transaction sessions",
                 "Slowest statements", "Index usage", "Tables")

def _tallies(conn: Connection, section: Section) -> None:
    """How far the running tallies are behind: pages stay exact either way, but count
    everything since the watermark live, so a tally left far behind makes them slower."""
    from flick_admin.db.base import utcnow
    from flick_admin.db.tallies import TallyWatermark

    now = utcnow()
    marks = dict(conn.execute(sa.select(TallyWatermark.name, TallyWatermark.through)).all())
    behind = []
    for name in sorted(marks):
        through = marks[name]
        if through is None:
            section.facts[f"{name} tallied through"] = "never (every row is counted live)"
            behind.append(name)
            continue
        minutes = max(0, int((now - through).total_seconds() // 60))
        section.facts[f"{name} tallied through"] = f"{through:%Y-%m-%d %H:%M} UTC ({minutes} min ago)"
        if minutes > TALLY_STALE_MINUTES:
            behind.append(name)
    if behind:
        section.note = ("Behind: run `flask --app wsgi tallies catch-up` from cron every minute, "
                        "and `tallies reconcile` daily (see the README's Operations).")


def _replica() -> Section | None:
    """The read replica, when one is configured: in use or not, and how far behind."""
    from flick_admin.db import replica

    status = replica.measure(current_app._get_current_object())
    if status is None:
        return None
    section = Section("Read replica", available=status.available)
    if status.available:
        section.note = "List pages read the replica (each staff member's own changes from the primary until replayed)."
    else:
        since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(status.down_since or time.time()))
        section.note = (f"Unavailable since {since}: list pages read the primary. {status.error}")
    behind = "unknown" if status.lag_bytes is None else f"{status.lag_bytes:,} bytes of WAL"
    if status.lag_seconds is not None:
        behind += f", last replayed transaction {status.lag_seconds:.1f} s old"
    section.facts = {"in use": status.available,
                     ("behind the primary" if status.available else "behind the primary when last seen"): behind}
    return section


_CACHE: dict[str, Health] = {}
_LOCK = threading.Lock()


def read(engine: Engine | None = None, *, fresh: bool = False) -> Health:
    engine = engine or db.engine
    key = engine.url.render_as_string(hide_password=True)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit and not fresh and time.monotonic() - hit.read_at < CACHE_SECONDS:
            return _with_flick_cache(hit)
    sections = [_section(engine, "Migrations and schema", _migrations),
                _section(engine, "Running tallies", _tallies)]
    if engine.dialect.name == "postgresql":
        sections += [
            _section(engine, "Connection", _connection),
            _section(engine, "Long-running and idle-in-transaction sessions", _activity),
            _section(engine, "Slowest statements", _statements),
            _section(engine, "Index usage", _indexes),
            _section(engine, "Tables", _tables),
        ]
    else:
        sections += [Section(title, available=False, note="Needs PostgreSQL; this database is SQLite.")
                     for title in POSTGRES_ONLY]
    replica = _replica()
    if replica is not None:
        sections.append(replica)
    health = Health(engine.dialect.name, sections, time.monotonic())
    with _LOCK:
        _CACHE[key] = health
    return _with_flick_cache(health)


def _when(seconds: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds)) if seconds else "never"


def _with_flick_cache(health: Health) -> Health:
    """Flick's cache versions (read live: this process's last bump, never cached)."""
    from flick_admin.moderation import flick_cache

    section = Section("Flick's cache")
    if not current_app.config.get("FLICK_CACHE_REDIS_URL"):
        section.note = ("FLICK_CACHE_REDIS_URL is not set: Flick's feeds show a decision when "
                        "Flick's cache entries expire (CACHE_TTL on Flick's server).")
    else:
        status = flick_cache.status()
        failing = bool(status.last_error_at and (status.last_ok_at or 0) < status.last_error_at)
        section.note = ("The last bump of Flick's cache versions failed; decisions are saved, but "
                        "Flick's feeds show them only when its cache entries expire."
                        if failing else "Decisions bump Flick's cache versions in Redis.")
        section.facts = {"last bump": _when(status.last_ok_at), "last error": _when(status.last_error_at),
                         "error": status.last_error or "none", "failed bumps": status.failures}
    return Health(health.dialect, [*health.sections, section], health.read_at)
