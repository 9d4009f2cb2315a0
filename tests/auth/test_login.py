"""Staff sign-in and sign-out: sessions in Flick's ``session`` table, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from flick_admin.auth.sessions import SESSION_ID_PREFIX, token_digest
from flick_admin.db import Auth, Log, Session
from flick_admin.db.base import utcnow
from tests import factories
from tests.conftest import make_app

PASSWORD = factories.STAFF_PASSWORD


def _cookie(client, app):
    cookie = client.get_cookie(app.config["AUTH_COOKIE_NAME"])
    return cookie.value if cookie else None


def _logs(dbs, action):
    dbs.expire_all()
    return dbs.scalars(sa.select(Log).where(Log.action == action)).all()


def _sign_in(client, email, password=PASSWORD, **kw):
    return client.post("/login", data={"email": email, "password": password}, **kw)


@pytest.mark.parametrize("role", ["moderator", "admin", "superadmin", "auditor"])
def test_each_staff_role_signs_in_and_gets_an_opaque_session(app, client, dbs, role):
    user = factories.StaffFactory(role=role)
    response = _sign_in(client, user.email.upper(), headers={"User-Agent": "pytest-browser"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    token = _cookie(client, app)
    assert token and user.id not in token
    row = dbs.scalars(sa.select(Session).where(Session.user_id == user.id)).one()
    assert row.id.startswith(SESSION_ID_PREFIX)
    assert row.token == token_digest(token) and row.token != token
    assert row.expires_at > utcnow() and row.user_agent == "pytest-browser"
    (entry,) = _logs(dbs, "admin:logged:in:self")
    assert (entry.actor_id, entry.actor_type, entry.entity_type, entry.entity_id) == (
        user.id, role, "session", row.id)
    home = client.get("/")
    assert home.status_code == 200 and user.email.encode() in home.data


def test_wrong_password_and_unknown_email_get_the_same_message(app, client, dbs):
    user = factories.StaffFactory()
    wrong = _sign_in(client, user.email, "not the password")
    unknown = _sign_in(client, "nobody@flick.test")
    assert wrong.status_code == unknown.status_code == 401
    assert b"Wrong email or password." in wrong.data and b"Wrong email or password." in unknown.data
    assert _cookie(client, app) is None
    failures = _logs(dbs, "admin:failed:login:self")
    assert [f.entity_id for f in failures].count(user.id) == 1
    assert {f.actor_type for f in failures} == {"system"}
    assert dbs.scalar(sa.select(sa.func.count()).select_from(Session)) == 0


def test_students_cannot_sign_in_even_with_the_right_password(client, dbs):
    student = factories.AccountFactory(user=factories.AuthFactory(role="user")).user
    response = _sign_in(client, student.email)
    assert response.status_code == 401 and b"Wrong email or password." in response.data


def test_banned_staff_cannot_sign_in_but_an_expired_ban_is_over(client, dbs):
    banned = factories.StaffFactory(banned_forever=True)
    suspended = factories.StaffFactory(suspended=True)
    lapsed = factories.StaffFactory(ban_expired=True)
    assert _sign_in(client, banned.email).status_code == 401
    assert _sign_in(client, suspended.email).status_code == 401
    assert _sign_in(client, lapsed.email).status_code == 303


def test_ban_or_demotion_takes_effect_on_the_next_request(app, client, dbs, login_as):
    user = login_as("admin")
    assert client.get("/").status_code == 200
    dbs.execute(sa.update(Auth).where(Auth.id == user.id).values(banned=True))
    dbs.commit()
    assert client.get("/").status_code == 302
    dbs.execute(sa.update(Auth).where(Auth.id == user.id).values(banned=False, role="user"))
    dbs.commit()
    assert client.get("/").status_code == 302


def test_logout_deletes_the_session_row_and_is_audited(app, client, dbs):
    user = factories.StaffFactory(role="auditor")
    _sign_in(client, user.email)
    token = _cookie(client, app)
    response = client.post("/logout")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert dbs.scalar(sa.select(sa.func.count()).select_from(Session)
                      .where(Session.user_id == user.id)) == 0
    (entry,) = _logs(dbs, "admin:logged:out:self")
    assert entry.actor_id == user.id and entry.actor_type == "auditor"
    # The old token is dead even if replayed.
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], token)
    assert client.get("/").status_code == 302


def test_expired_sessions_and_flick_sessions_do_not_sign_in(app, client, dbs):
    user = factories.StaffFactory()
    token = factories.open_session_for(user, hours=-1)
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], token)
    assert client.get("/").status_code == 302
    # A session Flick's own server issued (token stored in clear) is not a dashboard one.
    flick = factories.SessionFactory(user=user)
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], flick.token)
    assert client.get("/").status_code == 302


def test_anonymous_visitors_are_sent_to_sign_in_and_back(app, client, dbs):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    user = factories.StaffFactory()
    back = _sign_in(client, user.email, query_string={"next": "/?tab=x"})
    assert back.headers["Location"] == "/?tab=x"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_sign_in_never_redirects_off_site(client, dbs, target):
    user = factories.StaffFactory()
    response = _sign_in(client, user.email, query_string={"next": target})
    assert response.headers["Location"] == "/"


def test_empty_form_is_a_clear_400(client, dbs):
    response = client.post("/login", data={})
    assert response.status_code == 400 and b"Enter your email and password." in response.data


def test_forms_need_a_csrf_token(database_url, connection, dbs):
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    user = factories.StaffFactory()
    response = _sign_in(client, user.email)
    assert response.status_code == 400
    assert dbs.scalar(sa.select(sa.func.count()).select_from(Session)) == 0
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    ok = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert ok.status_code == 303


def test_session_cookie_flags(app, client, dbs):
    user = factories.StaffFactory()
    response = _sign_in(client, user.email)
    header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header


def test_sessions_expire_after_the_configured_lifetime(app, client, dbs):
    user = factories.StaffFactory()
    _sign_in(client, user.email)
    row = dbs.scalars(sa.select(Session).where(Session.user_id == user.id)).one()
    lifetime = row.expires_at - row.created_at
    assert lifetime == timedelta(hours=app.config["SESSION_LIFETIME_HOURS"])
