"""No search term makes a slow query (issue 25): every hostile term on every search box
answers a page or a clear 400, never a 500; % and _ typed by staff are literal; terms no
index can serve are refused with what to type; and (PostgreSQL) a list read that runs past
its time limit is the "search too broad" page, with the connection fine afterwards."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from bench.hostile import BOXES, TERMS, url
from flick_admin.db import read_limit
from tests import factories

CLEAR_400 = ("letters or digits in a row", "too long", "Search too broad", "at most")


def _seed():
    college = factories.CollegeFactory(name="Hostile Test College", email_domain="hostile.edu")
    student = factories.StudentFactory(username="hostile_student", college=college)
    post = factories.PostFactory(title="100% sure about the exam", author=student)
    factories.CommentFactory(content="reply with a_b inside", post=post, author=student)
    factories.ReportFactory(post=post)
    factories.BannedWordFactory(word="50%off")
    factories.LogFactory(reason="spam 100% of the time")


@pytest.mark.parametrize("box,path,arg", BOXES, ids=[b[0] for b in BOXES])
def test_every_hostile_term_answers_a_page_or_a_clear_400(client, dbs, login_as, box, path, arg):
    login_as("superadmin")
    _seed()
    for label, term in TERMS:
        response = client.get(url(path, arg, term))
        assert response.status_code in (200, 400), (box, label, response.status_code)
        if response.status_code == 400:
            body = html.unescape(response.get_data(as_text=True))
            assert any(clear in body for clear in CLEAR_400), (box, label, body[-2000:])


@pytest.mark.parametrize("path", ["/posts/", "/comments/", "/audit/"])
@pytest.mark.parametrize("term", ["%", "%_%_%", "%%%%", "st", "--", "_"])
def test_terms_no_index_can_serve_are_refused_with_what_to_type(client, dbs, login_as, path, term):
    login_as("superadmin")
    response = client.get(path, query_string={"q": term})
    assert response.status_code == 400
    assert "Type at least 3 letters or digits in a row" in html.unescape(response.get_data(as_text=True))


def test_a_short_word_beside_a_usable_one_is_left_out(client, dbs, login_as):
    login_as("moderator")
    factories.PostFactory(title="exam timetable")
    factories.PostFactory(title="other thing")
    page = client.get("/posts/", query_string={"q": "an exam"}).get_data(as_text=True)
    assert "exam timetable" in page and "other thing" not in page


def test_wildcards_typed_by_staff_are_literal(client, dbs, login_as):
    login_as("superadmin")
    college = factories.CollegeFactory(name="A_B Institute", email_domain="ab.edu")
    factories.CollegeFactory(name="AxB Institute", email_domain="axb.edu")
    literal = factories.StudentFactory(username="per%cent_1", college=college)
    factories.StudentFactory(username="perXcentY1", college=college)
    factories.PostFactory(title="100% attendance", author=literal)
    factories.PostFactory(title="1000 attendance")
    factories.CommentFactory(content="use snake_case names")
    factories.CommentFactory(content="use snakeXcase names")
    factories.BannedWordFactory(word="50%off")
    factories.BannedWordFactory(word="500off")
    factories.LogFactory(reason="wild_card reason")
    factories.LogFactory(reason="wildXcard reason")

    def text(path, **args):
        response = client.get(path, query_string=args)
        assert response.status_code == 200, (path, args)
        return html.unescape(response.get_data(as_text=True))

    page = text("/posts/", q="100%")
    assert "100% attendance" in page and "1000 attendance" not in page
    page = text("/comments/", q="snake_case")
    assert "snake_case" in page and "snakeXcase" not in page
    page = text("/users/", q="per%cent_")
    assert "per%cent_1" in page and "perXcentY1" not in page
    page = text("/posts/", author="per%")
    assert "100% attendance" in page and "1000 attendance" not in page
    page = text("/colleges/", q="A_B")
    assert "A_B Institute" in page and "AxB Institute" not in page
    page = text("/banned-words/", q="50%")
    assert "50%off" in page and "500off" not in page
    page = text("/audit/", q="wild_card")
    assert "wild_card reason" in page and "wildXcard reason" not in page
    hits = client.get("/search/suggest", query_string={"q": "per%"}).get_json()
    assert [h["label"] for h in hits if h["kind"] == "user"] == ["per%cent_1"]


def test_a_broad_username_prefix_pages_newest_first_without_repeats(app, client, dbs, login_as):
    """One letter matches nearly everyone: the two parts (usernames, emails) overlap and
    the page shows each account once, newest first, across pages."""
    login_as("moderator")
    for i in range(5):
        factories.StudentFactory(username=f"sam_{i}", auth=factories.AuthFactory(email=f"sam{i}@s.edu"))
    app.config["PAGE_SIZE"] = 2
    try:
        seen, path = [], "/users/?q=s"
        while path:
            page = client.get(path).get_data(as_text=True)
            seen += [n for n in (f"sam_{i}" for i in range(5)) if f">{n}<" in page]
            nxt = [p for p in page.split('rel="next"')[1:2]]
            path = nxt[0].split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&") if nxt else None
        assert sorted(seen) == [f"sam_{i}" for i in range(5)] and len(seen) == 5
    finally:
        app.config["PAGE_SIZE"] = 50


# --- the time limit (PostgreSQL) -------------------------------------------------------------

def _setting(dbs) -> str:
    return dbs.execute(sa.text("SHOW statement_timeout")).scalar()


@pytest.mark.postgres_only
def test_a_list_read_past_the_time_limit_is_search_too_broad(app, client, dbs, login_as):
    """A slow read, made deterministic: another connection holds a lock on the banned
    words, so the list's SELECT waits until its time limit cancels it."""
    from flick_admin.extensions import db

    login_as("admin")
    before = _setting(dbs)
    with app.app_context():
        engine = db.engine
    app.config["LIST_STATEMENT_TIMEOUT_MS"] = 200
    holder = engine.connect()
    try:
        lock = holder.begin()
        holder.execute(sa.text("LOCK TABLE banned_words IN ACCESS EXCLUSIVE MODE"))
        response = client.get("/banned-words/", query_string={"q": "scam"})
        body = html.unescape(response.get_data(as_text=True))
        assert response.status_code == 400, body[-1500:]
        assert "Search too broad" in body and "Narrow it" in body
        lock.rollback()
    finally:
        holder.close()
        app.config["LIST_STATEMENT_TIMEOUT_MS"] = 2000
    # The limit was the request's own: the connection is usable and its setting unchanged.
    assert _setting(dbs) == before
    assert dbs.execute(sa.text("SELECT 1")).scalar() == 1
    assert client.get("/banned-words/", query_string={"q": "scam"}).status_code == 200


@pytest.mark.postgres_only
def test_a_one_millisecond_limit_stops_a_heavy_search(app, client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory(title="thread")
    dbs.flush()
    dbs.execute(sa.text(
        "INSERT INTO comments (id, content, \"postId\", \"commentedBy\", \"isBanned\", \"createdAt\", "
        "\"updatedAt\") SELECT gen_random_uuid(), repeat('lorem ipsum dolor ', 50) || g, :post, :author, "
        "false, now(), now() FROM generate_series(1, 20000) g"), {"post": post.id, "author": post.posted_by_id})
    app.config["LIST_STATEMENT_TIMEOUT_MS"] = 1
    try:
        response = client.get("/comments/", query_string={"q": "ipsum nomatch"})
    finally:
        app.config["LIST_STATEMENT_TIMEOUT_MS"] = 2000
    # Well over a millisecond on any machine; were it not, the page would simply be there.
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert "Search too broad" in html.unescape(response.get_data(as_text=True))
    assert client.get("/comments/").status_code == 200


@pytest.mark.postgres_only
def test_the_limit_is_transaction_local_and_lifted_for_writes(app, dbs):
    from flick_admin.db.transaction import transaction
    from flick_admin.extensions import db

    app.config["LIST_STATEMENT_TIMEOUT_MS"] = 50
    try:
        with app.test_request_context("/posts/"):
            session = db.session()
            with pytest.raises(read_limit.SearchTooBroad):
                with read_limit.bounded(session):
                    session.execute(sa.text("SELECT pg_sleep(1)"))
            # Rolled back and usable; the next read sets the limit again.
            with read_limit.bounded(session):
                assert session.execute(sa.text("SHOW statement_timeout")).scalar() == "50ms"
            # A unit of work in the same transaction never runs under it.
            with transaction() as unit:
                assert unit.execute(sa.text("SHOW statement_timeout")).scalar() != "50ms"
                unit.execute(sa.text("SELECT pg_sleep(0.1)"))
            db.session.remove()
    finally:
        app.config["LIST_STATEMENT_TIMEOUT_MS"] = 2000


@pytest.mark.postgres_only
def test_the_limit_rides_the_session_lookup_at_no_extra_statement(app, client, dbs, login_as, count_queries):
    login_as("moderator")
    with count_queries() as counted:
        assert client.get("/posts/?q=exam").status_code == 200
    assert counted.n <= 2, counted.statements
    assert "set_config" in counted.statements[0]
    # Not on pages that are not lists (a post page, the home page).
    with count_queries() as counted:
        client.get("/")
    assert not any("set_config" in s for s in counted.statements)


def test_the_limit_needs_a_list_page_get(app):
    with app.test_request_context("/posts/", method="POST"):
        assert not read_limit.wanted()
    with app.test_request_context("/"):
        assert not read_limit.wanted()


def test_scoped_most_reported_ranks_the_scopes_tallied_and_new_posts(app, client, dbs, login_as):
    """The scoped "most reported" order ranks only the scope's posts (the content-college
    tally, plus posts newer than its watermark), and still in exact order."""
    from datetime import timedelta

    from flick_admin import tallies
    from flick_admin.db.base import utcnow
    from flick_admin.db.team import StaffScope

    inside, outside = factories.CollegeFactory(), factories.CollegeFactory()
    a = factories.StudentFactory(college=inside)
    b = factories.StudentFactory(college=outside)
    old = utcnow() - timedelta(days=2)
    tallied_two = factories.PostFactory(author=a, title="Tallied two", created_at=old)
    tallied_one = factories.PostFactory(author=a, title="Tallied one", created_at=old)
    outside_three = factories.PostFactory(author=b, title="Outside three", created_at=old)
    factories.ReportFactory.create_batch(2, post=tallied_two, created_at=old)
    factories.ReportFactory(post=tallied_one, created_at=old)
    factories.ReportFactory.create_batch(3, post=outside_three, created_at=old)
    dbs.flush()
    with app.test_request_context("/"):
        tallies.catch_up()
    fresh = factories.PostFactory(author=a, title="Fresh three")  # newer than the watermark
    factories.ReportFactory.create_batch(3, post=fresh)
    user = login_as("moderator")
    dbs.add(StaffScope(user_id=user.id, college_id=inside.id))
    dbs.flush()
    page = client.get("/posts/", query_string={"sort": "reported"}).get_data(as_text=True)
    shown = [t for t in ("Fresh three", "Tallied two", "Tallied one", "Outside three") if t in page]
    assert shown == ["Fresh three", "Tallied two", "Tallied one"]
    assert page.index("Fresh three") < page.index("Tallied two") < page.index("Tallied one")


def test_every_bounded_endpoint_exists(app):
    """A renamed list page would silently lose its time limit."""
    assert read_limit.LIST_ENDPOINTS <= set(app.view_functions)
