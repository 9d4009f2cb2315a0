"""College-scoped moderators: everything they see and do covers their colleges' students;
anything outside answers 404, as if it did not exist."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa

from flick_admin.db import Auth, ContentReport, Post
from flick_admin.db.team import StaffScope
from flick_admin.permissions import ROLE_PERMISSIONS, SIGNED_IN, Permission
from flick_admin.db.enums import StaffRole
from tests import factories
from tests.auth.test_permissions import ARGS, MATRIX, PUBLIC
from tests.conftest import audit_rows

BAN = {"action": "ban", "reason_choice": "Spam or scam"}


@pytest.fixture
def world(dbs):
    inside, outside = factories.CollegeFactory(email_domain="inside.edu"), factories.CollegeFactory(
        email_domain="outside.edu")
    a = factories.StudentFactory(college=inside, username="alice_in")
    b = factories.StudentFactory(college=outside, username="bob_out")
    pa = factories.PostFactory(author=a, title="Inside post")
    pb = factories.PostFactory(author=b, title="Outside post")
    ca = factories.CommentFactory(author=a, post=pa, content="inside comment")
    cb = factories.CommentFactory(author=b, post=pa, content="outside comment")
    reports = {"pa": factories.ReportFactory(post=pa), "pb": factories.ReportFactory(post=pb),
               "ca": factories.ReportFactory(type="Comment", post=None, comment=ca),
               "cb": factories.ReportFactory(type="Comment", post=None, comment=cb)}
    factories.FeedbackFactory(user=a, title="Inside feedback")
    factories.FeedbackFactory(user=b, title="Outside feedback")
    return {"inside": inside, "outside": outside, "a": a, "b": b, "pa": pa, "pb": pb, "ca": ca, "cb": cb,
            "reports": reports}


@pytest.fixture
def scoped(dbs, login_as, world):
    def sign_in():
        user = login_as("moderator", name="Scoped Mod")
        dbs.add(StaffScope(user_id=user.id, college_id=world["inside"].id))
        dbs.flush()
        return user
    return sign_in


def test_a_superadmin_limits_a_moderator_on_the_staff_page(client, dbs, login_as, world):
    login_as("superadmin")
    client.post("/account/confirm", data={"code": factories.STAFF_PASSWORD})
    mod = factories.StaffFactory(role="moderator")
    admin = factories.StaffFactory(role="admin")
    assert client.post(f"/staff/{mod.id}/scope", data={"colleges": "Inside.edu, nowhere.edu"}).status_code == 400
    assert client.post(f"/staff/{admin.id}/scope", data={"colleges": "inside.edu"}).status_code == 400
    assert client.post(f"/staff/{mod.id}/scope", data={"colleges": "inside.edu"}).status_code == 303
    assert dbs.scalars(sa.select(StaffScope.college_id).where(StaffScope.user_id == mod.id)).all() == [
        world["inside"].id]
    [row] = audit_rows(dbs, action="admin:updated:admin:scope")
    assert row.before == {"colleges": []} and row.after == {"colleges": ["inside.edu"]}
    assert "inside.edu" in client.get("/staff/").get_data(as_text=True)
    client.post(f"/staff/{mod.id}/scope", data={"colleges": ""})
    assert dbs.scalars(sa.select(StaffScope).where(StaffScope.user_id == mod.id)).all() == []


def test_lists_counts_and_search_cover_only_the_scope(client, dbs, scoped, world):
    scoped()
    queue = client.get("/reports/").get_data(as_text=True)
    assert "Inside post" in queue and "inside comment" in queue
    assert "Outside post" not in queue and "outside comment" not in queue
    # No badge of every college's reports; the home page counts the scope's.
    assert 'data-testid="pending-badge"' not in client.get("/account/").get_data(as_text=True)
    posts = client.get("/posts/").get_data(as_text=True)
    assert "Inside post" in posts and "Outside post" not in posts
    comments = client.get("/comments/").get_data(as_text=True)
    assert "inside comment" in comments and "outside comment" not in comments
    users = client.get("/users/").get_data(as_text=True)
    assert "alice_in" in users and "bob_out" not in users
    feedback = client.get("/feedback/").get_data(as_text=True)
    assert "Inside feedback" in feedback and "Outside feedback" not in feedback
    assert "bob_out" not in str(client.get("/search/suggest?q=bob").get_json())
    assert "alice_in" in str(client.get("/search/suggest?q=alice").get_json())
    home = client.get("/").get_data(as_text=True)
    assert "Pending reports in your colleges" in home and world["inside"].name in home
    assert '<div class="h3 mb-0" data-testid="pending-reports">2</div>' in home
    # The post page shows only the scope's comments under it.
    page = client.get(f"/posts/{world['pa'].id}").get_data(as_text=True)
    assert "outside comment" not in page


def test_everything_outside_the_scope_is_a_404_and_writes_nothing(client, dbs, login_as, scoped, world):
    login_as("moderator")
    client.post(f"/posts/{world['pb'].id}/act", data={**BAN, "action": "shadow_ban"})
    outside_log = audit_rows(dbs, action="admin:shadow:banned:content")[0]
    me = scoped()
    before = len(audit_rows(dbs))
    pb, cb, b = world["pb"], world["cb"], world["b"]
    for method, url, data in [
        ("get", f"/posts/{pb.id}", None), ("get", f"/comments/{cb.id}", None),
        ("get", f"/users/{b.auth_id}", None),
        ("post", f"/posts/{pb.id}/act", BAN), ("post", f"/comments/{cb.id}/act", BAN),
        ("post", f"/reports/post/{pb.id}/act", {**BAN, "action": "ignore"}),
        ("post", "/reports/bulk", {**BAN, "target": [f"post:{world['pa'].id}:b0s0", f"post:{pb.id}:b0s1"]}),
        ("post", f"/reports/post/{pb.id}/claim", {}), ("get", f"/reports/post/{pb.id}/assign", None),
        ("post", f"/users/{b.auth_id}/sanction", {"kind": "suspend", "days": "2", **BAN}),
        ("post", f"/users/{b.auth_id}/lift", {"reason_text": "x"}),
        ("get", f"/revert/{outside_log.id}", None), ("post", f"/revert/{outside_log.id}", {"reason_text": "x"}),
        ("get", f"/audit/entry/{outside_log.id}", None),
    ]:
        response = getattr(client, method)(url, data=data) if data is not None else getattr(client, method)(url)
        assert response.status_code == 404, (url, response.status_code)
    assert len(audit_rows(dbs)) == before
    dbs.expire_all()
    assert not dbs.get(Post, world["pa"].id).is_banned
    assert dbs.get(ContentReport, world["reports"]["pb"].id).status == "resolved"  # as the shadow-ban left it
    assert dbs.get(Post, world["pb"].id).is_shadow_banned
    assert not dbs.get(Auth, b.auth_id).banned
    # The audit log shows the scoped moderator's own actions only.
    assert str(outside_log.id) not in client.get("/audit/").get_data(as_text=True)
    assert client.post(f"/posts/{world['pa'].id}/act", data=BAN).status_code == 303
    mine = client.get("/audit/").get_data(as_text=True)
    assert "Inside post" in mine and me.id


def _real_args(world, other_log) -> dict[str, str]:
    return {"post_id": str(world["pb"].id), "comment_id": str(world["cb"].id), "target_id": str(world["pb"].id),
            "user_id": world["b"].auth_id, "log_id": str(other_log.id)}


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_permission_matrix_for_a_scoped_moderator(app, client, dbs, login_as, scoped, world, endpoint):
    """Every route: what a moderator may not do stays 403; every route about an item
    outside the scope answers 404; the rest answer as for any moderator."""
    requirement, method, ok = MATRIX[endpoint]
    other = factories.LogFactory(actor_id="someone-else", actor_type="admin", action="admin:blocked:content",
                                 entity_type="post", entity_id=str(world["pb"].id))
    scoped()
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    real = _real_args(world, other)
    args = {arg: real.get(arg, str(uuid.uuid4())) for arg in rule.arguments}
    args.update(ARGS.get(endpoint, {}))
    with app.test_request_context():
        from flask import url_for
        url = url_for(endpoint, **args)
    if endpoint in ("auth.logout", "account.everywhere") or requirement == PUBLIC:
        return  # ends the session, or open to anyone: proves nothing about the scope
    about_an_item = bool(set(rule.arguments) & set(_real_args(world, other)))
    # A complete form, so that only the scope can refuse it.
    form = {"action": "ban", "reason_choice": "Spam or scam", "kind": "suspend", "days": "2"} if about_an_item else {}
    response = client.post(url, data=form) if method == "POST" else client.get(url)
    moderator = ROLE_PERMISSIONS[StaffRole.MODERATOR]
    if requirement not in (PUBLIC, SIGNED_IN) and Permission(requirement) not in moderator:
        assert response.status_code == 403, (url, response.status_code)
    elif about_an_item:
        assert response.status_code == 404, (url, response.status_code)
    else:
        assert response.status_code == ok, (url, response.status_code)


def test_the_same_items_are_there_for_an_unlimited_moderator(client, login_as, world):
    login_as("moderator")
    for url in (f"/posts/{world['pb'].id}", f"/comments/{world['cb'].id}", f"/users/{world['b'].auth_id}"):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("url", ["/reports/", "/reports/?sort=newest", "/posts/", "/posts/?sort=reported",
                                 "/comments/", "/users/", "/audit/", "/"])
def test_scoped_pages_keep_the_statement_budget(client, scoped, count_queries, url):
    scoped()
    client.get("/account/")
    with count_queries() as counted:
        assert client.get(url).status_code == 200
    assert counted.n <= 5, counted.statements


def test_scoped_lists_walk_tallied_and_new_content_in_order_without_gaps(
        app, client, dbs, login_as, world, monkeypatch):
    """The scope's posts and comments come from the content-college tally (one walk per
    college) and, for what is newer than its watermark, from Flick's tables: the pages
    join up in exact time order, forwards and back."""
    from datetime import timedelta

    from flick_admin import tallies
    from flick_admin.db.base import utcnow
    from tests.moderation.test_lists import next_link, prev_link

    second = factories.CollegeFactory(email_domain="second.edu")
    c = factories.StudentFactory(college=second, username="carol_in")
    now = utcnow()
    for i in range(5):
        factories.PostFactory(author=world["a"] if i % 2 else c, title=f"Old scoped {i}",
                              created_at=now - timedelta(days=3, minutes=i))
        factories.CommentFactory(author=world["a"] if i % 2 else c, post=world["pa"],
                                 content=f"old scoped comment {i}", created_at=now - timedelta(days=3, minutes=i))
    with app.test_request_context("/"):
        done = tallies.catch_up()
    assert done.content_through is not None
    from flick_admin.db.tallies import CommentCollege, PostCollege
    assert dbs.scalar(sa.select(sa.func.count()).select_from(PostCollege)) >= 5
    assert dbs.scalar(sa.select(sa.func.count()).select_from(CommentCollege)) >= 5
    for i in range(3):
        factories.PostFactory(author=c, title=f"New scoped {i}", created_at=now + timedelta(minutes=i))
        factories.CommentFactory(author=world["a"], post=world["pa"], content=f"new scoped comment {i}",
                                 created_at=now + timedelta(minutes=i))
    factories.PostFactory(author=world["b"], title="New outside", created_at=now)
    user = login_as("moderator")
    for college in (world["inside"], second):
        dbs.add(StaffScope(user_id=user.id, college_id=college.id))
    dbs.flush()
    monkeypatch.setitem(app.config, "PAGE_SIZE", 3)
    dbs.expire_all()
    expected_posts = [p.title for p in dbs.scalars(
        sa.select(Post).join(factories.PlatformUser, factories.PlatformUser.id == Post.posted_by_id)
        .where(factories.PlatformUser.college_id.in_([world["inside"].id, second.id]))
        .order_by(Post.created_at.desc(), Post.id.desc()))]
    assert len(expected_posts) == 9 and "New outside" not in expected_posts
    for url, pattern in (("/posts/", r'<strong>([^<]+)</strong></a>'),
                         ("/comments/", r'class="text-inert"[^>]*>([^<]*scoped comment[^<]*|inside comment)<')):
        seen, pages, link = [], [], url
        while link:
            page = client.get(link).get_data(as_text=True)
            pages.append(link)
            seen += re.findall(pattern, page)
            link = next_link(page)
        if url == "/posts/":
            assert seen == expected_posts, seen
        else:
            assert len(seen) == 9 and len(set(seen)) == 9, seen  # 8 scoped + "inside comment"
        back = client.get(pages[-1]).get_data(as_text=True)
        assert prev_link(back)


def test_an_in_scope_reply_names_neither_the_outside_post_nor_the_outside_comment_it_answers(
        client, dbs, scoped, world):
    reply = factories.CommentFactory(author=world["a"], post=world["pb"], parent_comment_id=world["cb"].id,
                                     content="inside reply")
    world["cb"].post_id = world["pb"].id
    dbs.commit()
    scoped()
    page = client.get(f"/comments/{reply.id}").get_data(as_text=True)
    assert "inside reply" in page
    assert "Outside post" not in page and "outside comment" not in page
    assert "a post outside your colleges" in page and f"/posts/{world['pb'].id}" not in page
    listed = client.get("/comments/").get_data(as_text=True)
    assert "inside reply" in listed and "Outside post" not in listed
    factories.ReportFactory(type="Comment", post=None, comment=reply)
    queue = client.get("/reports/?type=comment").get_data(as_text=True)
    assert "inside reply" in queue and "Outside post" not in queue
    assign = client.get(f"/reports/comment/{reply.id}/assign").get_data(as_text=True)
    assert "Outside post" not in assign


def test_the_post_page_lists_no_report_on_an_outside_comment_nor_names_an_outside_reporter(
        client, dbs, scoped, world):
    world["reports"]["cb"].message = "about the outside comment"
    factories.ReportFactory(post=world["pa"], reporter=world["b"], message="inside post reported")
    dbs.commit()
    scoped()
    page = client.get(f"/posts/{world['pa'].id}").get_data(as_text=True)
    assert "inside post reported" in page
    assert "about the outside comment" not in page
    assert "bob_out" not in page and "a student of another college" in page
    comment_page = client.get(f"/comments/{world['ca'].id}").get_data(as_text=True)
    assert "bob_out" not in comment_page


def test_the_user_page_lists_only_reports_filed_on_content_within_the_scope(client, dbs, scoped, world):
    factories.ReportFactory(post=world["pb"], reporter=world["a"], reason="HATE_SPEECH")
    factories.ReportFactory(type="Comment", post=None, comment=world["cb"], reporter=world["a"], reason="NUDITY")
    factories.ReportFactory(post=world["pa"], reporter=world["a"], reason="SPAM")
    scoped()
    page = client.get(f"/users/{world['a'].auth_id}").get_data(as_text=True)
    filed = page.split('data-testid="reports-filed"')[1].split("</ul>")[0]
    assert filed.count("<li>") == 1 and "Hate" not in filed and "Nudity" not in filed


def test_an_audit_entry_shows_a_scoped_moderator_only_their_own_rows_of_its_request(
        client, dbs, login_as, scoped, world):
    login_as("moderator")
    client.post(f"/posts/{world['pb'].id}/act", data=BAN)
    [outside_row] = audit_rows(dbs, action="admin:blocked:content")
    me = scoped()
    # An own row in the same request (a reused request id) must not bring the other along.
    own = factories.LogFactory(actor_id=me.id, actor_type="moderator", action="admin:claimed:content",
                               entity_type="post", entity_id=str(world["pa"].id), request_id=outside_row.request_id)
    page = client.get(f"/audit/entry/{own.id}").get_data(as_text=True)
    assert client.get(f"/audit/entry/{own.id}").status_code == 200
    assert str(outside_row.id) not in page and "Outside post" not in page


def test_revert_answers_404_for_any_entry_outside_the_scope_before_any_other_check(
        client, dbs, login_as, scoped, world):
    login_as("moderator")
    client.post(f"/reports/post/{world['pb'].id}/claim")
    [claimed] = audit_rows(dbs, action="admin:claimed:content")  # not revertible: a 400 inside
    flick_row = factories.LogFactory(actor_type="user", action="user:created:post", entity_type="post",
                                     entity_id=str(world["pb"].id))
    garbage = factories.LogFactory(actor_type="user", action="user:created:post", entity_type="post",
                                   entity_id="not-an-id")
    scoped()
    for row in (claimed, flick_row, garbage):
        assert client.get(f"/revert/{row.id}").status_code == 404, row.action
        assert client.post(f"/revert/{row.id}", data={"reason_text": "x"}).status_code == 404
    inside = factories.LogFactory(actor_type="user", action="user:created:post", entity_type="post",
                                  entity_id=str(world["pa"].id))
    assert client.get(f"/revert/{inside.id}").status_code == 400  # in scope: the ordinary answer


def test_an_item_is_never_assigned_to_a_moderator_whose_colleges_hide_it(client, dbs, login_as, world):
    lead = login_as("moderator", name="Lead")
    limited = factories.StaffFactory(role="moderator", name="Insider Only")
    dbs.add(StaffScope(user_id=limited.id, college_id=world["inside"].id))
    dbs.commit()
    pb, pa = world["pb"], world["pa"]
    form = client.get(f"/reports/post/{pb.id}/assign").get_data(as_text=True)
    assert "Insider Only" not in form, form
    response = client.post(f"/reports/post/{pb.id}/assign", data={"assignee": limited.id, "note": "yours"})
    assert response.status_code == 400
    assert "Insider Only moderates other colleges" in response.get_data(as_text=True)
    assert audit_rows(dbs, action="admin:assigned:content") == []
    dbs.expire_all()
    assert dbs.scalars(sa.select(StaffScope).where(StaffScope.user_id == lead.id)).all() == []
    from flick_admin.db.team import Claim
    assert dbs.scalars(sa.select(Claim).where(Claim.target_id == pb.id)).all() == []
    # An item within their colleges is theirs to take.
    assert "Insider Only" in client.get(f"/reports/post/{pa.id}/assign").get_data(as_text=True)
    assert client.post(f"/reports/post/{pa.id}/assign", data={"assignee": limited.id}).status_code == 303
    assert client.post(f"/reports/comment/{world['cb'].id}/assign",
                       data={"assignee": limited.id}).status_code == 400


@pytest.mark.parametrize("query", [{"sort": "reported"}, {"reported": "1"}])
def test_scoped_reported_posts_are_exactly_the_scopes_with_every_kind_of_pending_report(
        app, client, dbs, world, scoped, query):
    """A scoped "most reported" (and "with pending reports") reads its candidates from the
    priority keys of the scope's colleges, the reports since their watermark, and the
    reports about a comment that also name its post: after a catch-up, each in-scope post
    with a pending report is listed once with its full count, and no outside post."""
    from datetime import timedelta

    from flick_admin import tallies
    from flick_admin.db.base import utcnow

    old = utcnow() - timedelta(days=1)
    keyed = factories.PostFactory(author=world["a"], title="Keyed inside")
    for _ in range(2):
        factories.ReportFactory(post=keyed, created_at=old)
    carried = factories.PostFactory(author=world["a"], title="Carried inside")
    reply = factories.CommentFactory(author=world["b"], post=carried, content="outside reply")
    factories.ReportFactory(type="Comment", post=carried, comment=reply, created_at=old)
    outside = factories.PostFactory(author=world["b"], title="Reported outside")
    factories.ReportFactory(post=outside, created_at=old)
    with app.test_request_context("/"):
        assert tallies.catch_up().reports_through is not None
    fresh = factories.PostFactory(author=world["a"], title="Fresh inside")
    factories.ReportFactory(post=fresh)  # after the watermarks
    factories.ReportFactory(post=keyed)
    scoped()
    page = client.get("/posts/", query_string=query).get_data(as_text=True)
    shown = dict(re.findall(r'<strong>([^<]+)</strong></a>.*?badge badge-pill badge-dark">(\d+)</span>', page, re.S))
    assert shown == {"Keyed inside": "3", "Carried inside": "1", "Fresh inside": "1", "Inside post": "1"}, shown
