"""Replacing or removing a second factor needs the current one; an enrolment secret belongs
to one member's one session, kept on the server; enrolling is no confirmation."""

from __future__ import annotations

import re
import time

import pyotp
import sqlalchemy as sa

from flick_admin.db import Auth, TwoFactor
from tests import factories
from tests.auth.test_security import PASSWORD, enrol, next_code
from tests.conftest import audit_rows

CSRF_COOKIE = "flick_admin_csrf"  # Flask's own (signed, readable) cookie


def _stored(dbs, user) -> tuple[str, str]:
    dbs.expire_all()
    row = dbs.scalars(sa.select(TwoFactor).where(TwoFactor.user_id == user.id)).one()
    return row.secret, row.backup_codes


def _shown_secret(page: str) -> str:
    return re.search(r'data-testid="secret">([A-Z2-7]+)<', page).group(1)


def _client_of(app, user):
    client = app.test_client()
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], factories.open_session_for(user))
    return client


def test_a_foreign_cookie_with_an_enrolment_secret_does_not_replace_a_factor(app, client, dbs, login_as):
    victim = login_as("admin")
    enrol(client)
    before = _stored(dbs, victim)
    # Another (unenrolled) member opens the enrolment page: their secret is on the page.
    attacker = _client_of(app, factories.StaffFactory(role="moderator"))
    secret = _shown_secret(attacker.get("/account/two-factor").get_data(as_text=True))
    # The victim's stolen session cookie, with the attacker's own Flask cookie beside it.
    thief = _client_of(app, victim)
    thief.set_cookie(app.config["AUTH_COOKIE_NAME"], client.get_cookie(app.config["AUTH_COOKIE_NAME"]).value)
    own = attacker.get_cookie(CSRF_COOKIE)
    if own is not None:
        thief.set_cookie(CSRF_COOKIE, own.value)
    response = thief.post("/account/two-factor", data={"action": "enable", "code": pyotp.TOTP(secret).now()})
    assert response.status_code == 400
    assert _stored(dbs, victim) == before
    assert len(audit_rows(dbs, action="admin:enabled:two-factor", entity_id=victim.id)) == 1


def test_an_enrolment_secret_of_one_session_does_not_work_in_another(app, dbs):
    member = factories.StaffFactory(role="moderator")
    first, second = _client_of(app, member), _client_of(app, member)
    secret = _shown_secret(first.get("/account/two-factor").get_data(as_text=True))
    carried = first.get_cookie(CSRF_COOKIE)
    if carried is not None:
        second.set_cookie(CSRF_COOKIE, carried.value)
    response = second.post("/account/two-factor", data={"action": "enable", "code": pyotp.TOTP(secret).now()})
    assert response.status_code == 400
    dbs.expire_all()
    assert dbs.get(Auth, member.id).two_factor_enabled is not True
    # In its own session it works.
    assert first.post("/account/two-factor", data={"action": "enable",
                                                   "code": pyotp.TOTP(secret).now()}).status_code == 200


def test_replacing_a_factor_needs_a_code_of_the_present_one(app, client, dbs, login_as):
    user = login_as("admin")
    old_secret, _ = enrol(client)
    before = _stored(dbs, user)
    page = client.get("/account/two-factor?replace=1").get_data(as_text=True)
    new_secret = _shown_secret(page)
    assert new_secret != old_secret
    for current in ("", "000000", "aaaaaa-bbbbbb"):
        refused = client.post("/account/two-factor?replace=1", data={
            "action": "enable", "current_code": current, "code": pyotp.TOTP(new_secret).now()})
        assert refused.status_code == 400
        assert _stored(dbs, user) == before
    done = client.post("/account/two-factor?replace=1", data={
        "action": "enable", "current_code": next_code(old_secret), "code": pyotp.TOTP(new_secret).now()})
    assert done.status_code == 200 and 'data-testid="backup-codes"' in done.get_data(as_text=True)
    assert _stored(dbs, user) != before
    rows = audit_rows(dbs, action="admin:enabled:two-factor", entity_id=user.id)
    assert rows[-1].before == {"two_factor_enabled": True} and rows[-1].metadata_["replaced"] is True
    # The old app's codes no longer sign in; the new one's do.
    visitor = app.test_client()
    visitor.post("/login", data={"email": user.email, "password": PASSWORD})
    assert visitor.post("/login/code", data={"code": pyotp.TOTP(old_secret).at(time.time() + 60)}
                        ).status_code == 401
    assert visitor.post("/login/code", data={"code": next_code(new_secret)}).status_code == 303


def test_a_backup_code_replaces_a_factor_once(app, client, dbs, login_as):
    user = login_as("moderator")
    _, codes = enrol(client)
    new_secret = _shown_secret(client.get("/account/two-factor?replace=1").get_data(as_text=True))
    done = client.post("/account/two-factor?replace=1", data={
        "action": "enable", "current_code": codes[0], "code": pyotp.TOTP(new_secret).now()})
    assert done.status_code == 200
    assert dbs.get(Auth, user.id).two_factor_enabled is True


def test_enrolling_is_not_a_confirmation_for_staff_changes(app, client, dbs, login_as):
    login_as("superadmin")  # signed in, never confirmed in this session
    target = factories.StaffFactory(role="moderator")
    enrol(client)
    response = client.post(f"/staff/{target.id}/role", data={"role": "admin"}, headers={"Referer": "/staff/"})
    assert response.status_code == 303 and response.headers["Location"].startswith("/account/confirm")
    dbs.expire_all()
    assert dbs.get(Auth, target.id).role == "moderator"
    assert audit_rows(dbs, action="admin:updated:admin:account") == []


def test_replacing_with_the_present_code_confirms(app, client, dbs, login_as):
    login_as("superadmin")
    old_secret, _ = enrol(client)
    target = factories.StaffFactory(role="moderator")
    new_secret = _shown_secret(client.get("/account/two-factor?replace=1").get_data(as_text=True))
    client.post("/account/two-factor?replace=1", data={
        "action": "enable", "current_code": next_code(old_secret), "code": pyotp.TOTP(new_secret).now()})
    assert client.post(f"/staff/{target.id}/role", data={"role": "admin"}).headers["Location"] == "/staff/"
