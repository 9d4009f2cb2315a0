"""Invite links: built on the configured public address, never on the request's Host
header (nor a forwarded one); ended by deactivation."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from flick_admin.auth.invites import INVITE_PREFIX
from flick_admin.config import ConfigError, load
from flick_admin.db import Auth, Verification
from tests import factories
from tests.conftest import audit_rows, make_app

HOSTILE = {"Host": "evil.example", "X-Forwarded-Host": "evil-forwarded.example",
           "X-Forwarded-Proto": "http"}


def _superadmin_client(app):
    client = app.test_client()
    user = factories.StaffFactory(role="superadmin")
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], factories.open_session_for(user))
    assert client.post("/account/confirm", data={"code": factories.STAFF_PASSWORD}).status_code == 303
    return client


def _invite_shown(client, email: str) -> str:
    name = client.application.config["AUTH_COOKIE_NAME"]
    client.set_cookie(name, client.get_cookie(name).value, domain="evil.example")  # sent to that host too
    response = client.post("/staff/new", data={"email": email, "role": "moderator", "handover": "invite"},
                           headers=HOSTILE)
    assert response.status_code == 303
    page = client.get("/staff/").get_data(as_text=True)
    return re.search(r'data-testid="handover".*?<code[^>]*>([^<]+)</code>', page, re.S).group(1).strip()


@pytest.mark.parametrize("proxies", [0, 1])
def test_the_link_is_on_the_public_url_whatever_the_host_header(database_url, connection, dbs, proxies):
    app = make_app(database_url, PUBLIC_URL="https://admin.flick.example", TRUSTED_PROXY_COUNT=proxies)
    link = _invite_shown(_superadmin_client(app), f"invited{proxies}@flick.test")
    assert re.fullmatch(r"https://admin\.flick\.example/invite/[A-Za-z0-9_-]{40,}", link), link


def test_server_name_stands_in_for_public_url(database_url, connection, dbs):
    app = make_app(database_url, SERVER_NAME="localhost", PREFERRED_URL_SCHEME="https")
    client = _superadmin_client(app)
    link = _invite_shown(client, "named@flick.test")
    assert link.startswith("https://localhost/invite/"), link


def test_without_a_public_url_the_link_is_a_path_and_names_no_host(app, client, dbs, login_as):
    login_as("superadmin")
    client.post("/account/confirm", data={"code": factories.STAFF_PASSWORD})
    link = _invite_shown(client, "pathonly@flick.test")
    assert link.startswith("/invite/") and "evil" not in link


def test_a_malformed_public_url_is_refused_at_start():
    for bad in ("admin.flick.example", "ftp://admin.flick.example", "https://admin.flick.example/path",
                "https://"):
        with pytest.raises(ConfigError, match="PUBLIC_URL"):
            load({"FLICK_ADMIN_ENV": "testing", "PUBLIC_URL": bad})
    assert load({"FLICK_ADMIN_ENV": "testing", "PUBLIC_URL": "https://admin.flick.example/"})[
        "PUBLIC_URL"] == "https://admin.flick.example"


def test_deactivation_ends_open_invites(app, client, dbs, login_as):
    login_as("superadmin")
    client.post("/account/confirm", data={"code": factories.STAFF_PASSWORD})
    link = _invite_shown(client, "leaving@flick.test")
    token = link.rsplit("/", 1)[1]
    member = dbs.scalars(sa.select(Auth).where(Auth.email == "leaving@flick.test")).one()
    assert client.post(f"/staff/{member.id}/deactivate", data={"reason_text": "left before starting"}
                       ).status_code == 303
    visitor = app.test_client()
    assert visitor.get(f"/invite/{token}").status_code == 404
    done = visitor.post(f"/invite/{token}", data={"password": "a long new password",
                                                  "repeat": "a long new password"})
    assert done.status_code == 404
    assert dbs.scalar(sa.select(sa.func.count()).select_from(Verification)
                      .where(Verification.identifier == INVITE_PREFIX + member.id)) == 0
    (row,) = audit_rows(dbs, action="admin:deactivated:admin:account")
    assert row.metadata_["invites_ended"] == 1
    assert audit_rows(dbs, action="admin:set:own:password") == []
    # Reactivating does not bring the old link back.
    client.post(f"/staff/{member.id}/reactivate")
    assert visitor.get(f"/invite/{token}").status_code == 404


def test_an_invite_left_over_from_before_is_refused_while_deactivated(app, dbs):
    """An invite row written before deactivation ended invites (or by another tool) does
    not set the password of a deactivated member."""
    from datetime import timedelta

    from flick_admin.auth import invites
    from flick_admin.auth.sessions import token_digest
    from flick_admin.db.base import utcnow
    from flick_admin.refusals import NotFound

    member = factories.StaffFactory(role="moderator", banned_forever=True)
    factories.VerificationFactory(identifier=INVITE_PREFIX + member.id, value=token_digest("leftover-token"),
                                  expires_at=utcnow() + timedelta(hours=1))
    with app.test_request_context("/"):
        assert invites.invite_user("leftover-token") is None
        with pytest.raises(NotFound):
            invites.accept_invite("leftover-token", "a long new password", "a long new password")
