"""The production-shaped servers (tests/resilience/servers.py), started once for the tests
that ask for ``stack`` and stopped at the end of the run.

They start four servers, so they run where asked to: in CI (``CI=true``, where a missing
server fails the run, as a missing Chromium does for the browser tests) or with
``FLICK_RUN_INFRA=1``; elsewhere they skip and say why."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.conftest import BACKEND
from tests.resilience.servers import Stack, missing

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
WANTED = IN_CI or os.environ.get("FLICK_RUN_INFRA", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    if BACKEND != "postgresql":
        pytest.skip("needs PostgreSQL (this run uses SQLite)")
    if not WANTED:
        pytest.skip("starts its own PostgreSQL primary and replica, PgBouncer and Redis: runs in CI "
                    "(CI=true) or with FLICK_RUN_INFRA=1")
    gaps = missing()
    if gaps:
        message = f"missing here: {', '.join(gaps)} (.ci/run installs them)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    servers = Stack()
    try:
        servers.start()
    except Exception:
        servers.stop()
        raise
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture
def running_stack(stack) -> Stack:
    """The stack, with anything an earlier fault test stopped started again."""
    stack.ensure_running()
    return stack


@pytest.fixture
def stack_database(running_stack) -> Iterator[str]:
    """An empty database on the stack's primary (its URL, direct, not through PgBouncer)."""
    import uuid

    import sqlalchemy as sa

    from flick_admin.db.quoting import ident

    name = f"flick_admin_stack_{uuid.uuid4().hex[:8]}"
    # No pool: a fault test restarts the server under it.
    admin = sa.create_engine(running_stack.primary.url(), isolation_level="AUTOCOMMIT",
                             poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {ident(name)}")
    try:
        yield running_stack.primary.url(name)
    finally:
        running_stack.ensure_running()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {ident(name)} WITH (FORCE)")
        admin.dispose()
