"""Four-eyes by effect, at the commit point: whatever route a unit of work came from, a
severe effect (a ban with no end or past FOUR_EYES_SUSPENSION_DAYS, more than
FOUR_EYES_BATCH items, a college deleted, more than FOUR_EYES_IMPORT_LINES banned words)
is refused unless the unit runs an approved proposal; a revert of a severe decision and a
long suspension become proposals."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_login import login_user

from flick_admin import four_eyes
from flick_admin.colleges import words
from flick_admin.db import Auth, BannedWord, Post
from flick_admin.db.base import utcnow
from flick_admin.db.team import Proposal
from flick_admin.db.transaction import transaction
from flick_admin.moderation import sanctions, services
from flick_admin.moderation.services import Target, TargetKind
from tests import factories
from tests.conftest import audit_rows

REASON = {"reason_choice": "Other", "reason_text": "decided in error"}
BAN = {"action": "ban", "reason_choice": "Spam or scam"}


@pytest.fixture(autouse=True)
def four_eyes_on(app):
    keys = ("FOUR_EYES", "FOUR_EYES_BATCH", "FOUR_EYES_IMPORT_LINES", "FOUR_EYES_SUSPENSION_DAYS")
    saved = {k: app.config.get(k) for k in keys}
    app.config.update(FOUR_EYES="user-ban,batch,college-delete,word-import", FOUR_EYES_BATCH=3,
                      FOUR_EYES_IMPORT_LINES=3, FOUR_EYES_SUSPENSION_DAYS=30)
    yield
    app.config.update(saved)


def _proposal(dbs) -> Proposal | None:
    dbs.expire_all()
    return dbs.scalars(sa.select(Proposal).order_by(Proposal.created_at.desc())).first()


def _approve(client, proposal):
    return client.post(f"/proposals/{proposal.id}/approve", data={})


def _last(dbs, action, entity_id=None):
    rows = [r for r in audit_rows(dbs, action=action) if entity_id is None or r.entity_id == str(entity_id)]
    return rows[-1]


def test_reverting_an_approved_large_batch_becomes_a_proposal(client, dbs, login_as):
    login_as("moderator")
    posts = factories.PostFactory.create_batch(4)
    client.post("/reports/bulk", data={**BAN, "target": [f"post:{p.id}:b0s0" for p in posts]})
    login_as("admin")
    assert _approve(client, _proposal(dbs)).status_code == 303
    ban = _last(dbs, "admin:blocked:content", posts[0].id)
    login_as("moderator")
    assert client.post(f"/revert/{ban.id}", data=REASON).status_code == 303
    dbs.expire_all()
    assert all(dbs.get(Post, p.id).is_banned for p in posts)  # nothing undone yet
    proposal = _proposal(dbs)
    assert proposal.kind == "revert" and proposal.status == "waiting"
    assert proposal.payload == {"log_id": str(ban.id)} and proposal.permission == "content:moderate"
    login_as("moderator")
    assert "Revert a decision of 4 changes" in client.get("/proposals/").get_data(as_text=True)
    assert _approve(client, proposal).status_code == 303
    dbs.expire_all()
    assert not any(dbs.get(Post, p.id).is_banned for p in posts)
    undone = [r for r in audit_rows(dbs, action="admin:unblocked:content")]
    assert len(undone) == 4 and {r.metadata_["proposal_id"] for r in undone} == {str(proposal.id)}


def test_reverting_the_lift_of_a_permanent_ban_becomes_a_proposal(client, dbs, login_as):
    login_as("moderator")
    student = factories.StudentFactory()
    client.post(f"/users/{student.auth_id}/sanction", data={"kind": "ban", "reason_choice": "Ban evasion"})
    login_as("moderator")
    assert _approve(client, _proposal(dbs)).status_code == 303
    client.post(f"/users/{student.auth_id}/lift", data={"reason_text": "appeal accepted"})
    lift = _last(dbs, "admin:unbanned:user", student.auth_id)
    login_as("moderator")
    assert client.post(f"/revert/{lift.id}", data=REASON).status_code == 303
    dbs.expire_all()
    assert not dbs.get(Auth, student.auth_id).banned
    proposal = _proposal(dbs)
    assert proposal.kind == "revert" and proposal.payload == {"log_id": str(lift.id)}
    login_as("moderator")
    assert _approve(client, proposal).status_code == 303
    dbs.expire_all()
    user = dbs.get(Auth, student.auth_id)
    assert user.banned and user.ban_expires is None


def test_a_suspension_past_the_limit_is_proposed_and_one_within_it_runs(client, dbs, login_as):
    login_as("moderator")
    long, short = factories.StudentFactory(), factories.StudentFactory()
    sanction = {"kind": "suspend", "reason_choice": "Harassment or bullying"}
    assert client.post(f"/users/{long.auth_id}/sanction", data={**sanction, "days": "31"}).status_code == 303
    dbs.expire_all()
    assert not dbs.get(Auth, long.auth_id).banned
    proposal = _proposal(dbs)
    assert proposal.kind == "user-ban" and proposal.summary.startswith("Suspend ")
    assert client.post(f"/users/{short.auth_id}/sanction", data={**sanction, "days": "30"}).status_code == 303
    dbs.expire_all()
    assert dbs.get(Auth, short.auth_id).ban_in_force()
    login_as("moderator")
    assert _approve(client, proposal).status_code == 303
    dbs.expire_all()
    user = dbs.get(Auth, long.auth_id)
    assert user.ban_in_force() and user.ban_expires > utcnow() + timedelta(days=30)


def test_a_suspension_has_a_bounded_end(client, dbs, login_as, app):
    app.config["FOUR_EYES"] = "none"
    login_as("moderator")
    student = factories.StudentFactory()
    before = len(audit_rows(dbs))
    response = client.post(f"/users/{student.auth_id}/sanction",
                           data={"kind": "suspend", "until": "9999-12-31", "reason_choice": "Ban evasion"})
    assert response.status_code == 400 and "within 3650 days" in response.get_data(as_text=True)
    dbs.expire_all()
    assert not dbs.get(Auth, student.auth_id).banned and len(audit_rows(dbs)) == before


def test_the_commit_point_refuses_severe_units_from_any_route(app, dbs, login_as):
    staff = login_as("moderator")
    posts = factories.PostFactory.create_batch(4)
    student = factories.StudentFactory()
    with app.test_request_context("/"):
        login_user(staff)
        # Four single decisions in one unit are a batch of four.
        with pytest.raises(four_eyes.SevereEffect) as refused:
            with transaction():
                for post in posts:
                    services.moderate(Target(TargetKind.POST, post.id), "ban", "one by one")
        assert refused.value.kind == "batch" and refused.value.status == 403
        # A suspension past the limit, asked of the service itself.
        with pytest.raises(four_eyes.SevereEffect):
            sanctions.sanction_user(student.auth_id, sanctions.SanctionKind.SUSPEND, "long",
                                    utcnow() + timedelta(days=45))
        # More banned words than the import limit, in one unit.
        with pytest.raises(four_eyes.SevereEffect):
            with transaction():
                for word in ("one", "two", "three", "four"):
                    words.create_word(word, "mild", False)
    dbs.expire_all()
    assert not any(dbs.get(Post, p.id).is_banned for p in posts)
    assert not dbs.get(Auth, student.auth_id).banned
    assert dbs.scalars(sa.select(BannedWord)).all() == []
    assert audit_rows(dbs, action="admin:blocked:content") == []
