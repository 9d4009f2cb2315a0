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


def test_reported_comments_suspended_and_an_actors_rows_count_as_their_lists_show(client, dbs, login_as, monkeypatch):
    """Counted by cheaper statements than their pages (any order finds the same rows): a
    comment with two pending reports counts once, one with only a decided report not at
    all, and the cap holds."""
    me = login_as("admin")
    reported = factories.CommentFactory.create_batch(3)
    for comment in reported:
        factories.ReportFactory(type="Comment", post=None, comment=comment)
    factories.ReportFactory(type="Comment", post=None, comment=reported[0])
    factories.ReportFactory(type="Comment", post=None, comment=factories.CommentFactory(), status="resolved")
    factories.CommentFactory()
    for i in range(2):
        factories.StudentFactory(auth=factories.AuthFactory(suspended=True))
    factories.StudentFactory(auth=factories.AuthFactory(ban_expired=True))
    _save(client, "comments", "reported=1", "Reported comments")
    _save(client, "comments", "reported=1&state=visible", "Reported visible")
    _save(client, "users", "ban=suspended", "Suspended")
    _save(client, "audit", f"actor={me.id}", "Mine")
    assert _menu_counts(client) == {"Reported comments": "3", "Reported visible": "3", "Suspended": "2",
                                    "Mine": "4"}
    monkeypatch.setattr("flick_admin.team.saved_views.CAP", 2)
    assert _menu_counts(client)["Reported comments"] == "2+"


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


def test_a_filter_the_list_would_refuse_is_refused_when_saved(client, dbs, login_as):
    """The view is checked as its list checks a request: a NUL, or a filter the list
    cannot build, is a 400 and nothing is kept."""
    login_as("moderator")
    for page, query in (("audit", "actor=%00"), ("posts", "q=a%00b"), ("users", "%00=x"),
                        ("audit", "since=9999-12-31T23:59-14:00")):
        response = _save(client, page, query, f"Bad {page}", shared=True)
        assert response.status_code == 400, (page, query, response.status_code)
    assert dbs.scalars(sa.select(SavedView)).all() == []
    assert audit_rows(dbs, action="admin:created:saved-view") == []
    # The lists themselves answer the same filters with a 400 too, never a 500.
    for url in ("/audit/?actor=%00", "/audit/?since=9999-12-31T23:59-14:00"):
        assert client.get(url).status_code == 400, url
    assert client.get("/posts/?created_to=9999-12-31").status_code == 400  # the calendar's last day: a clear 400, never a 500


def test_a_view_whose_count_fails_shows_a_question_mark_and_never_breaks_the_others(
        app, client, dbs, login_as, monkeypatch):
    owner = factories.StaffFactory(role="moderator")
    factories.PostFactory.create_batch(2, is_banned=True)
    # Kept before views were checked when saved: a NUL, and the calendar's last day (both refused by their lists).
    for name, page, query in (("Nul", "audit", "actor=%00"), ("Far", "posts", "created_to=9999-12-31"),
                              ("Banned", "posts", "state=banned")):
        dbs.add(SavedView(owner_id=owner.id, page=page, name=name, query=query, shared=True))
    dbs.commit()
    login_as("moderator")
    assert _menu_counts(client) == {"Nul": "?", "Far": "?", "Banned": "2"}
    page = client.get("/views/")
    assert page.status_code == 200 and "?" in page.get_data(as_text=True)
    # A count the database itself refuses (fault injection: its statement fails there).
    from flick_admin.team import saved_views

    broken = saved_views.ListPage(
        saved_views.PostFilters, lambda f, size: _failing_page(size),
        "posts.index", saved_views.Permission.CONTENT_READ, "Posts")
    monkeypatch.setitem(saved_views.PAGES, "broken", broken)
    dbs.add(SavedView(owner_id=owner.id, page="broken", name="Broken", query="", shared=True))
    dbs.commit()
    assert _menu_counts(client) == {"Nul": "?", "Far": "?", "Banned": "2", "Broken": "?"}
    assert client.get("/views/").status_code == 200


def _failing_page(size: int):
    """A list read whose statement the database refuses when it runs (not when built)."""
    from flick_admin.db import Post
    from flick_admin.pagination import paginate

    failing = sa.select(Post.id, Post.created_at).where(sa.func.no_such_function(Post.id) == 1)
    return paginate(failing, [Post.created_at, Post.id], descending=True, size=size)


def test_an_admin_deletes_any_shared_view_and_it_is_audited(client, dbs, login_as):
    owner = factories.StaffFactory(role="moderator")
    shared = SavedView(owner_id=owner.id, page="posts", name="Team view", query="", shared=True)
    private = SavedView(owner_id=owner.id, page="posts", name="Private", query="", shared=False)
    dbs.add_all([shared, private])
    dbs.commit()
    shared_id, private_id = shared.id, private.id
    login_as("moderator")
    assert client.post(f"/views/{shared.id}/delete").status_code == 403
    assert "Delete the view Team view" not in client.get("/views/").get_data(as_text=True)
    admin = login_as("admin")
    assert "Delete the view Team view" in client.get("/views/").get_data(as_text=True)
    assert client.post(f"/views/{private.id}/delete").status_code == 404
    assert client.post(f"/views/{shared.id}/delete").status_code == 303
    [row] = audit_rows(dbs, action="admin:deleted:saved-view")
    assert row.actor_id == admin.id and row.before["owner"] == owner.id and row.before["name"] == "Team view"
    dbs.expire_all()
    assert dbs.get(SavedView, shared_id) is None and dbs.get(SavedView, private_id) is not None
