"""Strict-Transport-Security whenever cookies are Secure (production), and no copy of a
signed-in page (backup codes, a handover included) nor of the sign-in and invite pages in
any cache."""

from __future__ import annotations

import re

import pyotp

from tests import factories
from tests.conftest import make_app


def _signed_in(app, role="superadmin"):
    client = app.test_client()
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], factories.open_session_for(factories.StaffFactory(role=role)))
    return client


def test_hsts_when_cookies_are_secure(database_url, connection, dbs):
    app = make_app(database_url, COOKIE_SECURE="1")
    client = _signed_in(app)
    for url in ("/login", "/", "/account/", "/static/flick-admin.css"):
        response = client.get(url, base_url="https://admin.flick.example")
        hsts = response.headers.get("Strict-Transport-Security", "")
        assert re.fullmatch(r"max-age=(\d+); includeSubDomains", hsts) and int(hsts.split("=")[1].split(";")[0]) >= 31536000, url


def test_no_hsts_when_cookies_are_not_secure(app, client, dbs):
    assert not app.config["COOKIE_SECURE"]
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_signed_in_pages_are_not_stored(app, client, dbs, login_as):
    login_as("superadmin")
    for url in ("/", "/reports/", "/staff/", "/account/", "/account/two-factor", "/audit/"):
        assert client.get(url).headers.get("Cache-Control") == "no-store", url
    # The backup codes, shown once.
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'data-testid="secret">([A-Z2-7]+)<', page).group(1)
    codes = client.post("/account/two-factor", data={"action": "enable", "code": pyotp.TOTP(secret).now()})
    assert 'data-testid="backup-codes"' in codes.get_data(as_text=True)
    assert codes.headers.get("Cache-Control") == "no-store"


def test_the_handover_page_is_not_stored(app, client, dbs, login_as):
    login_as("superadmin")
    client.post("/account/confirm", data={"code": factories.STAFF_PASSWORD})
    client.post("/staff/new", data={"email": "cached@flick.test", "role": "auditor", "handover": "password"})
    page = client.get("/staff/")
    assert 'data-testid="handover"' in page.get_data(as_text=True)
    assert page.headers.get("Cache-Control") == "no-store"


def test_sign_in_and_invite_pages_are_not_stored_and_static_files_still_are(app, client, dbs):
    for url in ("/login", "/login/code", "/invite/not-a-token"):
        assert client.get(url).headers.get("Cache-Control") == "no-store", url
    css = client.get("/static/flick-admin.css")
    assert css.status_code == 200 and css.headers.get("Cache-Control") != "no-store"
