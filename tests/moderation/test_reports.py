"""The report queue: grouped by target, decided from the row, in bulk in one transaction."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from flick_admin.db import ContentReport, Notification
from flick_admin.db.base import utcnow
from tests import factories
from tests.conftest import audit_rows

REASON = {"reason_choice": "Spam or scam"}


def statuses(dbs, reports):
    dbs.expire_all()
    return [dbs.get(ContentReport, r.id).status for r in reports]


def test_queue_groups_reports_by_target_with_text_author_counts_and_reasons(client, dbs, login_as):
    login_as("moderator")
    author = factories.StudentFactory(username="loud_author")
    post = factories.PostFactory(author=author, title="Buy followers", content="cheap followers here")
    now = utcnow()
    factories.ReportFactory(post=post, reason="SPAM", created_at=now - timedelta(days=3))
    factories.ReportFactory(post=post, reason="SPAM", created_at=now - timedelta(days=1),
                            message="they keep posting this link")
    factories.ReportFactory(post=post, reason="HARASSMENT", created_at=now - timedelta(hours=2))
    comment_report = factories.ReportFactory(on_comment=True, reason="HATE_SPEECH",
                                             created_at=now - timedelta(days=5))
    page = client.get("/reports/").get_data(as_text=True)
    assert page.count('class="kb-row"') == 2
    assert "Buy followers" in page and "cheap followers here" in page and "loud_author" in page
    # Human labels for Flick's reason codes, readable ages with the exact time on hover.
    assert "Spam ×2" in page and "Harassment" in page and "Hate speech" in page
    assert "HATE_SPEECH" not in page.split('name="reason"')[0] + page.split("</select>", 2)[-1]
    assert ">3 d ago</time> · <time" in page and ">2 h ago</time>" in page
    assert 'title="' + (now - timedelta(days=3)).strftime("%Y-%m-%d %H:%M") + ' UTC"' in page
    # The reporters' own words, and one shared decision panel instead of a form per row.
    assert "<q>they keep posting this link</q>" in page
    assert page.count('id="decide"') == 1 and page.count('class="row-action"') == 0
    # Oldest first on request (the default is priority): the comment (5 days) comes before
    # the post (3 days).
    page = client.get("/reports/?sort=oldest").get_data(as_text=True)
    assert page.index(comment_report.comment.content) < page.index("Buy followers")


def test_queue_filters_and_sorts(client, dbs, login_as):
    login_as("moderator")
    college = factories.CollegeFactory(name="Zenith Institute", email_domain="zenith.edu")
    zen_post = factories.PostFactory(title="zen post", author=factories.StudentFactory(college=college))
    factories.ReportFactory(post=zen_post, reason="VIOLENCE")
    factories.ReportFactory.create_batch(3, post=factories.PostFactory(title="popular"))
    factories.ReportFactory(on_comment=True, resolved=True, message="closed one")

    def rows(**query):
        return client.get("/reports/", query_string=query).get_data(as_text=True)

    assert "zen post" in rows(college="zenith") and "popular" not in rows(college="zenith")
    assert "zen post" in rows(college="zenith.edu")
    assert "popular" not in rows(reason="VIOLENCE")
    assert "zen post" not in rows(type="comment")
    assert "closed one" not in rows() and rows(status="resolved").count('class="kb-row"') == 1
    most = rows(sort="most")
    assert most.index("popular") < most.index("zen post")


def test_ignore_and_reopen_from_the_queue(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    reports = factories.ReportFactory.create_batch(2, post=post)
    response = client.post(f"/reports/post/{post.id}/act",
                           data={"action": "ignore", "reason_choice": "Report reviewed: no violation"})
    assert response.status_code == 303
    assert statuses(dbs, reports) == ["ignored", "ignored"]
    assert dbs.get(type(post), post.id).is_banned is False
    rows = audit_rows(dbs, action="admin:updated:report:status")
    assert [(r.before, r.after) for r in rows] == [({"status": "pending"}, {"status": "ignored"})] * 2
    client.post(f"/reports/post/{post.id}/act", data={"action": "reopen", **REASON})
    assert statuses(dbs, reports) == ["pending", "pending"]
    assert len(audit_rows(dbs, action="admin:updated:report:status")) == 4
    # Ignoring twice: nothing pending is left after the first, so nothing is written.
    client.post(f"/reports/post/{post.id}/act", data={"action": "ignore", **REASON})
    client.post(f"/reports/post/{post.id}/act", data={"action": "ignore", **REASON})
    assert len(audit_rows(dbs, action="admin:updated:report:status")) == 6


def test_ban_from_the_queue_resolves_and_returns_to_the_queue(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    report = factories.ReportFactory(post=post)
    response = client.post(f"/reports/post/{post.id}/act",
                           data={"action": "ban", "state": "b0s0", "next": "/reports/?sort=newest", **REASON})
    assert response.headers["Location"] == "/reports/?sort=newest"
    assert statuses(dbs, [report]) == ["resolved"]
    evil = client.post(f"/reports/post/{post.id}/act",
                       data={"action": "reopen", "next": "https://evil.example/", **REASON})
    assert evil.headers["Location"] == "/reports/"


def _targets(*items):
    out = []
    for item in items:
        if hasattr(item, "title"):
            out.append(f"post:{item.id}:b{int(bool(item.is_banned))}s{int(bool(item.is_shadow_banned))}")
        else:
            out.append(f"comment:{item.id}:b{int(bool(item.is_banned))}")
    return out


def test_bulk_ban_is_one_batch_with_one_audit_row_per_item(client, dbs, login_as):
    login_as("admin")
    posts = factories.PostFactory.create_batch(3)
    comment = factories.CommentFactory()
    reports = [factories.ReportFactory(post=p) for p in posts]
    response = client.post("/reports/bulk", data={
        "action": "ban", "target": _targets(*posts, comment), "reason_text": "coordinated spam"})
    assert response.status_code == 303
    dbs.expire_all()
    assert all(dbs.get(type(p), p.id).is_banned for p in posts)
    assert dbs.get(type(comment), comment.id).is_banned
    assert statuses(dbs, reports) == ["resolved"] * 3
    content_rows = audit_rows(dbs, action="admin:blocked:content")
    report_rows = audit_rows(dbs, action="admin:updated:report:status")
    assert len(content_rows) == 4 and len(report_rows) == 3
    batch_ids = {r.metadata_["batch_id"] for r in content_rows + report_rows}
    assert len(batch_ids) == 1
    assert {r.reason for r in content_rows} == {"coordinated spam"}


def test_a_batch_with_one_bad_item_changes_nothing_and_names_it(client, dbs, login_as):
    login_as("moderator")
    posts = factories.PostFactory.create_batch(2)
    comment = factories.CommentFactory()
    response = client.post("/reports/bulk", data={
        "action": "shadow_ban", "target": _targets(posts[0], comment, posts[1]), **REASON})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Item 2" in text and str(comment.id) in text and "Nothing in the batch was changed" in text
    dbs.expire_all()
    assert not any(dbs.get(type(p), p.id).is_shadow_banned for p in posts)
    assert audit_rows(dbs) == []


def test_a_batch_with_a_stale_item_is_a_409(client, dbs, login_as):
    login_as("moderator")
    fresh, stale = factories.PostFactory(), factories.PostFactory(banned=True)
    response = client.post("/reports/bulk", data={
        "action": "shadow_ban", "target": [f"post:{fresh.id}:b0s0", f"post:{stale.id}:b0s0"],
        **REASON})
    assert response.status_code == 409
    assert audit_rows(dbs) == []


def test_bulk_input_errors_are_400(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    cases = [
        {"action": "ban", **REASON},                                   # nothing selected
        {"action": "ban", "target": ["post:nope:b0s0"], **REASON},     # malformed id
        {"action": "ban", "target": ["video:" + str(post.id) + ":x"], **REASON},
        {"action": "ban", "target": [f"post:{post.id}:b0s0"] * 2, **REASON},
        {"action": "explode", "target": [f"post:{post.id}:b0s0"], **REASON},
        {"action": "ban", "target": [f"post:{post.id}:b0s0"]},          # no reason
    ]
    for data in cases:
        assert client.post("/reports/bulk", data=data).status_code == 400, data
    assert audit_rows(dbs) == []


def test_bulk_accepts_already_done_items_without_writing_them(client, dbs, login_as):
    login_as("moderator")
    done, todo = factories.PostFactory(banned=True), factories.PostFactory()
    response = client.post("/reports/bulk", data={
        "action": "ban", "target": [f"post:{done.id}:b1s0", f"post:{todo.id}:b0s0"], **REASON})
    assert response.status_code == 303
    page = client.get("/reports/").get_data(as_text=True)
    assert "1 item(s) changed, 1 already in that state" in page
    assert [r.entity_id for r in audit_rows(dbs, action="admin:blocked:content")] == [str(todo.id)]


def test_queue_for_deleted_targets_still_renders(client, dbs, login_as):
    login_as("moderator")
    report = factories.ReportFactory()
    dbs.execute(sa.delete(ContentReport).where(ContentReport.id == report.id))
    dbs.commit()
    assert client.get("/reports/").status_code == 200


def test_a_batch_costs_the_same_statements_for_3_or_30_items(app, client, dbs, login_as, count_queries):
    login_as("moderator")
    counts = []
    for size in (3, 30):
        posts = factories.PostFactory.create_batch(size)
        for post in posts:
            factories.ReportFactory(post=post)
        selected = _targets(*posts)
        with count_queries() as counted:
            response = client.post("/reports/bulk", data={
                "action": "ban", "target": selected, "reason_choice": "Spam or scam"})
        assert response.status_code == 303
        counts.append(counted.n)
    assert counts[0] == counts[1], counts


# --- ignore and reopen check the state the moderator saw ------------------------------------

def test_ignore_on_a_post_banned_since_the_page_was_drawn_is_a_409(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory(banned=True)  # banned after the queue showed it visible
    reports = factories.ReportFactory.create_batch(2, post=post)
    response = client.post(f"/reports/post/{post.id}/act",
                           data={"action": "ignore", "state": "b0s0", **REASON})
    assert response.status_code == 409
    assert "it is now banned" in response.get_data(as_text=True)
    assert statuses(dbs, reports) == ["pending", "pending"]
    assert audit_rows(dbs) == []
    assert dbs.scalars(sa.select(Notification)).all() == []


def test_bulk_ignore_and_reopen_with_a_stale_item_are_409_and_write_nothing(client, dbs, login_as):
    login_as("moderator")
    fresh = factories.PostFactory()
    fresh_report = factories.ReportFactory(post=fresh)
    comment = factories.CommentFactory(banned=True)  # the queue showed it visible
    comment_report = factories.ReportFactory(on_comment=True, comment=comment, post=None)
    response = client.post("/reports/bulk", data={
        "action": "ignore", "target": [f"post:{fresh.id}:b0s0", f"comment:{comment.id}:b0"], **REASON})
    assert response.status_code == 409
    assert statuses(dbs, [fresh_report, comment_report]) == ["pending", "pending"]
    assert audit_rows(dbs) == []
    # Reopen: the resolved tab showed the post banned; it has been unbanned since.
    closed = factories.PostFactory()
    closed_report = factories.ReportFactory(post=closed, resolved=True)
    response = client.post("/reports/bulk", data={
        "action": "reopen", "target": [f"post:{closed.id}:b1s0"], **REASON})
    assert response.status_code == 409
    assert statuses(dbs, [closed_report]) == ["resolved"]
    single = client.post(f"/reports/post/{closed.id}/act", data={"action": "reopen", "state": "b1s0", **REASON})
    assert single.status_code == 409 and statuses(dbs, [closed_report]) == ["resolved"]
    # With the state it has, the same decisions go through.
    ok = client.post("/reports/bulk", data={
        "action": "ignore", "target": [f"post:{fresh.id}:b0s0", f"comment:{comment.id}:b1"], **REASON})
    assert ok.status_code == 303
    assert statuses(dbs, [fresh_report, comment_report]) == ["ignored", "ignored"]
