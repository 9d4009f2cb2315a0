"""The lists: filters, keyset pages that cost the same at any depth, bad input as 400."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from flick_admin.db.base import utcnow
from tests import factories

LISTS = ["/reports/", "/posts/", "/comments/", "/users/"]


def titles(page: str) -> list[str]:
    return re.findall(r"<strong>(Post title \d+|[^<]*marker[^<]*)</strong>", page)


def next_link(page: str) -> str | None:
    found = re.search(r'rel="next"[^>]*href="([^"]+)"', page)
    return found.group(1).replace("&amp;", "&") if found else None


def prev_link(page: str) -> str | None:
    found = re.search(r'rel="prev"[^>]*href="([^"]+)"', page)
    return found.group(1).replace("&amp;", "&") if found else None


def test_post_pages_walk_forward_and_back_without_gaps_or_repeats(app, client, dbs, login_as):
    login_as("moderator")
    now = utcnow()
    same_time = now - timedelta(hours=1)
    # Ties on createdAt are broken by id, so nothing is skipped at a page edge.
    for i in range(7):
        factories.PostFactory(title=f"marker {i}", created_at=same_time if i < 4 else now - timedelta(hours=i))
    app.config["PAGE_SIZE"] = 3
    try:
        seen, url, pages = [], "/posts/", []
        while url:
            page = client.get(url).get_data(as_text=True)
            pages.append(url)
            seen += titles(page)
            url = next_link(page)
        assert len(seen) == 7 and len(set(seen)) == 7 and len(pages) == 3
        last = client.get(pages[-1]).get_data(as_text=True)
        back = client.get(prev_link(last)).get_data(as_text=True)
        assert titles(back) == seen[3:6]
    finally:
        app.config["PAGE_SIZE"] = 50


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_post_sort_order(client, dbs, login_as, sort):
    login_as("moderator")
    now = utcnow()
    factories.PostFactory(title="old marker", created_at=now - timedelta(days=9))
    factories.PostFactory(title="new marker", created_at=now)
    page = client.get("/posts/", query_string={"sort": sort}).get_data(as_text=True)
    order = [t for t in titles(page) if "marker" in t]
    assert order == (["new marker", "old marker"] if sort == "newest" else ["old marker", "new marker"])


def test_post_filters(client, dbs, login_as):
    login_as("moderator")
    now = utcnow()
    college = factories.CollegeFactory(name="Filter College", email_domain="filter.edu")
    author = factories.StudentFactory(username="filter_author", college=college)
    visible = factories.PostFactory(title="visible marker", topic="Showcase", author=author,
                                    content="contains needle", created_at=now - timedelta(days=40))
    banned = factories.PostFactory(title="banned marker", banned=True)
    shadow = factories.PostFactory(title="shadow marker", shadow_banned=True)
    reported = factories.PostFactory(title="reported marker")
    factories.ReportFactory(post=reported)
    factories.ReportFactory.create_batch(2, post=shadow)

    def shown(**query):
        return set(t for t in titles(client.get("/posts/", query_string=query).get_data(as_text=True))
                   if "marker" in t)

    assert shown(state="banned") == {"banned marker"}
    assert shown(state="shadow") == {"shadow marker"}
    assert shown(state="hidden") == {"banned marker", "shadow marker"}
    assert "banned marker" not in shown(state="visible")
    assert shown(reported="1") == {"reported marker", "shadow marker"}
    assert shown(topic="Showcase") == {"visible marker"}
    assert shown(college="filter") == {"visible marker"}
    assert shown(college="filter.edu") == {"visible marker"}
    assert shown(author="FILTER_") == {"visible marker"}
    assert shown(q="needle") == {"visible marker"}
    assert shown(q="NEEDLE contains") == {"visible marker"}
    # Words under three letters are left out beside a usable one; alone they are a 400 that
    # says what to type (no index can serve them: tests/moderation/test_hostile_terms.py).
    assert shown(q="ne needle") == {"visible marker"}
    refused = client.get("/posts/", query_string={"q": "ne"})
    assert refused.status_code == 400 and "at least 3 letters" in refused.get_data(as_text=True)
    old_day = (now - timedelta(days=40)).date().isoformat()
    assert shown(created_from=old_day, created_to=old_day) == {"visible marker"}
    page = client.get("/posts/", query_string={"sort": "reported"}).get_data(as_text=True)
    assert [t for t in titles(page) if "marker" in t] == ["shadow marker", "reported marker"]
    assert visible and banned


@pytest.mark.parametrize("needle", ["%%%", "___", "\\\\\\", "' OR 1=1 --", "\"; DROP TABLE posts; --"])
def test_sql_metacharacters_in_search_are_just_text(client, dbs, login_as, needle):
    login_as("moderator")
    factories.PostFactory(title="plain marker", content="nothing special")
    for url in LISTS:
        response = client.get(url, query_string={"q": needle, "author": needle, "college": needle})
        # A page, or (a search with no word of 3 letters or digits) a 400 saying what to type.
        assert response.status_code in (200, 400)
        if response.status_code == 400:
            assert "at least 3 letters" in response.get_data(as_text=True)
    response = client.get("/posts/", query_string={"q": needle})
    assert response.status_code == 400 or "plain marker" not in titles(response.get_data(as_text=True))
    assert client.get("/users/", query_string={"q": needle, "college": needle}).status_code == 200


def test_comment_and_user_filters(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    factories.CommentFactory(post=post, content="first haystack comment")
    factories.CommentFactory(content="banned remark", banned=True)
    page = client.get("/comments/", query_string={"state": "banned"}).get_data(as_text=True)
    assert "banned remark" in page and "haystack" not in page
    page = client.get("/comments/", query_string={"post": str(post.id)}).get_data(as_text=True)
    assert "haystack" in page and "banned remark" not in page
    onboarding = factories.StudentFactory(onboarding=True, username="newbie_one")
    factories.StudentFactory(username="settled_one")
    page = client.get("/users/", query_string={"status": "ONBOARDING"}).get_data(as_text=True)
    assert onboarding.username in page and "settled_one" not in page
    page = client.get("/users/", query_string={"q": "settled"}).get_data(as_text=True)
    assert "settled_one" in page and "newbie_one" not in page
    staff_page = client.get("/users/", query_string={"kind": "staff"}).get_data(as_text=True)
    assert "settled_one" not in staff_page


@pytest.mark.parametrize(("url", "query"), [
    ("/posts/", {"state": "deleted"}),
    ("/posts/", {"sort": "random"}),
    ("/posts/", {"topic": "Cats"}),
    ("/posts/", {"created_from": "yesterday"}),
    ("/posts/", {"created_from": "2026-02-30"}),
    ("/posts/", {"created_from": "2026-05-02", "created_to": "2026-05-01"}),
    ("/posts/", {"q": "x" * 5000}),
    ("/posts/", {"after": "garbage"}),
    ("/posts/", {"after": "W10"}),
    ("/comments/", {"post": "not-an-id"}),
    ("/comments/", {"reported": "yes"}),
    ("/reports/", {"status": "closed"}),
    ("/reports/", {"reason": "BORING"}),
    ("/reports/", {"type": "video"}),
    ("/users/", {"ban": "maybe"}),
    ("/users/", {"before": "%%%"}),
])
def test_bad_filter_values_are_a_clear_400(client, dbs, login_as, url, query):
    login_as("moderator")
    response = client.get(url, query_string=query)
    assert response.status_code == 400
    assert b"Bad request" in response.data


@pytest.mark.parametrize("url", LISTS)
def test_each_list_runs_a_small_constant_number_of_statements(app, client, dbs, login_as,
                                                              count_queries, url):
    login_as("moderator")
    posts = factories.PostFactory.create_batch(6)
    for post in posts:
        factories.ReportFactory(post=post)
        factories.CommentFactory(post=post)
    factories.ReportFactory.create_batch(3, on_comment=True)
    counts = []
    for size in (2, 50):
        app.config["PAGE_SIZE"] = size
        with count_queries() as counted:
            first = client.get(url)
        assert first.status_code == 200
        counts.append(counted.n)
        deeper = next_link(first.get_data(as_text=True))
        if deeper:
            with count_queries() as counted:
                assert client.get(deeper).status_code == 200
            counts.append(counted.n)
    app.config["PAGE_SIZE"] = 50
    # The report queue looks up posts and comments only when the page has them.
    assert max(counts) <= 5, counts
    if url != "/reports/":
        assert len(set(counts)) == 1, counts


def test_detail_pages_run_a_bounded_number_of_statements(client, dbs, login_as, count_queries):
    login_as("moderator")
    post = factories.PostFactory()
    factories.CommentFactory.create_batch(15, post=post)
    factories.ReportFactory.create_batch(5, post=post)
    post_url, user_url = f"/posts/{post.id}", f"/users/{post.author.auth_id}"
    with count_queries() as counted:
        assert client.get(post_url).status_code == 200
    assert counted.n <= 5, counted.statements
    with count_queries() as counted:
        assert client.get(user_url).status_code == 200
    assert counted.n <= 5, counted.statements


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_posts_with_pending_reports_walk_the_tally_and_the_new_reports_in_time_order(
        app, client, dbs, login_as, count_queries, sort):
    """"With pending reports" pages the pending tally's posts and those reported since its
    watermark in one time order, forward and back, in at most five statements; a post
    whose tallied reports were all deleted by Flick itself (unknown to the tally) is not
    listed, and a decided one leaves the list."""
    from flick_admin import tallies
    from flick_admin.db import ContentReport
    import sqlalchemy as sa

    login_as("moderator")
    now = utcnow()
    posts = [factories.PostFactory(title=f"marker {i}", created_at=now - timedelta(days=9, hours=i))
             for i in range(8)]
    factories.PostFactory(title="marker unreported", created_at=now - timedelta(days=9, minutes=30))
    for i, post in enumerate(posts):
        factories.ReportFactory(post=post, created_at=now - timedelta(days=2, minutes=i))
    factories.ReportFactory(post=posts[1], resolved=True, created_at=now - timedelta(days=2))
    with app.test_request_context("/"):
        tallies.catch_up()
    # After the watermark: a report on a tallied post and one on a new post; Flick deletes
    # post 6's only report itself (the tally still counts it).
    factories.ReportFactory(post=posts[2], created_at=utcnow())
    late = factories.PostFactory(title="marker late", created_at=now - timedelta(days=9, hours=3, minutes=30))
    factories.ReportFactory(post=late, created_at=utcnow())
    dbs.execute(sa.delete(ContentReport).where(ContentReport.post_id == posts[6].id))
    dbs.flush()
    expected = [p for p in posts if p is not posts[6]] + [late]
    expected.sort(key=lambda p: (p.created_at, p.id), reverse=sort == "newest")
    expected = [p.title for p in expected]
    app.config["PAGE_SIZE"] = 3
    try:
        seen, url, pages = [], f"/posts/?reported=1&sort={sort}", []
        while url:
            with count_queries() as counted:
                page = client.get(url).get_data(as_text=True)
            assert counted.n <= 5, counted.statements
            pages.append(page)
            seen += [t for t in titles(page) if "marker" in t]
            url = next_link(page)
        assert seen == expected
        back = client.get(prev_link(pages[-1])).get_data(as_text=True)
        assert [t for t in titles(back) if "marker" in t] == [t for t in titles(pages[-2]) if "marker" in t]
    finally:
        app.config["PAGE_SIZE"] = 50
