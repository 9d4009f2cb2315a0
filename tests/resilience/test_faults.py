"""Faults: the database connection dies in the middle of an action, and the database goes
away and comes back. Real commits on PostgreSQL, in a scratch database."""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa
from flask_migrate import upgrade
import pytest
from sqlalchemy import orm

from flick_admin.db import ContentReport, Log, Post
from flick_admin.extensions import db
from tests import factories
from tests.conftest import make_app
from tests.resilience.proxy import Proxy

pytestmark = pytest.mark.postgres_only


def _seed(app):
    """A superadmin with a dashboard session, and a reported post; committed."""
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        with orm.Session(db.engine) as s:
            factories.bind(s)
            try:
                staff = factories.StaffFactory(role="superadmin")
                post = factories.PostFactory()
                report = factories.ReportFactory(post=post)
                token = factories.open_session_for(staff)
                return {"token": token, "post": post.id, "report": report.id}
            finally:
                factories.bind(None)


def _state(app, ids):
    with app.app_context(), db.engine.connect() as conn:
        banned = conn.scalar(sa.select(Post.is_banned).where(Post.id == ids["post"]))
        status = conn.scalar(sa.select(ContentReport.status).where(ContentReport.id == ids["report"]))
        rows = conn.scalar(sa.select(sa.func.count()).select_from(Log).where(
            Log.action.in_(["admin:blocked:content", "admin:updated:report:status"])))
    return banned, status, rows


def test_connection_killed_mid_action_leaves_nothing_half_written(scratch_database):
    app = make_app(scratch_database)
    ids = _seed(app)
    client = app.test_client()
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], ids["token"])
    with app.app_context():
        engine = db.engine
    killer = sa.create_engine(scratch_database, isolation_level="AUTOCOMMIT")
    fired = []

    def kill_on_update(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE posts") and not fired:
            fired.append(True)
            pid = conn.connection.dbapi_connection.info.backend_pid
            with killer.connect() as other:
                other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    sa.event.listen(engine, "before_cursor_execute", kill_on_update)
    try:
        response = client.post(f"/posts/{ids['post']}/act",
                               data={"action": "ban", "state": "b0s0", "reason_choice": "Spam or scam"})
    finally:
        sa.event.remove(engine, "before_cursor_execute", kill_on_update)
    assert fired and response.status_code == 503
    assert b"nothing was changed" in response.data.lower() or b"Database unavailable" in response.data
    assert _state(app, ids) == (False, "pending", 0)
    retry = client.post(f"/posts/{ids['post']}/act",
                        data={"action": "ban", "state": "b0s0", "reason_choice": "Spam or scam"})
    assert retry.status_code == 303
    assert _state(app, ids) == (True, "resolved", 2)
    killer.dispose()
    with app.app_context():
        db.engine.dispose()


def test_database_down_gives_an_honest_page_and_the_app_recovers(scratch_database):
    url = sa.engine.make_url(scratch_database)
    proxy = Proxy(url.port or 5432)
    try:
        app = make_app(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
                       SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True,
                                                  "connect_args": {"connect_timeout": 2}})
        ids = _seed(app)
        client = app.test_client()
        client.set_cookie(app.config["AUTH_COOKIE_NAME"], ids["token"])
        assert client.get("/posts/").status_code == 200
        proxy.down()
        for path in ("/posts/", "/", f"/posts/{ids['post']}"):
            response = client.get(path)
            assert response.status_code == 503, path
            assert b"Database unavailable" in response.data
        acted = client.post(f"/posts/{ids['post']}/act",
                            data={"action": "ban", "state": "b0s0", "reason_choice": "Spam or scam"})
        assert acted.status_code == 503
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200
        proxy.restore()
        assert client.get("/posts/").status_code == 200
        assert client.get("/readyz").status_code == 200
        assert _state(app, ids) == (False, "pending", 0)  # the attempt while down wrote nothing
        with app.app_context():
            db.engine.dispose()
    finally:
        proxy.close()


def _terminate(killer, pid) -> None:
    """End a backend the way a restart does, and wait until it is gone."""
    with killer.connect() as other:
        other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        for _ in range(200):
            if not other.execute(sa.text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"),
                                 {"pid": pid}).first():
                return
            time.sleep(0.01)


def _signed_in(app, ids):
    client = app.test_client()
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], ids["token"])
    return client


BAN = {"action": "ban", "state": "b0s0", "reason_choice": "Spam or scam"}


def test_a_connection_lost_at_the_end_of_request_rollback_gives_the_503_page(scratch_database, caplog):
    """The page was built; then the backend died (a restart) before the end-of-request
    rollback. That rollback's failure is logged and answered with the 503 page, never with
    the WSGI server's bare "Internal Server Error"."""
    app = make_app(scratch_database, SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True})
    ids = _seed(app)
    killer = sa.create_engine(scratch_database, isolation_level="AUTOCOMMIT")
    killing = []

    @app.after_request
    def restart_the_database_now(response):
        if killing:
            _terminate(killer, db.session.connection().connection.dbapi_connection.info.backend_pid)
        return response

    client = _signed_in(app, ids)
    try:
        assert client.get("/posts/").status_code == 200
        killing.append(True)
        with caplog.at_level(logging.ERROR):
            response = client.get("/posts/")
        text = response.get_data(as_text=True)
        assert response.status_code == 503
        assert "Database unavailable" in text and "could not be loaded" in text
        assert "Internal Server Error" not in text
        assert any("end of the request" in r.getMessage() for r in caplog.records)
        killing.clear()
        assert client.get("/posts/").status_code == 200  # the next request gets a fresh connection
    finally:
        killer.dispose()
        with app.app_context():
            db.engine.dispose()


def test_a_page_that_cannot_load_after_a_saved_action_does_not_claim_nothing_changed(scratch_database):
    url = sa.engine.make_url(scratch_database)
    proxy = Proxy(url.port or 5432)
    try:
        app = make_app(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
                       SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True,
                                                  "connect_args": {"connect_timeout": 2}})
        ids = _seed(app)
        client = _signed_in(app, ids)
        acted = client.post(f"/posts/{ids['post']}/act", data=BAN)
        assert acted.status_code == 303  # saved, with its audit row
        proxy.down()
        page = client.get(acted.headers["Location"])
        text = page.get_data(as_text=True)
        assert page.status_code == 503
        assert "nothing was changed" not in text.lower()
        assert "could not be loaded" in text and "may have been saved" in text
        assert 'href="/audit/?mine=1"' in text
        proxy.restore()
        mine = client.get("/audit/?mine=1")
        assert mine.status_code == 200 and "banned" in mine.get_data(as_text=True)
        assert _state(app, ids) == (True, "resolved", 2)
        with app.app_context():
            db.engine.dispose()
    finally:
        proxy.close()


def test_a_commit_cut_off_says_the_action_may_or_may_not_have_been_saved(scratch_database):
    """The connection dies as COMMIT is sent: Flick Admin cannot know whether it was saved,
    so the 503 page must not say that nothing was changed."""
    app = make_app(scratch_database)
    ids = _seed(app)
    client = _signed_in(app, ids)
    with app.app_context():
        engine = db.engine
    killer = sa.create_engine(scratch_database, isolation_level="AUTOCOMMIT")
    acting, fired = [], []

    def note_the_action(conn, cursor, statement, *_):
        if statement.startswith("UPDATE posts"):
            acting.append(True)

    def kill_at_commit(conn):
        if acting and not fired:
            fired.append(True)
            _terminate(killer, conn.connection.dbapi_connection.info.backend_pid)

    sa.event.listen(engine, "before_cursor_execute", note_the_action)
    sa.event.listen(engine, "commit", kill_at_commit)
    try:
        response = client.post(f"/posts/{ids['post']}/act", data=BAN)
    finally:
        sa.event.remove(engine, "before_cursor_execute", note_the_action)
        sa.event.remove(engine, "commit", kill_at_commit)
    text = response.get_data(as_text=True)
    assert fired and response.status_code == 503
    assert "nothing was changed" not in text.lower()
    assert "may or may not have been saved" in text and 'href="/audit/?mine=1"' in text
    killer.dispose()
    with app.app_context():
        db.engine.dispose()


def test_a_connection_lost_right_after_the_commit_never_reports_a_saved_action_as_lost(scratch_database):
    """The action committed; then the backend died before the request ended. The answer is
    its redirect, never "nothing was changed"."""
    from flask_sqlalchemy.session import Session as AppSession

    app = make_app(scratch_database)
    ids = _seed(app)
    client = _signed_in(app, ids)
    with app.app_context():
        engine = db.engine
    killer = sa.create_engine(scratch_database, isolation_level="AUTOCOMMIT")
    acting, fired = [], []

    def note_the_action(conn, cursor, statement, *_):
        if statement.startswith("UPDATE posts"):
            acting.append(conn.connection.dbapi_connection.info.backend_pid)

    def kill_after_commit(_session):
        if acting and not fired:
            fired.append(True)
            _terminate(killer, acting[0])

    sa.event.listen(engine, "before_cursor_execute", note_the_action)
    sa.event.listen(AppSession, "after_commit", kill_after_commit)
    try:
        response = client.post(f"/posts/{ids['post']}/act", data=BAN)
    finally:
        sa.event.remove(engine, "before_cursor_execute", note_the_action)
        sa.event.remove(AppSession, "after_commit", kill_after_commit)
        killer.dispose()
    assert fired and response.status_code == 303
    assert _state(app, ids) == (True, "resolved", 2)
    assert client.get(response.headers["Location"]).status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_the_app_context_teardown_never_raises_on_a_dead_connection(scratch_database, caplog):
    """Whatever still holds a transaction when the app context ends (here a read in a
    teardown_request hook, on a connection that then dies): the teardown logs it and the
    response stands; nothing escapes to the WSGI server."""
    app = make_app(scratch_database)
    ids = _seed(app)
    killer = sa.create_engine(scratch_database, isolation_level="AUTOCOMMIT")
    killing = []

    @app.teardown_request
    def late_read_then_restart(_exc):
        if killing:
            db.session.execute(sa.text("SELECT 1"))
            _terminate(killer, db.session.connection().connection.dbapi_connection.info.backend_pid)

    client = _signed_in(app, ids)
    try:
        killing.append(True)
        with caplog.at_level(logging.ERROR):
            response = client.get("/posts/")
        assert response.status_code == 200
        assert any("end of the request" in r.getMessage() for r in caplog.records)
        killing.clear()
        assert client.get("/posts/").status_code == 200
    finally:
        killer.dispose()
        with app.app_context():
            db.engine.dispose()
