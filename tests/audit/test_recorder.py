"""The audit recorder: who, from where, in which request, in the action's own unit —
and when the audit row cannot be written, the action does not happen."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from flick_admin.audit.actions import AuditAction
from flick_admin.audit.context import Actor, parse_request_id
from flick_admin.audit.recorder import record
from flick_admin.auth.services import create_staff
from flick_admin.db import Auth, Log, Session
from flick_admin.db.enums import EntityType
from flick_admin.db.transaction import NoUnitOfWork, transaction
from flick_admin.refusals import InvalidInput
from tests import factories
from tests.conftest import make_app


def _login_row(dbs) -> Log:
    dbs.expire_all()
    return dbs.scalars(sa.select(Log).where(Log.action == "admin:logged:in:self")).one()


def _sign_in(client, user, **kw):
    return client.post("/login", data={"email": user.email, "password": factories.STAFF_PASSWORD}, **kw)


def test_row_carries_actor_request_and_client_facts(client, dbs):
    user = factories.StaffFactory(role="admin")
    rid = str(uuid.uuid4())
    response = _sign_in(client, user, headers={"X-Request-Id": rid, "User-Agent": "Firefox/140"},
                        environ_base={"REMOTE_ADDR": "203.0.113.9"})
    row = _login_row(dbs)
    # The request id is the server's own; the client's is kept only for tracing.
    assert str(row.request_id) == response.headers["X-Request-Id"] != rid
    assert str(row.ip_address) == "203.0.113.9"
    assert row.user_agent == "Firefox/140"
    assert (row.actor_id, row.actor_type) == (user.id, "admin")
    assert row.metadata_ == {"label": user.email, "client_request_id": rid,
                             "unit_id": row.metadata_["unit_id"]}
    assert uuid.UUID(row.metadata_["unit_id"])


def test_a_reused_client_request_id_never_groups_rows_of_two_requests(client, dbs, login_as):
    login_as("moderator")
    first, second = factories.PostFactory(), factories.PostFactory()
    rid = str(uuid.uuid4())
    for post in (first, second):
        client.post(f"/posts/{post.id}/act", headers={"X-Request-Id": rid},
                    data={"action": "ban", "reason_choice": "Spam or scam"})
    rows = [r for r in dbs.scalars(sa.select(Log).where(Log.action == "admin:blocked:content"))]
    assert len(rows) == 2
    assert rows[0].request_id != rows[1].request_id
    assert rows[0].metadata_["unit_id"] != rows[1].metadata_["unit_id"]
    assert {r.metadata_["client_request_id"] for r in rows} == {rid}


@pytest.mark.parametrize("bad", ["not-a-uuid", "'; drop table logs; --", "x" * 500])
def test_malformed_request_id_is_replaced_not_fatal(client, dbs, bad):
    user = factories.StaffFactory()
    response = _sign_in(client, user, headers={"X-Request-Id": bad})
    assert response.status_code == 303
    row = _login_row(dbs)
    assert str(row.request_id) == response.headers["X-Request-Id"] != bad
    assert "client_request_id" not in row.metadata_


def test_forwarded_for_is_ignored_without_trusted_proxies(client, dbs):
    user = factories.StaffFactory()
    _sign_in(client, user, headers={"X-Forwarded-For": "198.51.100.7"},
             environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert str(_login_row(dbs).ip_address) == "10.1.2.3"


def test_forwarded_for_is_honoured_behind_the_configured_proxies(database_url, connection, dbs):
    app = make_app(database_url, TRUSTED_PROXY_COUNT=1)
    user = factories.StaffFactory()
    _sign_in(app.test_client(), user, headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.7"},
             environ_base={"REMOTE_ADDR": "10.1.2.3"})
    # With one trusted proxy, the client is the last address it appended.
    assert str(_login_row(dbs).ip_address) == "198.51.100.7"


@pytest.mark.parametrize("header", ["garbage", "999.1.1.1", "", ",,,"])
def test_malformed_forwarded_for_falls_back_to_the_peer(database_url, connection, dbs, header):
    app = make_app(database_url, TRUSTED_PROXY_COUNT=1)
    user = factories.StaffFactory()
    response = _sign_in(app.test_client(), user, headers={"X-Forwarded-For": header},
                        environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 303
    assert str(_login_row(dbs).ip_address) == "10.1.2.3"


def test_missing_user_agent_still_writes_the_row(app, dbs):
    user = factories.StaffFactory()
    client = app.test_client()
    client.environ_base.pop("HTTP_USER_AGENT", None)
    response = _sign_in(client, user)
    assert response.status_code == 303
    assert _login_row(dbs).user_agent is None


def test_long_user_agent_is_truncated(client, dbs):
    user = factories.StaffFactory()
    _sign_in(client, user, headers={"User-Agent": "A" * 5000})
    assert len(_login_row(dbs).user_agent) == 512


def test_record_refuses_to_run_outside_a_unit(app):
    with app.test_request_context("/"), pytest.raises(NoUnitOfWork):
        record(AuditAction.STAFF_LOGGED_OUT, entity_type=EntityType.SESSION)


def test_record_rejects_actions_outside_the_vocabulary(app, connection):
    with app.test_request_context("/"), pytest.raises(ValueError), transaction():
        record("admin:did:whatever", entity_type=EntityType.POST)


def test_rows_outside_a_request_are_system_rows(app, dbs):
    with app.app_context(), transaction():
        row = record(AuditAction.STAFF_CREATED_BY_SYSTEM, entity_type=EntityType.AUTH,
                     entity_id="abc", after={"when": uuid.UUID(int=1)}, actor=Actor.system())
        assert (row.actor_type, row.ip_address, row.request_id) == ("system", None, None)
        assert row.after == {"when": "00000000-0000-0000-0000-000000000001"}


def test_parse_request_id_accepts_only_uuids():
    known = uuid.uuid4()
    assert parse_request_id(str(known)) == known
    assert parse_request_id("nope") is None and parse_request_id(None) is None


# --- fault injection: the audit insert fails --------------------------------------------

@pytest.fixture
def audit_insert_fails(connection):
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "CREATE FUNCTION test_audit_unavailable() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit store unavailable'; END $$")
        connection.exec_driver_sql(
            "CREATE TRIGGER test_audit_unavailable BEFORE INSERT ON logs "
            "FOR EACH ROW EXECUTE FUNCTION test_audit_unavailable()")
    else:
        connection.exec_driver_sql(
            "CREATE TRIGGER test_audit_unavailable BEFORE INSERT ON logs "
            "BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END")
    # Both are undone with the test's transaction.


def test_sign_in_does_not_happen_when_its_audit_row_cannot_be_written(
        app, client, dbs, audit_insert_fails):
    user = factories.StaffFactory()
    response = _sign_in(client, user)
    assert response.status_code == 503
    assert b"nothing was changed" in response.data
    assert b"Traceback" not in response.data
    assert client.get_cookie(app.config["AUTH_COOKIE_NAME"]) is None
    dbs.expire_all()
    assert dbs.scalar(sa.select(sa.func.count()).select_from(Session)) == 0


def test_staff_creation_is_undone_when_its_audit_row_fails(app, dbs, audit_insert_fails):
    with app.app_context(), pytest.raises(sa.exc.DatabaseError):
        create_staff("newmod@flick.test", "moderator", "a long enough password")
    dbs.expire_all()
    assert dbs.scalar(sa.select(Auth).where(Auth.email == "newmod@flick.test")) is None


def test_create_staff_validates_input(app, dbs):
    with app.app_context():
        for args in [("not-an-email", "moderator", "long enough pass"),
                     ("a@b.co", "owner", "long enough pass"),
                     ("a@b.co", "moderator", "short")]:
            with pytest.raises(InvalidInput):
                create_staff(*args)
