"""Confirming who one is, turning the second factor off and changing one's password are
throttled with the sign-in's limits, per member and per address: a stolen session cannot
guess a password or a code without bound."""

from __future__ import annotations

import random

import sqlalchemy as sa

from flick_admin.db import Auth, TwoFactor
from tests import factories
from tests.auth.test_security import enrol, next_code
from tests.conftest import audit_rows, make_app


def _address() -> dict:
    return {"REMOTE_ADDR": f"198.51.100.{random.randint(1, 254)}"}


def _signed_in(app, user, address):
    client = app.test_client()
    client.environ_base.update(address)
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], factories.open_session_for(user))
    return client


def test_confirming_is_throttled_per_member(database_url, connection, dbs):
    app = make_app(database_url, RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_ACCOUNT="3 per minute")
    member, other = factories.StaffFactory(role="superadmin"), factories.StaffFactory(role="superadmin")
    # Guesses from two sessions at two addresses add up for the member.
    first, second = _signed_in(app, member, _address()), _signed_in(app, member, {"REMOTE_ADDR": "203.0.113.9"})
    for client in (first, second, first):
        assert client.post("/account/confirm", data={"code": "guess"}).status_code == 401
    blocked = second.post("/account/confirm", data={"code": factories.STAFF_PASSWORD})
    assert blocked.status_code == 429 and "Too many" in blocked.get_data(as_text=True)
    assert len(audit_rows(dbs, action="admin:verified:otp")) == 0  # the right password did not count
    # Another member is not locked out.
    assert _signed_in(app, other, _address()).post(
        "/account/confirm", data={"code": factories.STAFF_PASSWORD}).status_code == 303


def test_confirming_is_throttled_per_address(database_url, connection, dbs):
    app = make_app(database_url, RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_ADDRESS="3 per minute")
    address = _address()
    members = [factories.StaffFactory(role="admin") for _ in range(4)]
    for member in members[:3]:
        assert _signed_in(app, member, address).post("/account/confirm", data={"code": "guess"}).status_code == 401
    assert _signed_in(app, members[3], address).post(
        "/account/confirm", data={"code": factories.STAFF_PASSWORD}).status_code == 429
    assert _signed_in(app, members[3], {"REMOTE_ADDR": "192.0.2.77"}).post(
        "/account/confirm", data={"code": factories.STAFF_PASSWORD}).status_code == 303


def test_successful_confirmations_do_not_count(database_url, connection, dbs):
    app = make_app(database_url, RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_ACCOUNT="2 per minute")
    client = _signed_in(app, factories.StaffFactory(), _address())
    for _ in range(4):
        assert client.post("/account/confirm", data={"code": factories.STAFF_PASSWORD}).status_code == 303


def test_turning_the_second_factor_off_is_throttled(database_url, connection, dbs):
    app = make_app(database_url, RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_ACCOUNT="3 per minute")
    member = factories.StaffFactory(role="moderator")
    client = _signed_in(app, member, _address())
    secret, _ = enrol(client)
    for _ in range(3):
        assert client.post("/account/two-factor", data={"action": "disable", "code": "000000"}).status_code == 400
    blocked = client.post("/account/two-factor", data={"action": "disable", "code": next_code(secret)})
    assert blocked.status_code == 429
    dbs.expire_all()
    assert dbs.get(Auth, member.id).two_factor_enabled is True
    assert dbs.scalar(sa.select(sa.func.count()).select_from(TwoFactor).where(TwoFactor.user_id == member.id)) == 1


def test_confirm_and_two_factor_off_share_one_count(database_url, connection, dbs):
    app = make_app(database_url, RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_ACCOUNT="3 per minute")
    member = factories.StaffFactory(role="moderator")
    client = _signed_in(app, member, _address())
    secret, _ = enrol(client)
    client.post("/account/two-factor", data={"action": "disable", "code": "000000"})
    client.post("/account/confirm", data={"code": "000000"})
    client.post("/account/password", data={"current": "guess", "password": "x" * 12, "repeat": "x" * 12})
    assert client.post("/account/confirm", data={"code": next_code(secret)}).status_code == 429
