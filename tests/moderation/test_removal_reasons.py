"""The catalogue of removal reasons: admins create, edit and retire reasons (one service
each, its audit row in the same transaction); moderators only read it and choose from it.
A reason chosen in any decision form fills the audit reason (free text still allowed), and
a form offers the reasons fitting the item's report reasons first."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from flick_admin.db.reasons import RemovalReason
from tests import factories
from tests.conftest import audit_rows


@pytest.fixture(autouse=True)
def authors_told(app, monkeypatch):
    """Authors are told here (the test app turns it off elsewhere; it is on by default)."""
    monkeypatch.setitem(app.config, "NOTIFY_AUTHORS", True)


def _reasons(dbs):
    dbs.expire_all()
    return dbs.scalars(sa.select(RemovalReason).order_by(RemovalReason.title)).all()


def _add(client, title="Spam", text="Flick is for real conversations, not advertising.", fits=("SPAM",)):
    return client.post("/removal-reasons/new", data={"title": title, "student_text": text, "fits": list(fits)})


def test_an_admin_adds_edits_and_retires_a_reason_each_with_its_audit_row(client, dbs, login_as):
    admin = login_as("admin")
    assert _add(client).status_code == 303
    (row,) = _reasons(dbs)
    assert (row.title, row.fits, row.retired_at) == ("Spam", ["SPAM"], None)
    (created,) = audit_rows(dbs, action="admin:created:removal-reason")
    assert created.entity_type == "removal-reason" and created.entity_id == str(row.id)
    assert created.actor_id == admin.id and created.after["student_text"].startswith("Flick is for")

    edited = client.post(f"/removal-reasons/{row.id}/edit", data={
        "title": "Spam or advertising", "student_text": "No ads, please.", "fits": ["SPAM", "OTHER"]})
    assert edited.status_code == 303
    (updated,) = audit_rows(dbs, action="admin:updated:removal-reason")
    assert updated.before == {"title": "Spam", "fits": ["SPAM"],
                              "student_text": "Flick is for real conversations, not advertising."}
    assert updated.after == {"title": "Spam or advertising", "student_text": "No ads, please.",
                             "fits": ["SPAM", "OTHER"]}
    # Saving the same values changes nothing and writes nothing.
    client.post(f"/removal-reasons/{row.id}/edit", data={
        "title": "Spam or advertising", "student_text": "No ads, please.", "fits": ["OTHER", "SPAM"]})
    assert len(audit_rows(dbs, action="admin:updated:removal-reason")) == 1

    assert client.post(f"/removal-reasons/{row.id}/retire").status_code == 303
    (retired,) = audit_rows(dbs, action="admin:retired:removal-reason")
    assert retired.after == {"retired": True} and _reasons(dbs)[0].retired_at is not None
    client.post(f"/removal-reasons/{row.id}/retire")
    assert len(audit_rows(dbs, action="admin:retired:removal-reason")) == 1  # once
    assert client.post(f"/removal-reasons/{row.id}/edit", data={
        "title": "x", "student_text": "y"}).status_code == 409
    page = client.get(f"/removal-reasons/{row.id}").get_data(as_text=True)
    assert "retired" in page and "Retire this reason" not in page


@pytest.mark.parametrize(("form", "status", "said"), [
    ({"title": "", "student_text": "text"}, 400, "The title is required"),
    ({"title": "T", "student_text": " "}, 400, "text the student reads is required"),
    ({"title": "T" * 81, "student_text": "text"}, 400, "too long"),
    ({"title": "T", "student_text": "x" * 501}, 400, "too long"),
    ({"title": "T", "student_text": "text", "fits": ["BORING"]}, 400, "Unknown report reason"),
    ({"title": "Bad\x07title", "student_text": "text"}, 400, "control character"),
])
def test_bad_input_is_a_clear_4xx_and_writes_nothing(client, dbs, login_as, form, status, said):
    login_as("admin")
    answer = client.post("/removal-reasons/new", data=form)
    assert answer.status_code == status and said in answer.get_data(as_text=True)
    assert _reasons(dbs) == [] and audit_rows(dbs, action="admin:created:removal-reason") == []


def test_two_active_reasons_never_share_a_title(client, dbs, login_as):
    login_as("admin")
    _add(client, title="Harassment")
    again = _add(client, title="  harassment ")
    assert again.status_code == 409 and "exists already" in again.get_data(as_text=True)
    assert len(_reasons(dbs)) == 1
    # A retired reason frees its title.
    client.post(f"/removal-reasons/{_reasons(dbs)[0].id}/retire")
    assert _add(client, title="Harassment").status_code == 303
    assert len(_reasons(dbs)) == 2


@pytest.mark.parametrize("role", ["moderator", "auditor"])
def test_moderators_and_auditors_read_the_catalogue_but_change_nothing(client, dbs, login_as, role):
    reason = factories.RemovalReasonFactory(title="Hate speech", student_text="Hateful words hurt.")
    login_as(role)
    listing = client.get("/removal-reasons/").get_data(as_text=True)
    assert "Hate speech" in listing and "Hateful words hurt." in listing and "Add a removal reason" not in listing
    assert client.get(f"/removal-reasons/{reason.id}").status_code == 200
    assert _add(client).status_code == 403
    assert client.post(f"/removal-reasons/{reason.id}/edit", data={"title": "x", "student_text": "y"}).status_code == 403
    assert client.post(f"/removal-reasons/{reason.id}/retire").status_code == 403
    assert [r.title for r in _reasons(dbs)] == ["Hate speech"] and _reasons(dbs)[0].retired_at is None


def _options(page: str) -> list[str]:
    group = re.search(r'<optgroup label="Removal reasons[^"]*">(.*?)</optgroup>', page, re.S)
    return re.findall(r">([^<]+)</option>", group.group(1)) if group else []


def test_a_post_page_offers_the_reasons_fitting_its_reports_first(client, dbs, login_as):
    factories.RemovalReasonFactory(title="A off-topic", fits=["OTHER"])
    factories.RemovalReasonFactory(title="B spam", fits=["SPAM"])
    factories.RemovalReasonFactory(title="C retired spam", fits=["SPAM"], retired=True)
    post = factories.PostFactory()
    factories.ReportFactory(post=post, reason="SPAM")
    login_as("moderator")
    offered = _options(client.get(f"/posts/{post.id}").get_data(as_text=True))
    assert offered[:2] == ["B spam · fits the reports", "A off-topic"]
    assert not any("retired" in o for o in offered)


@pytest.mark.parametrize("url", ["/reports/", "post", "comment", "user"])
def test_every_decision_form_offers_the_catalogue(client, dbs, login_as, url):
    factories.RemovalReasonFactory(title="Harassment", fits=["HARASSMENT"])
    report = factories.ReportFactory(on_comment=True, reason="HARASSMENT")
    comment = report.comment
    url = {"post": f"/posts/{comment.post_id}", "comment": f"/comments/{comment.id}",
           "user": f"/users/{comment.author.auth_id}"}.get(url, url)
    login_as("moderator")
    page = client.get(url).get_data(as_text=True)
    assert any(o.startswith("Harassment") for o in _options(page)), url


def test_a_chosen_reason_fills_the_audit_reason_and_free_text_stays_possible(client, dbs, login_as):
    reason = factories.RemovalReasonFactory(title="Spam or advertising")
    first, second, third = (factories.PostFactory() for _ in range(3))
    login_as("moderator")
    choice = f"catalogue:{reason.id}"
    client.post(f"/posts/{first.id}/act", data={"action": "ban", "reason_choice": choice})
    client.post(f"/posts/{second.id}/act", data={"action": "shadow_ban", "reason_choice": choice,
                                                 "reason_text": "third time this week"})
    client.post(f"/posts/{third.id}/act", data={"action": "ban", "reason_text": "my own words"})
    rows = {r.entity_id: r for r in audit_rows(dbs, entity_type="post")}
    assert rows[str(first.id)].reason == "Spam or advertising"
    assert rows[str(second.id)].reason == "Spam or advertising: third time this week"
    assert rows[str(third.id)].reason == "my own words"
    assert rows[str(first.id)].metadata_["removal_reason"] == {"id": str(reason.id), "title": "Spam or advertising"}
    assert "removal_reason" not in rows[str(third.id)].metadata_


def test_the_batch_form_and_a_user_sanction_take_the_chosen_reason(client, dbs, login_as):
    reason = factories.RemovalReasonFactory(title="Harassment")
    posts = [factories.PostFactory() for _ in range(2)]
    for post in posts:
        factories.ReportFactory(post=post)
    student = factories.StudentFactory()
    login_as("moderator")
    choice = {"reason_choice": f"catalogue:{reason.id}"}
    client.post("/reports/bulk", data={"action": "ban", "target": [f"post:{p.id}:b0s0" for p in posts], **choice})
    client.post(f"/users/{student.auth_id}/sanction", data={"kind": "suspend", "days": "3", **choice})
    assert {r.reason for r in audit_rows(dbs, entity_type="post")} == {"Harassment"}
    (sanction,) = audit_rows(dbs, action="admin:suspended:user")
    assert sanction.reason == "Harassment"


def test_a_retired_or_unknown_reason_is_refused_and_nothing_changes(client, dbs, login_as):
    retired = factories.RemovalReasonFactory(retired=True)
    post = factories.PostFactory()
    login_as("moderator")
    for choice in (f"catalogue:{retired.id}", "catalogue:not-an-id"):
        answer = client.post(f"/posts/{post.id}/act", data={"action": "ban", "reason_choice": choice})
        assert answer.status_code == 400 and "choose another" in answer.get_data(as_text=True)
    dbs.expire_all()
    assert not dbs.get(type(post), post.id).is_banned and audit_rows(dbs, entity_type="post") == []


def test_decision_pages_keep_their_statement_budget_with_the_catalogue(client, dbs, login_as, count_queries):
    for n in range(5):
        factories.RemovalReasonFactory(title=f"Reason {n}", fits=["SPAM"])
    post = factories.PostFactory()
    factories.ReportFactory.create_batch(3, post=post)
    comment = factories.CommentFactory(post=post)
    login_as("moderator")
    for url in (f"/posts/{post.id}", f"/comments/{comment.id}", f"/users/{post.author.auth_id}", "/reports/",
                "/removal-reasons/"):
        with count_queries() as counted:
            assert client.get(url).status_code == 200
        assert counted.n <= 5, (url, counted.statements)
