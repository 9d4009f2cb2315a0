"""Internal notes, escalation and the triage role (both databases)."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa

from flick_admin.db import Auth, Post
from flick_admin.db.team import Claim, Escalation, Note, StaffScope
from tests import factories
from tests.conftest import audit_rows

BAN = {"action": "ban", "reason_choice": "Spam or scam"}


def _note(client, kind, target, body):
    return client.post(f"/team/notes/{kind}/{target}/add", data={"body": body})


def _escalate(client, kind, target_id, comment="Needs a senior look: legal risk"):
    return client.post(f"/team/escalations/{kind}/{target_id}/escalate", data={"comment": comment})


def _notes(dbs):
    dbs.expire_all()
    return dbs.scalars(sa.select(Note).order_by(Note.created_at)).all()


def _escalations(dbs):
    dbs.expire_all()
    return dbs.scalars(sa.select(Escalation)).all()


# --- notes -------------------------------------------------------------------------------------

def test_a_note_is_written_shown_edited_and_deleted_each_with_its_audit_row(client, dbs, login_as):
    author = login_as("moderator", name="Asha Rao")
    post = factories.PostFactory(title="Noted post")
    factories.ReportFactory(post=post)
    assert _note(client, "post", post.id, "Third report this week from the same thread").status_code == 303
    [note] = _notes(dbs)
    assert (note.target_type, note.target_id, note.author_id) == ("post", post.id, author.id)
    [row] = audit_rows(dbs, action="admin:added:note")
    assert (row.entity_type, row.entity_id, row.actor_id) == ("post", str(post.id), author.id)
    assert row.metadata_["note_id"] == str(note.id) and note.log_id == row.id
    # The text stays in admin_notes: the audit row names the note, never its words.
    assert "Third report" not in json.dumps([row.before, row.after, row.metadata_, row.reason])

    page = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Third report this week from the same thread" in page and "left a note" in page
    queue = client.get("/reports/").get_data(as_text=True)
    flag = queue.split('data-testid="note-flag"')[1].split("</span></span>")[0]
    assert "Staff note by Asha Rao: Third report this week" in flag
    assert queue.count("<th scope=\"col\"") == 9  # no new column (select + 8, as before)

    # Nobody but the author edits or deletes it (403, nothing written).
    login_as("moderator", name="Ben Ito")
    assert client.post(f"/team/notes/{note.id}/edit", data={"body": "rewritten"}).status_code == 403
    assert client.post(f"/team/notes/{note.id}/delete").status_code == 403
    assert _notes(dbs)[0].body.startswith("Third report") and len(audit_rows(dbs)) == 1

    client.set_cookie("flick_admin_session", "")
    login_as_author = factories.open_session_for(author)
    client.set_cookie(client.application.config["AUTH_COOKIE_NAME"], login_as_author)
    assert client.post(f"/team/notes/{note.id}/edit", data={"body": "Fourth report now"}).status_code == 303
    assert _notes(dbs)[0].body == "Fourth report now" and _notes(dbs)[0].edited_at is not None
    [edited] = audit_rows(dbs, action="admin:edited:note")
    assert edited.before == {"note_characters": 43} and edited.after == {"note_characters": 17}
    page = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Fourth report now" in page and "(edited)" in page and "Edit or delete your note" in page
    assert client.post(f"/team/notes/{note.id}/delete").status_code == 303
    assert _notes(dbs) == [] and len(audit_rows(dbs, action="admin:deleted:note")) == 1
    assert "(note deleted)" in client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert 'data-testid="note-flag"' not in client.get("/reports/").get_data(as_text=True)


def test_bad_notes_are_refused_and_write_nothing(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    assert _note(client, "post", post.id, "   ").status_code == 400
    assert _note(client, "post", post.id, "x" * 2001).status_code == 400
    assert _note(client, "post", uuid.uuid4(), "about nothing").status_code == 404
    assert _note(client, "comment", "not-an-id", "about nothing").status_code == 404
    assert client.post(f"/team/notes/{uuid.uuid4()}/delete").status_code == 404
    assert _notes(dbs) == [] and audit_rows(dbs) == []


def test_notes_on_comments_and_students_show_in_their_history(client, dbs, login_as):
    login_as("moderator")
    comment = factories.CommentFactory(content="a comment")
    student = factories.StudentFactory(username="noted_student")
    assert _note(client, "comment", comment.id, "Watch this thread").status_code == 303
    assert _note(client, "user", student.auth_id, "Warned by phone on Monday").status_code == 303
    assert "Watch this thread" in client.get(f"/comments/{comment.id}").get_data(as_text=True)
    assert "Warned by phone on Monday" in client.get(f"/users/{student.auth_id}").get_data(as_text=True)
    [row] = audit_rows(dbs, action="admin:added:note", entity_type="user")
    assert row.entity_id == student.auth_id
    # A staff account has no student profile to note.
    staff = factories.StaffFactory(role="moderator")
    assert _note(client, "user", staff.id, "about a colleague").status_code == 400
    assert len(_notes(dbs)) == 2


def test_an_auditor_reads_notes_but_writes_none(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    _note(client, "post", post.id, "Only staff read this")
    login_as("auditor")
    page = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Only staff read this" in page and 'data-testid="note-form"' not in page
    assert _note(client, "post", post.id, "auditor note").status_code == 403


def test_a_scoped_moderator_neither_reads_nor_writes_notes_outside(client, dbs, login_as):
    inside, outside = factories.CollegeFactory(email_domain="in-notes.edu"), factories.CollegeFactory(
        email_domain="out-notes.edu")
    a, b = factories.StudentFactory(college=inside), factories.StudentFactory(college=outside)
    pa, pb = factories.PostFactory(author=a), factories.PostFactory(author=b)
    factories.ReportFactory(post=pa)
    factories.ReportFactory(post=pb)
    login_as("moderator")
    _note(client, "post", pb.id, "outside secret note")
    _note(client, "user", b.auth_id, "outside student note")
    outside_note = _notes(dbs)[0]
    scoped = login_as("moderator", name="Scoped")
    dbs.add(StaffScope(user_id=scoped.id, college_id=inside.id))
    dbs.flush()
    before = len(audit_rows(dbs))
    assert _note(client, "post", pb.id, "try").status_code == 404
    assert _note(client, "user", b.auth_id, "try").status_code == 404
    assert _escalate(client, "post", pb.id).status_code == 404
    # Someone else's note on an outside item does not exist for them (404 before 403).
    assert client.post(f"/team/notes/{outside_note.id}/delete").status_code == 404
    assert len(audit_rows(dbs)) == before and len(_notes(dbs)) == 2
    assert _note(client, "post", pa.id, "inside note").status_code == 303
    queue = client.get("/reports/").get_data(as_text=True)
    assert "inside note" in queue and "outside secret note" not in queue


# --- escalation ----------------------------------------------------------------------------------

def test_an_escalated_item_leaves_the_queue_for_the_escalated_view(client, dbs, login_as):
    mod = login_as("moderator", name="Asha Rao")
    post = factories.PostFactory(title="Escalate me")
    other = factories.PostFactory(title="Stay in the queue")
    factories.ReportFactory(post=post)
    factories.ReportFactory(post=other)
    assert _escalate(client, "post", post.id, comment="").status_code == 400
    assert _escalations(dbs) == []
    assert _escalate(client, "post", post.id).status_code == 303
    [esc] = _escalations(dbs)
    assert (esc.target_id, esc.escalated_by_id, esc.comment) == (post.id, mod.id, "Needs a senior look: legal risk")
    [row] = audit_rows(dbs, action="admin:escalated:content")
    assert row.entity_id == str(post.id) and row.reason == "Needs a senior look: legal risk"
    assert _escalate(client, "post", post.id).status_code == 303  # already: nothing written
    assert len(audit_rows(dbs, action="admin:escalated:content")) == 1

    queue = client.get("/reports/").get_data(as_text=True)
    assert "Stay in the queue" in queue and "Escalate me" not in queue
    view = client.get("/reports/?escalated=1").get_data(as_text=True)
    assert "Escalate me" in view and "Stay in the queue" not in view
    assert "escalated by Asha Rao" in view and "Needs a senior look" in view
    page = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert 'data-testid="escalation-status"' in page and "De-escalate" in page


def test_de_escalating_sends_it_back(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory(title="Back again")
    factories.ReportFactory(post=post)
    _escalate(client, "post", post.id)
    login_as("admin")
    assert client.post(f"/team/escalations/post/{post.id}/de-escalate",
                       data={"comment": "Fine, moderators decide"}).status_code == 303
    assert _escalations(dbs) == []
    [row] = audit_rows(dbs, action="admin:de-escalated:content")
    assert row.reason == "Fine, moderators decide"
    assert "Back again" in client.get("/reports/").get_data(as_text=True)
    # Twice: nothing to end, nothing written.
    assert client.post(f"/team/escalations/post/{post.id}/de-escalate").status_code == 303
    assert len(audit_rows(dbs, action="admin:de-escalated:content")) == 1


@pytest.mark.parametrize("decide", ["ban", "shadow_ban", "ignore", "batch"])
def test_a_decision_ends_the_escalation_in_its_transaction(client, dbs, login_as, decide):
    login_as("moderator")
    post = factories.PostFactory()
    factories.ReportFactory(post=post)
    _escalate(client, "post", post.id)
    login_as("admin")
    if decide == "batch":
        response = client.post("/reports/bulk", data={**BAN, "target": [f"post:{post.id}:b0s0"]})
    else:
        response = client.post(f"/reports/post/{post.id}/act", data={**BAN, "action": decide, "state": "b0s0"})
    assert response.status_code == 303, response.data[:300]
    assert _escalations(dbs) == []
    [ended] = audit_rows(dbs, action="admin:de-escalated:content")
    decision = [r for r in audit_rows(dbs) if r.action in ("admin:blocked:content", "admin:shadow:banned:content",
                                                           "admin:updated:report:status")][0]
    assert ended.metadata_["ended_by"] == ("ban" if decide == "batch" else decide)
    assert ended.metadata_["unit_id"] == decision.metadata_["unit_id"]


def test_a_refused_decision_keeps_the_escalation(client, dbs, login_as):
    login_as("moderator", name="Holder")
    post = factories.PostFactory()
    factories.ReportFactory(post=post)
    _escalate(client, "post", post.id)
    login_as("moderator", name="Other")
    client.post(f"/reports/post/{post.id}/claim")  # a colleague holds it: acting is refused
    login_as("admin")
    assert client.post(f"/posts/{post.id}/act", data={**BAN, "state": "b0s0"}).status_code == 409
    assert len(_escalations(dbs)) == 1


def test_reverting_the_decision_does_not_escalate_again(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    factories.ReportFactory(post=post)
    _escalate(client, "post", post.id)
    login_as("admin")
    client.post(f"/posts/{post.id}/act", data={**BAN, "state": "b0s0"})
    [ban] = audit_rows(dbs, action="admin:blocked:content")
    reverted = client.post(f"/revert/{ban.id}", data={"reason_choice": "Spam or scam"})
    assert reverted.status_code == 303, reverted.data[:400]
    dbs.expire_all()
    assert dbs.get(Post, post.id).is_banned is False
    assert _escalations(dbs) == []  # back in the ordinary queue, not escalated again
    assert "ordinary" in client.get("/reports/").get_data(as_text=True).lower()


def test_the_badge_counts_escalations_for_those_who_work_them(client, dbs, login_as, count_queries):
    login_as("moderator")
    for _ in range(2):
        post = factories.PostFactory()
        factories.ReportFactory(post=post)
        _escalate(client, "post", post.id)
    # A moderator who has not opted in: no link, no badge.
    page = client.get("/reports/").get_data(as_text=True)
    assert 'data-testid="escalated-badge"' not in page and ">Escalated<" not in page.split("</nav>")[0]
    assert client.post("/account/preferences", data={"time_zone": "UTC", "theme": "system",
                                                      "escalations": "y"}).status_code == 303
    page = client.get("/reports/").get_data(as_text=True)
    badge = page.split('data-testid="escalated-badge"')[1].split("</span>")[0]
    assert badge.endswith(">2") and "2 escalated" in badge
    login_as("admin")
    client.get("/account/")
    with count_queries() as counted:
        page = client.get("/reports/?escalated=1").get_data(as_text=True)
    assert counted.n <= 5, counted.statements
    assert 'data-testid="escalated-badge"' in page
    login_as("triage")
    assert 'data-testid="escalated-badge"' not in client.get("/reports/").get_data(as_text=True)


def test_the_queue_keeps_its_statement_budget_with_notes_and_escalations(client, dbs, login_as, count_queries):
    login_as("moderator")
    for i in range(6):
        post = factories.PostFactory()
        factories.ReportFactory(post=post)
        _note(client, "post", post.id, f"note {i}")
        if i % 2:
            _escalate(client, "post", post.id)
    client.get("/account/")
    for url in ("/reports/", "/reports/?escalated=1", "/reports/?sort=newest&escalated=1"):
        with count_queries() as counted:
            assert client.get(url).status_code == 200
        assert counted.n <= 5, (url, counted.statements)
    # Each row shows its own item's newest note.
    queue = client.get("/reports/").get_data(as_text=True)
    rows = [row for row in queue.split('<tr class="kb-row"')[1:]]
    assert sorted(row.split("Staff note by ")[1].split(": ")[1].split('"')[0] for row in rows) == [
        "note 0", "note 2", "note 4"]


# --- the triage role -------------------------------------------------------------------------------

def test_triage_sorts_but_never_decides(client, dbs, login_as):
    triage = login_as("triage", name="Tri Age")
    post = factories.PostFactory(title="Triaged post")
    report = factories.ReportFactory(post=post)
    student = factories.StudentFactory()
    queue = client.get("/reports/").get_data(as_text=True)
    assert "Triaged post" in queue and 'id="decide"' not in queue and "Claim <kbd>c</kbd>" in queue
    # Every acting route answers 403 and writes nothing.
    refused = [
        client.post(f"/posts/{post.id}/act", data={**BAN, "state": "b0s0"}),
        client.post(f"/reports/post/{post.id}/act", data={**BAN, "action": "shadow_ban", "state": "b0s0"}),
        client.post(f"/reports/post/{post.id}/act", data={**BAN, "action": "ignore"}),
        client.post("/reports/bulk", data={**BAN, "target": [f"post:{post.id}:b0s0"]}),
        client.post("/reports/unlinked/ignore", data={"reason_choice": "Spam or scam", "report": [f"{report.id}:pending"]}),
        client.post(f"/users/{student.auth_id}/sanction", data={"kind": "suspend", "days": "2", **BAN}),
        client.post(f"/users/{student.auth_id}/lift", data=BAN),
        client.post(f"/reports/post/{post.id}/take-over"),
        client.post(f"/reports/post/{post.id}/assign", data={"assignee": triage.id}),
        client.post(f"/team/escalations/post/{post.id}/de-escalate"),
        client.post(f"/revert/{uuid.uuid4()}", data=BAN),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert audit_rows(dbs) == []
    # Claim, release, note and escalate are theirs (escalating ends their own claim).
    assert client.post(f"/reports/post/{post.id}/claim").status_code == 303
    assert client.post(f"/reports/post/{post.id}/release").status_code == 303
    assert client.post(f"/reports/post/{post.id}/claim").status_code == 303
    assert _note(client, "post", post.id, "Looks like spam, escalating").status_code == 303
    assert _escalate(client, "post", post.id).status_code == 303
    actions = [r.action for r in audit_rows(dbs)]
    assert actions == ["admin:claimed:content", "admin:released:content", "admin:claimed:content",
                       "admin:added:note", "admin:escalated:content"]
    assert audit_rows(dbs)[-1].metadata_["released_claim"] is True
    assert dbs.scalars(sa.select(Claim)).all() == []
    assert {r.actor_type for r in audit_rows(dbs)} == {"triage"}
    dbs.expire_all()
    assert dbs.get(Post, post.id).is_banned is False
    page = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert 'data-testid="post-actions"' not in page and "De-escalate" not in page


def test_staff_management_assigns_the_triage_role(client, dbs, login_as):
    login_as("superadmin")
    client.post("/account/confirm", data={"code": factories.STAFF_PASSWORD})
    target = factories.StaffFactory(role="moderator")
    assert 'value="triage"' in client.get("/staff/").get_data(as_text=True)
    assert client.post(f"/staff/{target.id}/role", data={"role": "triage"}).status_code == 303
    dbs.expire_all()
    assert dbs.get(Auth, target.id).role == "triage"
    assert client.post("/staff/new", data={"email": "sorter@flick.test", "role": "triage",
                                           "handover": "invite"}).status_code == 303
    assert dbs.scalar(sa.select(Auth.role).where(Auth.email == "sorter@flick.test")) == "triage"


def test_a_revert_is_a_decision_too_and_ends_a_later_escalation(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    factories.ReportFactory(post=post)
    client.post(f"/reports/post/{post.id}/act", data={**BAN, "action": "ignore", "state": "b0s0"})
    [ignored] = audit_rows(dbs, action="admin:updated:report:status")
    _escalate(client, "post", post.id)  # escalated after the decision: it does not block the revert
    assert client.post(f"/revert/{ignored.id}", data={"reason_choice": "Spam or scam"}).status_code == 303
    assert _escalations(dbs) == []
    [ended] = audit_rows(dbs, action="admin:de-escalated:content")
    assert ended.metadata_["ended_by"] == "reports moved"
