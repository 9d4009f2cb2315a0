"""Session renewal: signing in (and the second-factor step) issues new identifiers, and a
role change or deactivation ends the member's other sessions at once."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.auth.test_security import PASSWORD, enrol, next_code
from tests.conftest import audit_rows, make_app

PLANTED = {"csrf_token": "a-token-the-attacker-knows", "planted": "by someone else"}


def _plant(client) -> None:
    with client.session_transaction() as state:
        state.update(PLANTED)


def _state(client) -> dict:
    with client.session_transaction() as state:
        return dict(state)


def test_password_sign_in_starts_a_new_client_session(app, dbs):
    user = factories.StaffFactory(role="moderator")
    visitor = app.test_client()
    visitor.set_cookie(app.config["AUTH_COOKIE_NAME"], "a-token-from-before")
    _plant(visitor)
    response = visitor.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303
    state = _state(visitor)
    assert not set(PLANTED) & set(state), state
    token = visitor.get_cookie(app.config["AUTH_COOKIE_NAME"]).value
    assert token != "a-token-from-before"
    assert visitor.get("/").status_code == 200


def test_both_steps_of_a_second_factor_sign_in_renew_it(app, client, dbs, login_as):
    user = login_as("admin")
    secret, _ = enrol(client)
    visitor = app.test_client()
    _plant(visitor)
    assert visitor.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 303
    state = _state(visitor)
    assert not set(PLANTED) & set(state) and "pending_2fa" in state
    _plant(visitor)  # planted between the two steps
    assert visitor.post("/login/code", data={"code": next_code(secret)}).status_code == 303
    state = _state(visitor)
    assert not set(PLANTED) & set(state) and "pending_2fa" not in state
    assert visitor.get("/").status_code == 200


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'type="hidden" name="csrf_token" value="([^"]+)"', page)
    return found.group(1)


def test_a_csrf_token_from_before_sign_in_is_refused_after_it(database_url, connection, dbs):
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    user = factories.StaffFactory(role="moderator")
    visitor = app.test_client()
    before = _csrf(visitor.get("/login").get_data(as_text=True))
    signed = visitor.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": before})
    assert signed.status_code == 303
    assert visitor.post("/logout", data={"csrf_token": before}).status_code == 400
    after = _csrf(visitor.get("/").get_data(as_text=True))
    assert after != before
    assert visitor.post("/logout", data={"csrf_token": after}).status_code == 303


@pytest.fixture
def superadmin_client(app, dbs):
    boss = factories.StaffFactory(role="superadmin")
    other = app.test_client()
    assert other.post("/login", data={"email": boss.email, "password": PASSWORD}).status_code == 303
    assert other.post("/account/confirm", data={"code": PASSWORD}).status_code == 303
    return other


def _signed_in_member(app, role="moderator"):
    member = factories.StaffFactory(role=role)
    mine = app.test_client()
    assert mine.post("/login", data={"email": member.email, "password": PASSWORD}).status_code == 303
    assert mine.get("/").status_code == 200
    return member, mine


def test_a_role_change_ends_the_members_sessions_at_once(app, dbs, superadmin_client):
    member, mine = _signed_in_member(app)
    second = app.test_client()
    second.post("/login", data={"email": member.email, "password": PASSWORD})
    changed = superadmin_client.post(f"/staff/{member.id}/role", data={"role": "auditor"})
    assert changed.status_code == 303
    for client in (mine, second):
        page = client.get("/")
        assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    (row,) = audit_rows(dbs, action="admin:updated:admin:account")
    assert row.metadata_["sessions_ended"] == 2
    assert superadmin_client.get("/staff/").status_code == 200  # the superadmin's own stays


def test_deactivation_ends_the_members_sessions_at_once(app, dbs, superadmin_client):
    member, mine = _signed_in_member(app, role="admin")
    done = superadmin_client.post(f"/staff/{member.id}/deactivate", data={"reason_text": "Left the team"})
    assert done.status_code == 303
    page = mine.get("/")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    assert mine.post("/login", data={"email": member.email, "password": PASSWORD}).status_code == 401
