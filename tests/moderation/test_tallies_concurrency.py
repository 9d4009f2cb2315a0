"""The running tallies stay exact under real concurrency on PostgreSQL: moderators decide
and reopen reports while Flick's server files new ones and catch-ups run, each on its own
connection; afterwards a full recount equals every tally.

These tests commit for real, so they clean up after themselves (and leave the tallies as
they found them: no watermark, nothing tallied)."""

from __future__ import annotations

import random
import threading
import time
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import orm

from flick_admin import tallies
from flick_admin.db import Auth, College, ContentReport, Notification, PlatformUser, Post
from flick_admin.db.base import utcnow
from flick_admin.db.tallies import (
    CollegeStudentTally, CommentPendingTally, ItemPriority, ItemReasonPriority, PostPendingTally, ReportCollege, ReporterReliability,
    TallyWatermark,
)
from flick_admin.extensions import db
from flick_admin.moderation import services
from flick_admin.moderation.services import Target, TargetKind
from flick_admin.refusals import ActionRefused
from tests.conftest import purge_committed_audit

pytestmark = pytest.mark.postgres_only

POSTS = 12


def _reset_tallies(session) -> None:
    for model in (PostPendingTally, CommentPendingTally, ReportCollege, CollegeStudentTally, ReporterReliability, ItemPriority,
                  ItemReasonPriority):
        session.execute(sa.delete(model))
    session.execute(sa.update(TallyWatermark).values(through=None))


@pytest.fixture
def committed_board(app):
    with app.app_context():
        engine = db.engine
    tag = uuid.uuid4().hex[:10]
    college_id, auth_id, user_id = uuid.uuid4(), f"tally-{tag}", uuid.uuid4()
    post_ids = [uuid.uuid4() for _ in range(POSTS)]
    old = utcnow() - timedelta(days=2)
    with orm.Session(engine) as s:
        _reset_tallies(s)
        s.add(College(id=college_id, name=f"Tally Race {tag}", email_domain=f"{tag}.edu",
                      city="Pune", state="MH"))
        s.add(Auth(id=auth_id, name="racer", email=f"{auth_id}@race.edu", role="user"))
        s.flush()
        s.add(PlatformUser(id=user_id, auth_id=auth_id, username=auth_id, college_id=college_id,
                           created_at=old))
        s.flush()
        for i, pid in enumerate(post_ids):
            s.add(Post(id=pid, title=f"race {i}", content="x", posted_by_id=user_id,
                       topic="Ask Flick", created_at=old))
        s.flush()
        for i, pid in enumerate(post_ids):
            for _ in range(1 + i % 3):
                s.add(ContentReport(type="Post", post_id=pid, reported_by_id=user_id, reason="SPAM",
                                    message="old", created_at=old))
        s.commit()
    try:
        yield {"engine": engine, "posts": post_ids, "user": user_id}
    finally:
        with orm.Session(engine) as s:
            report_ids = list(s.scalars(sa.select(ContentReport.id)
                                        .where(ContentReport.post_id.in_(post_ids))))
            purge_committed_audit(s, [*post_ids, *report_ids])
            s.execute(sa.delete(Notification).where(Notification.receiver_id == str(user_id)))
            s.execute(sa.delete(College).where(College.id == college_id))
            s.execute(sa.delete(Auth).where(Auth.id == auth_id))
            _reset_tallies(s)
            s.commit()


def test_tallies_are_exact_after_concurrent_decisions_new_reports_and_catch_ups(app, committed_board,
                                                                              monkeypatch):
    board = committed_board
    # Catch-ups come right behind Flick's server (its reports commit well within 0.2 s), so
    # moderators decide reports while the watermark is moving over them.
    monkeypatch.setitem(app.config, "TALLY_MARGIN_SECONDS", 0.2)
    with app.test_request_context("/"):
        tallies.catch_up()  # everything filed so far is tallied (two days old)
    errors: list[BaseException] = []
    start, done = threading.Barrier(4), threading.Event()

    def moderator(seed: int) -> None:
        rng = random.Random(seed)
        with app.test_request_context("/"):
            try:
                start.wait(timeout=10)
                while not done.is_set():
                    pid = rng.choice(board["posts"])
                    action = rng.choice(["ignore", "reopen", "ignore"])
                    try:
                        services.moderate(Target(TargetKind.POST, pid, None), action, "race")
                    except ActionRefused:  # nothing to reopen, say: fine
                        pass
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    def flick_server() -> None:
        # New reports as Flick's server files them (stamped when written, committed at once).
        try:
            start.wait(timeout=10)
            with orm.Session(board["engine"]) as s:
                for i in range(150):
                    s.add(ContentReport(type="Post", post_id=board["posts"][i % POSTS],
                                        reported_by_id=board["user"], reason="SPAM", message="new"))
                    s.commit()
                    time.sleep(0.01)
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    def cron() -> None:
        with app.test_request_context("/"):
            try:
                start.wait(timeout=10)
                while not done.is_set():  # each one moves the watermark over reports just filed
                    tallies.catch_up()
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=moderator, args=(1,)), threading.Thread(target=moderator, args=(2,)),
               threading.Thread(target=flick_server), threading.Thread(target=cron)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with app.test_request_context("/"):
        found = tallies.reconcile()
        assert found.exact, found.lines()
        tallies.catch_up(utcnow() + timedelta(hours=1))  # every new report tallied too
        assert tallies.reconcile().exact
    with board["engine"].connect() as conn:
        tallied = dict(conn.execute(sa.select(PostPendingTally.post_id, PostPendingTally.pending)
                                    .where(PostPendingTally.post_id.in_(board["posts"]))).all())
        counted = dict(conn.execute(
            sa.select(ContentReport.post_id, sa.func.count())
            .where(ContentReport.post_id.in_(board["posts"]), ContentReport.status == "pending")
            .group_by(ContentReport.post_id)).all())
    assert {k: v for k, v in tallied.items() if v} == counted
