"""The running tally of pending reports per comment, behind the comments list's "with
pending reports": decisions keep it in their own transaction (a ban, a batch ignore, a
revert), catch-up adds the reports Flick's server wrote, reconcile finds drift and repair
fixes it; the list shows exactly the comments a full count has, in order, both ways."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from flick_admin import tallies
from flick_admin.db import Comment, ContentReport
from flick_admin.db.base import utcnow
from flick_admin.db.tallies import CommentPendingTally
from flick_admin.db.team import StaffScope
from flick_admin.moderation import services
from flick_admin.moderation.services import Target, TargetKind
from tests import factories
from tests.conftest import audit_rows
from tests.moderation.test_lists import next_link, prev_link
from tests.moderation.test_tallies import MARGIN, catch_up, reconcile

ROW = re.compile(r'class="text-inert">([^<]+)</a></td>.*?<td>(?:<span class="badge badge-pill badge-dark">'
                 r'(\d+)</span>)?</td>', re.S)


def reported_comment(content: str, n: int, *, age: timedelta, **kw):
    comment = factories.CommentFactory(content=content, **kw)
    for i in range(n):
        factories.ReportFactory(on_comment=True, comment=comment,
                                created_at=utcnow() - age - timedelta(seconds=i))
    return comment


def tallied(dbs, comment) -> int | None:
    dbs.expire_all()
    row = dbs.get(CommentPendingTally, comment.id)
    return None if row is None else row.pending


def full_counts(dbs) -> dict:
    return dict(dbs.execute(sa.select(ContentReport.comment_id, sa.func.count())
                            .where(ContentReport.status == "pending", ContentReport.comment_id.is_not(None))
                            .group_by(ContentReport.comment_id)).all())


def expected(dbs) -> list[tuple[str, int]]:
    counts = full_counts(dbs)
    rows = dbs.execute(sa.select(Comment.id, Comment.content, Comment.created_at)
                       .where(Comment.id.in_(list(counts)))).all()
    return [(r.content, counts[r.id]) for r in sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)]


def rows(page: str) -> list[tuple[str, int]]:
    return [(text, int(n or 0)) for text, n in ROW.findall(page)]


def test_the_tally_follows_a_ban_a_batch_ignore_a_revert_and_catch_up(app, client, dbs, login_as):
    login_as("moderator")
    banned = reported_comment("tally banned", 2, age=timedelta(days=1))
    ignored = [reported_comment(f"tally ignored {i}", 1 + i, age=timedelta(days=1)) for i in range(2)]
    later = reported_comment("tally later", 3, age=timedelta(days=1))
    factories.ReportFactory(post=banned.post, created_at=utcnow() - timedelta(days=1))  # the post's own
    catch_up(app)
    assert [tallied(dbs, c) for c in (banned, *ignored, later)] == [2, 1, 2, 3]
    assert client.post(f"/comments/{banned.id}/act",
                       data={"action": "ban", "reason_choice": "Spam or scam"}).status_code == 303
    assert tallied(dbs, banned) == 0
    with app.test_request_context("/"):
        services.moderate_batch([Target(TargetKind.COMMENT, c.id, None) for c in ignored], "ignore", "fine")
    assert [tallied(dbs, c) for c in ignored] == [0, 0]
    assert reconcile(app).exact
    report = dbs.scalar(sa.select(ContentReport.id).where(ContentReport.comment_id == ignored[0].id))
    ignoring = [r for r in audit_rows(dbs) if r.entity_id == str(report)][-1]
    assert client.post(f"/revert/{ignoring.id}",
                       data={"reason_choice": "Other", "reason_text": "decided in error"}).status_code == 303
    assert [tallied(dbs, c) for c in ignored] == [1, 2]
    assert reconcile(app).exact
    # Reports Flick's server wrote since the watermark: shown live, tallied by catch-up.
    factories.ReportFactory(on_comment=True, comment=later)
    fresh = reported_comment("tally fresh", 1, age=timedelta(0))
    assert rows(client.get("/comments/?reported=1").get_data(as_text=True)) == expected(dbs)
    assert tallied(dbs, later) == 3 and tallied(dbs, fresh) is None
    catch_up(app, utcnow() + 2 * MARGIN)
    assert tallied(dbs, later) == 4 and tallied(dbs, fresh) == 1
    assert rows(client.get("/comments/?reported=1").get_data(as_text=True)) == expected(dbs)
    assert reconcile(app).exact


def test_reconcile_finds_a_comment_report_decided_outside_flick_admin_and_repair_fixes_it(app, client, dbs,
                                                                                         login_as):
    login_as("moderator")
    drifted = reported_comment("drifted comment", 2, age=timedelta(days=1))
    catch_up(app)
    assert reconcile(app).exact
    dbs.execute(sa.update(ContentReport).where(ContentReport.comment_id == drifted.id).values(status="resolved"))
    dbs.flush()
    # The list probes each row for a pending report: a stale tally never shows it.
    assert "drifted comment" not in client.get("/comments/?reported=1").get_data(as_text=True)
    found = reconcile(app)
    assert (drifted.id, 0, 2) in found.comments and not found.exact
    with app.test_request_context("/"):
        tallies.repair("Flick's admin resolved comment reports directly")
    assert reconcile(app).exact and tallied(dbs, drifted) is None
    (row,) = audit_rows(dbs, action="admin:repaired:tallies")
    assert row.metadata_["comment_differences"] == 1


def test_with_pending_reports_pages_forward_and_back_in_a_few_statements(app, client, dbs, login_as,
                                                                         monkeypatch, count_queries):
    login_as("moderator")
    monkeypatch.setitem(app.config, "PAGE_SIZE", 3)
    now = utcnow()
    for i in range(6):
        reported_comment(f"timed {i}", 1 + i % 3, age=timedelta(days=1), created_at=now - timedelta(days=2, minutes=i))
    factories.CommentFactory(content="timed unreported", created_at=now - timedelta(days=2, minutes=2, seconds=30))
    decided = reported_comment("timed decided", 1, age=timedelta(days=1), created_at=now - timedelta(days=3))
    catch_up(app)
    with app.test_request_context("/"):
        services.moderate(Target(TargetKind.COMMENT, decided.id, None), "ignore", "fine")
    for i in range(3):
        reported_comment(f"timed new {i}", 1, age=timedelta(0),
                         created_at=now - timedelta(days=2, minutes=i, seconds=10))
    factories.ReportFactory(on_comment=True, comment=dbs.scalar(sa.select(Comment).where(Comment.content == "timed 1")))
    wanted = expected(dbs)
    assert len(wanted) == 9
    pages, url = [], "/comments/?reported=1"
    while url:
        with count_queries() as counted:
            page = client.get(url).get_data(as_text=True)
        assert counted.n <= 5, counted.statements
        assert any("admin_comment_pending" in statement for statement in counted.statements)
        pages.append(rows(page))
        url = next_link(page)
    assert [r for p in pages for r in p] == wanted
    back, url = [], prev_link(page)
    while url:
        with count_queries() as counted:
            page = client.get(url).get_data(as_text=True)
        assert counted.n <= 5, counted.statements
        back.insert(0, rows(page))
        url = prev_link(page)
    assert back == pages[:-1]


def test_a_scoped_member_sees_only_the_reported_comments_of_their_colleges(app, client, dbs, login_as):
    inside, outside = factories.CollegeFactory(email_domain="in.edu"), factories.CollegeFactory(email_domain="out.edu")
    a, b = factories.StudentFactory(college=inside), factories.StudentFactory(college=outside)
    reported_comment("inside old", 1, age=timedelta(days=1), author=a)
    reported_comment("outside old", 1, age=timedelta(days=1), author=b)
    catch_up(app)
    reported_comment("inside new", 2, age=timedelta(0), author=a)
    reported_comment("outside new", 1, age=timedelta(0), author=b)
    user = login_as("moderator")
    dbs.add(StaffScope(user_id=user.id, college_id=inside.id))
    dbs.flush()
    shown = [text for text, _ in rows(client.get("/comments/?reported=1").get_data(as_text=True))]
    assert shown == ["inside new", "inside old"]
