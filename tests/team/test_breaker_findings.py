"""Findings of an independent review of the integration branch (breaker): each test asserts
the promised behaviour and fails while the break is there."""

from __future__ import annotations

from flick_admin.db.team import StaffScope
from tests import factories


def test_item_history_hides_outside_students_acting_on_inside_items(app, client, dbs):
    """A college-scoped moderator opening an in-scope post or comment must not read which
    outside student voted on it (Flick's own ``user:upvoted:post`` rows): the audit list hides
    those rows, the item's history shows the outside student's e-mail as "Who"."""
    inside = factories.CollegeFactory(email_domain="in-brk.edu", name="In Brk")
    outside = factories.CollegeFactory(email_domain="out-brk.edu", name="Out Brk")
    a = factories.StudentFactory(college=inside, username="brk_in")
    b = factories.StudentFactory(college=outside, username="brk_out_secret",
                                 auth=factories.AuthFactory(email="brk-outsider@out-brk.edu"))
    pa = factories.PostFactory(author=a, title="inside")
    ca = factories.CommentFactory(author=a, post=pa, content="inside comment")
    factories.LogFactory(actor_id=b.auth_id, actor_type="user", action="user:upvoted:post",
                         entity_type="post", entity_id=str(pa.id))
    factories.LogFactory(actor_id=b.auth_id, actor_type="user", action="user:upvoted:comment",
                         entity_type="comment", entity_id=str(ca.id))
    scoped = factories.StaffFactory(role="moderator", name="Scoped")
    dbs.add(StaffScope(user_id=scoped.id, college_id=inside.id))
    dbs.flush()
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], factories.open_session_for(scoped))
    leaks = {}
    for url in (f"/posts/{pa.id}", f"/comments/{ca.id}", "/audit/"):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.data.decode()
        found = [s for s in ("brk-outsider@out-brk.edu", "brk_out_secret", b.auth_id) if s in body]
        if found:
            leaks[url] = found
    assert not leaks, leaks
