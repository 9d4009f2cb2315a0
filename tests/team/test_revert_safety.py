"""A revert undoes a decision through the services, or refuses and writes nothing: it
never undoes someone's later action (ABA), never breaks a uniqueness rule, never acts on
an item another moderator holds, groups a decision by the server's id (never by a
client's header) and corrects what the reporters were told."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from flick_admin.db import BannedWord, College, ContentReport, Notification, Post
from flick_admin.moderation.reporters import CORRECTION
from tests import factories
from tests.colleges.test_colleges import college_form
from tests.conftest import audit_rows

REASON = {"reason_choice": "Other", "reason_text": "decided in error"}
BAN = {"action": "ban", "reason_choice": "Spam or scam"}


def _last(dbs, action, entity_id=None):
    rows = audit_rows(dbs, action=action)
    if entity_id is not None:
        rows = [r for r in rows if r.entity_id == str(entity_id)]
    return rows[-1]


def _revert(client, log, **form):
    return client.post(f"/revert/{log.id}", data={**REASON, **form})


def test_a_revert_is_refused_when_a_later_action_touched_the_item(client, dbs, login_as):
    """A bans; B unbans and bans again; C reverting A's ban would silently undo B's ban."""
    login_as("moderator", email="a.mod@flick.test")
    post = factories.PostFactory()
    client.post(f"/posts/{post.id}/act", data=BAN)
    first_ban = _last(dbs, "admin:blocked:content", post.id)
    login_as("moderator", email="b.mod@flick.test")
    client.post(f"/posts/{post.id}/act", data={"action": "unban", "reason_text": "appeal"})
    client.post(f"/posts/{post.id}/act", data=BAN)
    newer_ban = _last(dbs, "admin:blocked:content", post.id)
    login_as("moderator", email="c.mod@flick.test")
    before = len(audit_rows(dbs))
    response = _revert(client, first_ban)
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "b.mod@flick.test unbanned it" in text
    dbs.expire_all()
    assert dbs.get(Post, post.id).is_banned and len(audit_rows(dbs)) == before
    # B's newer ban is still B's decision, and it can be reverted.
    assert _revert(client, newer_ban).status_code == 303
    dbs.expire_all()
    assert not dbs.get(Post, post.id).is_banned


def test_claims_of_the_item_do_not_count_as_later_changes(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    factories.ReportFactory(post=post)
    client.post(f"/posts/{post.id}/act", data=BAN)
    client.post(f"/reports/post/{post.id}/claim")
    assert _revert(client, _last(dbs, "admin:blocked:content", post.id)).status_code == 303


def test_a_students_own_later_activity_does_not_block_a_revert(client, dbs, login_as):
    login_as("moderator")
    student = factories.StudentFactory()
    client.post(f"/users/{student.auth_id}/sanction", data={"kind": "suspend", "days": "3", **BAN})
    client.post(f"/users/{student.auth_id}/lift", data={"reason_text": "appeal accepted"})
    lift = _last(dbs, "admin:unbanned:user", student.auth_id)
    factories.LogFactory(action="user:logged:in:self", entity_type="user", entity_id=student.auth_id,
                         actor_id=student.auth_id)
    assert _revert(client, lift).status_code == 303


def test_reverting_a_college_edit_onto_a_domain_taken_since_is_a_409(client, dbs, login_as):
    login_as("admin")
    college = factories.CollegeFactory(name="Moving College", email_domain="first.edu")
    client.post(f"/colleges/{college.id}/edit", data=college_form(name="Moving College",
                                                                  email_domain="second.edu"))
    moved = _last(dbs, "admin:updated:college", college.id)
    other = factories.CollegeFactory(name="Newcomer College", email_domain="first.edu")
    response = _revert(client, moved)
    assert response.status_code == 409 and "first.edu already belongs to Newcomer College" in \
        response.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(College, college.id).email_domain == "second.edu"
    assert dbs.get(College, other.id).email_domain == "first.edu"


def test_reverting_a_word_rename_onto_a_recreated_word_is_a_409(client, dbs, login_as):
    login_as("admin")
    client.post("/banned-words/new", data={"word": "scamlink", "severity": "severe"})
    word_id = _last(dbs, "admin:created:banned-word").entity_id
    client.post(f"/banned-words/{word_id}/edit", data={"word": "scamlinks", "severity": "severe"})
    renamed = _last(dbs, "admin:updated:banned-word")
    client.post("/banned-words/new", data={"word": "scamlink", "severity": "mild"})
    before = len(audit_rows(dbs))
    response = _revert(client, renamed)
    assert response.status_code == 409 and "already a banned word" in response.get_data(as_text=True)
    dbs.expire_all()
    assert sorted(dbs.scalars(sa.select(BannedWord.word))) == ["scamlink", "scamlinks"]
    assert len(audit_rows(dbs)) == before


def test_reverting_an_ignore_on_an_item_another_moderator_holds_is_a_409(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    report = factories.ReportFactory(post=post)
    client.post(f"/reports/post/{post.id}/act", data={"action": "ignore",
                                                       "reason_choice": "Report reviewed: no violation"})
    ignored = _last(dbs, "admin:updated:report:status", report.id)
    holder = login_as("moderator", name="Holder")
    client.post(f"/reports/post/{post.id}/claim")
    login_as("moderator")
    response = _revert(client, ignored)
    assert response.status_code == 409 and "claimed by Holder" in response.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(ContentReport, report.id).status == "ignored"
    assert holder.id  # the holder keeps the item


def test_a_reused_request_id_does_not_tie_a_new_decision_to_an_old_one(client, dbs, login_as):
    login_as("moderator")
    rid = str(uuid.uuid4())
    old, new = factories.PostFactory(), factories.PostFactory()
    client.post(f"/posts/{old.id}/act", data=BAN, headers={"X-Request-Id": rid})
    assert _revert(client, _last(dbs, "admin:blocked:content", old.id)).status_code == 303
    client.post(f"/posts/{new.id}/act", data=BAN, headers={"X-Request-Id": rid})
    new_ban = _last(dbs, "admin:blocked:content", new.id)
    assert _revert(client, new_ban).status_code == 303
    dbs.expire_all()
    assert not dbs.get(Post, new.id).is_banned
    # The entry page's related rows are the server's grouping too.
    page = client.get(f"/audit/entry/{new_ban.id}").get_data(as_text=True)
    assert str(old.id) not in page


def test_reverting_a_ban_corrects_what_the_reporters_were_told(client, dbs, login_as):
    login_as("moderator")
    alice, bob = factories.StudentFactory(), factories.StudentFactory()
    post = factories.PostFactory()
    reports = [factories.ReportFactory(post=post, reporter=r) for r in (alice, bob)]
    client.post(f"/posts/{post.id}/act", data=BAN)
    ban = _last(dbs, "admin:blocked:content", post.id)
    # Alice's app showed her the notification (Flick's server sets ``seen``); Bob's did not yet.
    dbs.execute(sa.update(Notification).where(Notification.receiver_id == str(alice.id))
                .values(seen=True))
    dbs.flush()
    assert _revert(client, ban).status_code == 303
    dbs.expire_all()
    assert dbs.scalars(sa.select(Notification).where(Notification.receiver_id == str(bob.id))).all() == []
    alices = dbs.scalars(sa.select(Notification).where(Notification.receiver_id == str(alice.id))
                         .order_by(Notification.created_at)).all()
    assert len(alices) == 2 and alices[1].content == CORRECTION.format(noun="post") and not alices[1].seen
    reopened = {r.entity_id: r.metadata_ for r in audit_rows(dbs, action="admin:updated:report:status")
                if r.metadata_.get("reverts")}
    assert reopened[str(reports[0].id)]["reporter_notice"] == "corrected"
    assert reopened[str(reports[1].id)]["reporter_notice"] == "withdrawn"
