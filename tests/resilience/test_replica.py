"""A real streaming replica (hot standby, made with ``pg_basebackup -R``) that lags: list
pages read it, each moderator still sees their own action, a colleague acting on a stale
row gets a 409, and a replica that goes away costs a fallback to the primary, not an error."""

from __future__ import annotations

import time
import uuid

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import orm

from flick_admin.db import Log
from flick_admin.db.replica import BIND
from flick_admin.db.quoting import ident
from flick_admin.extensions import db
from tests import factories
from tests.conftest import make_app

pytestmark = pytest.mark.postgres_only
BAN = {"action": "ban", "state": "b0s0", "reason_choice": "Spam or scam"}


def _replayed(stack) -> None:
    """Wait until the replica has replayed everything the primary wrote so far."""
    primary = sa.create_engine(stack.primary.url(), isolation_level="AUTOCOMMIT")
    replica = sa.create_engine(stack.replica.url(), isolation_level="AUTOCOMMIT")
    try:
        with primary.connect() as p:
            target = p.scalar(sa.text("SELECT pg_current_wal_lsn()"))
        for _ in range(300):
            with replica.connect() as r:
                if r.scalar(sa.text("SELECT pg_last_wal_replay_lsn() >= CAST(:t AS pg_lsn)"), {"t": target}):
                    return
            time.sleep(0.05)
        raise AssertionError("the replica did not catch up")
    finally:
        primary.dispose()
        replica.dispose()


def _replay(stack, paused: bool) -> None:
    replica = sa.create_engine(stack.replica.url(), isolation_level="AUTOCOMMIT")
    with replica.connect() as r:
        r.execute(sa.text("SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()"))
    replica.dispose()


@pytest.fixture(scope="module")
def replicated(stack):
    """A Flick Admin database on the stack's primary, migrated, with staff; and an app whose
    list pages read the stack's replica."""
    stack.ensure_running()
    name = f"flick_admin_replica_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(stack.primary.url(), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {ident(name)}")
    app = make_app(stack.primary.url(name), DATABASE_REPLICA_URL=stack.replica.url(name),
                   REPLICA_RETRY_SECONDS=1, REPLICA_CONNECT_TIMEOUT=1)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        with orm.Session(db.engine) as s:
            factories.bind(s)
            try:
                staff = {role: factories.open_session_for(factories.StaffFactory(role=role))
                         for role in ("moderator", "admin")}
                staff["colleague"] = factories.open_session_for(factories.StaffFactory(role="moderator"))
            finally:
                factories.bind(None)
    _replayed(stack)
    try:
        yield app, staff
    finally:
        _replay(stack, paused=False) if stack.replica.running() else None
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {ident(name)} WITH (FORCE)")
        admin.dispose()


def _client(app, token):
    client = app.test_client()
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], token)
    return client


def _commit(app, make):
    with app.app_context(), orm.Session(db.engine) as s:
        factories.bind(s)
        try:
            return make()
        finally:
            factories.bind(None)


def _watch(app):
    with app.app_context():
        engine = db.engines[BIND]
    seen: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda conn, cur, statement, *a: seen.append(statement))
    return seen


def test_list_pages_read_the_replica_and_detail_pages_the_primary(running_stack, replicated):
    app, staff = replicated
    client = _client(app, staff["moderator"])
    marker = uuid.uuid4().hex[:10]
    _replay(running_stack, paused=True)
    try:
        post_id = _commit(app, lambda: factories.PostFactory(title=f"lagging {marker}").id)
        listed = client.get("/posts/", query_string={"q": "lagging"})
        assert listed.status_code == 200 and marker not in listed.get_data(as_text=True)
        detail = client.get(f"/posts/{post_id}")
        assert detail.status_code == 200 and marker in detail.get_data(as_text=True)
    finally:
        _replay(running_stack, paused=False)
    _replayed(running_stack)
    listed = client.get("/posts/", query_string={"q": "lagging"})
    assert marker in listed.get_data(as_text=True)


def test_a_moderator_sees_their_own_action_while_replay_is_paused(running_stack, replicated):
    app, staff = replicated
    me, colleague = _client(app, staff["moderator"]), _client(app, staff["colleague"])
    marker = uuid.uuid4().hex[:10]
    post_id = _commit(app, lambda: factories.ReportFactory(
        post=factories.PostFactory(title=f"reported {marker}")).post_id)
    _replayed(running_stack)
    assert marker in me.get("/reports/").get_data(as_text=True)
    on_replica = _watch(app)
    _replay(running_stack, paused=True)
    try:
        acted = me.post(f"/reports/post/{post_id}/act", data=BAN)
        assert acted.status_code == 303
        on_replica.clear()
        mine = me.get("/reports/")
        # My queue came from the primary (the replica has not replayed my ban) and no
        # longer lists the item as pending.
        assert mine.status_code == 200 and marker not in mine.get_data(as_text=True)
        assert not any("admin_" in s or "content_reports" in s for s in on_replica)
        # A colleague's queue still reads the replica, which still has it pending...
        stale = colleague.get("/reports/")
        assert marker in stale.get_data(as_text=True)
        # ...and acting on that stale row is a clean 409 (the primary decides), and the
        # same ban again is "already banned", not a second ban.
        other = colleague.post(f"/reports/post/{post_id}/act", data={**BAN, "action": "shadow_ban"})
        assert other.status_code == 409 and b"changed after you opened it" in other.data
        again = colleague.post(f"/reports/post/{post_id}/act", data=BAN)
        assert again.status_code == 303
    finally:
        _replay(running_stack, paused=False)
    with app.app_context(), orm.Session(db.engine) as s:
        bans = s.scalar(sa.select(sa.func.count()).select_from(Log).where(
            Log.entity_id == str(post_id), Log.action == "admin:blocked:content"))
    assert bans == 1
    _replayed(running_stack)
    assert marker not in colleague.get("/reports/").get_data(as_text=True)


def test_replica_down_falls_back_to_the_primary_and_returns(running_stack, replicated):
    app, staff = replicated
    client, admin = _client(app, staff["moderator"]), _client(app, staff["admin"])
    marker = uuid.uuid4().hex[:10]
    _commit(app, lambda: factories.PostFactory(title=f"fallback {marker}"))
    _replayed(running_stack)
    seen = admin.get("/metrics").get_data(as_text=True)  # measures the lag while it is up
    assert "flick_admin_replica_up 1.0" in seen and "flick_admin_replica_lag_bytes" in seen
    running_stack.replica.stop("immediate")
    try:
        for _ in range(2):
            listed = client.get("/posts/", query_string={"q": "fallback"})
            assert listed.status_code == 200 and marker in listed.get_data(as_text=True)
        health = admin.get("/health/", query_string={"fresh": "1"}).get_data(as_text=True)
        assert "Read replica" in health and "Unavailable since" in health
        assert "behind the primary when last seen" in health
        metrics = admin.get("/metrics").get_data(as_text=True)
        assert "flick_admin_replica_up 0.0" in metrics and "flick_admin_replica_lag_bytes" in metrics
    finally:
        running_stack.replica.start()
    time.sleep(1.2)  # REPLICA_RETRY_SECONDS
    on_replica = _watch(app)
    listed = client.get("/posts/", query_string={"q": "fallback"})
    assert listed.status_code == 200 and marker in listed.get_data(as_text=True)
    assert any("posts" in s for s in on_replica)
    assert "flick_admin_replica_up 1.0" in admin.get("/metrics").get_data(as_text=True)
