"""One-click revert: the inverse from the audit row's before-state, all or nothing."""

from __future__ import annotations

import sqlalchemy as sa

from flick_admin.db import Auth, BannedWord, Branch, College, Comment, ContentReport, Log, Post
from flick_admin.db import Session as StaffSession
from tests import factories
from tests.conftest import audit_rows
from tests.colleges.test_colleges import college_form

REASON = {"reason_choice": "Other", "reason_text": "decided in error"}
BAN = {"action": "ban", "reason_choice": "Spam or scam"}


def _last(dbs, action, entity_id=None):
    rows = audit_rows(dbs, action=action)
    if entity_id is not None:
        rows = [r for r in rows if r.entity_id == str(entity_id)]
    return rows[-1]


def _revert(client, log, **form):
    return client.post(f"/revert/{log.id}", data={**REASON, **form})


def test_reverting_a_ban_unbans_and_reopens_the_reports_it_resolved(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    reports = factories.ReportFactory.create_batch(2, post=post)
    client.post(f"/posts/{post.id}/act", data=BAN)
    ban = _last(dbs, "admin:blocked:content", post.id)
    page = client.get(f"/audit/entry/{ban.id}").get_data(as_text=True)
    assert f"/revert/{ban.id}" in page
    confirm = client.get(f"/revert/{ban.id}").get_data(as_text=True)
    assert "3 changes, all or nothing" in confirm
    assert _revert(client, ban).status_code == 303
    dbs.expire_all()
    assert not dbs.get(Post, post.id).is_banned
    assert [dbs.get(ContentReport, r.id).status for r in reports] == ["pending", "pending"]
    undo = _last(dbs, "admin:unblocked:content", post.id)
    assert undo.metadata_["reverts"] == str(ban.id) and undo.metadata_["revert_of"] == str(ban.id)
    assert undo.before == {"isBanned": True} and undo.after == {"isBanned": False}
    assert undo.reason == "decided in error"
    reopened = [r for r in audit_rows(dbs, action="admin:updated:report:status")
                if (r.metadata_ or {}).get("reverts")]
    assert len(reopened) == 2 and all(r.after == {"status": "pending"} for r in reopened)
    # The item's history, once reverted, links to the revert instead of offering it again.
    history = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert f"/revert/{ban.id}" not in history and f"/audit/entry/{undo.id}" in history


def test_a_reverted_decision_cannot_be_reverted_twice_and_a_revert_is_not_reverted(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    client.post(f"/posts/{post.id}/act", data={**BAN, "action": "shadow_ban"})
    shadow = _last(dbs, "admin:shadow:banned:content", post.id)
    assert _revert(client, shadow).status_code == 303
    before = len(audit_rows(dbs))
    again = _revert(client, shadow)
    assert again.status_code == 409 and "already reverted" in again.get_data(as_text=True)
    undo = _last(dbs, "admin:shadow:unbanned:content", post.id)
    assert _revert(client, undo).status_code == 400
    assert len(audit_rows(dbs)) == before
    assert "Already reverted by" in client.get(f"/revert/{shadow.id}").get_data(as_text=True)


def test_a_change_since_is_a_409_saying_what_and_by_whom_and_nothing_is_written(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    client.post(f"/posts/{post.id}/act", data=BAN)
    ban = _last(dbs, "admin:blocked:content", post.id)
    other = login_as("moderator", email="other.mod@flick.test")
    client.post(f"/posts/{post.id}/act", data={"action": "unban", "reason_text": "appeal"})
    before = len(audit_rows(dbs))
    response = _revert(client, ban)
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert f"{other.email} unbanned it" in text
    assert len(audit_rows(dbs)) == before


def test_a_batch_reverts_as_a_batch_all_or_nothing(client, dbs, login_as):
    login_as("moderator")
    posts = factories.PostFactory.create_batch(3)
    client.post("/reports/bulk", data={**BAN, "target": [f"post:{p.id}:b0s0" for p in posts]})
    rows = [_last(dbs, "admin:blocked:content", p.id) for p in posts]
    # One item changed since: nothing of the batch is reverted.
    client.post(f"/posts/{posts[2].id}/act", data={"action": "unban", "reason_text": "appeal"})
    assert _revert(client, rows[0]).status_code == 409
    dbs.expire_all()
    assert [dbs.get(Post, p.id).is_banned for p in posts] == [True, True, False]
    # Banned again, the item looks as the batch left it, but the newer ban is someone's
    # later decision: the batch stays refused (reverting it would undo that ban too).
    client.post(f"/posts/{posts[2].id}/act", data=BAN)
    assert _revert(client, rows[1]).status_code == 409
    # A batch nobody acted on since reverts as a batch, all of it.
    fresh = factories.PostFactory.create_batch(3)
    client.post("/reports/bulk", data={**BAN, "target": [f"post:{p.id}:b0s0" for p in fresh]})
    done = [_last(dbs, "admin:blocked:content", p.id) for p in fresh]
    assert _revert(client, done[1]).status_code == 303
    dbs.expire_all()
    assert [dbs.get(Post, p.id).is_banned for p in fresh] == [False, False, False]
    undone = [r for r in audit_rows(dbs, action="admin:unblocked:content") if (r.metadata_ or {}).get("reverts")]
    assert sorted(r.metadata_["reverts"] for r in undone) == sorted(str(r.id) for r in done)


def test_comment_ban_and_report_ignore_and_reopen_revert(client, dbs, login_as):
    login_as("moderator")
    comment = factories.CommentFactory()
    client.post(f"/comments/{comment.id}/act", data=BAN)
    assert _revert(client, _last(dbs, "admin:blocked:content", comment.id)).status_code == 303
    dbs.expire_all()
    assert not dbs.get(Comment, comment.id).is_banned
    post = factories.PostFactory()
    report = factories.ReportFactory(post=post)
    client.post(f"/reports/post/{post.id}/act", data={"action": "ignore", "reason_choice": "Report reviewed: no violation"})
    ignored = _last(dbs, "admin:updated:report:status", report.id)
    assert _revert(client, ignored).status_code == 303
    dbs.expire_all()
    assert dbs.get(ContentReport, report.id).status == "pending"
    # The queue counts it again (the running tally moved with it).
    assert post.title in client.get("/reports/").get_data(as_text=True)


def test_user_ban_suspension_and_lift_revert(client, dbs, login_as):
    login_as("moderator")
    student = factories.StudentFactory()
    client.post(f"/users/{student.auth_id}/sanction", data={"kind": "ban", **BAN})
    ban = _last(dbs, "admin:banned:user", student.auth_id)
    assert _revert(client, ban).status_code == 303
    dbs.expire_all()
    assert not dbs.get(Auth, student.auth_id).banned
    assert _last(dbs, "admin:unbanned:user", student.auth_id).metadata_["reverts"] == str(ban.id)
    client.post(f"/users/{student.auth_id}/sanction", data={"kind": "suspend", "days": "3", **BAN})
    client.post(f"/users/{student.auth_id}/lift", data={"reason_text": "appeal accepted"})
    lift = _last(dbs, "admin:unbanned:user", student.auth_id)
    factories.SessionFactory(user=dbs.get(Auth, student.auth_id))
    assert _revert(client, lift).status_code == 303
    dbs.expire_all()
    user = dbs.get(Auth, student.auth_id)
    assert user.banned and user.ban_expires is not None
    assert _last(dbs, "admin:suspended:user", student.auth_id).metadata_["reverts"] == str(lift.id)
    # Putting the suspension back ends the sessions the student had opened since.
    assert dbs.scalars(sa.select(StaffSession).where(StaffSession.user_id == student.auth_id)).all() == []


def test_banned_word_college_and_branch_reverts_are_admin_work(client, dbs, login_as):
    login_as("admin")
    client.post("/banned-words/new", data={"word": "scamlink", "severity": "severe"})
    created = _last(dbs, "admin:created:banned-word")
    word_id = created.entity_id
    client.post(f"/banned-words/{word_id}/edit", data={"word": "scamlink", "severity": "mild"})
    edited = _last(dbs, "admin:updated:banned-word")
    assert _revert(client, edited).status_code == 303
    dbs.expire_all()
    assert dbs.scalars(sa.select(BannedWord.severity).where(BannedWord.word == "scamlink")).one() == "severe"
    client.post(f"/banned-words/{word_id}/delete", data={"confirm": "1"})
    deleted = _last(dbs, "admin:deleted:banned-word")
    assert _revert(client, deleted).status_code == 303
    dbs.expire_all()
    assert str(dbs.scalars(sa.select(BannedWord.id).where(BannedWord.word == "scamlink")).one()) == word_id
    college = factories.CollegeFactory(name="Old Name College")
    client.post(f"/colleges/{college.id}/edit", data=college_form(
        name="New Name College", email_domain=college.email_domain))
    renamed = _last(dbs, "admin:updated:college", college.id)
    branch = factories.BranchFactory(name="Old Branch", code="OB")
    client.post(f"/branches/{branch.id}/edit", data={"name": "New Branch", "code": "OB"})
    branch_edit = _last(dbs, "admin:updated:branch", branch.id)
    login_as("moderator")
    assert _revert(client, renamed).status_code == 403
    assert "may not revert" in client.get(f"/revert/{renamed.id}").get_data(as_text=True)
    login_as("admin")
    assert _revert(client, renamed).status_code == 303
    assert _revert(client, branch_edit).status_code == 303
    dbs.expire_all()
    assert dbs.get(College, college.id).name == "Old Name College"
    assert dbs.get(Branch, branch.id).name == "Old Branch"
    # Created words revert by deleting them (unless changed since).
    client.post("/banned-words/new", data={"word": "fakegiveaway", "severity": "moderate"})
    assert _revert(client, _last(dbs, "admin:created:banned-word")).status_code == 303
    dbs.expire_all()
    assert dbs.scalars(sa.select(BannedWord).where(BannedWord.word == "fakegiveaway")).first() is None


def test_a_revert_needs_a_reason_and_unknown_or_irreversible_entries_are_refused(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    client.post(f"/posts/{post.id}/act", data=BAN)
    ban = _last(dbs, "admin:blocked:content", post.id)
    before = len(audit_rows(dbs))
    assert client.post(f"/revert/{ban.id}", data={}).status_code == 400
    dbs.expire_all()
    assert dbs.get(Post, post.id).is_banned and len(audit_rows(dbs)) == before
    sign_in = audit_rows(dbs, action="admin:claimed:content") or [factories.LogFactory()]
    assert client.get(f"/revert/{sign_in[0].id}").status_code == 400
    assert client.get("/revert/00000000-0000-0000-0000-000000000000").status_code == 404


def test_a_revert_of_an_item_someone_else_holds_is_a_409(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    client.post(f"/posts/{post.id}/act", data=BAN)
    ban = _last(dbs, "admin:blocked:content", post.id)
    factories.ReportFactory(post=post)
    client.post(f"/reports/post/{post.id}/claim")
    login_as("moderator")
    response = _revert(client, ban)
    assert response.status_code == 409 and "claimed by" in response.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(Post, post.id).is_banned
