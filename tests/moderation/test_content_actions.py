"""Banning and shadow-banning posts and comments: the data change, the reports it
resolves and the exact audit rows — in one transaction, harmless when repeated."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from flick_admin.db import Comment, ContentReport, Log, Post
from tests import factories
from tests.conftest import audit_rows

REASON = {"reason_choice": "Spam or scam"}


def act_on_post(client, post, action, state="b0s0", **form):
    data = {"action": action, "state": state, **REASON, **form}
    return client.post(f"/posts/{post.id}/act", data=data)


def refreshed(dbs, obj):
    dbs.expire_all()
    return dbs.get(type(obj), obj.id)


def test_ban_post_resolves_its_pending_reports_and_audits_everything(client, dbs, login_as):
    mod = login_as("moderator")
    post = factories.PostFactory(is_shadow_banned=False)
    pending = factories.ReportFactory.create_batch(2, post=post)
    ignored = factories.ReportFactory(post=post, ignored=True)
    other = factories.ReportFactory()  # on another post: untouched
    response = act_on_post(client, post, "ban", reason_text="link farm")
    assert response.status_code == 303
    post = refreshed(dbs, post)
    assert post.is_banned is True and post.is_shadow_banned is False
    statuses = {r.id: r.status for r in dbs.scalars(sa.select(ContentReport))}
    assert [statuses[r.id] for r in pending] == ["resolved", "resolved"]
    assert statuses[ignored.id] == "ignored" and statuses[other.id] == "pending"

    (content_row,) = audit_rows(dbs, action="admin:blocked:content")
    assert (content_row.entity_type, content_row.entity_id) == ("post", str(post.id))
    assert (content_row.actor_id, content_row.actor_type) == (mod.id, "moderator")
    assert content_row.before == {"isBanned": False} and content_row.after == {"isBanned": True}
    assert content_row.reason == "Spam or scam: link farm"
    assert content_row.metadata_["label"] == post.title
    report_rows = audit_rows(dbs, action="admin:updated:report:status")
    assert sorted(r.entity_id for r in report_rows) == sorted(str(r.id) for r in pending)
    assert all(r.before == {"status": "pending"} and r.after == {"status": "resolved"}
               for r in report_rows)
    assert {r.request_id for r in report_rows} == {content_row.request_id}


def test_shadow_ban_keeps_a_ban_as_flick_does(client, dbs, login_as):
    """Flick keeps isBanned and isShadowBanned as two independent flags: shadow-banning a
    banned post sets its own flag and leaves the ban alone."""
    login_as("admin")
    post = factories.PostFactory(banned=True)
    assert act_on_post(client, post, "shadow_ban", state="b1s0").status_code == 303
    post = refreshed(dbs, post)
    assert (post.is_banned, post.is_shadow_banned) == (True, True)
    (row,) = audit_rows(dbs, action="admin:shadow:banned:content")
    assert row.before == {"isShadowBanned": False} and row.after == {"isShadowBanned": True}


def test_shadow_ban_then_ban_then_unban_leaves_the_post_shadow_banned(client, dbs, login_as):
    """No action silently clears the other flag; each is lifted on its own, and the result
    and the page say the state that is true."""
    login_as("moderator")
    post = factories.PostFactory()
    assert act_on_post(client, post, "shadow_ban", state="b0s0").status_code == 303
    assert act_on_post(client, post, "ban", state="b0s1").status_code == 303
    assert (refreshed(dbs, post).is_banned, refreshed(dbs, post).is_shadow_banned) == (True, True)
    response = act_on_post(client, post, "unban", state="b1s1")
    assert response.status_code == 303
    post = refreshed(dbs, post)
    assert (post.is_banned, post.is_shadow_banned) == (False, True)
    page = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Post unbanned (it is still shadow-banned, so it stays hidden" in page
    assert ">shadow-banned</span>" in page and ">visible</span>" not in page
    assert "Lift shadow ban" in page
    (row,) = audit_rows(dbs, action="admin:unblocked:content")
    assert row.before == {"isBanned": True} and row.after == {"isBanned": False}
    response = act_on_post(client, post, "unshadow_ban", state="b0s1")
    post = refreshed(dbs, post)
    assert (post.is_banned, post.is_shadow_banned) == (False, False)


def test_a_post_with_both_flags_shows_both_in_the_queue(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory(banned=True, shadow_banned=True, title="both flags")
    factories.ReportFactory(post=post)
    page = client.get("/reports/").get_data(as_text=True)
    assert "already banned" in page and "already shadow-banned" in page
    assert f'value="post:{post.id}:b1s1"' in page


@pytest.mark.parametrize(("trait", "action", "state", "audit", "field"), [
    ({"banned": True}, "unban", "b1s0", "admin:unblocked:content", "is_banned"),
    ({"shadow_banned": True}, "unshadow_ban", "b0s1", "admin:shadow:unbanned:content", "is_shadow_banned"),
])
def test_reversals_restore_the_post_and_leave_reports_alone(client, dbs, login_as, trait,
                                                            action, state, audit, field):
    login_as("moderator")
    post = factories.PostFactory(**trait)
    report = factories.ReportFactory(post=post, resolved=True)
    assert act_on_post(client, post, action, state=state).status_code == 303
    assert getattr(refreshed(dbs, post), field) is False
    assert refreshed(dbs, report).status == "resolved"
    assert len(audit_rows(dbs, action=audit)) == 1
    assert audit_rows(dbs, action="admin:updated:report:status") == []


def test_acting_twice_is_harmless(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    act_on_post(client, post, "ban")
    again = act_on_post(client, post, "ban")
    assert again.status_code == 303
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "already banned" in page
    assert len(audit_rows(dbs, action="admin:blocked:content")) == 1


def test_stale_form_gets_409_naming_who_changed_it_and_writes_nothing(client, dbs, login_as):
    login_as("moderator")
    other = factories.StaffFactory(role="admin", email="other.admin@flick.test")
    post = factories.PostFactory()
    report = factories.ReportFactory(post=post)
    # Someone else shadow-banned it after our form was drawn (state b0s0).
    post.is_shadow_banned = True
    dbs.add(Log(actor_id=other.id, actor_type="admin", action="admin:shadow:banned:content",
                entity_type="post", entity_id=str(post.id)))
    dbs.commit()
    before = len(audit_rows(dbs))
    response = act_on_post(client, post, "ban", state="b0s0")
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "shadow-banned" in text and "other.admin@flick.test" in text
    post = refreshed(dbs, post)
    assert (post.is_banned, post.is_shadow_banned) == (False, True)
    assert refreshed(dbs, report).status == "pending"
    assert len(audit_rows(dbs)) == before


def test_ban_and_unban_comment(client, dbs, login_as):
    login_as("moderator")
    comment = factories.CommentFactory()
    report = factories.ReportFactory(on_comment=True, comment=comment)
    response = client.post(f"/comments/{comment.id}/act",
                           data={"action": "ban", "state": "b0", **REASON})
    assert response.status_code == 303
    assert refreshed(dbs, comment).is_banned is True
    assert refreshed(dbs, report).status == "resolved"
    (row,) = audit_rows(dbs, action="admin:blocked:content")
    assert (row.entity_type, row.before, row.after) == ("comment", {"isBanned": False}, {"isBanned": True})
    client.post(f"/comments/{comment.id}/act", data={"action": "unban", "state": "b1", **REASON})
    assert refreshed(dbs, comment).is_banned is False
    assert len(audit_rows(dbs, action="admin:unblocked:content")) == 1


def test_comments_cannot_be_shadow_banned(client, dbs, login_as):
    login_as("moderator")
    comment = factories.CommentFactory()
    response = client.post(f"/comments/{comment.id}/act",
                           data={"action": "shadow_ban", "state": "b0", **REASON})
    assert response.status_code == 400
    assert audit_rows(dbs) == []


@pytest.mark.parametrize("form", [
    {},                                                   # no reason at all
    {"reason_choice": "Other"},                           # "Other" needs words
    {"reason_text": "x" * 100_000},                       # far too long
    {"reason_choice": "Because I said so"},               # not a standard reason
])
def test_bad_reasons_are_400_and_change_nothing(client, dbs, login_as, form):
    login_as("moderator")
    post = factories.PostFactory()
    response = client.post(f"/posts/{post.id}/act", data={"action": "ban", "state": "b0s0", **form})
    assert response.status_code == 400
    assert refreshed(dbs, post).is_banned is False
    assert audit_rows(dbs) == []


def test_unknown_action_and_missing_post(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    assert act_on_post(client, post, "delete").status_code == 400
    missing = client.post("/posts/00000000-0000-0000-0000-000000000000/act",
                          data={"action": "ban", **REASON})
    assert missing.status_code == 404
    assert client.post("/posts/not-a-uuid/act", data={"action": "ban", **REASON}).status_code == 404
    assert audit_rows(dbs) == []


def test_auditors_read_but_never_act(client, dbs, login_as):
    login_as("auditor")
    post = factories.PostFactory()
    assert client.get(f"/posts/{post.id}").status_code == 200
    assert act_on_post(client, post, "ban").status_code == 403
    assert refreshed(dbs, post).is_banned is False
    page = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert 'value="ban"' not in page


def test_action_is_undone_when_its_audit_row_fails(client, dbs, login_as, connection):

    login_as("moderator")
    post = factories.PostFactory()
    report = factories.ReportFactory(post=post)
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "CREATE FUNCTION test_no_content_audit() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN IF NEW.action = 'admin:updated:report:status' THEN "
            "RAISE EXCEPTION 'audit store unavailable'; END IF; RETURN NEW; END $$")
        connection.exec_driver_sql(
            "CREATE TRIGGER test_no_content_audit BEFORE INSERT ON logs "
            "FOR EACH ROW EXECUTE FUNCTION test_no_content_audit()")
    else:
        connection.exec_driver_sql(
            "CREATE TRIGGER test_no_content_audit BEFORE INSERT ON logs "
            "WHEN NEW.action = 'admin:updated:report:status' "
            "BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END")
    response = act_on_post(client, post, "ban")
    assert response.status_code == 503
    # The post's own audit row went in first; the report's failed: everything is undone.
    assert refreshed(dbs, post).is_banned is False
    assert refreshed(dbs, report).status == "pending"
    assert audit_rows(dbs) == []


def test_post_page_shows_content_inert_with_thread_reports_author_and_history(client, dbs, login_as):
    login_as("moderator")
    author = factories.StudentFactory(username="script_kid")
    post = factories.PostFactory(author=author, title="<b>bold</b>",
                                 content="<script>alert('x')</script> hello")
    parent = factories.CommentFactory(post=post, content="top level")
    factories.CommentFactory(post=post, parent_comment_id=parent.id, content="a reply")
    factories.ReportFactory(post=post, message="<img src=x onerror=alert(1)>")
    act_on_post(client, post, "shadow_ban")
    page = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "<b>bold</b>" not in page and "<img src=x" not in page
    assert "script_kid" in page and "a reply" in page and "top level" in page
    assert "admin:shadow:banned:content" in page
    # The reply is nested under its parent.
    assert page.index("top level") < page.index("a reply")
    assert 'margin-left: 1.25rem' in page


def test_post_page_for_a_missing_post_is_404(client, dbs, login_as):
    login_as("moderator")
    assert client.get("/posts/00000000-0000-0000-0000-000000000000").status_code == 404


def test_post_ban_sets_updated_at(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    old = post.updated_at
    act_on_post(client, post, "ban")
    assert refreshed(dbs, post).updated_at >= old


def test_comment_rows_are_untouched_by_a_post_ban(client, dbs, login_as):
    login_as("moderator")
    comment = factories.CommentFactory()
    act_on_post(client, comment.post, "ban")
    assert refreshed(dbs, comment).is_banned is False
    assert dbs.scalar(sa.select(sa.func.count()).select_from(Comment)) == 1
    assert dbs.get(Post, comment.post_id) is not None
