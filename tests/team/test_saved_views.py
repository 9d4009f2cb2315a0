"""Saved views: a list's filter under a name, personal or shared, with a capped live count."""

from __future__ import annotations

import re

import sqlalchemy as sa

from flick_admin.db.team import SavedView
from tests import factories
from tests.conftest import audit_rows


def _save(client, page, query, name, shared=False):
    data = {"page": page, "query": query, "name": name}
    if shared:
        data["shared"] = "y"
    return client.post("/views/save", data=data)


def _has_menu(html: str) -> bool:
    return 'data-testid="views-menu"' in html


def _menu_counts(client) -> dict[str, str]:
    """The navigation's saved views and counts, as its script fetches them."""
    assert _has_menu(client.get("/").get_data(as_text=True))
    return {v["name"]: v["count"] for v in client.get("/views/counts").get_json()}


def test_a_saved_view_appears_in_the_navigation_with_its_live_count(client, dbs, login_as):
    login_as("moderator")
    factories.PostFactory.create_batch(3, is_banned=True)
    factories.PostFactory.create_batch(2)
    response = _save(client, "posts", "state=banned&after=abc", "Banned posts")
    assert response.status_code == 303 and response.headers["Location"].endswith("/posts/?state=banned")
    [row] = audit_rows(dbs, action="admin:created:saved-view")
    assert row.after == {"page": "posts", "name": "Banned posts", "query": "state=banned", "shared": False}
    assert _menu_counts(client) == {"Banned posts": "3"}
    factories.PostFactory(is_banned=True)
    assert _menu_counts(client) == {"Banned posts": "4"}


def test_counts_are_capped_and_every_list_can_be_saved(client, dbs, login_as):
    login_as("admin")
    factories.PostFactory.create_batch(52)
    factories.ReportFactory.create_batch(2)
    factories.CommentFactory.create_batch(2, is_banned=True)
    factories.StudentFactory(username="zed_unique")
    _save(client, "posts", "", "All posts")
    _save(client, "reports", "status=pending", "Queue")
    _save(client, "comments", "state=banned", "Banned comments")
    _save(client, "users", "q=zed_unique", "Zed")
    _save(client, "audit", "action=admin%3Acreated%3Asaved-view", "View saves")
    counts = _menu_counts(client)
    assert counts == {"All posts": "50+", "Queue": "2", "Banned comments": "2", "Zed": "1", "View saves": "5"}
    page = client.get("/views/").get_data(as_text=True)
    assert "50+" in page and "only you" in page


def test_the_counts_of_all_views_are_one_statement_and_no_page_waits_for_them(
        app, client, dbs, login_as, count_queries):
    login_as("moderator")
    for state in ("banned", "shadow", "visible", "hidden"):
        _save(client, "posts", f"state={state}", f"Posts {state}")
    _save(client, "reports", "", "Queue")
    client.get("/account/")
    with count_queries() as counted:
        assert client.get("/views/counts").status_code == 200
    counting = [s for s in counted.statements if " AS v0" in s]  # the counts' one statement
    assert len(counting) == 1 and " AS v4" in counting[0] and counted.n == 3, counted.statements
    with count_queries() as counted:
        page = client.get("/posts/")
    assert page.status_code == 200 and _has_menu(page.get_data(as_text=True))
    assert not [s for s in counted.statements if "admin_saved_views" in s and "FROM session" not in s]
    assert counted.n <= 2, counted.statements  # the session and the page, as without views


def test_personal_and_shared_views(client, dbs, login_as):
    login_as("moderator")
    _save(client, "posts", "state=banned", "Mine only")
    _save(client, "comments", "state=banned", "Team view", shared=True)
    mine = dbs.scalars(sa.select(SavedView).where(SavedView.name == "Mine only")).one()
    shared = dbs.scalars(sa.select(SavedView).where(SavedView.name == "Team view")).one()
    login_as("auditor")
    assert set(_menu_counts(client)) == {"Team view"}
    assert client.post(f"/views/{mine.id}/delete").status_code == 404
    assert client.post(f"/views/{shared.id}/delete").status_code == 403
    # A shared view of a list one's role may not read is not shown.
    login_as("moderator")
    _save(client, "audit", "", "Audit, shared", shared=True)
    login_as("auditor")
    assert "Audit, shared" in _menu_counts(client)


def test_bad_views_are_refused_clearly(client, dbs, login_as):
    owner = login_as("moderator")
    assert _save(client, "posts", "state=melted", "Bad").status_code == 400
    assert _save(client, "videos", "", "Bad").status_code == 400
    assert _save(client, "posts", "", "").status_code == 400
    assert _save(client, "posts", "", "x" * 61).status_code == 400
    assert _save(client, "posts", "", "Twice").status_code == 303
    assert _save(client, "posts", "state=banned", "Twice").status_code == 409
    view = dbs.scalars(sa.select(SavedView).where(SavedView.owner_id == owner.id)).one()
    assert client.post(f"/views/{view.id}/delete").status_code == 303
    assert audit_rows(dbs, action="admin:deleted:saved-view")[0].before["name"] == "Twice"
    assert not _has_menu(client.get("/").get_data(as_text=True))
