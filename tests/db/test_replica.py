"""The optional read replica: list pages read from it, writes never go to it.

The replica setting points at the test database itself, as the README describes for a
trial; the data is committed for real (a replica sees only committed rows) and removed
afterwards."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy import orm

from flick_admin.db import Auth, College, PlatformUser, Post
from flick_admin.db.replica import BIND, reader
from flick_admin.extensions import db
from tests import factories
from tests.conftest import make_app, purge_committed_audit


@pytest.fixture
def replica_app(app, database_url):  # `app` migrates the test database first
    with_replica = make_app(database_url, DATABASE_REPLICA_URL=database_url)
    yield with_replica
    with with_replica.app_context():
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def committed(replica_app):
    marker = uuid.uuid4().hex[:10]
    ids = {"college": uuid.uuid4(), "user": uuid.uuid4(), "post": uuid.uuid4(),
           "auth": f"replica-{marker}", "staff": f"replica-staff-{marker}"}
    with replica_app.app_context(), orm.Session(db.engine) as s:
        s.add(College(id=ids["college"], name=f"Replica {marker}", email_domain=f"{marker}.edu",
                      city="Pune", state="MH"))
        s.add(Auth(id=ids["auth"], name="r", email=f"{marker}@r.edu", role="user"))
        s.add(Auth(id=ids["staff"], name="m", email=f"mod-{marker}@r.edu", role="moderator"))
        s.flush()
        s.add(PlatformUser(id=ids["user"], auth_id=ids["auth"], username=f"replica_{marker}",
                           college_id=ids["college"]))
        s.flush()
        s.add(Post(id=ids["post"], title=f"replicated {marker}", content="x",
                   posted_by_id=ids["user"], topic="Ask Flick"))
        s.commit()
    ids["marker"] = marker
    try:
        yield ids
    finally:
        with replica_app.app_context(), orm.Session(db.engine) as s:
            purge_committed_audit(s, [ids["post"], ids["staff"]])
            s.execute(sa.delete(Auth).where(Auth.id.in_([ids["auth"], ids["staff"]])))
            s.execute(sa.delete(College).where(College.id == ids["college"]))
            s.commit()


def _sign_in(app, ids):
    from flick_admin.auth.sessions import SESSION_ID_PREFIX, token_digest
    from flick_admin.db import Session as DbSession
    from flick_admin.db.base import utcnow

    raw = uuid.uuid4().hex
    with app.app_context(), orm.Session(db.engine) as s:
        now = utcnow()
        s.add(DbSession(id=SESSION_ID_PREFIX + raw[:12], token=token_digest(raw), user_id=ids["staff"],
                        created_at=now, updated_at=now, expires_at=now + __import__("datetime").timedelta(hours=1)))
        s.commit()
    client = app.test_client()
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], raw)
    return client


def _watch(engine):
    seen: list[str] = []
    sa.event.listen(engine, "before_cursor_execute",
                    lambda conn, cur, statement, *a: seen.append(statement.split()[0].upper()))
    return seen


def test_list_pages_read_from_the_replica_and_writes_go_to_the_primary(replica_app, committed):
    app, ids = replica_app, committed
    client = _sign_in(app, ids)
    with app.app_context():
        primary, replica = db.engines[None], db.engines[BIND]
    on_replica, on_primary = _watch(replica), _watch(primary)
    page = client.get("/posts/", query_string={"q": f"replicated {ids['marker']}"})
    assert page.status_code == 200 and f"replicated {ids['marker']}" in page.get_data(as_text=True)
    assert "SELECT" in on_replica
    on_replica.clear()
    acted = client.post(f"/posts/{ids['post']}/act",
                        data={"action": "ban", "state": "b0s0", "reason_choice": "Spam or scam"})
    assert acted.status_code == 303
    assert "UPDATE" in on_primary and "INSERT" in on_primary
    assert not {"UPDATE", "INSERT", "DELETE"} & set(on_replica)
    with app.app_context(), orm.Session(db.engine) as s:
        assert s.get(Post, ids["post"]).is_banned is True


@pytest.mark.postgres_only
def test_the_replica_session_refuses_writes(replica_app, committed):
    with replica_app.test_request_context("/"):
        with pytest.raises(sa.exc.DBAPIError, match="read-only"):
            reader().execute(sa.update(Post).where(Post.id == committed["post"]).values(views=1))
        reader().rollback()


def test_without_the_setting_the_reader_is_the_primary_session(app, connection):
    with app.test_request_context("/"):
        assert reader() is db.session()
    assert factories  # the usual fixtures still apply to the primary
