"""Running tallies: pending reports per post, each report's college, students per college.

Every number the pages show must equal a full count, whether the tally is fresh, behind,
or has never run; decisions keep it right in their own transaction; catch-up adds what
Flick's server appended; reconcile finds any drift and repair fixes it (audited)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from flick_admin import tallies
from flick_admin.db import ContentReport, PlatformUser, Post
from flick_admin.db.base import utcnow
from flick_admin.db.tallies import CollegeStudentTally, PostPendingTally, ReportCollege
from flick_admin.moderation import services
from flick_admin.moderation.services import Target, TargetKind
from tests import factories
from tests.conftest import audit_rows
from tests.moderation.test_lists import next_link

MARGIN = timedelta(seconds=tallies.DEFAULT_MARGIN_SECONDS)


def full_pending_counts(dbs) -> dict:
    rows = dbs.execute(sa.select(ContentReport.post_id, sa.func.count())
                       .where(ContentReport.status == "pending", ContentReport.post_id.is_not(None))
                       .group_by(ContentReport.post_id)).all()
    return dict(rows)


def most_reported(client) -> list[tuple[str, int]]:
    return most_reported_rows(client.get("/posts/", query_string={"sort": "reported"}).get_data(as_text=True))


def most_reported_rows(page: str) -> list[tuple[str, int]]:
    # Each row: the title link, then the pending count badge.
    return [(title, int(n)) for title, n in re.findall(
        r'<strong>([^<]+)</strong></a>.*?badge badge-pill badge-dark">(\d+)</span>', page, re.S)]


def expected_order(dbs) -> list[tuple[str, int]]:
    counts = full_pending_counts(dbs)
    posts = dbs.execute(sa.select(Post.id, Post.title, Post.created_at)
                        .where(Post.id.in_(list(counts)))).all()
    ranked = sorted(posts, key=lambda p: (counts[p.id], p.created_at, p.id), reverse=True)
    return [(p.title, counts[p.id]) for p in ranked]


def reported_post(title: str, n: int, *, age: timedelta, **kw):
    post = factories.PostFactory(title=title, **kw)
    for i in range(n):
        factories.ReportFactory(post=post, created_at=utcnow() - age - timedelta(seconds=i))
    return post


def catch_up(app, now=None):
    with app.test_request_context("/"):
        return tallies.catch_up(now)


def reconcile(app):
    with app.test_request_context("/"):
        return tallies.reconcile()


def decide(app, post, action="ban"):
    with app.test_request_context("/"):
        return services.moderate(Target(TargetKind.POST, post.id, None), action, "spam")


def test_most_reported_is_exact_before_during_and_after_catch_up(app, client, dbs, login_as):
    login_as("moderator")
    old_a = reported_post("tally old a", 3, age=timedelta(days=2))
    old_b = reported_post("tally old b", 1, age=timedelta(days=1))
    # Before the first catch-up everything is counted live.
    assert most_reported(client) == expected_order(dbs)
    catch_up(app)
    assert dbs.get(PostPendingTally, old_a.id).pending == 3
    # New reports after the watermark: old_b overtakes old_a, a new post joins.
    for _ in range(3):
        factories.ReportFactory(post=old_b)
    reported_post("tally fresh", 2, age=timedelta(0))
    shown = most_reported(client)
    assert shown == expected_order(dbs)
    assert shown[:3] == [("tally old b", 4), ("tally old a", 3), ("tally fresh", 2)]
    # A decision on a tallied post takes it out at once, in the decision's transaction.
    decide(app, old_a)
    dbs.expire_all()
    assert dbs.get(PostPendingTally, old_a.id).pending == 0
    assert ("tally old a", 3) not in most_reported(client)
    assert most_reported(client) == expected_order(dbs)
    assert reconcile(app).exact
    catch_up(app, utcnow() + 2 * MARGIN)
    dbs.expire_all()
    assert dbs.get(PostPendingTally, old_b.id).pending == 4
    assert most_reported(client) == expected_order(dbs)
    assert reconcile(app).exact


def test_most_reported_pages_through_tallied_and_new_posts_without_repeats(app, client, dbs, login_as,
                                                                           monkeypatch):
    login_as("moderator")
    monkeypatch.setitem(app.config, "PAGE_SIZE", 3)
    for i in range(7):
        reported_post(f"paged {i}", 1 + i % 3, age=timedelta(days=1, minutes=i))
    catch_up(app)
    for i in range(5):
        reported_post(f"paged new {i}", 1 + i % 4, age=timedelta(0))
    factories.ReportFactory(post=dbs.scalar(sa.select(Post).where(Post.title == "paged 0")))
    seen, url = [], "/posts/?sort=reported"
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += [t for t, _ in most_reported_rows(page)]
        url = next_link(page)
    assert seen == [t for t, _ in expected_order(dbs)]


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_with_pending_reports_pages_through_tallied_and_new_posts_in_time_order(app, client, dbs, login_as,
                                                                                monkeypatch, sort):
    """The "with pending reports" filter reads the tally's posts in time order and the
    posts reported since its watermark live: together, exactly the posts a full count has,
    each with its full count, in the list's order."""
    login_as("moderator")
    monkeypatch.setitem(app.config, "PAGE_SIZE", 3)
    now = utcnow()
    for i in range(6):
        reported_post(f"timed {i}", 1 + i % 3, age=timedelta(days=1), created_at=now - timedelta(days=2, minutes=i))
    factories.PostFactory(title="timed unreported", created_at=now - timedelta(days=2, minutes=2, seconds=30))
    decided = reported_post("timed decided", 1, age=timedelta(days=1), created_at=now - timedelta(days=3))
    catch_up(app)
    decide(app, decided, "ignore")
    for i in range(3):
        reported_post(f"timed new {i}", 1, age=timedelta(0), created_at=now - timedelta(days=2, minutes=i, seconds=10))
    factories.ReportFactory(post=dbs.scalar(sa.select(Post).where(Post.title == "timed 1")))
    counts = full_pending_counts(dbs)
    posts = dbs.execute(sa.select(Post.title, Post.created_at, Post.id).where(Post.id.in_(list(counts)))).all()
    wanted = [(p.title, counts[p.id]) for p in sorted(posts, key=lambda p: (p.created_at, p.id),
                                                      reverse=sort == "newest")]
    seen, url = [], f"/posts/?reported=1&sort={sort}"
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += most_reported_rows(page)
        url = next_link(page)
    assert seen == wanted and len(wanted) == 9


def test_reopening_and_ignoring_keep_the_tally_right(app, dbs):
    post = reported_post("reopened", 2, age=timedelta(days=1))
    catch_up(app)
    target = Target(TargetKind.POST, post.id, None)
    with app.test_request_context("/"):
        services.moderate(target, "ignore", "not spam")
    dbs.expire_all()
    assert dbs.get(PostPendingTally, post.id).pending == 0
    with app.test_request_context("/"):
        services.moderate(target, "reopen", "second look")
    dbs.expire_all()
    assert dbs.get(PostPendingTally, post.id).pending == 2
    assert reconcile(app).exact


def test_a_report_decided_outside_flick_admin_is_found_and_repaired(app, dbs):
    post = reported_post("drifted", 2, age=timedelta(days=1))
    student = factories.StudentFactory(created_at=utcnow() - timedelta(days=3))
    catch_up(app)
    assert reconcile(app).exact
    # Flick's own admin app resolves a report, a student moves college: only a full count sees it.
    dbs.execute(sa.update(ContentReport).where(ContentReport.post_id == post.id)
                .values(status="resolved"))
    dbs.execute(sa.update(PlatformUser).where(PlatformUser.id == student.id)
                .values(college_id=factories.CollegeFactory().id))
    dbs.flush()
    found = reconcile(app)
    assert not found.exact
    assert (post.id, 0, 2) in found.posts
    assert len(found.colleges) == 2 and "NOT exact" in found.lines()[-1]
    with app.test_request_context("/"):
        tallies.repair("Flick's admin resolved reports directly")
    assert reconcile(app).exact
    (row,) = audit_rows(dbs, action="admin:repaired:tallies")
    assert row.metadata_["post_differences"] == 1 and row.metadata_["college_differences"] == 2
    assert row.reason == "Flick's admin resolved reports directly"


def test_report_college_filter_counts_tallied_and_new_reports(app, client, dbs, login_as):
    login_as("moderator")
    college = factories.CollegeFactory(name="Tally Institute", email_domain="tally.edu")
    author = factories.StudentFactory(college=college)
    old = reported_post("college old", 1, age=timedelta(days=1), author=author)
    comment = factories.CommentFactory(author=author, content="college comment text")
    factories.ReportFactory(on_comment=True, comment=comment, created_at=utcnow() - timedelta(days=1))
    reported_post("other college", 1, age=timedelta(days=1))
    catch_up(app)
    assert dbs.scalar(sa.select(sa.func.count()).select_from(ReportCollege)
                      .where(ReportCollege.college_id == college.id)) == 2
    fresh = reported_post("college fresh", 1, age=timedelta(0), author=author)
    page = client.get("/reports/", query_string={"college": "Tally"}).get_data(as_text=True)
    assert "college old" in page and "college fresh" in page and "college comment text" in page
    assert "other college" not in page
    decide(app, old)
    page = client.get("/reports/", query_string={"college": "tally.edu"}).get_data(as_text=True)
    assert "college old" not in page and "college fresh" in page
    assert fresh.title in page


def test_student_counts_and_the_size_order_are_exact(app, client, dbs, login_as):
    login_as("admin")
    big = factories.CollegeFactory(name="Size Big")
    small = factories.CollegeFactory(name="Size Small")
    for _ in range(3):
        factories.StudentFactory(college=big, created_at=utcnow() - timedelta(days=3))
    factories.StudentFactory(college=small, created_at=utcnow() - timedelta(days=3))
    catch_up(app)
    assert dbs.get(CollegeStudentTally, big.id).students == 3
    for _ in range(4):  # signs-ups after the watermark: small overtakes big
        factories.StudentFactory(college=small)
    page = client.get("/colleges/", query_string={"sort": "students", "q": "Size"}).get_data(as_text=True)
    assert page.index("Size Small") < page.index("Size Big")
    detail = client.get(f"/colleges/{small.id}").get_data(as_text=True)
    assert 'data-testid="students">5<' in detail
    assert reconcile(app).exact


def test_pages_keep_their_statement_budget_with_tallies(app, client, dbs, login_as, count_queries):
    login_as("admin")
    reported_post("budget", 2, age=timedelta(days=1))
    catch_up(app)
    for path, query in (("/posts/", {"sort": "reported"}), ("/reports/", {"college": "College"}),
                        ("/colleges/", {"sort": "students"})):
        with count_queries() as queries:
            assert client.get(path, query_string=query).status_code == 200
        assert queries.n <= 5, (path, queries.statements)


def test_the_commands_catch_up_reconcile_and_repair(app, dbs):
    post = reported_post("commands", 2, age=timedelta(days=1))
    runner = app.test_cli_runner()
    caught = runner.invoke(args=["tallies", "catch-up"])
    assert caught.exit_code == 0 and "reports tallied through" in caught.output
    exact = runner.invoke(args=["tallies", "reconcile"])
    assert exact.exit_code == 0 and "exact: every tally equals a full count" in exact.output
    dbs.execute(sa.update(ContentReport).where(ContentReport.post_id == post.id).values(status="ignored"))
    dbs.flush()
    drifted = runner.invoke(args=["tallies", "reconcile"])
    assert drifted.exit_code == 1 and "1 difference(s)" in drifted.output and str(post.id) in drifted.output
    refused = runner.invoke(args=["tallies", "repair"])
    assert refused.exit_code == 2 and "--reason" in refused.output
    repaired = runner.invoke(args=["tallies", "repair", "--reason", "reports ignored in Flick's admin"])
    assert repaired.exit_code == 0 and "1 post" in repaired.output
    assert runner.invoke(args=["tallies", "reconcile"]).exit_code == 0


def test_the_content_college_tally_follows_a_student_who_moved_only_through_repair(app, dbs):
    from flick_admin.db.tallies import PostCollege

    post = factories.PostFactory(created_at=utcnow() - timedelta(days=2))
    factories.CommentFactory(post=post, created_at=utcnow() - timedelta(days=2))
    catch_up(app)
    before = post.author.college_id
    assert dbs.get(PostCollege, post.id).college_id == before
    assert reconcile(app).exact
    moved = factories.CollegeFactory()
    dbs.execute(sa.update(factories.PlatformUser).where(factories.PlatformUser.id == post.author.id)
                .values(college_id=moved.id))
    dbs.flush()
    found = reconcile(app)
    assert not found.exact and found.content == [(post.id, moved.id, before)]
    with app.test_request_context("/"):
        tallies.repair("a student moved college")
    dbs.expire_all()
    assert dbs.get(PostCollege, post.id).college_id == moved.id
    assert reconcile(app).exact
