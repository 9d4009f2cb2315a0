"""Every POST route refuses a request without a valid CSRF token: none is exempt, and the
probes and metrics take no POST at all."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa
from werkzeug.routing.converters import AnyConverter, UUIDConverter

from flick_admin.db import Log
from flick_admin.extensions import csrf
from tests import factories
from tests.conftest import make_app

REFUSED = re.compile(r"The CSRF (session )?token is (missing|invalid)|The CSRF tokens do not match")


@pytest.fixture
def csrf_app(database_url, connection):
    return make_app(database_url, WTF_CSRF_ENABLED=True)


def post_rules(app):
    return sorted((r for r in app.url_map.iter_rules() if "POST" in r.methods), key=lambda r: r.rule)


def url_for_rule(rule) -> str:
    values = {}
    for name, converter in rule._converters.items():  # noqa: SLF001 - reading the route map
        if isinstance(converter, UUIDConverter):
            values[name] = str(uuid.uuid4())
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0] if hasattr(converter, "items") else "post"
        else:
            values[name] = "someone"
    path = rule.rule
    for name, value in values.items():
        path = re.sub(r"<[^>]*\b" + name + ">", value, path)
    return path


FORM = {"action": "ban", "reason_choice": "Spam or scam", "reason_text": "x", "state": "b0s0",
        "role": "auditor", "kind": "suspend", "days": "1", "status": "reviewed", "name": "A",
        "code": "123456", "word": "w", "severity": "mild", "email": "x@flick.test",
        "password": "p", "confirm": "yes", "items": "post:" + str(uuid.uuid4())}


def _client(app, role="superadmin"):
    client = app.test_client()
    user = factories.StaffFactory(role=role)
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], factories.open_session_for(user))
    return client


def _valid_token(client) -> str:
    page = client.get("/account/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_no_view_or_blueprint_is_exempt(csrf_app):
    assert not csrf._exempt_views and not csrf._exempt_blueprints  # noqa: SLF001


def test_probes_and_metrics_take_no_post(csrf_app):
    for rule in csrf_app.url_map.iter_rules():
        if rule.endpoint.startswith("probes."):
            assert "POST" not in rule.methods, rule.rule


def test_the_route_list_is_complete(csrf_app):
    endpoints = {r.endpoint for r in post_rules(csrf_app)}
    # The state-changing areas are all there (the list is read from the app, not typed).
    for expected in ("reports.act", "reports.bulk", "posts.act", "users.sanction", "colleges.delete",
                     "banned_words.bulk_import", "staff.role", "account.two_factor", "auth.login",
                     "auth.logout", "audit.verify"):
        assert expected in endpoints
    assert len(endpoints) >= 35


def test_every_post_route_refuses_a_missing_or_forged_token(csrf_app, dbs):
    before = dbs.scalar(sa.select(sa.func.count()).select_from(Log))
    checked = []
    for rule in post_rules(csrf_app):
        url = url_for_rule(rule)
        for who in ("anonymous", "signed in"):
            client = csrf_app.test_client() if who == "anonymous" else _client(csrf_app)
            for token in (None, "forged-" + "a" * 40):
                data = dict(FORM, **({"csrf_token": token} if token else {}))
                response = client.post(url, data=data)
                body = response.get_data(as_text=True)
                assert response.status_code == 400 and REFUSED.search(body), (rule.rule, who, token,
                                                                              response.status_code)
        checked.append(rule.endpoint)
    assert len(checked) == len(post_rules(csrf_app))
    dbs.expire_all()
    assert dbs.scalar(sa.select(sa.func.count()).select_from(Log)) == before  # nothing written


def test_a_valid_token_gets_past_the_check_on_every_route(csrf_app, dbs):
    """The control: with the session's own token no route answers with the CSRF refusal,
    so the refusals above are the token's doing."""
    for rule in post_rules(csrf_app):
        client = _client(csrf_app)
        token = _valid_token(client)
        response = client.post(url_for_rule(rule), data=dict(FORM, csrf_token=token))
        assert not REFUSED.search(response.get_data(as_text=True)), rule.rule
        assert response.status_code < 500, rule.rule
