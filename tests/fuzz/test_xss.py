"""Markup and script in anything students or staff can type are shown as text on every
page that displays it."""

from __future__ import annotations

import pytest

from tests import factories

PAYLOAD = "<script>alert('xss')</script><img src=x onerror=alert(1)>"
ESCAPED = "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;"


@pytest.fixture
def poisoned(dbs):
    college = factories.CollegeFactory(name="Uni " + PAYLOAD, city=PAYLOAD)
    branch = factories.BranchFactory(name="Branch " + PAYLOAD)
    student = factories.StudentFactory(username="kid" + PAYLOAD, college=college, branch=PAYLOAD,
                                       auth=factories.AuthFactory(name=PAYLOAD, email="x@poison.edu",
                                                                  banned=True, ban_reason=PAYLOAD))
    post = factories.PostFactory(author=student, title=PAYLOAD, content=PAYLOAD)
    comment = factories.CommentFactory(post=post, author=student, content=PAYLOAD)
    factories.ReportFactory(post=post, reporter=student, reason=PAYLOAD, message=PAYLOAD)
    factories.ReportFactory(on_comment=True, comment=comment, reporter=student, message=PAYLOAD)
    word = factories.BannedWordFactory(word=PAYLOAD.lower())
    request_row = factories.CollegeRequestFactory(name=PAYLOAD, requested_by_email=PAYLOAD)
    factories.FeedbackFactory(user=student, title=PAYLOAD, content=PAYLOAD)
    log = factories.LogFactory(actor_type="moderator", action="admin:blocked:content", entity_type="post",
                               entity_id=str(post.id), reason=PAYLOAD, user_agent=PAYLOAD,
                               metadata_={"label": PAYLOAD}, before={"x": PAYLOAD}, after={"x": PAYLOAD})
    return {"post": post, "comment": comment, "student": student, "college": college,
            "branch": branch, "word": word, "request": request_row, "log": log}


def test_every_page_shows_it_inert(client, dbs, login_as, poisoned):
    login_as("superadmin")
    p = poisoned
    pages = ["/", "/reports/", "/reports/?status=pending&sort=newest", "/posts/", f"/posts/{p['post'].id}",
             "/comments/", f"/comments/{p['comment'].id}", "/users/", f"/users/{p['student'].auth_id}",
             "/colleges/", f"/colleges/{p['college'].id}", "/branches/", f"/branches/{p['branch'].id}",
             "/college-requests/", f"/college-requests/{p['request'].id}", "/banned-words/",
             f"/banned-words/{p['word'].id}", "/feedback/", "/audit/", f"/audit/entry/{p['log'].id}",
             "/staff/", "/banned-words/?sample=" + PAYLOAD]
    for url in pages:
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert "<script>alert" not in page and "<img src=x" not in page, url
    shown = client.get(f"/posts/{p['post'].id}").get_data(as_text=True)
    assert ESCAPED in shown


def test_reasons_typed_by_staff_are_inert_too(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    client.post(f"/posts/{post.id}/act", data={"action": "ban", "state": "b0s0", "reason_text": PAYLOAD})
    for url in (f"/posts/{post.id}", "/audit/"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in page and ESCAPED in page
