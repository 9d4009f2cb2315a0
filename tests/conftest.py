"""Test fixtures: one real database per run, migrated once; every test in a transaction
that is rolled back at its end.

``FLICK_TEST_DB=postgresql`` (the default) needs a PostgreSQL server: the run creates its
own database (``TEST_PG_ADMIN_URL`` says where, default the local server) and drops it at
the end. A missing server fails the run. ``FLICK_TEST_DB=sqlite`` runs the same suite on
a SQLite file; tests marked ``postgres_only`` skip there, with a reason.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import orm

from flick_admin.db.quoting import ident

BACKEND = os.environ.get("FLICK_TEST_DB", "postgresql").lower()
PG_ADMIN_URL = os.environ.get(
    "TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def pytest_report_header(config):
    return f"Flick Admin test database: {BACKEND}"


def pytest_collection_modifyitems(config, items):
    if BACKEND != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL (this run uses SQLite)")
        for item in items:
            if "postgres_only" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    if BACKEND == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/flick-admin-test.sqlite3"
        return
    if BACKEND != "postgresql":
        raise pytest.UsageError(f"FLICK_TEST_DB must be postgresql or sqlite, not {BACKEND!r}")
    name = f"flick_admin_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {ident(name)}")
    except sa.exc.OperationalError as exc:
        pytest.exit(f"PostgreSQL is required for this run and is not reachable: {exc}", 2)
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {ident(name)} WITH (FORCE)")
        admin.dispose()


def make_app(database_url: str, **overrides):
    from flick_admin import create_app

    settings = {
        "FLICK_ADMIN_ENV": "testing",
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": database_url,
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        # Tests check the overview's numbers right after seeding them.
        "OVERVIEW_CACHE_SECONDS": 0,
        "METRICS_CACHE_SECONDS": 0,
        # Throttling and the second factor have their own tests, which switch them on.
        "RATELIMIT_ENABLED": False,
        "REQUIRE_2FA_ROLES": "",
        # So is four-eyes (tests/team/test_four_eyes.py).
        "FOUR_EYES": "none",
        # And telling authors of their bans (tests/moderation/test_author_notifications.py):
        # tests that commit a ban for real would leave the author's notification behind.
        "NOTIFY_AUTHORS": False,
    }
    settings.update(overrides)
    return create_app(settings)


@pytest.fixture(scope="session")
def app(database_url):
    from flask_migrate import upgrade

    application = make_app(database_url)
    with application.app_context():
        upgrade(directory=application.extensions["migrate"].directory)
    yield application
    from flick_admin.extensions import db

    with application.app_context():
        db.engine.dispose()


class BoundSession(FlaskSession):
    """Flask-SQLAlchemy's session, but bound to the test's connection."""

    def get_bind(self, *args, **kwargs):
        return self.bind


@pytest.fixture
def connection(app) -> Iterator[sa.Connection]:
    """The test's connection; everything done through it is rolled back afterwards."""
    from flick_admin.extensions import db

    with app.app_context():
        engine = db.engine
    conn = engine.connect()
    outer = conn.begin()
    original = db.session
    db.session = db._make_scoped_session(
        {"bind": conn, "join_transaction_mode": "create_savepoint", "class_": BoundSession}
    )
    try:
        yield conn
    finally:
        with app.app_context():
            db.session.remove()
        db.session = original
        outer.rollback()
        conn.close()


@pytest.fixture
def dbs(connection) -> Iterator[orm.Session]:
    """A session for the test itself (factories, assertions), on the test's connection."""
    session = orm.Session(bind=connection, join_transaction_mode="create_savepoint")
    from tests import factories

    factories.bind(session)
    try:
        yield session
    finally:
        factories.bind(None)
        session.close()


@pytest.fixture
def client(app, connection):
    return app.test_client()


@pytest.fixture
def login_as(app, dbs, client):
    """``login_as("moderator")`` signs the test client in as a new staff member."""
    from tests import factories

    def sign_in(role: str, **traits):
        user = factories.StaffFactory(role=role, **traits)
        token = factories.open_session_for(user)
        client.set_cookie(app.config["AUTH_COOKIE_NAME"], token)
        return user

    return sign_in


@pytest.fixture
def scratch_database() -> Iterator[str]:
    """A second, empty PostgreSQL database for migration and adoption tests."""
    if BACKEND != "postgresql":
        pytest.skip("needs PostgreSQL (this run uses SQLite)")
    name = f"flick_admin_scratch_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {ident(name)}")
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {ident(name)} WITH (FORCE)")
        admin.dispose()


@pytest.fixture
def scratch_app(scratch_database):
    application = make_app(scratch_database)
    yield application
    from flick_admin.extensions import db

    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def count_queries(app):
    """``with count_queries() as counted: …`` then ``counted.n`` is the statements run."""
    from contextlib import contextmanager

    from flick_admin.extensions import db

    with app.app_context():
        engine = db.engine

    class Counter:
        n = 0
        statements: list[str] = []

    @contextmanager
    def counting():
        counter = Counter()
        counter.statements = []

        def on_execute(conn, cursor, statement, parameters, context, executemany):
            # SAVEPOINT bookkeeping belongs to the test harness, not to the page.
            if statement.split(" ", 1)[0] in {"SAVEPOINT", "RELEASE", "ROLLBACK"}:
                return
            counter.n += 1
            counter.statements.append(statement)

        sa.event.listen(engine, "before_cursor_execute", on_execute)
        try:
            yield counter
        finally:
            sa.event.remove(engine, "before_cursor_execute", on_execute)

    return counting


def audit_rows(dbs, **where):
    """The audit rows matching ``where`` (column=value), oldest first."""
    from flick_admin.db import Log

    dbs.expire_all()
    stmt = sa.select(Log).order_by(Log.occured_at, Log.id)
    for key, value in where.items():
        column = Log.metadata_ if key == "metadata" else getattr(Log, key)
        stmt = stmt.where(column == value)
    return dbs.scalars(stmt).all()


def purge_committed_audit(session, entity_ids) -> None:
    """Clean up audit rows a real-commit test wrote (logs is append-only on PostgreSQL;
    a purge transaction may delete)."""
    from flick_admin.db import Log
    from flick_admin.db.audit import AuditChainLink

    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL flick_admin.audit_purge = 'on'"))
    ids = [str(i) for i in entity_ids]
    log_ids = list(session.scalars(sa.select(Log.id).where(Log.entity_id.in_(ids))))
    session.execute(sa.delete(AuditChainLink).where(AuditChainLink.log_id.in_(log_ids)))
    session.execute(sa.delete(Log).where(Log.id.in_(log_ids)))
