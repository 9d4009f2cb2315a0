"""Reporters are told what became of their report, in Flick's own notifications table, in
the decision's transaction: one notification per reporter per item, a shadow-ban worded
exactly like a ban, nothing on a reopen or a refused decision, none when switched off."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from flick_admin.db import Notification, PlatformUser
from flick_admin.moderation import services
from flick_admin.moderation.reporters import MESSAGES
from flick_admin.db.enums import ReportStatus
from flick_admin.moderation.services import Target, TargetKind
from flick_admin.refusals import StaleState
from tests import factories
from tests.conftest import audit_rows


def notifications(dbs):
    """Notifications to students that exist (tests that commit for real may have left
    some behind for students they have since deleted)."""
    dbs.expire_all()
    students = {str(i) for i in dbs.scalars(sa.select(PlatformUser.id))}
    rows = dbs.scalars(sa.select(Notification).order_by(Notification.receiver_id)).all()
    return [n for n in rows if n.receiver_id in students]


def decide(app, target: Target, action: str):
    with app.test_request_context("/"):
        return services.moderate(target, action, "spam")


def reported_post(*reporters):
    post = factories.PostFactory(title="reported for notifications")
    reports = [factories.ReportFactory(post=post, reporter=r) for r in reporters]
    return post, reports


def test_a_ban_tells_each_reporter_once_in_flicks_own_shape(app, dbs):
    alice, bob = factories.StudentFactory(), factories.StudentFactory()
    post, reports = reported_post(alice, bob, alice)  # alice reported it twice
    decide(app, Target(TargetKind.POST, post.id, None), "ban")
    told = notifications(dbs)
    assert sorted(n.receiver_id for n in told) == sorted([str(alice.id), str(bob.id)])
    for n in told:
        assert n.type == "general" and n.post_id is None and n.actor_usernames == [] and not n.seen
        assert n.content == MESSAGES[ReportStatus.RESOLVED].format(noun="post")
    # The reports' audit rows say their reporter was told.
    rows = audit_rows(dbs, action="admin:updated:report:status")
    assert len(rows) == 3 and all(r.metadata_.get("reporter_notified") for r in rows)


def test_a_shadow_ban_reads_exactly_like_a_ban(app, dbs):
    alice, bob = factories.StudentFactory(), factories.StudentFactory()
    banned, _ = reported_post(alice)
    shadowed, _ = reported_post(bob)
    decide(app, Target(TargetKind.POST, banned.id, None), "ban")
    decide(app, Target(TargetKind.POST, shadowed.id, None), "shadow_ban")
    by_receiver = {n.receiver_id: n.content for n in notifications(dbs)}
    assert by_receiver[str(alice.id)] == by_receiver[str(bob.id)]
    assert "shadow" not in by_receiver[str(bob.id)].lower()


def test_ignoring_says_no_rule_was_broken_and_reopening_says_nothing(app, dbs):
    alice = factories.StudentFactory()
    comment = factories.CommentFactory()
    factories.ReportFactory(on_comment=True, comment=comment, post=None, reporter=alice)
    target = Target(TargetKind.COMMENT, comment.id, None)
    decide(app, target, "ignore")
    (told,) = notifications(dbs)
    assert told.content == MESSAGES[ReportStatus.IGNORED].format(noun="comment")
    decide(app, target, "reopen")
    assert len(notifications(dbs)) == 1


def test_a_batch_writes_one_notification_per_reporter_per_item_in_one_statement(app, dbs, count_queries):
    reporters = [factories.StudentFactory() for _ in range(3)]
    posts = [reported_post(*reporters)[0] for _ in range(4)]
    with count_queries() as counted, app.test_request_context("/"):
        services.moderate_batch([Target(TargetKind.POST, p.id, None) for p in posts], "ban", "spam")
    assert len(notifications(dbs)) == 12
    inserts = [s for s in counted.statements if s.startswith("INSERT INTO notifications")]
    assert len(inserts) == 1


def test_a_refused_decision_tells_nobody(app, dbs):
    alice = factories.StudentFactory()
    post, _ = reported_post(alice)
    with pytest.raises(StaleState):
        decide(app, Target(TargetKind.POST, post.id, "b1s0"), "ban")  # the page showed it banned
    assert notifications(dbs) == []


def test_switched_off_nobody_is_told(app, dbs, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_REPORTERS", False)
    alice = factories.StudentFactory()
    post, _ = reported_post(alice)
    decide(app, Target(TargetKind.POST, post.id, None), "ban")
    assert notifications(dbs) == []
    (row,) = audit_rows(dbs, action="admin:updated:report:status")
    assert "reporter_notified" not in row.metadata_


def test_a_report_reopened_and_decided_again_tells_its_reporter_once(app, dbs):
    alice, bob = factories.StudentFactory(), factories.StudentFactory()
    post, _ = reported_post(alice)
    target = Target(TargetKind.POST, post.id, None)
    decide(app, target, "ignore")
    decide(app, target, "reopen")
    decide(app, target, "ignore")
    decide(app, target, "reopen")
    factories.ReportFactory(post=post, reporter=bob)  # a new report since: its reporter is told
    decide(app, target, "ban")
    told = notifications(dbs)
    assert sorted(n.receiver_id for n in told) == sorted([str(alice.id), str(bob.id)])
    # The second decision's audit row for alice's report says nobody was told this time.
    rows = audit_rows(dbs, action="admin:updated:report:status")
    notified = [r.metadata_.get("reporter_notified", False) for r in rows if r.after == {"status": "resolved"}]
    assert sorted(notified) == [False, True]


@pytest.mark.parametrize("trait", [{"banned": True}, {"shadow_banned": True}])
def test_ignoring_reports_on_a_hidden_post_does_not_say_it_breaks_no_rule(app, dbs, trait):
    alice = factories.StudentFactory()
    post = factories.PostFactory(**trait)
    factories.ReportFactory(post=post, reporter=alice)
    decide(app, Target(TargetKind.POST, post.id, None), "ignore")
    (told,) = notifications(dbs)
    assert told.content == MESSAGES[ReportStatus.RESOLVED].format(noun="post")
    assert "does not break" not in told.content
