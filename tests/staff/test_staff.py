"""Staff management by superadmins, behind a fresh second factor (or password)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from flick_admin.auth.passwords import verify_password
from flick_admin.db import Account, Auth, Session
from tests import factories
from tests.conftest import audit_rows


@pytest.fixture
def superadmin(client, login_as):
    """A signed-in superadmin who has just confirmed their password (a fresh factor)."""
    user = login_as("superadmin")
    response = client.post("/account/confirm", data={"code": factories.STAFF_PASSWORD})
    assert response.status_code == 303
    return user


def handover(client) -> str:
    page = client.get("/staff/").get_data(as_text=True)
    return page.split('data-testid="handover"')[1].split("</div>")[0]


def test_changes_need_a_fresh_confirmation(client, dbs, login_as):
    login_as("superadmin")
    target = factories.StaffFactory(role="moderator")
    response = client.post(f"/staff/{target.id}/role", data={"role": "admin"},
                           headers={"Referer": "/staff/"})
    assert response.status_code == 303 and response.headers["Location"].startswith("/account/confirm")
    wrong = client.post("/account/confirm", data={"code": "not my password"})
    assert wrong.status_code == 401
    client.post("/account/confirm", data={"code": factories.STAFF_PASSWORD})
    assert client.post(f"/staff/{target.id}/role", data={"role": "admin"}).status_code == 303
    dbs.expire_all()
    assert dbs.get(Auth, target.id).role == "admin"
    (row,) = audit_rows(dbs, action="admin:updated:admin:account")
    assert (row.before, row.after) == ({"role": "moderator"}, {"role": "admin"})
    assert len(audit_rows(dbs, action="admin:verified:otp")) == 1


def test_invite_flow(app, client, dbs, superadmin):
    response = client.post("/staff/new", data={"email": "New.Mod@Flick.test", "role": "moderator",
                                               "name": "New Mod", "handover": "invite"})
    assert response.status_code == 303
    text = handover(client)
    token = re.search(r"/invite/([A-Za-z0-9_-]+)", text).group(1)
    assert 'data-testid="handover"' not in client.get("/staff/").get_data(as_text=True)  # shown once
    user = dbs.scalars(sa.select(Auth).where(Auth.email == "new.mod@flick.test")).one()
    assert user.role == "moderator"
    visitor = app.test_client()
    assert visitor.post(f"/invite/{token}", data={"password": "short", "repeat": "short"}).status_code == 400
    done = visitor.post(f"/invite/{token}", data={"password": "a long new password", "repeat": "a long new password"})
    assert done.status_code == 303
    assert visitor.get(f"/invite/{token}").status_code == 404  # used up
    login = visitor.post("/login", data={"email": "new.mod@flick.test", "password": "a long new password"})
    assert login.status_code == 303
    assert [r.action for r in audit_rows(dbs, entity_id=user.id)][:2] == [
        "admin:created:admin:account", "admin:set:own:password"]


def test_generated_password_is_shown_once_and_works(app, client, dbs, superadmin):
    client.post("/staff/new", data={"email": "aud@flick.test", "role": "auditor", "handover": "password"})
    password = re.search(r"<code>([^<]+)</code>", handover(client)).group(1)
    assert app.test_client().post("/login", data={"email": "aud@flick.test", "password": password}).status_code == 303


def test_duplicates_and_bad_input(client, dbs, superadmin):
    factories.StaffFactory(email="taken@flick.test")
    assert client.post("/staff/new", data={"email": "taken@flick.test", "role": "admin"}).status_code == 409
    assert client.post("/staff/new", data={"email": "nope", "role": "admin"}).status_code == 400
    assert client.post("/staff/new", data={"email": "x@flick.test", "role": "owner"}).status_code == 400


def test_nobody_changes_their_own_role_or_deactivates_themselves(client, dbs, superadmin):
    factories.StaffFactory(role="superadmin")  # not the last one
    assert client.post(f"/staff/{superadmin.id}/role", data={"role": "moderator"}).status_code == 403
    assert client.post(f"/staff/{superadmin.id}/deactivate", data={"reason_text": "x"}).status_code == 403


def test_the_last_active_superadmin_stays(app, dbs):
    """Through the dashboard the acting superadmin is always another active one, so the
    rule guards every other caller (commands, scripts): Flick Admin is never left without
    a superadmin."""
    from flick_admin.refusals import NotAllowed
    from flick_admin.staff import services

    only = factories.StaffFactory(role="superadmin")
    factories.StaffFactory(role="superadmin", banned_forever=True)  # inactive ones do not count
    with app.test_request_context("/"):
        with pytest.raises(NotAllowed, match="last active superadmin"):
            services.change_role(only.id, "admin")
        with pytest.raises(NotAllowed, match="last active superadmin"):
            services.deactivate(only.id, "leaving")
        second = factories.StaffFactory(role="superadmin")
        assert services.change_role(only.id, "admin").changed
        with pytest.raises(NotAllowed):
            services.deactivate(second.id, "leaving")
    dbs.expire_all()
    assert dbs.get(Auth, second.id).banned is False


def test_deactivate_ends_sessions_and_blocks_sign_in_then_reactivate(app, client, dbs, superadmin):
    target = factories.StaffFactory(role="moderator")
    other = app.test_client()
    other.set_cookie(app.config["AUTH_COOKIE_NAME"], factories.open_session_for(target))
    assert other.get("/").status_code == 200
    assert client.post(f"/staff/{target.id}/deactivate", data={"reason_text": "left the team"}).status_code == 303
    assert other.get("/").status_code == 302
    assert app.test_client().post("/login", data={"email": target.email, "password": factories.STAFF_PASSWORD}).status_code == 401
    client.post(f"/staff/{target.id}/reactivate")
    assert app.test_client().post("/login", data={"email": target.email, "password": factories.STAFF_PASSWORD}).status_code == 303
    actions = [r.action for r in audit_rows(dbs, entity_id=target.id)]
    assert "admin:deactivated:admin:account" in actions and "admin:reactivated:admin:account" in actions


def test_reset_password_and_end_sessions(app, client, dbs, superadmin):
    target = factories.StaffFactory(role="admin")
    factories.open_session_for(target)
    client.post(f"/staff/{target.id}/reset", data={"handover": "password"})
    password = re.search(r"<code>([^<]+)</code>", handover(client)).group(1)
    dbs.expire_all()
    stored = dbs.scalar(sa.select(Account.password).where(Account.user_id == target.id))
    assert verify_password(password, stored) and not verify_password(factories.STAFF_PASSWORD, stored)
    assert dbs.scalar(sa.select(sa.func.count()).select_from(Session).where(Session.user_id == target.id)) == 0
    (reset,) = audit_rows(dbs, action="admin:reset:admin:password")
    assert reset.entity_id == target.id and reset.metadata_["handover"] == "password"
    assert password not in str(reset.metadata_)  # the password itself is never recorded
    factories.open_session_for(target)
    client.post(f"/staff/{target.id}/end-sessions")
    assert dbs.scalar(sa.select(sa.func.count()).select_from(Session).where(Session.user_id == target.id)) == 0
    assert len(audit_rows(dbs, action="admin:ended:admin:sessions")) == 1


def test_staff_list_shows_role_2fa_last_sign_in_and_sessions(app, client, dbs, superadmin):
    target = factories.StaffFactory(role="auditor", email="listed@flick.test", two_factor_enabled=True)
    app.test_client().post("/login", data={"email": target.email, "password": factories.STAFF_PASSWORD})
    page = client.get("/staff/").get_data(as_text=True)
    row = page.split("listed@flick.test")[1].split("</tr>")[0]
    assert "auditor" in row and "never" not in row
