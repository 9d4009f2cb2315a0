"""The permission matrix: every registered endpoint × anonymous and every staff role.

``MATRIX`` is the single list of what each endpoint requires. A new endpoint that is not
listed here fails ``test_every_endpoint_is_in_the_matrix`` — so no view slips through.
"""

from __future__ import annotations

import uuid

import pytest
from flask_admin import expose

from flick_admin.permissions import (
    ROLE_PERMISSIONS,
    SIGNED_IN,
    Permission,
    requires,
)
from flick_admin.db.enums import StaffRole
from flick_admin.ui.shell import SecureView
from tests.conftest import make_app

PUBLIC = "public"

# endpoint -> (requirement, method, expected status when allowed)
MATRIX: dict[str, tuple[str, str, int]] = {
    "auth.login": (PUBLIC, "GET", 200),
    "auth.logout": (SIGNED_IN, "POST", 303),
    "admin.index": (SIGNED_IN, "GET", 200),
    # Moderation. Allowed POSTs without a form answer 400 (no reason given); detail pages
    # of a random id answer 404 — anything but 403 proves the role got through.
    "reports.index": (Permission.CONTENT_READ, "GET", 200),
    "reports.changes": (Permission.CONTENT_READ, "GET", 200),
    "reports.act": (Permission.CONTENT_MODERATE, "POST", 400),
    "reports.bulk": (Permission.CONTENT_MODERATE, "POST", 400),
    "reports.ignore_unlinked": (Permission.CONTENT_MODERATE, "POST", 400),
    "reports.reporters": (Permission.CONTENT_MODERATE, "GET", 200),
    "reports.hold": (Permission.CONTENT_MODERATE, "POST", 404),
    # Claim and release sort the queue: triage may (an unknown item is a 404).
    "reports.hold_own": (Permission.CONTENT_TRIAGE, "POST", 404),
    # Internal notes and escalation: triage writes and escalates; only deciders de-escalate.
    "team.index": (Permission.CONTENT_READ, "GET", 303),
    "team.add_note": (Permission.CONTENT_TRIAGE, "POST", 404),
    "team.edit_note": (Permission.CONTENT_TRIAGE, "POST", 404),
    "team.delete_note": (Permission.CONTENT_TRIAGE, "POST", 404),
    "team.escalate": (Permission.CONTENT_TRIAGE, "POST", 404),
    "team.de_escalate": (Permission.CONTENT_MODERATE, "POST", 404),
    "reports.assign_form": (Permission.CONTENT_MODERATE, "GET", 404),
    "posts.index": (Permission.CONTENT_READ, "GET", 200),
    "posts.detail": (Permission.CONTENT_READ, "GET", 404),
    "posts.act": (Permission.CONTENT_MODERATE, "POST", 400),
    "comments.index": (Permission.CONTENT_READ, "GET", 200),
    "comments.act": (Permission.CONTENT_MODERATE, "POST", 400),
    "users.index": (Permission.CONTENT_READ, "GET", 200),
    "users.detail": (Permission.CONTENT_READ, "GET", 404),
    "users.sanction": (Permission.CONTENT_MODERATE, "POST", 400),
    "users.lift": (Permission.CONTENT_MODERATE, "POST", 400),
    # Reverts (the page of an unknown entry is a 404; without a reason, 400 — or 404 first).
    "reverts.index": (Permission.CONTENT_MODERATE, "GET", 303),
    "reverts.confirm": (Permission.CONTENT_MODERATE, "GET", 404),
    "reverts.apply": (Permission.CONTENT_MODERATE, "POST", 400),
    # Four-eyes: deciding an unknown proposal is a 404.
    "proposals.index": (Permission.CONTENT_MODERATE, "GET", 200),
    "proposals.decide": (Permission.CONTENT_MODERATE, "POST", 404),
    # Saved views (saving without a name is a 400; deleting an unknown one a 404).
    "saved_views.index": (Permission.CONTENT_READ, "GET", 200),
    "saved_views.save": (Permission.CONTENT_READ, "POST", 400),
    "saved_views.counts": (Permission.CONTENT_READ, "GET", 200),
    "saved_views.delete": (Permission.CONTENT_READ, "POST", 404),
    # Colleges, branches, requests, banned words, feedback.
    "colleges.index": (Permission.CONTENT_READ, "GET", 200),
    "colleges.detail": (Permission.CONTENT_READ, "GET", 404),
    "colleges.create": (Permission.COLLEGES_MANAGE, "GET", 200),
    "colleges.edit": (Permission.COLLEGES_MANAGE, "POST", 404),
    "colleges.delete": (Permission.COLLEGES_MANAGE, "POST", 404),
    "branches.index": (Permission.CONTENT_READ, "GET", 200),
    "branches.detail": (Permission.CONTENT_READ, "GET", 404),
    "branches.create": (Permission.COLLEGES_MANAGE, "POST", 400),
    "branches.edit": (Permission.COLLEGES_MANAGE, "POST", 404),
    "branches.delete": (Permission.COLLEGES_MANAGE, "POST", 404),
    "college_requests.index": (Permission.CONTENT_READ, "GET", 200),
    "college_requests.detail": (Permission.CONTENT_READ, "GET", 404),
    "college_requests.approve": (Permission.COLLEGES_MANAGE, "POST", 400),
    "college_requests.link": (Permission.COLLEGES_MANAGE, "POST", 400),
    "college_requests.reject": (Permission.COLLEGES_MANAGE, "POST", 400),
    "banned_words.index": (Permission.CONTENT_READ, "GET", 200),
    "banned_words.detail": (Permission.CONTENT_READ, "GET", 404),
    "banned_words.create": (Permission.COLLEGES_MANAGE, "POST", 400),
    "banned_words.edit": (Permission.COLLEGES_MANAGE, "POST", 404),
    "banned_words.delete": (Permission.COLLEGES_MANAGE, "POST", 400),
    "banned_words.bulk_import": (Permission.COLLEGES_MANAGE, "GET", 200),
    "banned_words.catch": (Permission.COLLEGES_MANAGE, "POST", 400),
    # The catalogue of removal reasons: staff read it (moderators choose from it in their
    # decision forms); admins add, edit and retire reasons (a form without a title is a 400;
    # an unknown reason a 404).
    "removal_reasons.index": (Permission.CONTENT_READ, "GET", 200),
    "removal_reasons.detail": (Permission.CONTENT_READ, "GET", 404),
    "removal_reasons.create": (Permission.COLLEGES_MANAGE, "POST", 400),
    "removal_reasons.edit": (Permission.COLLEGES_MANAGE, "POST", 404),
    "removal_reasons.retire": (Permission.COLLEGES_MANAGE, "POST", 404),
    "feedback.index": (Permission.CONTENT_READ, "GET", 200),
    "feedback.status": (Permission.FEEDBACK_MANAGE, "POST", 400),
    "feedback.delete": (Permission.FEEDBACK_MANAGE, "POST", 400),
    "comments.detail": (Permission.CONTENT_READ, "GET", 404),
    # The audit trail: moderators read it; exporting and verifying is for auditors and admins.
    "audit.index": (Permission.AUDIT_READ, "GET", 200),
    "audit.entry": (Permission.AUDIT_READ, "GET", 404),
    "audit.export": (Permission.AUDIT_EXPORT, "GET", 200),
    "audit.verify": (Permission.AUDIT_EXPORT, "GET", 200),
    # Operations: the health page for admins; probes open to monitors (metrics: loopback).
    "health.index": (Permission.OPERATIONS_READ, "GET", 200),
    "probes.healthz": (PUBLIC, "GET", 200),
    "probes.readyz": (PUBLIC, "GET", 200),
    "probes.metrics": (PUBLIC, "GET", 200),
    # Sign-in's second step and invites are public; without a pending sign-in or a valid
    # token they send the visitor back (303) or answer 404.
    "auth.second_factor": (PUBLIC, "GET", 303),
    "auth.invite": (PUBLIC, "GET", 404),
    # One's own account.
    "account.index": (SIGNED_IN, "GET", 200),
    "account.revoke": (SIGNED_IN, "POST", 404),
    "account.everywhere": (SIGNED_IN, "POST", 303),
    "account.two_factor": (SIGNED_IN, "GET", 200),
    "account.reauth": (SIGNED_IN, "GET", 200),
    "account.preferences": (SIGNED_IN, "POST", 400),
    "account.password": (SIGNED_IN, "POST", 400),
    "search.index": (Permission.CONTENT_READ, "GET", 200),
    "search.suggest": (Permission.CONTENT_READ, "GET", 200),
    # Staff management: superadmins only; changes first ask for a fresh factor (303).
    "staff.index": (Permission.STAFF_MANAGE, "GET", 200),
    "staff.create": (Permission.STAFF_MANAGE, "POST", 303),
    "staff.role": (Permission.STAFF_MANAGE, "POST", 303),
    "staff.scope": (Permission.STAFF_MANAGE, "POST", 303),
    "staff.deactivate": (Permission.STAFF_MANAGE, "POST", 303),
    "staff.reactivate": (Permission.STAFF_MANAGE, "POST", 303),
    "staff.reset": (Permission.STAFF_MANAGE, "POST", 303),
    "staff.end_sessions": (Permission.STAFF_MANAGE, "POST", 303),
    "staff.reset_two_factor": (Permission.STAFF_MANAGE, "POST", 303),
}
# URL arguments that are not plain ids.
ARGS = {"reports.act": {"kind": "post"}, "reports.hold": {"kind": "post", "step": "take-over"},
        "reports.hold_own": {"kind": "post", "step": "claim"}, "team.add_note": {"kind": "post"},
        "team.escalate": {"kind": "post"}, "team.de_escalate": {"kind": "post"},
        "reports.assign_form": {"kind": "post"},
        "proposals.decide": {"decision": "approve"}, "audit.export": {"fmt": "csv"}}
ROLES = [r.value for r in StaffRole]


def _endpoints(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules()
            if rule.endpoint != "static" and not rule.endpoint.endswith(".static")}


def _url(app, endpoint: str) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        from flask import url_for

        args = {arg: str(uuid.uuid4()) for arg in rule.arguments}
        args.update(ARGS.get(endpoint, {}))
        return url_for(endpoint, **args)


def _allowed(requirement: str, role: str | None) -> bool:
    if requirement == PUBLIC:
        return True
    if role is None:
        return False
    if requirement == SIGNED_IN:
        return True
    return Permission(requirement) in ROLE_PERMISSIONS[StaffRole(role)]


def test_every_endpoint_is_in_the_matrix(app):
    assert _endpoints(app) == set(MATRIX)


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_anonymous(app, client, dbs, endpoint):
    requirement, method, ok = MATRIX[endpoint]
    response = client.open(_url(app, endpoint), method=method)
    if requirement == PUBLIC:
        assert response.status_code == ok
    else:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_each_role(app, client, dbs, login_as, endpoint, role):
    requirement, method, ok = MATRIX[endpoint]
    login_as(role)
    response = client.open(_url(app, endpoint), method=method)
    if endpoint == "auth.login":
        assert response.status_code == 302  # already signed in: sent home
    elif _allowed(requirement, role):
        assert response.status_code == ok, response.data[:500]
    else:
        assert response.status_code == 403


def test_role_table_matches_the_design():
    p = Permission
    assert ROLE_PERMISSIONS[StaffRole.MODERATOR] == {p.CONTENT_READ, p.CONTENT_MODERATE, p.CONTENT_TRIAGE,
                                                     p.AUDIT_READ}
    # Triage sorts (claim, note, escalate) and decides nothing.
    assert ROLE_PERMISSIONS[StaffRole.TRIAGE] == {p.CONTENT_READ, p.CONTENT_TRIAGE, p.AUDIT_READ}
    assert ROLE_PERMISSIONS[StaffRole.ADMIN] == {
        p.CONTENT_READ, p.CONTENT_MODERATE, p.CONTENT_TRIAGE, p.ESCALATIONS_WORK, p.COLLEGES_MANAGE, p.FEEDBACK_MANAGE,
        p.AUDIT_READ, p.AUDIT_EXPORT, p.OPERATIONS_READ, p.SHARED_VIEWS_MANAGE}
    assert ROLE_PERMISSIONS[StaffRole.SUPERADMIN] == set(Permission)
    assert ROLE_PERMISSIONS[StaffRole.AUDITOR] == {p.CONTENT_READ, p.AUDIT_READ, p.AUDIT_READ_PRIVATE,
                                                   p.AUDIT_EXPORT}


# Rows of the audit log × roles: moderators and admins read moderation and content history
# and their own rows; sign-ins (addresses, user agents), failed sign-ins and staff
# management are for auditors and superadmins.
PRIVATE_ROWS = {
    # name: (action, entity_type, metadata)
    "superadmin's sign-in": ("admin:logged:in:self", "session", {"label": "boss@flick.test"}),
    "failed sign-in": ("admin:failed:login:self", "auth", {"email": "typo-of-a-password@flick.test"}),
    "staff deactivated": ("admin:deactivated:admin:account", "auth", {"label": "gone@flick.test"}),
    "student sign-in": ("user:logged:in:self", "user", {}),
}


@pytest.mark.parametrize("role", ROLES)
def test_who_reads_which_audit_rows(client, dbs, login_as, role):
    from tests import factories

    me = login_as(role)
    boss = factories.StaffFactory(role="superadmin")
    rows = {}
    for name, (action, entity_type, meta) in PRIVATE_ROWS.items():
        rows[name] = factories.LogFactory(
            actor_id=boss.id if action.startswith("admin:") and "failed" not in action else None,
            actor_type="system" if "failed" in action else ("user" if action.startswith("user:") else "superadmin"),
            action=action,
            entity_type=entity_type, entity_id=boss.id, metadata_=meta,
            ip_address="203.0.113.7", user_agent="SecretBrowser/1.0")
    ban = factories.LogFactory(actor_id=boss.id, actor_type="superadmin", action="admin:blocked:content",
                               entity_type="post", entity_id=str(uuid.uuid4()),
                               metadata_={"label": "a banned post"},
                               ip_address="203.0.113.8", user_agent="SecretBrowser/2.0")
    own = factories.LogFactory(actor_id=me.id, actor_type=role, action="admin:logged:in:self",
                               entity_type="session", entity_id="fa_mine", metadata_={"label": "me"},
                               ip_address="198.51.100.1", user_agent="MyOwnBrowser/1.0")
    reads_all = Permission.AUDIT_READ_PRIVATE in ROLE_PERMISSIONS[StaffRole(role)]
    listed = client.get("/audit/", query_string={"signins": "1"}).get_data(as_text=True)
    for name, row in rows.items():
        assert (f"/audit/entry/{row.id}" in listed) is reads_all, name
        assert client.get(f"/audit/entry/{row.id}").status_code == (200 if reads_all else 404), name
    assert f"/audit/entry/{ban.id}" in listed and f"/audit/entry/{own.id}" in listed
    ban_page = client.get(f"/audit/entry/{ban.id}").get_data(as_text=True)
    assert ("203.0.113.8" in ban_page) is reads_all and ("SecretBrowser" in ban_page) is reads_all
    own_page = client.get(f"/audit/entry/{own.id}").get_data(as_text=True)
    assert "198.51.100.1" in own_page and "MyOwnBrowser" in own_page
    if Permission.AUDIT_EXPORT in ROLE_PERMISSIONS[StaffRole(role)]:
        exported = client.get("/audit/export.csv", query_string={"signins": "1"}).get_data(as_text=True)
        assert ("typo-of-a-password" in exported) is reads_all
        assert ("203.0.113" in exported) is reads_all and ("SecretBrowser" in exported) is reads_all
        assert "198.51.100.1" in exported and "a banned post" in exported


class UndeclaredView(SecureView):
    @expose("/")
    def index(self):
        return "should never render"


class PartlyDeclaredView(SecureView):
    @expose("/")
    @requires(Permission.CONTENT_READ)
    def index(self):
        return "readable"

    @expose("/secret")
    def secret(self):
        return "should never render"


def test_views_that_declare_nothing_are_refused_to_everyone(database_url, connection, dbs):
    from tests import factories

    app = make_app(database_url)
    admin = app.extensions["flick_admin.ui.shell"]
    admin.add_view(UndeclaredView(name="Undeclared", endpoint="undeclared"))
    admin.add_view(PartlyDeclaredView(name="Partly", endpoint="partly"))

    @app.route("/plain")
    def plain():
        return "should never render"

    client = app.test_client()
    user = factories.StaffFactory(role="superadmin")
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], factories.open_session_for(user))
    assert client.get("/undeclared/").status_code == 403
    assert client.get("/partly/secret").status_code == 403
    assert client.get("/plain").status_code == 403
    assert client.get("/partly/").status_code == 200
    # Undeclared views never appear in the navigation either.
    home = client.get("/").get_data(as_text=True)
    assert "Undeclared" not in home and "Partly" not in home
