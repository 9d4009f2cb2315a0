"""Power-user navigation and display: the search behind the command palette, removable
filter chips, per-account time zone and theme."""

from __future__ import annotations

import re
from datetime import datetime

from flick_admin.db.auth import StaffPreferences
from tests import factories
from tests.conftest import audit_rows


def test_search_finds_people_content_colleges_and_pages(client, dbs, login_as):
    login_as("moderator")
    student = factories.StudentFactory(username="zara_quill")
    post = factories.PostFactory(title="Library hours")
    comment = factories.CommentFactory(content="see you at the hackathon")
    college = factories.CollegeFactory(name="Quillfield Institute", email_domain="quill.edu")

    def hits(q):
        return client.get("/search/suggest", query_string={"q": q}).get_json()

    assert any(h["label"] == "zara_quill" and h["url"] == f"/users/{student.auth_id}" for h in hits("zara"))
    assert any(h["kind"] == "user" and h["label"] == student.auth.email for h in hits(student.auth.email[:6]))
    assert [h["label"] for h in hits(str(post.id))] == ["Library hours"]
    assert [h["url"] for h in hits(str(comment.id))] == [f"/comments/{comment.id}"]
    assert any(h["url"] == f"/colleges/{college.id}" for h in hits("quillfield"))
    assert any(h["url"] == f"/colleges/{college.id}" for h in hits("quill.e"))
    assert any(h["kind"] == "page" and h["label"] == "Reports" for h in hits("repo"))
    assert not any(h["label"] == "Staff" for h in hits("staff"))  # a moderator's pages only
    assert hits("z") == []
    # Without JavaScript: the same search as a page.
    page = client.get("/search/", query_string={"q": "zara"}).get_data(as_text=True)
    assert 'data-testid="search-hits"' in page and "zara_quill" in page
    assert client.get("/search/", query_string={"q": "x" * 200}).status_code == 400


def test_search_is_one_statement(client, dbs, login_as, count_queries):
    login_as("moderator")
    factories.StudentFactory(username="count_me")
    client.get("/search/suggest?q=count")
    with count_queries() as counted:
        assert client.get("/search/suggest?q=count").status_code == 200
    assert counted.n <= 2, counted.statements  # the session (with the badge) and the search


def test_active_filters_show_as_removable_chips(client, dbs, login_as):
    login_as("moderator")
    page = client.get("/posts/", query_string={"state": "banned", "topic": "Rant / Vent", "author": "kim"})
    html = page.get_data(as_text=True)
    chips = re.findall(r'<a class="chip" href="([^"]+)"[^>]*>([^<]+)<', html)
    shown = {text.strip() for _, text in chips}
    assert {"State: banned", "Topic: Rant / Vent", "Author: kim"} <= shown
    state_link = next(href for href, text in chips if text.startswith("State"))
    assert "state=" not in state_link and "author=kim" in state_link
    assert "Clear all" in html
    audit = client.get("/audit/", query_string={"action": ["admin:blocked:content", "admin:banned:user"]})
    assert "Action: banned content" in audit.get_data(as_text=True)
    assert 'data-testid="filter-chips"' not in client.get("/posts/").get_data(as_text=True)


def test_times_follow_the_staff_members_time_zone(client, dbs, login_as):
    me = login_as("moderator")
    factories.ReportFactory(created_at=datetime(2026, 6, 1, 12, 0))
    assert 'title="2026-06-01 12:00 UTC"' in client.get("/reports/?status=pending").get_data(as_text=True)
    saved = client.post("/account/preferences", data={"time_zone": "Asia/Kolkata", "theme": "dark"})
    assert saved.status_code == 303
    page = client.get("/reports/").get_data(as_text=True)
    assert 'title="2026-06-01 17:30 IST"' in page
    assert 'flick-admin-dark.css" rel="stylesheet" data-theme="dark"' in page
    (row,) = audit_rows(dbs, action="admin:updated:own:preferences")
    assert row.before == {"time_zone": "UTC", "theme": "system"} and row.actor_id == me.id
    assert row.after == {"time_zone": "Asia/Kolkata", "theme": "dark"}
    dbs.expire_all()
    assert dbs.get(StaffPreferences, me.id).time_zone == "Asia/Kolkata"


def test_the_system_theme_loads_dark_only_when_the_system_asks(client, dbs, login_as):
    login_as("moderator")
    page = client.get("/").get_data(as_text=True)
    assert 'media="(prefers-color-scheme: dark)" data-theme="system"' in page
    client.post("/account/preferences", data={"time_zone": "UTC", "theme": "light"})
    assert "flick-admin-dark.css" not in client.get("/").get_data(as_text=True)


def test_bad_preferences_are_refused_and_change_nothing(client, dbs, login_as):
    me = login_as("moderator")
    assert client.post("/account/preferences", data={"time_zone": "Mars/Olympus", "theme": "dark"}).status_code == 400
    assert client.post("/account/preferences", data={"time_zone": "UTC", "theme": "neon"}).status_code == 400
    assert dbs.get(StaffPreferences, me.id) is None and audit_rows(dbs) == []
    again = client.post("/account/preferences", data={"time_zone": "UTC", "theme": "system"})
    assert again.status_code == 303 and audit_rows(dbs) == []  # unchanged: nothing written


def test_admin_lists_have_chips_counts_and_labels_too(client, dbs, login_as):
    login_as("admin")
    factories.FeedbackFactory(status="new")
    page = client.get("/feedback/", query_string={"status": "new"}).get_data(as_text=True)
    assert "Status: new" in page and 'data-testid="result-count"' in page
    for url in ("/colleges/", "/banned-words/", "/feedback/", "/college-requests/"):
        html = client.get(url).get_data(as_text=True)
        assert 'data-testid="result-count"' in html, url
    words = client.get("/banned-words/", query_string={"severity": "mild"}).get_data(as_text=True)
    assert "Severity: mild" in words
    form = re.search(r'<form[^>]*aria-label="Filter colleges"[^>]*>(.*?)</form>',
                     client.get("/colleges/").get_data(as_text=True), re.S).group(1)
    assert form.count("<label") >= 2
