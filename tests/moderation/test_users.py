"""User sanctions: ban, suspend, lift — with sessions ended in the same transaction and
the guards that keep staff from sanctioning themselves or their superiors."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from flick_admin.db import Auth, Session
from flick_admin.db.base import utcnow
from tests import factories
from tests.conftest import audit_rows

REASON = {"reason_choice": "Harassment or bullying"}


def fresh_auth(dbs, auth_id):
    dbs.expire_all()
    return dbs.get(Auth, auth_id)


def sessions_of(dbs, auth_id):
    return dbs.scalar(sa.select(sa.func.count()).select_from(Session).where(Session.user_id == auth_id))


def test_permanent_ban_ends_sessions_and_is_audited(client, dbs, login_as):
    mod = login_as("moderator")
    student = factories.StudentFactory()
    factories.SessionFactory.create_batch(2, user=student.auth)
    response = client.post(f"/users/{student.auth_id}/sanction",
                           data={"kind": "ban", "state": "free", "reason_text": "threats", **REASON})
    assert response.status_code == 303
    user = fresh_auth(dbs, student.auth_id)
    assert (user.banned, user.ban_expires) == (True, None)
    assert user.ban_reason == "Harassment or bullying: threats"
    assert sessions_of(dbs, student.auth_id) == 0
    (row,) = audit_rows(dbs, action="admin:banned:user")
    assert (row.entity_type, row.entity_id, row.actor_id) == ("user", student.auth_id, mod.id)
    assert row.before == {"banned": False, "ban_reason": None}
    assert row.after == {"banned": True, "ban_reason": "Harassment or bullying: threats"}
    assert row.metadata_["sessions_ended"] == 2 and row.metadata_["label"] == student.username


def test_suspension_for_days_or_until_a_date(client, dbs, login_as):
    login_as("moderator")
    a, b = factories.StudentFactory(), factories.StudentFactory()
    client.post(f"/users/{a.auth_id}/sanction", data={"kind": "suspend", "days": "3", **REASON})
    until = date.today() + timedelta(days=10)
    client.post(f"/users/{b.auth_id}/sanction",
                data={"kind": "suspend", "until": until.isoformat(), **REASON})
    ua, ub = fresh_auth(dbs, a.auth_id), fresh_auth(dbs, b.auth_id)
    assert timedelta(days=2, hours=23) < ua.ban_expires - utcnow() <= timedelta(days=3)
    assert ub.ban_expires.date() == until
    rows = audit_rows(dbs, action="admin:suspended:user")
    assert {r.entity_id for r in rows} == {a.auth_id, b.auth_id}
    assert all("ban_expires" in r.after for r in rows)


@pytest.mark.parametrize("form", [
    {"kind": "suspend"},                                         # no length
    {"kind": "suspend", "days": "0"},
    {"kind": "suspend", "days": "ten"},
    {"kind": "suspend", "until": "2020-01-01"},                  # in the past
    {"kind": "suspend", "until": "31/12/2099"},                  # not a date
    {"kind": "suspend", "days": "3", "until": "2099-01-01"},     # both
    {"kind": "exile", "days": "3"},
])
def test_bad_sanctions_are_400_and_change_nothing(client, dbs, login_as, form):
    login_as("moderator")
    student = factories.StudentFactory()
    response = client.post(f"/users/{student.auth_id}/sanction", data={**form, **REASON})
    assert response.status_code == 400
    assert not fresh_auth(dbs, student.auth_id).banned
    assert audit_rows(dbs) == []


def test_lift_a_ban(client, dbs, login_as):
    login_as("moderator")
    student = factories.StudentFactory(auth=factories.AuthFactory(suspended=True))
    response = client.post(f"/users/{student.auth_id}/lift", data={"reason_text": "appeal accepted"})
    assert response.status_code == 303
    user = fresh_auth(dbs, student.auth_id)
    assert (user.banned, user.ban_reason, user.ban_expires) == (False, None, None)
    (row,) = audit_rows(dbs, action="admin:unbanned:user")
    assert row.before["banned"] is True and row.after == {"banned": False, "ban_reason": None,
                                                          "ban_expires": None}
    assert row.reason == "appeal accepted"
    client.post(f"/users/{student.auth_id}/lift", data={"reason_text": "again"})
    assert len(audit_rows(dbs, action="admin:unbanned:user")) == 1


def test_banning_twice_is_harmless(client, dbs, login_as):
    login_as("moderator")
    student = factories.StudentFactory()
    for _ in range(2):
        client.post(f"/users/{student.auth_id}/sanction", data={"kind": "ban", **REASON})
    assert len(audit_rows(dbs, action="admin:banned:user")) == 1


def test_stale_user_form_is_409(client, dbs, login_as):
    login_as("moderator")
    student = factories.StudentFactory(auth=factories.AuthFactory(suspended=True))
    response = client.post(f"/users/{student.auth_id}/sanction",
                           data={"kind": "ban", "state": "free", **REASON})
    assert response.status_code == 409
    assert fresh_auth(dbs, student.auth_id).ban_expires is not None
    assert audit_rows(dbs) == []


def test_expired_suspension_shows_as_expired_and_is_not_in_force(client, dbs, login_as):
    login_as("moderator")
    student = factories.StudentFactory(auth=factories.AuthFactory(ban_expired=True))
    page = client.get(f"/users/{student.auth_id}").get_data(as_text=True)
    assert "suspension expired" in page
    listed = client.get("/users/", query_string={"ban": "expired"}).get_data(as_text=True)
    assert student.username in listed
    assert student.username not in client.get("/users/", query_string={"ban": "suspended"}).get_data(as_text=True)


def test_nobody_sanctions_themselves(client, dbs, login_as):
    me = login_as("superadmin")
    response = client.post(f"/users/{me.id}/sanction", data={"kind": "ban", **REASON})
    assert response.status_code == 403
    assert not fresh_auth(dbs, me.id).banned


@pytest.mark.parametrize("actor", ["moderator", "admin", "superadmin"])
@pytest.mark.parametrize("target", ["moderator", "auditor", "admin", "superadmin"])
def test_user_sanctions_refuse_staff_accounts(client, dbs, login_as, actor, target):
    """Staff are deactivated and reactivated on the staff pages only: no ban, suspension or
    lift on /users/<id>, whatever the rank."""
    login_as(actor)
    staff = factories.StaffFactory(role=target)
    response = client.post(f"/users/{staff.id}/sanction", data={"kind": "ban", **REASON})
    assert response.status_code == 403
    assert not fresh_auth(dbs, staff.id).banned
    page = client.get(f"/users/{staff.id}").get_data(as_text=True)
    assert 'data-testid="no-sanction"' in page and "staff pages" in page
    assert audit_rows(dbs, action="admin:banned:user") == []


def test_an_admin_cannot_undo_a_staff_deactivation(client, dbs, login_as):
    """A superadmin deactivated a moderator (the account's ban flag, role kept): an admin
    can neither lift it nor turn it into a suspension that lapses."""
    login_as("admin")
    moderator = factories.StaffFactory(role="moderator", banned=True, ban_reason="deactivated")
    lift = client.post(f"/users/{moderator.id}/lift", data={"state": "ban:forever", **REASON})
    assert lift.status_code == 403
    suspend = client.post(f"/users/{moderator.id}/sanction",
                          data={"kind": "suspend", "days": "1", "state": "ban:forever", **REASON})
    assert suspend.status_code == 403
    account = fresh_auth(dbs, moderator.id)
    assert account.banned and account.ban_expires is None
    assert audit_rows(dbs) == []


def test_a_banned_staff_member_is_signed_out_of_the_dashboard(app, client, dbs, login_as):
    admin = factories.StaffFactory(role="admin")
    other = app.test_client()
    other.set_cookie(app.config["AUTH_COOKIE_NAME"], factories.open_session_for(admin))
    assert other.get("/").status_code == 200
    # The ban flag set outside the staff pages (Flick's own admin app) is honoured at once.
    dbs.execute(sa.update(Auth).where(Auth.id == admin.id).values(banned=True))
    dbs.flush()
    assert other.get("/").status_code == 302


def test_user_page_shows_profile_content_reports_history_and_sessions(client, dbs, login_as):
    login_as("moderator")
    student = factories.StudentFactory(username="profile_kid")
    post = factories.PostFactory(author=student, title="my first post")
    factories.CommentFactory(author=student, content="my first comment")
    factories.ReportFactory(post=post, reason="HATE_SPEECH")
    factories.ReportFactory(reporter=student, reason="VIOLENCE")
    factories.SessionFactory(user=student.auth)
    client.post(f"/users/{student.auth_id}/sanction", data={"kind": "suspend", "days": "2", **REASON})
    page = client.get(f"/users/{student.auth_id}").get_data(as_text=True)
    for text in ("profile_kid", student.auth.email, "my first post", "my first comment",
                 "Hate speech", "Violence", "suspended a user", "suspended until"):
        assert text in page, text
    assert 'data-testid="sessions">0<' in page


def test_missing_user_is_404(client, dbs, login_as):
    login_as("moderator")
    assert client.get("/users/no-such-user").status_code == 404
    assert client.post("/users/no-such-user/sanction", data={"kind": "ban", **REASON}).status_code == 404


@pytest.mark.parametrize("ban", ["banned", "suspended", "expired", "free"])
def test_each_ban_filter_pages_through_exactly_its_accounts_newest_first(app, client, dbs, login_as, monkeypatch, ban):
    """The account-only filters find each page's accounts before joining their profiles
    (``users_list``): paged forward, the same accounts in the same order as a full query."""
    import re

    from tests.moderation.test_lists import next_link

    login_as("moderator")
    now = utcnow()
    traits = ({"banned_forever": True}, {"suspended": True}, {"ban_expired": True}, {})
    for i in range(16):
        factories.StudentFactory(auth=factories.AuthFactory(created_at=now - timedelta(minutes=i // 2),
                                                            **traits[i % 4]))
    monkeypatch.setitem(app.config, "PAGE_SIZE", 3)
    dbs.expire_all()
    expected = {"banned": Auth.banned.is_(True) & Auth.ban_expires.is_(None),
                "suspended": Auth.banned.is_(True) & (Auth.ban_expires > utcnow()),
                "expired": Auth.banned.is_(True) & (Auth.ban_expires <= utcnow()),
                "free": sa.or_(Auth.banned.is_not(True), Auth.ban_expires <= utcnow())}[ban]
    wanted = [a.email for a in dbs.scalars(sa.select(Auth).where(expected)
                                           .order_by(Auth.created_at.desc(), Auth.id.desc()))]
    assert len(wanted) >= 4
    seen, link = [], f"/users/?ban={ban}"
    while link:
        page = client.get(link).get_data(as_text=True)
        seen += re.findall(r'<td class="small">([^<]+@[^<]+)</td>', page)
        link = next_link(page)
    assert seen == wanted
