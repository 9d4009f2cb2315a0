"""The author is told, in Flick's own notifications table and in the decision's
transaction, when their post or comment is banned or their account suspended or banned —
with the chosen removal reason's text and the post it concerns — never for a shadow-ban;
a revert sends a short correction; one INSERT per batch; ``NOTIFY_AUTHORS=0`` is silence."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from flick_admin.db import Auth, Notification, Post
from flick_admin.db.team import Proposal
from flick_admin.moderation import authors, services
from flick_admin.moderation.services import Target, TargetKind
from flick_admin.refusals import BatchItemFailed
from tests import factories
from tests.conftest import audit_rows

REVERT = {"reason_choice": "Other", "reason_text": "decided in error"}


@pytest.fixture(autouse=True)
def authors_told(app, monkeypatch):
    """Authors are told here (the test app turns it off elsewhere; it is on by default)."""
    monkeypatch.setitem(app.config, "NOTIFY_AUTHORS", True)


def told(dbs, student) -> list[Notification]:
    dbs.expire_all()
    return dbs.scalars(sa.select(Notification).where(Notification.receiver_id == str(student.id))
                       .order_by(Notification.created_at, Notification.content)).all()


@pytest.fixture
def reason(dbs):
    return factories.RemovalReasonFactory(title="Spam or advertising", fits=["SPAM"],
                                          student_text="Flick is for real conversations, not advertising.")


def test_a_banned_post_tells_its_author_with_the_reasons_text_in_flicks_shape(client, dbs, login_as, reason):
    post = factories.PostFactory(title="Cheap phones, DM me")
    factories.ReportFactory(post=post)
    login_as("moderator")
    client.post(f"/posts/{post.id}/act", data={"action": "ban", "reason_choice": f"catalogue:{reason.id}",
                                               "reason_text": "third ad today (staff only)"})
    (note,) = told(dbs, post.author)
    assert note.content == ("Your post “Cheap phones, DM me” was removed from Flick. "
                            "Flick is for real conversations, not advertising.")
    assert "staff only" not in note.content  # the audit reason stays with staff
    assert (note.type, note.seen, note.post_id, note.actor_usernames) == ("general", False, None, [])
    (ban,) = audit_rows(dbs, action="admin:blocked:content")
    assert ban.metadata_["author_notified"] is True
    assert ban.metadata_["author_notification_id"] == str(note.id)


def test_a_banned_comment_names_its_post_and_free_text_gives_the_general_sentence(client, dbs, login_as):
    comment = factories.CommentFactory(content="you are all idiots", post=factories.PostFactory(title="Exam tips"))
    login_as("moderator")
    client.post(f"/comments/{comment.id}/act", data={"action": "ban", "reason_text": "insults"})
    (note,) = told(dbs, comment.author)
    assert note.content == ("Your comment “you are all idiots” on the post “Exam tips” was removed from "
                            f"Flick. {authors.GENERAL}")


def test_a_shadow_ban_never_tells_the_author(client, dbs, login_as, reason):
    post = factories.PostFactory()
    login_as("moderator")
    client.post(f"/posts/{post.id}/act", data={"action": "shadow_ban", "reason_choice": f"catalogue:{reason.id}"})
    dbs.expire_all()
    assert dbs.get(Post, post.id).is_shadow_banned and told(dbs, post.author) == []
    (row,) = audit_rows(dbs, action="admin:shadow:banned:content")
    assert "author_notified" not in row.metadata_
    # Nor does the batch form, nor a ban of what is already banned.
    other = factories.PostFactory(banned=True)
    factories.ReportFactory(post=other)
    client.post("/reports/bulk", data={"action": "shadow_ban", "reason_choice": "Spam or scam",
                                       "target": [f"post:{factories.PostFactory().id}:b0s0"]})
    client.post(f"/posts/{other.id}/act", data={"action": "ban", "reason_choice": "Spam or scam"})
    dbs.expire_all()
    assert dbs.scalars(sa.select(Notification).where(Notification.content.like("Your %"))).all() == []


@pytest.mark.parametrize("kind", ["suspend", "ban"])
def test_a_suspended_or_banned_student_is_told(client, dbs, login_as, reason, kind):
    student = factories.StudentFactory()
    login_as("moderator")
    data = {"kind": kind, "reason_choice": f"catalogue:{reason.id}", **({"days": "3"} if kind == "suspend" else {})}
    assert client.post(f"/users/{student.auth_id}/sanction", data=data).status_code == 303
    dbs.expire_all()
    assert dbs.get(Auth, student.auth_id).banned
    (note,) = told(dbs, student)
    start = "Your Flick account is suspended until " if kind == "suspend" else "Your Flick account was banned."
    assert note.content.startswith(start) and note.content.endswith(reason.student_text)
    (row,) = audit_rows(dbs, entity_type="user")
    assert row.metadata_["author_notification_id"] == str(note.id)


def test_a_permanent_ban_approved_by_a_second_member_tells_the_student_then(app, client, dbs, login_as, reason):
    app.config["FOUR_EYES"] = "user-ban"
    try:
        student = factories.StudentFactory()
        login_as("moderator")
        client.post(f"/users/{student.auth_id}/sanction", data={"kind": "ban", "reason_choice": f"catalogue:{reason.id}"})
        assert told(dbs, student) == []  # proposed: nothing happened yet
        dbs.expire_all()
        proposal = dbs.scalars(sa.select(Proposal)).one()
        assert proposal.payload["removal_reason"] == str(reason.id)
        login_as("moderator")
        assert client.post(f"/proposals/{proposal.id}/approve").status_code == 303
        (note,) = told(dbs, student)
        assert note.content == f"Your Flick account was banned. {reason.student_text}"
    finally:
        app.config["FOUR_EYES"] = "none"


def test_a_revert_sends_the_author_a_short_correction(client, dbs, login_as, reason):
    post = factories.PostFactory(title="My lost phone")
    student = factories.StudentFactory()
    login_as("moderator")
    client.post(f"/posts/{post.id}/act", data={"action": "ban", "reason_choice": f"catalogue:{reason.id}"})
    client.post(f"/users/{student.auth_id}/sanction", data={"kind": "suspend", "days": "2", "reason_text": "abuse"})
    (ban,) = audit_rows(dbs, action="admin:blocked:content")
    (suspension,) = audit_rows(dbs, action="admin:suspended:user")
    assert client.post(f"/revert/{ban.id}", data=REVERT).status_code == 303
    assert client.post(f"/revert/{suspension.id}", data=REVERT).status_code == 303
    first, correction = told(dbs, post.author)
    assert first.content.startswith("Your post") and correction.content == (
        "An update on your post “My lost phone”: we reversed our decision to remove it.")
    assert told(dbs, student)[-1].content == ("An update on your Flick account: we reversed our "
                                              "decision to suspend it.")
    (unban,) = audit_rows(dbs, action="admin:unblocked:content")
    assert unban.metadata_["author_corrected"] is True and unban.metadata_["reverts"] == str(ban.id)


def test_it_is_on_unless_switched_off():
    from flick_admin.config import load

    assert load({"FLICK_ADMIN_ENV": "development"})["NOTIFY_AUTHORS"] is True
    assert load({"FLICK_ADMIN_ENV": "development", "NOTIFY_AUTHORS": "0"})["NOTIFY_AUTHORS"] is False


def test_switched_off_nobody_is_told(app, client, dbs, login_as, monkeypatch, reason):
    monkeypatch.setitem(app.config, "NOTIFY_AUTHORS", False)
    post, student = factories.PostFactory(), factories.StudentFactory()
    login_as("moderator")
    client.post(f"/posts/{post.id}/act", data={"action": "ban", "reason_choice": f"catalogue:{reason.id}"})
    client.post(f"/users/{student.auth_id}/sanction", data={"kind": "suspend", "days": "2", "reason_text": "x"})
    (ban,) = audit_rows(dbs, action="admin:blocked:content")
    client.post(f"/revert/{ban.id}", data=REVERT)
    assert told(dbs, post.author) == [] and told(dbs, student) == []
    assert "author_notified" not in ban.metadata_ and ban.metadata_["removal_reason"]["id"] == str(reason.id)


def test_a_batch_tells_every_author_in_one_insert(app, dbs, count_queries, reason):
    posts = [factories.PostFactory() for _ in range(4)]
    comments = [factories.CommentFactory() for _ in range(3)]
    for item in posts:
        factories.ReportFactory(post=item)
    targets = ([Target(TargetKind.POST, p.id, None) for p in posts]
               + [Target(TargetKind.COMMENT, c.id, None) for c in comments])
    with count_queries() as counted, app.test_request_context("/"):
        services.moderate_batch(targets[:4], "ban", "spam", removal_reason=reason.id)
    inserts = [s for s in counted.statements if s.startswith("INSERT INTO notifications")]
    # One for the reporters (moderation.reporters), one for the authors, whatever the size.
    assert len(inserts) == 2
    assert all(len(told(dbs, p.author)) == 1 for p in posts)
    with count_queries() as counted, app.test_request_context("/"):
        services.moderate_batch(targets[4:], "ban", "rude", removal_reason=reason.id)
    inserts = [s for s in counted.statements if s.startswith("INSERT INTO notifications")]
    assert len(inserts) == 1 and all(len(told(dbs, c.author)) == 1 for c in comments)


def test_a_refused_batch_tells_nobody(app, dbs, reason):
    fine, changed = factories.PostFactory(), factories.PostFactory(shadow_banned=True)  # since drawn
    with pytest.raises(BatchItemFailed), app.test_request_context("/"):
        services.moderate_batch([Target(TargetKind.POST, fine.id, "b0s0"), Target(TargetKind.POST, changed.id, "b0s0")],
                                "ban", "spam", removal_reason=reason.id)
    assert told(dbs, fine.author) == [] and told(dbs, changed.author) == []


def test_reverting_a_batch_corrects_every_author_in_one_insert(client, dbs, login_as, count_queries, reason):
    posts = [factories.PostFactory() for _ in range(3)]
    login_as("moderator")
    client.post("/reports/bulk", data={"action": "ban", "reason_choice": f"catalogue:{reason.id}",
                                       "target": [f"post:{p.id}:b0s0" for p in posts]})
    first = audit_rows(dbs, action="admin:blocked:content")[0]
    with count_queries() as counted:
        assert client.post(f"/revert/{first.id}", data=REVERT).status_code == 303
    inserts = [s for s in counted.statements if s.startswith("INSERT INTO notifications")]
    assert len(inserts) == 1
    for post in posts:
        removed, correction = told(dbs, post.author)
        assert removed.content.startswith("Your post") and correction.content.startswith("An update on your post")


def test_reverting_a_shadow_ban_tells_the_author_nothing(client, dbs, login_as, reason):
    """A shadow-ban stays invisible on the way back too: its revert sends no correction."""
    post = factories.PostFactory(title="Quiet one")
    login_as("moderator")
    client.post(f"/posts/{post.id}/act", data={"action": "shadow_ban", "reason_choice": f"catalogue:{reason.id}"})
    (shadow,) = audit_rows(dbs, action="admin:shadow:banned:content")
    assert client.post(f"/revert/{shadow.id}", data=REVERT).status_code == 303
    assert not dbs.get(Post, post.id).is_shadow_banned
    assert told(dbs, post.author) == []
    # The revert's own audit row is there, in the same unit as the change.
    (undo,) = audit_rows(dbs, action="admin:shadow:unbanned:content")
    assert undo.metadata_["reverts"] == str(shadow.id)
