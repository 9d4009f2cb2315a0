"""Real concurrency on PostgreSQL: two moderators act on one post at the same moment.

These tests commit for real (no rolled-back test transaction), so they clean up after
themselves."""

from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy import orm

from flick_admin.db import Auth, College, ContentReport, Log, Notification, PlatformUser, Post
from flick_admin.extensions import db
from flick_admin.moderation import services
from flick_admin.refusals import StaleState
from tests.conftest import purge_committed_audit
from flick_admin.moderation.services import Target, TargetKind

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def committed_post(app):
    with app.app_context():
        engine = db.engine
    ids = {"auth": f"race-{uuid.uuid4().hex}", "college": uuid.uuid4(), "post": uuid.uuid4(),
           "report": uuid.uuid4(), "user": uuid.uuid4()}
    with orm.Session(engine) as s:
        s.add(College(id=ids["college"], name="Race College", email_domain=f"{ids['auth']}.edu",
                      city="Pune", state="MH"))
        s.add(Auth(id=ids["auth"], name="racer", email=f"{ids['auth']}@race.edu", role="user"))
        s.flush()
        s.add(PlatformUser(id=ids["user"], auth_id=ids["auth"], username=ids["auth"],
                           college_id=ids["college"]))
        s.flush()
        s.add(Post(id=ids["post"], title="contested", content="x", posted_by_id=ids["user"],
                   topic="Ask Flick"))
        s.flush()
        s.add(ContentReport(id=ids["report"], type="Post", post_id=ids["post"],
                            reported_by_id=ids["user"], reason="SPAM", message="spam"))
        s.commit()
    try:
        yield ids
    finally:
        with orm.Session(engine) as s:
            purge_committed_audit(s, [ids["post"], ids["report"]])
            s.execute(sa.delete(Notification).where(Notification.receiver_id == str(ids["user"])))
            s.execute(sa.delete(College).where(College.id == ids["college"]))
            s.execute(sa.delete(Auth).where(Auth.id == ids["auth"]))
            s.commit()


def _race(app, calls):
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        with app.test_request_context("/"):
            try:
                barrier.wait(timeout=10)
                results[index] = call()
            except Exception as exc:  # the test inspects what each side got
                results[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def _audit(app, ids):
    with app.app_context(), db.engine.connect() as conn:
        return conn.execute(
            sa.select(Log.action, Log.entity_id)
            .where(Log.entity_id.in_([str(ids["post"]), str(ids["report"])]))
        ).all()


def test_two_bans_at_once_one_wins_one_is_told_it_is_done(app, committed_post):
    ids = committed_post
    target = Target(TargetKind.POST, ids["post"], "b0s0")
    results = _race(app, [lambda: services.moderate(target, "ban", "spam")] * 2)
    assert all(isinstance(r, services.Outcome) for r in results), results
    assert sorted(r.changed for r in results) == [False, True]
    rows = _audit(app, ids)
    assert sorted(a for a, _ in rows) == ["admin:blocked:content", "admin:updated:report:status"]
    with app.app_context(), db.engine.connect() as conn:
        assert conn.scalar(sa.select(Post.is_banned).where(Post.id == ids["post"])) is True
        assert conn.scalar(sa.select(ContentReport.status)
                           .where(ContentReport.id == ids["report"])) == "resolved"


def test_ban_and_shadow_ban_at_once_the_loser_gets_a_conflict(app, committed_post):
    ids = committed_post
    target = Target(TargetKind.POST, ids["post"], "b0s0")
    results = _race(app, [lambda: services.moderate(target, "ban", "spam"),
                          lambda: services.moderate(target, "shadow_ban", "spam")])
    winners = [r for r in results if isinstance(r, services.Outcome) and r.changed]
    losers = [r for r in results if isinstance(r, StaleState)]
    assert len(winners) == 1 and len(losers) == 1, results
    actions = [a for a, _ in _audit(app, ids)]
    assert len([a for a in actions if a.startswith("admin:") and "content" in a]) == 1
