"""The live queue's poll: what became of a page's rows, in one statement, under the scope."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, timedelta, timezone

import pytest
import sqlalchemy as sa

from flick_admin.db import Session as StaffSession
from flick_admin.db.base import utcnow
from flick_admin.db.team import StaffScope
from tests import factories

BAN = {"action": "ban", "reason_choice": "Spam or scam"}
IGNORE = {"action": "ignore", "reason_choice": "Report reviewed: no violation"}


def _ids(*items):
    return ",".join(f"{'post' if hasattr(i, 'title') else 'comment'}:{i.id}" for i in items)


def _poll(client, *items, status="pending"):
    response = client.get(f"/reports/changes?status={status}&ids={_ids(*items)}")
    assert response.status_code == 200, response.data[:300]
    return response.get_json()["rows"]


def test_claims_and_decisions_show_with_who_made_them(app, client, dbs, login_as):
    post, other = factories.PostFactory(), factories.PostFactory()
    comment = factories.CommentFactory()
    for item in (post, other):
        factories.ReportFactory(post=item)
    factories.ReportFactory(type="Comment", post=None, comment=comment)
    asha = login_as("moderator", name="Asha Rao")
    assert client.post(f"/reports/post/{post.id}/claim").status_code == 303
    assert client.post(f"/posts/{other.id}/act", data=BAN).status_code == 303
    assert client.post(f"/reports/comment/{comment.id}/act", data=IGNORE).status_code == 303
    mine = _poll(client, post)
    assert mine[f"post:{post.id}"] == {"holder": "claimed by Asha Rao, just now", "mine": True, "done": None}
    login_as("moderator", name="Ben Ito")
    later = factories.PostFactory()
    factories.ReportFactory(post=later)
    assert client.post(f"/posts/{later.id}/act", data={**BAN, "action": "shadow_ban"}).status_code == 303
    rows = _poll(client, post, other, comment, later)
    assert rows[f"post:{later.id}"]["done"] == "shadow-banned by Ben Ito"  # each row its own decider
    assert rows[f"post:{post.id}"] == {"holder": "claimed by Asha Rao, just now", "mine": False, "done": None}
    assert rows[f"post:{other.id}"]["done"] == "banned by Asha Rao"
    assert rows[f"comment:{comment.id}"]["done"] == "reports ignored by Asha Rao"
    assert rows[f"post:{other.id}"]["holder"] is None
    # On the ignored queue, a reopen makes the row done there.
    client.post(f"/reports/comment/{comment.id}/act", data={"action": "reopen", "reason_choice": "Spam or scam"})
    assert _poll(client, comment, status="ignored")[f"comment:{comment.id}"]["done"] == "reopened by Ben Ito"
    del asha


def test_a_deleted_item_is_gone_and_an_unknown_one_too(client, dbs, login_as):
    login_as("moderator")
    ghost = uuid.uuid4()
    rows = client.get(f"/reports/changes?ids=post:{ghost}").get_json()["rows"]
    assert rows == {f"post:{ghost}": {"holder": None, "mine": False, "done": "no longer exists"}}


@pytest.mark.parametrize("query", ["ids=post:nope", "ids=video:" + str(uuid.uuid4()), "status=lost",
                                   "ids=" + ",".join(f"post:{uuid.uuid4()}" for _ in range(201))])
def test_bad_questions_are_a_400(client, dbs, login_as, query):
    login_as("moderator")
    response = client.get(f"/reports/changes?{query}")
    assert response.status_code == 400


def test_one_statement_with_the_session_and_no_activity(app, client, dbs, login_as, count_queries):
    posts = [factories.PostFactory() for _ in range(3)]
    comment = factories.CommentFactory()
    for p in posts:
        factories.ReportFactory(post=p)
    user = login_as("moderator")
    client.post(f"/reports/post/{posts[0].id}/claim")
    client.post(f"/posts/{posts[1].id}/act", data=BAN)
    stale = utcnow() - timedelta(minutes=5)
    dbs.execute(sa.update(StaffSession).where(StaffSession.user_id == user.id).values(updated_at=stale))
    dbs.flush()
    url = f"/reports/changes?ids={_ids(*posts, comment)}"
    with count_queries() as counted:
        response = client.get(url)
    assert response.status_code == 200
    assert counted.n == 1, counted.statements
    # No badges: neither the proposals waiting nor the saved views are looked at.
    assert "admin_proposals" not in counted.statements[0] and "admin_saved_views" not in counted.statements[0]
    assert len(response.get_json()["rows"]) == 4
    # The poll is not activity: the session's last use stays where it was.
    dbs.expire_all()
    assert dbs.scalar(sa.select(StaffSession.updated_at).where(StaffSession.user_id == user.id)) == stale
    # A page is: it draws its badges and touches the session.
    client.get("/reports/")
    dbs.expire_all()
    assert dbs.scalar(sa.select(StaffSession.updated_at).where(StaffSession.user_id == user.id)) > stale


def test_a_scoped_moderator_gets_nothing_outside_their_colleges(client, dbs, login_as):
    inside, outside = factories.CollegeFactory(), factories.CollegeFactory()
    mine = factories.PostFactory(author=factories.StudentFactory(college=inside))
    theirs = factories.PostFactory(author=factories.StudentFactory(college=outside))
    for p in (mine, theirs):
        factories.ReportFactory(post=p)
    login_as("moderator", name="Control Mod")
    client.post(f"/reports/post/{theirs.id}/claim")
    client.post(f"/posts/{theirs.id}/act", data=BAN)
    scoped = login_as("moderator", name="Scoped Mod")
    dbs.add(StaffScope(user_id=scoped.id, college_id=inside.id))
    dbs.flush()
    response = client.get(f"/reports/changes?ids={_ids(mine, theirs)}")
    rows = response.get_json()["rows"]
    assert rows[f"post:{mine.id}"]["done"] is None
    assert rows[f"post:{theirs.id}"] == {"holder": None, "mine": False, "done": "no longer exists"}
    assert "Control Mod" not in response.get_data(as_text=True)
    # A list's poll too: nothing of the outside post, not even who banned it.
    listed = client.get(f"/reports/changes?since=2000-01-01T00:00:00&ids={_ids(mine, theirs)}")
    assert listed.get_json()["rows"][f"post:{theirs.id}"]["now"] == "no longer exists"
    assert "Control Mod" not in listed.get_data(as_text=True)


def test_the_queue_page_carries_what_the_script_polls(client, dbs, login_as):
    post = factories.PostFactory()
    factories.ReportFactory(post=post)
    login_as("auditor")
    page = client.get("/reports/").get_data(as_text=True)
    assert 'data-live-url="/reports/changes?status=pending"' in page
    assert f'data-live-id="post:{post.id}"' in page and "live.js" in page


def test_a_list_hears_what_was_done_to_its_rows_since_it_was_drawn(client, dbs, login_as):
    post, other = factories.PostFactory(), factories.PostFactory()
    comment = factories.CommentFactory()
    factories.ReportFactory(post=post)
    login_as("moderator", name="Asha Rao")
    page = client.get("/posts/").get_data(as_text=True)
    since = re.search(r'data-live-url="/reports/changes\?since=([^"]+)"', page).group(1)
    assert f'data-live-id="post:{post.id}"' in page and "live.js" in page
    assert 'data-live-mode="list"' in client.get("/comments/").get_data(as_text=True)
    client.post(f"/posts/{post.id}/act", data=BAN)
    client.post(f"/comments/{comment.id}/act", data=BAN)
    client.post(f"/reports/post/{other.id}/claim")
    login_as("moderator", name="Ben Ito")
    response = client.get(f"/reports/changes?since={since}&ids={_ids(post, other, comment)}")
    rows = response.get_json()["rows"]
    assert rows[f"post:{post.id}"]["now"] == "banned by Asha Rao"
    assert rows[f"comment:{comment.id}"]["now"] == "banned by Asha Rao"
    assert rows[f"post:{other.id}"]["now"] is None and rows[f"post:{other.id}"]["holder"].startswith("claimed by Asha")
    # Decisions before the page was drawn are not news.
    later = (utcnow() + timedelta(minutes=1)).isoformat(timespec="seconds")
    assert client.get(f"/reports/changes?since={later}&ids={_ids(post)}").get_json()["rows"][
        f"post:{post.id}"]["now"] is None
    assert client.get(f"/reports/changes?since=yesterday&ids={_ids(post)}").status_code == 400
    # A time with an offset is that instant: a minute from now written in UTC+05:00 still
    # lies after the ban; an hour ago written in UTC+05:00 lies before it.
    zone = timezone(timedelta(hours=5))
    ahead = (utcnow().replace(tzinfo=UTC) + timedelta(minutes=1)).astimezone(zone).isoformat(timespec="seconds")
    before = (utcnow().replace(tzinfo=UTC) - timedelta(hours=1)).astimezone(zone).isoformat(timespec="seconds")
    asked = {"ids": _ids(post)}
    assert client.get("/reports/changes", query_string={**asked, "since": ahead}).get_json()["rows"][
        f"post:{post.id}"]["now"] is None
    assert client.get("/reports/changes", query_string={**asked, "since": before}).get_json()["rows"][
        f"post:{post.id}"]["now"] == "banned by Asha Rao"
    # The calendar's edge with an offset is a 400, not a 500.
    assert client.get("/reports/changes", query_string={**asked, "since": "0001-01-01T00:00:00+05:00"}).status_code == 400


def test_a_list_poll_is_one_statement_too(client, dbs, login_as, count_queries):
    posts = [factories.PostFactory() for _ in range(3)]
    login_as("moderator")
    since = utcnow().isoformat(timespec="seconds")
    url = f"/reports/changes?since={since}&ids={_ids(*posts)}"
    with count_queries() as counted:
        assert client.get(url).status_code == 200
    assert counted.n == 1, counted.statements
