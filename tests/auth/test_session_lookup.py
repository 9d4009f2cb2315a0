"""The session lookup: one statement per request, built once per shape, whose facts (role,
ban, college scope, badges) are read fresh on every request."""

from __future__ import annotations

import sqlalchemy as sa

from flick_admin.auth import sessions
from flick_admin.db import Auth
from flick_admin.db.team import StaffScope
from tests import factories

BADGE = 'data-testid="pending-badge"'


def test_the_statement_is_built_once_and_every_request_reads_fresh_facts(client, dbs, login_as):
    factories.ReportFactory()
    dbs.commit()
    user = login_as("admin")
    assert BADGE in client.get("/account/").get_data(as_text=True)
    built = dict(sessions._BUILT)
    assert BADGE in client.get("/account/").get_data(as_text=True)
    assert sessions._BUILT == built  # the same statement object, not rebuilt

    # A college scope takes the badge away on the very next request ...
    scope = StaffScope(user_id=user.id, college_id=factories.CollegeFactory().id)
    dbs.add(scope)
    dbs.commit()
    assert BADGE not in client.get("/account/").get_data(as_text=True)
    dbs.delete(scope)
    dbs.commit()
    assert BADGE in client.get("/account/").get_data(as_text=True)
    # ... and a role change or a ban signs the member out on it.
    dbs.execute(sa.update(Auth).where(Auth.id == user.id).values(role="user"))
    dbs.commit()
    assert client.get("/account/").status_code == 302
    dbs.execute(sa.update(Auth).where(Auth.id == user.id).values(role="admin", banned=True))
    dbs.commit()
    assert client.get("/account/").status_code == 302
    dbs.execute(sa.update(Auth).where(Auth.id == user.id).values(banned=False))
    dbs.commit()
    assert client.get("/account/").status_code == 200
    assert sessions._BUILT == built


def test_another_members_token_finds_only_their_own_session(app, client, dbs, login_as):
    first = login_as("moderator")
    assert client.get("/account/").status_code == 200
    second = factories.StaffFactory(role="auditor")
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], factories.open_session_for(second))
    page = client.get("/account/").get_data(as_text=True)
    assert second.email in page and first.email not in page
