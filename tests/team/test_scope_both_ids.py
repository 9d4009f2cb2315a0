"""A report that names a comment is about that comment, even when it also carries the
comment's post (Flick's server may write both ids; ``flick_admin.db.reports``). For a
college-scoped moderator, such a report on a comment by a student of another college is
outside their colleges even when the post is inside: not listed among the reports an
in-scope student filed, and its decision cannot be reverted by them."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from flick_admin.db import ContentReport
from flick_admin.db.team import StaffScope
from tests import factories
from tests.conftest import audit_rows


def _sign_in(app, client, user) -> None:
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], factories.open_session_for(user))


def _board(dbs):
    tag = uuid.uuid4().hex[:6]
    inside, outside = factories.CollegeFactory(), factories.CollegeFactory()
    a = factories.StudentFactory(college=inside)
    b = factories.StudentFactory(college=outside)
    post = factories.PostFactory(author=a, title=f"inside post {tag}")
    theirs = factories.CommentFactory(author=b, post=post, content=f"outside comment {tag}")
    # Filed by an in-scope student, about the outside comment, naming its (inside) post too.
    report = factories.ReportFactory(type="Comment", post=post, comment=theirs, reporter=a,
                                     reason=f"both_ids_reason_{tag}", message=f"both ids message {tag}")
    scoped = factories.StaffFactory(role="moderator")
    control = factories.StaffFactory(role="moderator")
    dbs.add(StaffScope(user_id=scoped.id, college_id=inside.id))
    dbs.flush()
    return tag, a, post, theirs, report, scoped, control


def test_a_report_naming_an_outside_comment_and_its_inside_post_is_not_among_the_reports_filed(app, client, dbs):
    tag, a, post, theirs, report, scoped, control = _board(dbs)
    _sign_in(app, client, control)
    assert f"both_ids_reason_{tag}" in client.get(f"/users/{a.auth_id}").get_data(as_text=True)
    _sign_in(app, client, scoped)
    for url in (f"/users/{a.auth_id}", f"/posts/{post.id}", "/reports/", "/reports/?type=comment",
                "/reports/?sort=newest", "/comments/?reported=1", "/posts/?reported=1"):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        assert f"both_ids_reason_{tag}" not in body and f"both ids message {tag}" not in body, url
        assert f"outside comment {tag}" not in body and str(theirs.id) not in body, url


def test_a_scoped_moderator_cannot_revert_a_decision_on_such_a_report(app, client, dbs):
    tag, a, post, theirs, report, scoped, control = _board(dbs)
    _sign_in(app, client, control)
    response = client.post(f"/reports/comment/{theirs.id}/act",
                           data={"action": "ignore", "reason_text": "not a problem"})
    assert response.status_code in (200, 303)
    dbs.expire_all()
    assert dbs.scalar(sa.select(ContentReport.status).where(ContentReport.id == report.id)) == "ignored"
    row = audit_rows(dbs, entity_id=str(report.id))[-1]
    _sign_in(app, client, scoped)
    response = client.post(f"/revert/{row.id}", data={"reason_choice": "Other", "reason_text": "mine now"})
    assert response.status_code == 404
    dbs.expire_all()
    assert dbs.scalar(sa.select(ContentReport.status).where(ContentReport.id == report.id)) == "ignored"
