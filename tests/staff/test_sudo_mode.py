"""Staff changes need a confirmation of who is making them (password or code) from the last
10 minutes, on every route and below the routes, and their audit rows name it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_login import current_user

from flick_admin.db import Auth, Session, TwoFactor
from flick_admin.db.base import utcnow
from flick_admin.refusals import NotAllowed
from flick_admin.staff import services
from tests import factories
from tests.conftest import audit_rows


def _confirm(client):
    assert client.post("/account/confirm", data={"code": factories.STAFF_PASSWORD}).status_code == 303


def _age_confirmation(dbs, user, minutes: int) -> None:
    ids = dbs.scalars(sa.select(Session.id).where(Session.user_id == user.id)).all()
    state = sa.table("admin_session_state", sa.column("session_id"), sa.column("confirmed_at"))
    dbs.execute(sa.update(state).where(state.c.session_id.in_(ids))
                .values(confirmed_at=utcnow() - timedelta(minutes=minutes)))
    dbs.commit()


def _staff_posts(app) -> list[str]:
    return sorted(r.endpoint for r in app.url_map.iter_rules()
                  if r.endpoint.startswith("staff.") and "POST" in r.methods)


def test_every_staff_change_route_asks_first(app, client, dbs, login_as):
    login_as("superadmin")
    target = factories.StaffFactory(role="moderator", two_factor_enabled=True)
    factories.TwoFactorFactory(user=target)
    endpoints = _staff_posts(app)
    assert "staff.reset_two_factor" in endpoints and len(endpoints) >= 8
    for endpoint in endpoints:
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        url = rule.rule.replace("<user_id>", target.id)
        response = client.post(url, data={"role": "admin", "colleges": "", "reason_text": "x",
                                          "email": "new@flick.test", "handover": "password"})
        assert response.status_code == 303 and response.headers["Location"].startswith("/account/confirm"), endpoint
    dbs.expire_all()
    assert dbs.get(Auth, target.id).role == "moderator" and dbs.get(Auth, target.id).banned is not True
    assert dbs.scalar(sa.select(sa.func.count()).select_from(Auth).where(Auth.email == "new@flick.test")) == 0


def test_a_confirmation_older_than_ten_minutes_is_asked_again(app, client, dbs, login_as):
    user = login_as("superadmin")
    target = factories.StaffFactory(role="moderator")
    _confirm(client)
    _age_confirmation(dbs, user, 9)
    assert client.post(f"/staff/{target.id}/role", data={"role": "auditor"}).headers["Location"] == "/staff/"
    _age_confirmation(dbs, user, 11)
    response = client.post(f"/staff/{target.id}/role", data={"role": "admin"}, headers={"Referer": "/staff/"})
    assert response.headers["Location"] == "/account/confirm?next=/staff/"
    dbs.expire_all()
    assert dbs.get(Auth, target.id).role == "auditor"


def test_the_change_names_the_confirmation_it_ran_under(app, client, dbs, login_as):
    login_as("superadmin")
    target = factories.StaffFactory(role="moderator")
    _confirm(client)
    (confirmed,) = audit_rows(dbs, action="admin:verified:otp")
    client.post(f"/staff/{target.id}/deactivate", data={"reason_text": "left"})
    (row,) = audit_rows(dbs, action="admin:deactivated:admin:account")
    assert row.metadata_["confirmed_at"][:16] == confirmed.occured_at.replace(tzinfo=None).isoformat()[:16]


def test_a_route_that_forgets_to_ask_is_refused_below_it(app, dbs):
    """Any code path that changes a staff account in a signed-in session (a future route,
    a revert) meets the same check where the audit row is written."""
    acting = factories.StaffFactory(role="superadmin")
    target = factories.StaffFactory(role="moderator")
    college = factories.CollegeFactory()
    token = factories.open_session_for(acting)
    cookie = f"{app.config['AUTH_COOKIE_NAME']}={token}"
    acting_id, target_id, domain = acting.id, target.id, college.email_domain  # read before the requests
    for change in (lambda: services.change_role(target_id, "admin"),
                   lambda: services.set_scope(target_id, domain),
                   lambda: services.deactivate(target_id, "gone"),
                   lambda: services.end_sessions(target_id),
                   lambda: services.create("x@flick.test", "auditor", None, "password")):
        with app.test_request_context("/", headers={"Cookie": cookie}):
            assert current_user.id == acting_id
            with pytest.raises(NotAllowed, match="older than 10 minutes"):
                change()
    dbs.expire_all()
    assert dbs.get(Auth, target.id).role == "moderator" and dbs.get(Auth, target.id).banned is not True
    assert audit_rows(dbs, entity_id=target.id) == []


def test_commands_are_not_asked(app, dbs):
    target = factories.StaffFactory(role="moderator")
    with app.test_request_context("/"):
        assert services.change_role(target.id, "auditor").changed


def test_resetting_a_members_second_factor(app, client, dbs, login_as):
    me = login_as("superadmin")
    target = factories.StaffFactory(role="admin", two_factor_enabled=True)
    factories.TwoFactorFactory(user=target)
    factories.open_session_for(target)
    _confirm(client)
    assert client.post(f"/staff/{target.id}/reset-two-factor").status_code == 303
    dbs.expire_all()
    assert dbs.get(Auth, target.id).two_factor_enabled is False
    assert dbs.scalar(sa.select(sa.func.count()).select_from(TwoFactor).where(TwoFactor.user_id == target.id)) == 0
    assert dbs.scalar(sa.select(sa.func.count()).select_from(Session).where(Session.user_id == target.id)) == 0
    (row,) = audit_rows(dbs, action="admin:reset:admin:two-factor")
    assert row.entity_id == target.id and row.after == {"two_factor_enabled": False}
    assert "confirmed_at" in row.metadata_
    # Not one's own (the account page replaces it, with the present code).
    assert client.post(f"/staff/{me.id}/reset-two-factor").status_code == 403
