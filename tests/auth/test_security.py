"""Second factor, throttling, session lifetime and the security headers."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from flick_admin.db import Auth, Session, TwoFactor
from flick_admin.db.base import utcnow
from tests import factories
from tests.conftest import audit_rows, make_app

PASSWORD = factories.STAFF_PASSWORD


def next_code(secret: str) -> str:
    """The code of the next 30-second window: each window's code is accepted only once."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def enrol(client) -> tuple[str, list[str]]:
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "<svg" in page  # the QR code, drawn on the server
    secret = re.search(r'data-testid="secret">([A-Z2-7]+)<', page).group(1)
    done = client.post("/account/two-factor", data={"action": "enable", "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = re.findall(r"<li>([0-9a-f]{6}-[0-9a-f]{6})</li>", done.get_data(as_text=True))
    return secret, codes


def test_enrolment_stores_the_secret_and_hashed_backup_codes(client, dbs, login_as):
    user = login_as("moderator")
    secret, codes = enrol(client)
    assert len(codes) == 10
    dbs.expire_all()
    row = dbs.scalars(sa.select(TwoFactor).where(TwoFactor.user_id == user.id)).one()
    assert row.secret.startswith("fa1:") and secret not in row.secret  # encrypted at rest
    assert row.backup_codes.startswith("fa1:") and codes[0] not in row.backup_codes
    assert dbs.get(Auth, user.id).two_factor_enabled is True
    assert len(audit_rows(dbs, action="admin:enabled:two-factor")) == 1


def test_wrong_enrolment_code_is_refused(client, dbs, login_as):
    login_as("moderator")
    client.get("/account/two-factor")
    response = client.post("/account/two-factor", data={"action": "enable", "code": "000000"})
    assert response.status_code == 400
    assert dbs.scalar(sa.select(sa.func.count()).select_from(TwoFactor)) == 0


def test_sign_in_asks_for_the_code(app, client, dbs, login_as):
    user = login_as("admin")
    secret, codes = enrol(client)
    visitor = app.test_client()
    first = visitor.post("/login", data={"email": user.email, "password": PASSWORD})
    assert first.status_code == 303 and first.headers["Location"] == "/login/code"
    assert visitor.get_cookie(app.config["AUTH_COOKIE_NAME"]) is None  # no session yet
    assert visitor.post("/login/code", data={"code": "123456"}).status_code == 401
    ok = visitor.post("/login/code", data={"code": next_code(secret)})
    assert ok.status_code == 303 and visitor.get_cookie(app.config["AUTH_COOKIE_NAME"])
    login_rows = audit_rows(dbs, action="admin:logged:in:self")
    assert login_rows[-1].metadata_["second_factor"] == "totp"
    assert any(r.metadata_ and r.metadata_.get("step") == "second factor"
               for r in audit_rows(dbs, action="admin:failed:login:self"))
    # A backup code works once.
    other = app.test_client()
    other.post("/login", data={"email": user.email, "password": PASSWORD})
    assert other.post("/login/code", data={"code": codes[0]}).status_code == 303
    again = app.test_client()
    again.post("/login", data={"email": user.email, "password": PASSWORD})
    assert again.post("/login/code", data={"code": codes[0]}).status_code == 401


def test_a_code_is_accepted_once(app, client, dbs, login_as):
    user = login_as("admin")
    secret, _ = enrol(client)
    code = next_code(secret)
    first, second = app.test_client(), app.test_client()
    for visitor in (first, second):
        visitor.post("/login", data={"email": user.email, "password": PASSWORD})
    assert first.post("/login/code", data={"code": code}).status_code == 303
    assert second.post("/login/code", data={"code": code}).status_code == 401  # replayed
    # The enrolment code (an older window) cannot be used either.
    third = app.test_client()
    third.post("/login", data={"email": user.email, "password": PASSWORD})
    assert third.post("/login/code", data={"code": pyotp.TOTP(secret).at(time.time() - 30)}).status_code == 401


def test_the_code_page_without_a_password_first_goes_back_to_sign_in(client, dbs):
    assert client.get("/login/code").headers["Location"] == "/login"


def test_roles_that_must_enrol_are_sent_to_enrolment(database_url, connection, dbs):
    app = make_app(database_url, REQUIRE_2FA_ROLES="admin,superadmin")
    admin, moderator = factories.StaffFactory(role="admin"), factories.StaffFactory(role="moderator")
    client = app.test_client()
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], factories.open_session_for(admin))
    for url in ("/", "/posts/", "/colleges/"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"] == "/account/two-factor"
    assert client.get("/account/two-factor").status_code == 200
    free = app.test_client()
    free.set_cookie(app.config["AUTH_COOKIE_NAME"], factories.open_session_for(moderator))
    assert free.get("/posts/").status_code == 200


def test_the_enrolment_gate_costs_no_extra_statement(database_url, connection, dbs, count_queries):
    app = make_app(database_url, REQUIRE_2FA_ROLES="admin")
    admin, moderator = factories.StaffFactory(role="admin", two_factor_enabled=True), factories.StaffFactory()
    counts = []
    for user in (admin, moderator):
        client = app.test_client()
        client.set_cookie(app.config["AUTH_COOKIE_NAME"], factories.open_session_for(user))
        with count_queries() as counted:
            assert client.get("/posts/").status_code == 200
        counts.append(counted.n)
    assert counts[0] == counts[1], counts


def test_turning_the_second_factor_off(client, dbs, login_as):
    login_as("moderator")
    secret, _ = enrol(client)
    assert client.post("/account/two-factor", data={"action": "disable", "code": "999999"}).status_code == 400
    assert client.post("/account/two-factor", data={"action": "disable",
                                                    "code": next_code(secret)}).status_code == 303
    assert dbs.scalar(sa.select(sa.func.count()).select_from(TwoFactor)) == 0
    (row,) = audit_rows(dbs, action="admin:disabled:two-factor")
    assert row.after == {"two_factor_enabled": False}


# --- throttling --------------------------------------------------------------------------

def _throttled_app(database_url, **limits):
    return make_app(database_url, RATELIMIT_ENABLED=True, **limits)


def test_one_noisy_address_is_slowed_without_locking_others_out(database_url, connection, dbs):
    app = _throttled_app(database_url, LOGIN_LIMIT_PER_ADDRESS="3 per minute")
    user = factories.StaffFactory()
    noisy, calm = app.test_client(), app.test_client()
    noisy_addr, calm_addr = {"REMOTE_ADDR": "198.51.100.66"}, {"REMOTE_ADDR": "198.51.100.7"}
    for _ in range(3):
        assert noisy.post("/login", data={"email": "x@y.z", "password": "guess"},
                          environ_base=noisy_addr).status_code == 401
    blocked = noisy.post("/login", data={"email": user.email, "password": PASSWORD}, environ_base=noisy_addr)
    assert blocked.status_code == 429 and b"Too many requests" in blocked.data
    ok = calm.post("/login", data={"email": user.email, "password": PASSWORD}, environ_base=calm_addr)
    assert ok.status_code == 303


def test_guessing_one_account_from_many_addresses_is_slowed(database_url, connection, dbs):
    app = _throttled_app(database_url, LOGIN_LIMIT_PER_ACCOUNT="2 per minute")
    victim, other = factories.StaffFactory(), factories.StaffFactory()
    for n in range(2):
        app.test_client().post("/login", data={"email": victim.email, "password": "guess"},
                               environ_base={"REMOTE_ADDR": f"203.0.113.{n}"})
    blocked = app.test_client().post("/login", data={"email": victim.email, "password": PASSWORD},
                                     environ_base={"REMOTE_ADDR": "203.0.113.99"})
    assert blocked.status_code == 429
    fine = app.test_client().post("/login", data={"email": other.email, "password": PASSWORD},
                                  environ_base={"REMOTE_ADDR": "203.0.113.1"})
    assert fine.status_code == 303


def test_successful_sign_ins_do_not_count(database_url, connection, dbs):
    app = _throttled_app(database_url, LOGIN_LIMIT_PER_ADDRESS="2 per minute")
    user = factories.StaffFactory()
    for _ in range(4):
        assert app.test_client().post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 303


def test_throttling_state_can_live_in_redis(database_url, connection, dbs):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    scope = "redis://127.0.0.1:6379/15"
    app = _throttled_app(database_url, RATELIMIT_STORAGE_URI=scope, LOGIN_LIMIT_PER_ADDRESS="1 per minute")
    address = {"REMOTE_ADDR": f"192.0.2.{__import__('random').randint(1, 250)}"}
    app.test_client().post("/login", data={"email": "a@b.c", "password": "x"}, environ_base=address)
    # A second worker (another app) sees the same counter.
    twin = _throttled_app(database_url, RATELIMIT_STORAGE_URI=scope, LOGIN_LIMIT_PER_ADDRESS="1 per minute")
    assert twin.test_client().post("/login", data={"email": "a@b.c", "password": "x"},
                                   environ_base=address).status_code == 429


# --- sessions ----------------------------------------------------------------------------

def test_idle_sessions_end(app, client, dbs):
    user = factories.StaffFactory()
    token = factories.open_session_for(user)
    dbs.execute(sa.update(Session).where(Session.user_id == user.id)
                .values(updated_at=utcnow() - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)))
    dbs.commit()
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], token)
    assert client.get("/").status_code == 302


def test_activity_keeps_a_session_alive(app, client, dbs):
    user = factories.StaffFactory()
    token = factories.open_session_for(user)
    old = utcnow() - timedelta(minutes=5)
    dbs.execute(sa.update(Session).where(Session.user_id == user.id).values(updated_at=old))
    dbs.commit()
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], token)
    assert client.get("/").status_code == 200
    dbs.expire_all()
    assert dbs.scalar(sa.select(Session.updated_at).where(Session.user_id == user.id)) > old


def test_own_sessions_list_revoke_and_sign_out_everywhere(app, client, dbs, login_as):
    user = login_as("moderator")
    laptop = app.test_client()
    laptop.post("/login", data={"email": user.email, "password": PASSWORD},
                headers={"User-Agent": "Laptop Browser"}, environ_base={"REMOTE_ADDR": "192.0.2.8"})
    page = client.get("/account/").get_data(as_text=True)
    assert "Laptop Browser" in page and "192.0.2.8" in page and "this one" in page
    other_id = re.search(r'/account/sessions/([^/]+)/revoke', page).group(1)
    assert client.post(f"/account/sessions/{other_id}/revoke").status_code == 303
    assert laptop.get("/").status_code == 302
    (revoked,) = audit_rows(dbs, action="admin:revoked:own:session")
    assert revoked.entity_id == other_id and revoked.metadata_["user_agent"] == "Laptop Browser"
    assert client.post("/account/sessions/fa_not-mine/revoke").status_code == 404
    assert client.post("/account/sign-out-everywhere").status_code == 303
    assert client.get("/").status_code == 302
    assert len(audit_rows(dbs, action="admin:logged:out:everywhere")) == 1


# --- headers -----------------------------------------------------------------------------

def test_security_headers_and_no_inline_script(client, dbs, login_as):
    login_as("superadmin")
    for url in ("/", "/reports/", "/posts/", "/audit/", "/staff/", "/account/two-factor", "/login"):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        page = response.get_data(as_text=True)
        inline = [m for m in re.findall(r"<script\b[^>]*>", page) if "src=" not in m]
        assert inline == [], (url, inline)


def test_cookies_are_secure_over_https(client, dbs):
    user = factories.StaffFactory()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD},
                           base_url="https://admin.flick.example")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_enabling_without_an_enrolment_in_progress_is_a_clear_400(client, dbs, login_as):
    login_as("moderator")  # never opened the enrolment page: no secret in the session
    response = client.post("/account/two-factor", data={"action": "enable", "code": "123456"})
    assert response.status_code == 400 and "open the page again" in response.get_data(as_text=True)
    assert dbs.scalar(sa.select(sa.func.count()).select_from(TwoFactor)) == 0
