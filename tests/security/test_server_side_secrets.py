"""The enrolment secret and the one-time handover (a generated password, an invite link)
stay on the server, encrypted, and are shown once: Flask's cookie is signed, not secret."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests import factories

CSRF_COOKIE = "flick_admin_csrf"


def cookie_text(app, client) -> str:
    """Everything Flask's cookie says, as anyone holding it can read it."""
    cookie = client.get_cookie(CSRF_COOKIE)
    if cookie is None:
        return ""
    return repr(app.session_interface.get_signing_serializer(app).loads(cookie.value))


def _rows(dbs) -> str:
    dbs.expire_all()
    return repr(dbs.execute(sa.text("SELECT enrolment, handover FROM admin_session_state")).all())


def test_the_enrolment_secret_is_not_in_the_cookie(app, client, dbs, login_as):
    login_as("moderator")
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'data-testid="secret">([A-Z2-7]+)<', page).group(1)
    assert secret not in cookie_text(app, client)
    assert secret not in _rows(dbs)  # encrypted on the server
    # The same secret on the next visit of this session (the app already scanned it).
    again = client.get("/account/two-factor").get_data(as_text=True)
    assert secret in again


def _superadmin(client, login_as):
    user = login_as("superadmin")
    assert client.post("/account/confirm", data={"code": factories.STAFF_PASSWORD}).status_code == 303
    return user


def test_a_generated_password_is_not_in_the_cookie_and_shown_once(app, client, dbs, login_as):
    _superadmin(client, login_as)
    response = client.post("/staff/new", data={"email": "gen@flick.test", "role": "auditor",
                                               "handover": "password"})
    assert response.status_code == 303
    assert "handover" not in cookie_text(app, client)
    page = client.get("/staff/").get_data(as_text=True)
    password = re.search(r'data-testid="handover".*?<code>([^<]+)</code>', page, re.S).group(1)
    assert password not in cookie_text(app, client) and password not in _rows(dbs)
    assert 'data-testid="handover"' not in client.get("/staff/").get_data(as_text=True)
    assert app.test_client().post("/login", data={"email": "gen@flick.test", "password": password}
                                  ).status_code == 303


def test_an_invite_link_is_not_in_the_cookie(app, client, dbs, login_as):
    _superadmin(client, login_as)
    target = factories.StaffFactory(role="moderator")
    assert client.post(f"/staff/{target.id}/reset", data={"handover": "invite"}).status_code == 303
    waiting, in_cookie = _rows(dbs), cookie_text(app, client)
    page = client.get("/staff/").get_data(as_text=True)
    token = re.search(r"/invite/([A-Za-z0-9_-]+)", page).group(1)
    assert token not in in_cookie and "/invite/" not in in_cookie
    assert token not in waiting


def test_a_handover_waits_for_the_session_that_made_it_only(app, client, dbs, login_as):
    user = _superadmin(client, login_as)
    other = app.test_client()
    other.set_cookie(app.config["AUTH_COOKIE_NAME"], factories.open_session_for(user))
    client.post("/staff/new", data={"email": "mine@flick.test", "role": "auditor", "handover": "password"})
    assert 'data-testid="handover"' not in other.get("/staff/").get_data(as_text=True)
    assert 'data-testid="handover"' in client.get("/staff/").get_data(as_text=True)
