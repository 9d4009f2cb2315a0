"""Four-eyes: severe actions become proposals that someone other than the proposer
approves (running the action, naming both) or rejects."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_login import login_user

from flick_admin.db import Auth, BannedWord, College, Post
from flick_admin.db.base import utcnow
from flick_admin.db.team import Proposal
from flick_admin.moderation import sanctions
from flick_admin.refusals import NotAllowed
from tests import factories
from tests.auth.test_permissions import MATRIX, _url
from tests.conftest import audit_rows

BAN = {"kind": "ban", "reason_choice": "Ban evasion"}


@pytest.fixture(autouse=True)
def four_eyes_on(app):
    saved = {k: app.config.get(k) for k in ("FOUR_EYES", "FOUR_EYES_BATCH", "FOUR_EYES_IMPORT_LINES")}
    app.config.update(FOUR_EYES="user-ban,batch,college-delete,word-import", FOUR_EYES_BATCH=3,
                      FOUR_EYES_IMPORT_LINES=3)
    yield
    app.config.update(saved)


def _proposal(dbs) -> Proposal:
    dbs.expire_all()
    return dbs.scalars(sa.select(Proposal).order_by(Proposal.created_at.desc())).first()


def _decide(client, proposal, decision="approve", **form):
    return client.post(f"/proposals/{proposal.id}/{decision}", data=form)


def test_a_permanent_ban_waits_for_a_second_staff_member_who_runs_it(client, dbs, login_as):
    proposer = login_as("moderator", email="first@flick.test")
    student = factories.StudentFactory()
    response = client.post(f"/users/{student.auth_id}/sanction", data=BAN)
    assert response.status_code == 303
    dbs.expire_all()
    assert not dbs.get(Auth, student.auth_id).banned
    proposal = _proposal(dbs)
    assert proposal.kind == "user-ban" and proposal.proposer_id == proposer.id
    assert proposal.reason == "Ban evasion" and proposal.status == "waiting"
    assert audit_rows(dbs, action="admin:proposed:action")[0].entity_id == str(proposal.id)
    page = client.get("/proposals/").get_data(as_text=True)
    assert "yours: another staff member decides" in page and 'data-testid="proposals-badge"' not in page
    assert _decide(client, proposal).status_code == 403
    assert _decide(client, proposal, "reject").status_code == 403
    assert _proposal(dbs).status == "waiting"

    approver = login_as("moderator", email="second@flick.test")
    menu = client.get("/").get_data(as_text=True)
    assert 'data-testid="proposals-badge"' in menu and 'waiting for you">1<' in menu
    assert _decide(client, proposal, note="checked the evidence").status_code == 303
    dbs.expire_all()
    assert dbs.get(Auth, student.auth_id).banned
    [ban] = audit_rows(dbs, action="admin:banned:user")
    assert ban.actor_id == approver.id and ban.reason == "Ban evasion"
    assert ban.metadata_["proposed_by"] == proposer.id and ban.metadata_["approved_by"] == approver.id
    assert ban.metadata_["proposal_id"] == str(proposal.id)
    [approved] = audit_rows(dbs, action="admin:approved:proposal")
    assert approved.metadata_["proposed_by_email"] == "first@flick.test" and approved.reason == "checked the evidence"
    assert _proposal(dbs).status == "approved"
    assert _decide(client, proposal).status_code == 409  # decided once


def test_a_ban_the_proposer_may_not_make_is_refused_before_it_is_proposed(client, dbs, login_as):
    login_as("moderator")
    admin = factories.StaffFactory(role="admin")
    assert client.post(f"/users/{admin.id}/sanction", data=BAN).status_code == 403
    assert client.post("/users/nobody-at-all/sanction", data=BAN).status_code == 404
    assert _proposal(dbs) is None


def test_suspensions_and_small_batches_run_at_once(client, dbs, login_as):
    login_as("moderator")
    student = factories.StudentFactory()
    client.post(f"/users/{student.auth_id}/sanction", data={**BAN, "kind": "suspend", "days": "2"})
    dbs.expire_all()
    assert dbs.get(Auth, student.auth_id).banned
    posts = factories.PostFactory.create_batch(3)
    client.post("/reports/bulk", data={"action": "ban", "reason_choice": "Spam or scam",
                                       "target": [f"post:{p.id}:b0s0" for p in posts]})
    dbs.expire_all()
    assert all(dbs.get(Post, p.id).is_banned for p in posts)
    assert _proposal(dbs) is None


def test_a_large_batch_is_proposed_and_a_change_since_is_a_409_that_runs_nothing(client, dbs, login_as):
    login_as("moderator")
    posts = factories.PostFactory.create_batch(4)
    client.post("/reports/bulk", data={"action": "ban", "reason_choice": "Spam or scam",
                                       "target": [f"post:{p.id}:b0s0" for p in posts]})
    proposal = _proposal(dbs)
    assert proposal.kind == "batch" and proposal.summary == "Ban 4 items"
    dbs.expire_all()
    assert not any(dbs.get(Post, p.id).is_banned for p in posts)
    login_as("moderator")
    client.post(f"/posts/{posts[0].id}/act", data={"action": "shadow_ban", "reason_choice": "Spam or scam"})
    before = len(audit_rows(dbs))
    assert _decide(client, proposal).status_code == 409
    dbs.expire_all()
    assert not any(dbs.get(Post, p.id).is_banned for p in posts)
    assert len(audit_rows(dbs)) == before and _proposal(dbs).status == "waiting"
    assert _decide(client, proposal, "reject", note="stale").status_code == 303
    assert _proposal(dbs).status == "rejected"
    assert audit_rows(dbs, action="admin:rejected:proposal")[0].reason == "stale"


def test_an_approved_batch_runs_as_one_batch_naming_the_proposal(client, dbs, login_as):
    login_as("moderator")
    posts = factories.PostFactory.create_batch(4)
    client.post("/reports/bulk", data={"action": "ban", "reason_choice": "Spam or scam",
                                       "target": [f"post:{p.id}:b0s0" for p in posts]})
    proposal = _proposal(dbs)
    login_as("admin")
    assert _decide(client, proposal).status_code == 303
    dbs.expire_all()
    assert all(dbs.get(Post, p.id).is_banned for p in posts)
    rows = audit_rows(dbs, action="admin:blocked:content")
    assert len(rows) == 4 and len({r.metadata_["batch_id"] for r in rows}) == 1
    assert {r.metadata_["proposal_id"] for r in rows} == {str(proposal.id)}


def test_an_expired_proposal_cannot_be_approved(client, dbs, login_as):
    login_as("moderator")
    student = factories.StudentFactory()
    client.post(f"/users/{student.auth_id}/sanction", data=BAN)
    proposal = _proposal(dbs)
    dbs.execute(sa.update(Proposal).values(expires_at=utcnow() - timedelta(minutes=1)))
    dbs.flush()
    login_as("moderator")
    response = _decide(client, proposal)
    assert response.status_code == 409 and "expired" in response.get_data(as_text=True)
    dbs.expire_all()
    assert not dbs.get(Auth, student.auth_id).banned
    assert "expired" in client.get("/proposals/").get_data(as_text=True)


def test_deleting_a_college_and_a_large_import_need_an_admin_other_than_the_proposer(client, dbs, login_as):
    login_as("admin")
    busy = factories.StudentFactory().college
    refused = client.post(f"/colleges/{busy.id}/delete", data={"confirmation": busy.email_domain,
                                                                "reason_text": "merged"})
    assert refused.status_code == 409 and _proposal(dbs) is None  # refused now, not at approval
    college_id = factories.CollegeFactory(email_domain="empty.edu").id
    assert client.post(f"/colleges/{college_id}/delete", data={"confirmation": "empty.edu"}).status_code == 400
    client.post(f"/colleges/{college_id}/delete", data={"confirmation": "empty.edu", "reason_text": "merged"})
    delete = _proposal(dbs)
    assert delete.kind == "college-delete" and dbs.get(College, college_id) is not None
    text = "scamlink,severe\nfakegiveaway\ncrypto-doubler\nfreecoins"
    client.post("/banned-words/import", data={"text": text, "apply": "1", "reason_text": "spam wave"})
    imported = _proposal(dbs)
    assert imported.kind == "word-import" and imported.payload["snapshot"]["add"] == sorted(
        ["scamlink", "fakegiveaway", "crypto-doubler", "freecoins"])
    assert dbs.scalars(sa.select(BannedWord)).all() == []
    login_as("moderator")
    assert _decide(client, delete).status_code == 403  # a moderator may not delete colleges
    login_as("admin")
    assert _decide(client, delete).status_code == 303
    dbs.expire_all()
    assert dbs.get(College, college_id) is None
    # A word added since the import was proposed: the import no longer does what was approved.
    factories.BannedWordFactory(word="freecoins")
    assert _decide(client, imported).status_code == 409
    dbs.expire_all()
    assert len(dbs.scalars(sa.select(BannedWord)).all()) == 1


def test_the_services_refuse_a_severe_action_that_was_not_approved(app, dbs, login_as):
    staff = login_as("moderator")
    student = factories.StudentFactory()
    with app.test_request_context("/"):
        login_user(staff)
        with pytest.raises(NotAllowed):
            sanctions.sanction_user(student.auth_id, sanctions.SanctionKind.BAN, "no second pair")
    dbs.expire_all()
    assert not dbs.get(Auth, student.auth_id).banned


def test_the_proposer_cannot_approve_through_any_route(app, client, dbs, login_as):
    login_as("admin")
    student = factories.StudentFactory()
    client.post(f"/users/{student.auth_id}/sanction", data=BAN)
    proposal = _proposal(dbs)
    for endpoint, (_requirement, method, _ok) in sorted(MATRIX.items()):
        if endpoint in ("auth.logout", "account.everywhere"):
            continue  # would sign the proposer out (and prove nothing)
        url = _url(app, endpoint)
        if endpoint == "proposals.decide":
            for decision in ("approve", "reject"):
                assert _decide(client, proposal, decision).status_code == 403
            continue
        form = {"proposal_id": str(proposal.id), "decision": "approve", "note": "self"}
        (client.post(url, data=form) if method == "POST" else client.get(url))
    assert _proposal(dbs).status == "waiting"
    dbs.expire_all()
    assert not dbs.get(Auth, student.auth_id).banned


def test_the_proposals_badge_counts_while_a_college_scoped_member_is_signed_in(app, client, dbs, login_as):
    """The badge is the viewer's own: another member's college scope (and their session)
    takes nothing from it; the scoped member gets no badge."""
    from flick_admin.db.team import StaffScope

    scoped = factories.StaffFactory(role="moderator", email="scoped@flick.test")
    dbs.add(StaffScope(user_id=scoped.id, college_id=factories.CollegeFactory().id))
    dbs.commit()
    scoped_token = factories.open_session_for(scoped)
    proposer = factories.StaffFactory(role="moderator", email="proposer@flick.test")
    dbs.add(Proposal(kind="user-ban", permission="content:moderate", proposer_id=proposer.id, reason="Ban evasion",
                     summary="Ban a student",
                     payload={}, status="waiting", expires_at=utcnow() + timedelta(days=1)))
    dbs.commit()
    login_as("moderator", email="viewer@flick.test")
    menu = client.get("/").get_data(as_text=True)
    assert 'data-testid="proposals-badge"' in menu and 'waiting for you">1<' in menu
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], scoped_token)
    assert 'data-testid="proposals-badge"' not in client.get("/").get_data(as_text=True)
