"""A staff member changes their own password on the account page: the current one first,
the new one twice (the invite's rules), stored in better-auth's format; their other
sessions end; audited."""

from __future__ import annotations

import re
import secrets

import pytest
import sqlalchemy as sa

from flick_admin.auth import invites
from flick_admin.auth.passwords import verify_password
from flick_admin.db import Account, Session
from flick_admin.refusals import InvalidInput
from tests import factories
from tests.conftest import audit_rows

NEW = "a brand new passphrase"


def _stored(dbs, user) -> str:
    dbs.expire_all()
    return dbs.scalar(sa.select(Account.password).where(Account.user_id == user.id,
                                                        Account.provider_id == "credential"))


def _change(client, current=factories.STAFF_PASSWORD, new=NEW, repeat=None):
    return client.post("/account/password", data={"current": current, "password": new,
                                                  "repeat": new if repeat is None else repeat})


def test_the_account_page_offers_it(client, dbs, login_as):
    login_as("auditor")
    page = client.get("/account/").get_data(as_text=True)
    assert 'data-testid="change-password"' in page and 'autocomplete="current-password"' in page


def test_changing_ones_password(app, client, dbs, login_as):
    user = login_as("moderator")
    laptop = app.test_client()
    laptop.set_cookie(app.config["AUTH_COOKIE_NAME"], factories.open_session_for(user))
    # A session of Flick's own server (not a dashboard one) ends too.
    dbs.add(Session(id="flick-" + secrets.token_hex(6), token=secrets.token_hex(16), user_id=user.id,
                    expires_at=factories.utcnow().replace(year=2100)))
    dbs.commit()
    response = _change(client)
    assert response.status_code == 303
    stored = _stored(dbs, user)
    assert re.fullmatch(r"[0-9a-f]{32}:[0-9a-f]{128}", stored)  # better-auth's format
    assert verify_password(NEW, stored) and not verify_password(factories.STAFF_PASSWORD, stored)
    assert client.get("/account/").status_code == 200  # this session goes on
    assert laptop.get("/").status_code == 302  # the others ended
    assert dbs.scalar(sa.select(sa.func.count()).select_from(Session).where(Session.user_id == user.id)) == 1
    (row,) = audit_rows(dbs, action="admin:changed:own:password")
    assert row.entity_id == user.id and row.actor_id == user.id and row.metadata_["sessions_ended"] == 2
    assert NEW not in str(row.metadata_) and factories.STAFF_PASSWORD not in str(row.metadata_)
    assert app.test_client().post("/login", data={"email": user.email, "password": NEW}).status_code == 303


def test_bad_changes_are_clear_400s_and_change_nothing(app, client, dbs, login_as):
    user = login_as("admin")
    before = _stored(dbs, user)
    cases = [
        ({"current": "not my password"}, "current password is not right"),
        ({"new": "too short"}, "at least 12 characters"),
        ({"new": "x" * 129}, "at most 128 characters"),
        ({"repeat": NEW + "!"}, "differ"),
        ({"new": factories.STAFF_PASSWORD}, "same as the current one"),
    ]
    for change, message in cases:
        response = _change(client, **change)
        assert response.status_code == 400 and message in response.get_data(as_text=True), change
    assert _stored(dbs, user) == before
    assert audit_rows(dbs, action="admin:changed:own:password") == []


def test_an_invite_follows_the_same_rules(app, dbs):
    with app.test_request_context("/"):
        with pytest.raises(InvalidInput, match="at most 128"):
            invites.accept_invite("whatever", "y" * 129, "y" * 129)
