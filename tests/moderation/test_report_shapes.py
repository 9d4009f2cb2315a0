"""Every shape of report row Flick's schema allows: a post id, a comment id, both, neither,
and a type that disagrees with the ids. The queue survives all of them; a report that
names a comment is about the comment; reports about nothing are listed apart."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flick_admin.db import ContentReport, Notification
from flick_admin.db.base import utcnow
from tests import factories
from tests.conftest import audit_rows

REASON = {"reason_choice": "Report reviewed: no violation"}
SORTS = ("oldest", "newest", "most")


def shaped(dbs, *, post=None, comment=None, type="Post", status="pending", minutes_ago=0, **extra):
    """A report row with exactly these ids and type (whatever the factory would pick)."""
    report = factories.ReportFactory(status=status, created_at=utcnow() - timedelta(minutes=minutes_ago),
                                     **extra)
    dbs.execute(sa.update(ContentReport).where(ContentReport.id == report.id).values(
        post_id=post.id if post else None, comment_id=comment.id if comment else None, type=type))
    dbs.flush()
    return report


def status_of(dbs, report) -> str:
    dbs.expire_all()
    return dbs.get(ContentReport, report.id).status


@pytest.mark.parametrize("sort", SORTS)
def test_a_report_naming_nothing_does_not_take_the_queue_down(client, dbs, login_as, sort):
    login_as("moderator")
    post = factories.PostFactory(title="a post still reported")
    factories.ReportFactory(post=post)
    shaped(dbs, post=None, comment=None, message="it was about something once")
    response = client.get("/reports/", query_string={"sort": sort})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "a post still reported" in page and page.count('class="kb-row"') == 1
    listed_apart = page.split('data-testid="unlinked-reports"')[1]
    assert "no longer exists or was never linked" in page
    assert "it was about something once" in listed_apart


def test_unlinked_reports_can_be_ignored_and_a_changed_one_is_a_409(client, dbs, login_as):
    login_as("moderator")
    first = shaped(dbs, message="first orphan")
    second = shaped(dbs, message="second orphan")
    response = client.post("/reports/unlinked/ignore", data={"report": [f"{first.id}:pending"], **REASON})
    assert response.status_code == 303
    assert status_of(dbs, first) == "ignored" and status_of(dbs, second) == "pending"
    (row,) = audit_rows(dbs, action="admin:updated:report:status")
    assert (row.entity_id, row.before, row.after) == (str(first.id), {"status": "pending"}, {"status": "ignored"})
    assert dbs.scalars(sa.select(Notification)).all() == []
    # Drawn pending, ignored since by someone else: a 409, nothing written.
    stale = client.post("/reports/unlinked/ignore",
                        data={"report": [f"{first.id}:pending", f"{second.id}:pending"], **REASON})
    assert stale.status_code == 409
    assert status_of(dbs, second) == "pending"
    assert len(audit_rows(dbs, action="admin:updated:report:status")) == 1
    # A report that names an item is not ignored from here.
    linked = factories.ReportFactory()
    assert client.post("/reports/unlinked/ignore",
                       data={"report": [f"{linked.id}:pending"], **REASON}).status_code == 409
    assert client.post("/reports/unlinked/ignore", data={"report": ["nonsense"], **REASON}).status_code == 400


def test_an_auditor_sees_unlinked_reports_without_the_ignore_form(client, dbs, login_as):
    login_as("auditor")
    shaped(dbs, message="orphan for the auditor")
    page = client.get("/reports/").get_data(as_text=True)
    assert "orphan for the auditor" in page and "/reports/unlinked/ignore" not in page
    assert client.post("/reports/unlinked/ignore", data={"report": []}).status_code == 403


# --- a comment report that also carries its post's id ---------------------------------------

def test_a_comment_report_with_its_post_id_is_about_the_comment(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory(title="the parent post")
    comment = factories.CommentFactory(post=post, content="the reported reply")
    # The comment's report is older than the post's own.
    on_comment = shaped(dbs, post=post, comment=comment, type="Comment", minutes_ago=60,
                        message="about the reply")
    on_post = factories.ReportFactory(post=post, message="about the post itself")
    for sort in SORTS:
        page = client.get("/reports/", query_string={"sort": sort}).get_data(as_text=True)
        # Two rows: the post with its own report, the comment with its report.
        assert page.count('class="kb-row"') == 2, sort
        assert f'value="post:{post.id}:b0s0"' in page and f'value="comment:{comment.id}:b0"' in page
        assert "the reported reply" in page and ">deleted</em>" not in page
    # Deciding the post settles only the post's own report.
    response = client.post(f"/reports/post/{post.id}/act", data={"action": "ignore", "state": "b0s0", **REASON})
    assert response.status_code == 303
    assert status_of(dbs, on_post) == "ignored" and status_of(dbs, on_comment) == "pending"
    (told,) = dbs.scalars(sa.select(Notification)).all()
    assert told.receiver_id == str(on_post.reported_by_id)
    # The comment's report is acted on as the comment's.
    response = client.post(f"/reports/comment/{comment.id}/act", data={"action": "ban", "state": "b0", **REASON})
    assert response.status_code == 303
    assert status_of(dbs, on_comment) == "resolved"
    # The post's page lists each report once.
    post_page = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert post_page.count("about the reply") == 1 and post_page.count("about the post itself") == 1


def test_the_type_column_does_not_decide_what_a_report_is_about(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory(title="typed as a comment report")
    comment = factories.CommentFactory(content="typed as a post report")
    shaped(dbs, post=post, type="Comment")
    shaped(dbs, comment=comment, type="Post")
    posts_only = client.get("/reports/", query_string={"type": "post"}).get_data(as_text=True)
    assert "typed as a comment report" in posts_only and "typed as a post report" not in posts_only
    comments_only = client.get("/reports/", query_string={"type": "comment"}).get_data(as_text=True)
    assert "typed as a post report" in comments_only and "typed as a comment report" not in comments_only


# --- every shape at once (Hypothesis) -------------------------------------------------------

SHAPES = st.lists(
    st.tuples(st.sampled_from([None, 0, 1]),           # post id: none, post A, post B
              st.sampled_from([None, 0, 1, 2]),        # comment id: none, a comment of A, of A, of B
              st.sampled_from(["Post", "Comment"]),    # the type, agreeing or not
              st.sampled_from(["pending", "pending", "resolved", "ignored"]),
              st.integers(min_value=0, max_value=5)),  # minutes ago
    min_size=1, max_size=8)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(shapes=SHAPES)
def test_the_queue_shows_every_item_once_whatever_the_rows(client, dbs, login_as, shapes):
    login_as("moderator")
    # Each example starts from no reports at all (the test's own transaction is rolled back
    # at its end).
    dbs.execute(sa.delete(ContentReport))
    dbs.flush()
    if True:
        posts = factories.PostFactory.create_batch(2)
        comments = [factories.CommentFactory(post=posts[0]), factories.CommentFactory(post=posts[0]),
                    factories.CommentFactory(post=posts[1])]
        expected: Counter = Counter()
        unlinked = 0
        for post_i, comment_i, kind, status, minutes in shapes:
            shaped(dbs, post=None if post_i is None else posts[post_i],
                   comment=None if comment_i is None else comments[comment_i],
                   type=kind, status=status, minutes_ago=minutes)
            if status != "pending":
                continue
            if comment_i is not None:
                expected[f"comment:{comments[comment_i].id}"] += 1
            elif post_i is not None:
                expected[f"post:{posts[post_i].id}"] += 1
            else:
                unlinked += 1
        for sort in SORTS:
            response = client.get("/reports/", query_string={"sort": sort})
            assert response.status_code == 200, sort
            page = response.get_data(as_text=True)
            rows = [part.split("\"", 1)[0].rsplit(":", 1)[0] for part in page.split('name="target" form="decide" value="')[1:]]
            assert Counter(rows) == Counter(dict.fromkeys(expected, 1)), sort
            counts = [int(n) for n in re.findall(r'aria-label="(\d+) reports"', page)]
            assert sorted(counts) == sorted(expected.values()), sort
            listed_apart = page.split('data-testid="unlinked-reports"')
            assert (len(listed_apart) > 1) == bool(unlinked)
            if unlinked:
                assert listed_apart[1].count('name="report" form="unlinked"') == unlinked
