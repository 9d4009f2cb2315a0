"""Flick Admin behind PgBouncer in transaction pooling: consecutive transactions of one
client connection run on whichever server connection is free, so nothing may outlive a
transaction. With ``PGBOUNCER=1`` psycopg prepares nothing on the server and no startup
option is sent; the code keeps every setting and advisory lock transaction-scoped (checked
here by reading it); and the load test and the concurrency tests run through PgBouncer."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.resilience.load import ROOT, check_trail, gunicorn, run_load, seed, statuses

PACKAGE = Path(__file__).resolve().parents[2] / "flick_admin"
SECONDS = min(float(os.environ.get("FLICK_LOAD_SECONDS", "60")), 20)
CONCURRENCY_TESTS = ["tests/moderation/test_concurrency.py", "tests/colleges/test_concurrency.py",
                     "tests/moderation/test_tallies_concurrency.py", "tests/moderation/test_claims.py",
                     "tests/audit/test_chain.py"]

# What would outlive a transaction on a pooled server connection.
SESSION_STATE = [
    (re.compile(r"\bSET\s+(?!LOCAL\b)(?!NULL\b)(?!DEFAULT\b)[a-z_.]+\s*(=|TO\b)", re.I), "a session-level SET"),
    (re.compile(r"pg_(try_)?advisory_(un)?lock(_shared)?\s*\(", re.I), "a session-level advisory lock"),
    (re.compile(r"\b(LISTEN|PREPARE|DECLARE\s+\w+\s+(\w+\s+)*CURSOR\s+WITH\s+HOLD)\b"), "session state"),
    (re.compile(r"\bset_config\s*\([^)]*,\s*(false|FALSE)\s*\)"), "a session-level set_config"),
]


def test_nothing_the_code_sets_outlives_its_transaction():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.lstrip().startswith("#"):
                continue
            for pattern, what in SESSION_STATE:
                if pattern.search(line):
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {what}: {line.strip()}")
    assert found == []


def test_the_lint_above_would_see_session_state():
    samples = ['sa.text("SET statement_timeout = 5000")', "SELECT pg_advisory_lock(1)",
               "SELECT pg_try_advisory_lock(1)", "SELECT set_config('x', 'y', false)"]
    for sample in samples:
        assert any(p.search(sample) for p, _ in SESSION_STATE), sample
    for fine in ['SET LOCAL work_mem = \'64MB\'', "SELECT pg_advisory_xact_lock(1)", 'ondelete="SET NULL"']:
        assert not any(p.search(fine) for p, _ in SESSION_STATE), fine


@pytest.mark.postgres_only
def test_pgbouncer_mode_prepares_nothing_and_sends_no_startup_option(running_stack, stack_database):
    from tests.conftest import make_app
    from flick_admin.extensions import db

    name = sa.engine.make_url(stack_database).database
    app = make_app(running_stack.bouncer_url(name), PGBOUNCER="1")
    with app.app_context():
        engine = db.engine
        seen = []
        sa.event.listen(engine, "do_connect", lambda d, r, a, kw: seen.append(dict(kw)), insert=False)
        with engine.connect() as conn:
            for _ in range(20):  # psycopg would prepare after 5 on a direct connection
                conn.execute(sa.text("SELECT count(*) FROM pg_class WHERE relname = :n"), {"n": "x"})
                conn.commit()
            assert conn.connection.dbapi_connection.prepare_threshold is None
            assert conn.scalar(sa.text("SELECT count(*) FROM pg_prepared_statements")) == 0
        engine.dispose()
    assert seen and all("options" not in kw for kw in seen)


@pytest.mark.postgres_only
def test_load_test_through_pgbouncer_in_transaction_pooling(running_stack, stack_database):
    name = sa.engine.make_url(stack_database).database
    through = running_stack.bouncer_url(name)
    seeded = seed(through, PGBOUNCER="1")  # the migrations run through it too
    with gunicorn(through, PGBOUNCER="1") as (base, _server):
        sent = run_load(base, seeded, SECONDS)
    counted = statuses(sent)
    assert sum(counted.values()) > 50, counted
    assert set(counted) <= {303, 409}, counted
    check_trail(stack_database, seeded, sent)


@pytest.mark.postgres_only
def test_concurrency_tests_through_pgbouncer(running_stack):
    """The concurrency tests (claims, colleges' domain lock, batches, tallies, the audit
    chain's advisory lock), run as they are with their database behind PgBouncer."""
    env = {**os.environ, "FLICK_TEST_DB": "postgresql", "PGBOUNCER": "1",
           "TEST_PG_ADMIN_URL": running_stack.bouncer_url("postgres")}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                           *CONCURRENCY_TESTS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert re.search(r"\d+ passed", done.stdout), done.stdout[-2000:]


@pytest.mark.postgres_only
def test_the_prepared_statement_trap_is_real_and_avoided(running_stack, stack_database):
    """Two clients through PgBouncer share one server connection in turn: psycopg's
    default (prepare after 5 runs) breaks there; ``prepare_threshold=None`` does not."""
    import psycopg

    name = sa.engine.make_url(stack_database).database
    dsn = f"host=127.0.0.1 port={running_stack.bouncer_port} user=postgres dbname={name}"

    def alternate(**options):
        first, second = (psycopg.connect(dsn, autocommit=True, **options) for _ in range(2))
        try:
            for _ in range(8):
                for conn in (first, second):
                    conn.execute("SELECT count(*) FROM pg_class WHERE relname = %s", ["x"]).fetchone()
        finally:
            first.close()
            second.close()

    with pytest.raises(psycopg.errors.ProgrammingError, match="prepared statement"):
        alternate()
    alternate(prepare_threshold=None)
