"""Statements built once and run again with bound values (``flick_admin.prebuilt``, the
session lookup's own, the live poll's) never carry one staff member's view into another's
request: a member of another scope, of no scope, of another role, or the same member after
a change of scope or role sees exactly what a freshly built statement shows. And a
moderator's own decision shows on their next request, however many times the process has
run the same statements before (the lists, the queue filtered by a reason, the item pages).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from flick_admin.db import Auth
from flick_admin.db.base import utcnow
from flick_admin.db.team import StaffScope
from tests import factories
from tests.conftest import audit_rows
from tests.moderation.test_tallies import catch_up


def _sign_in(app, client, user) -> None:
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], factories.open_session_for(user))


def _get(client, url: str) -> tuple[int, str]:
    response = client.get(url)
    return response.status_code, response.get_data(as_text=True)


@pytest.fixture
def two(dbs):
    """Two colleges, each with a post, a comment on the other college's post, and reports;
    a member scoped to each, and one without a scope."""
    tag = uuid.uuid4().hex[:6]
    east = factories.CollegeFactory(name=f"East {tag}", email_domain=f"east{tag}.edu")
    west = factories.CollegeFactory(name=f"West {tag}", email_domain=f"west{tag}.edu")
    e = factories.StudentFactory(college=east, username=f"east_{tag}")
    w = factories.StudentFactory(college=west, username=f"west_{tag}")
    pe = factories.PostFactory(author=e, title=f"east post {tag}", content=f"east body {tag}")
    pw = factories.PostFactory(author=w, title=f"west post {tag}", content=f"west body {tag}")
    ce = factories.CommentFactory(author=e, post=pw, content=f"east reply {tag}")
    cw = factories.CommentFactory(author=w, post=pe, content=f"west reply {tag}")
    old = utcnow() - timedelta(days=1)
    for post, who, text in ((pe, w, "east"), (pw, e, "west")):
        factories.ReportFactory(post=post, reporter=who, message=f"{text} post report {tag}", created_at=old)
    for comment, who, text in ((ce, w, "east"), (cw, e, "west")):
        factories.ReportFactory(on_comment=True, comment=comment, reporter=who,
                                message=f"{text} comment report {tag}", created_at=old)
    east_mod = factories.StaffFactory(role="moderator", name=f"East mod {tag}")
    west_mod = factories.StaffFactory(role="moderator", name=f"West mod {tag}")
    control = factories.StaffFactory(role="moderator", name=f"Control {tag}")
    dbs.add_all([StaffScope(user_id=east_mod.id, college_id=east.id),
                 StaffScope(user_id=west_mod.id, college_id=west.id)])
    dbs.flush()
    return dict(tag=tag, east=east, west=west, e=e, w=w, pe=pe, pw=pw, ce=ce, cw=cw,
                east_mod=east_mod, west_mod=west_mod, control=control)


def _pages(t) -> list[str]:
    return [f"/posts/{t['pe'].id}", f"/posts/{t['pw'].id}", f"/comments/{t['ce'].id}",
            f"/comments/{t['cw'].id}", f"/users/{t['e'].auth_id}", f"/users/{t['w'].auth_id}",
            "/reports/", "/reports/?reason=SPAM", "/reports/?status=pending&sort=newest",
            "/reports/?type=comment", "/reports/?type=post&reason=SPAM",
            "/posts/?reported=1", "/comments/?reported=1", "/posts/?sort=reported",
            "/users/?ban=suspended", "/users/?ban=banned", "/comments/", "/posts/"]


def _crawl(client, t) -> dict[str, tuple[int, str]]:
    return {url: _get(client, url) for url in _pages(t)}


def _assert_sees_only(seen: dict[str, tuple[int, str]], t, mine: str, theirs: str) -> None:
    """Nothing of ``theirs`` (east or west) on any page; their items answer 404."""
    leaks = {url: theirs for url, (status, body) in seen.items()
             if status == 200 and any(f"{theirs} {what} {t['tag']}" in body
                                      for what in ("post", "body", "reply", "post report", "comment report"))}
    assert not leaks, leaks
    theirs_post, theirs_comment, theirs_student = ((t["pw"], t["cw"], t["w"]) if theirs == "west"
                                                  else (t["pe"], t["ce"], t["e"]))
    for url in (f"/posts/{theirs_post.id}", f"/comments/{theirs_comment.id}", f"/users/{theirs_student.auth_id}"):
        assert seen[url][0] == 404, (url, seen[url][0])
    assert not {url: s for url, (s, _b) in seen.items() if s >= 500}


def test_statements_built_for_one_member_never_serve_another(app, client, dbs, two):
    t = two
    # The unscoped member first: every statement is built (and kept) for no scope.
    _sign_in(app, client, t["control"])
    seen = _crawl(client, t)
    assert all(s == 200 for s, _b in seen.values()), {u: s for u, (s, _b) in seen.items()}
    assert f"west reply {t['tag']}" in seen[f"/posts/{t['pe'].id}"][1]
    # Then each scoped member, twice (the second time every statement is a kept one).
    for _ in range(2):
        _sign_in(app, client, t["east_mod"])
        _assert_sees_only(_crawl(client, t), t, "east", "west")
        _sign_in(app, client, t["west_mod"])
        _assert_sees_only(_crawl(client, t), t, "west", "east")


def test_a_change_of_scope_takes_effect_on_the_next_request(app, client, dbs, two):
    t = two
    _sign_in(app, client, t["east_mod"])
    url = f"/posts/{t['pw'].id}"
    assert _get(client, url)[0] == 404
    dbs.add(StaffScope(user_id=t["east_mod"].id, college_id=t["west"].id))
    dbs.flush()
    assert _get(client, url)[0] == 200
    dbs.execute(sa.delete(StaffScope).where(StaffScope.user_id == t["east_mod"].id,
                                            StaffScope.college_id == t["east"].id))
    dbs.flush()
    _assert_sees_only(_crawl(client, t), t, "west", "east")
    dbs.execute(sa.delete(StaffScope).where(StaffScope.user_id == t["east_mod"].id))
    dbs.flush()
    assert all(s == 200 for s, _b in _crawl(client, t).values())


def test_an_audit_entry_built_for_a_private_reader_is_not_read_by_another(app, client, dbs, two):
    t = two
    request_id = uuid.uuid4()
    private = factories.LogFactory(actor_id=t["control"].id, actor_type="moderator",
                                   action="admin:logged:in:self", entity_type="auth",
                                   entity_id=t["control"].id, request_id=request_id)
    public = factories.LogFactory(actor_id=t["control"].id, actor_type="moderator",
                                  action="admin:blocked:content", entity_type="post",
                                  entity_id=str(t["pw"].id), request_id=request_id,
                                  reason=f"west ban reason {t['tag']}")
    auditor = factories.StaffFactory(role="auditor")
    admin = factories.StaffFactory(role="admin")
    _sign_in(app, client, auditor)
    assert _get(client, f"/audit/entry/{private.id}")[0] == 200
    status, body = _get(client, f"/audit/entry/{public.id}")
    assert status == 200 and str(private.id) in body  # the sign-in shares the request
    _sign_in(app, client, admin)  # no audit:read-private
    assert _get(client, f"/audit/entry/{private.id}")[0] == 404
    status, body = _get(client, f"/audit/entry/{public.id}")
    assert status == 200 and str(private.id) not in body
    _sign_in(app, client, t["west_mod"])  # scoped: their own rows only
    assert _get(client, f"/audit/entry/{public.id}")[0] in (403, 404)
    # A role change takes effect on the next request: the admin made an auditor reads it.
    dbs.execute(sa.update(Auth).where(Auth.id == admin.id).values(role="auditor"))
    dbs.flush()
    _sign_in(app, client, admin)
    assert _get(client, f"/audit/entry/{private.id}")[0] == 200
    dbs.execute(sa.update(Auth).where(Auth.id == admin.id).values(role="admin"))
    dbs.flush()
    assert _get(client, f"/audit/entry/{private.id}")[0] == 404


def _listed(client, url: str, text: str) -> bool:
    status, body = _get(client, url)
    assert status == 200, (url, status)
    return text in body


@pytest.mark.parametrize("tallied", [False, True], ids=["live", "kept"])
def test_a_ban_and_its_revert_show_on_the_next_request_every_time(app, client, dbs, login_as, tallied):
    """After banning a reported comment and a reported post, the lists and the queue filtered
    by their reason no longer show them as pending; after reverting, they are back — on the
    first request and on later ones (the statements kept by then)."""
    login_as("moderator")
    tag = uuid.uuid4().hex[:6]
    old = utcnow() - timedelta(days=1)
    comment = factories.CommentFactory(content=f"fresh comment {tag}", created_at=old - timedelta(hours=1))
    post = factories.PostFactory(title=f"fresh post {tag}", created_at=old - timedelta(hours=1))
    factories.ReportFactory(on_comment=True, comment=comment, reason="HARASSMENT", created_at=old)
    factories.ReportFactory(post=post, reason="HARASSMENT", created_at=old)
    factories.ReportFactory(post=factories.PostFactory(title=f"other post {tag}"), reason="HARASSMENT",
                            created_at=old)
    if tallied:
        catch_up(app)
    views = {
        f"fresh comment {tag}": ["/comments/?reported=1", "/reports/?reason=HARASSMENT",
                                 "/reports/?reason=HARASSMENT&type=comment", "/reports/?type=comment",
                                 "/reports/?status=pending&sort=newest&reason=HARASSMENT"],
        f"fresh post {tag}": ["/posts/?reported=1", "/posts/?sort=reported", "/reports/?reason=HARASSMENT",
                              "/reports/?reason=HARASSMENT&type=post", "/reports/",
                              "/reports/?sort=oldest&reason=HARASSMENT"],
    }

    def shown() -> dict[tuple[str, str], bool]:
        return {(text, url): _listed(client, url, text) for text, urls in views.items() for url in urls}

    for _ in range(2):  # the statements are kept after the first round
        assert all(shown().values()), shown()
    assert client.post(f"/comments/{comment.id}/act",
                       data={"action": "ban", "reason_choice": "Spam or scam"}).status_code == 303
    assert client.post(f"/posts/{post.id}/act",
                       data={"action": "ban", "reason_choice": "Spam or scam"}).status_code == 303
    for _ in range(2):
        assert not any(shown().values()), {k for k, v in shown().items() if v}
    # Reverting both bans puts their reports back to pending.
    for entity in (comment.id, post.id):
        (ban,) = [r for r in audit_rows(dbs, entity_id=str(entity)) if r.action == "admin:blocked:content"]
        assert client.post(f"/revert/{ban.id}", data={"reason_choice": "Other",
                                                     "reason_text": "decided in error"}).status_code == 303
    for _ in range(2):
        assert all(shown().values()), {k for k, v in shown().items() if not v}
