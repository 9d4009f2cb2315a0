"""Claims and assignments: one moderator at a time on a reported item."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_login import login_user
from sqlalchemy import orm

from flick_admin.db import Auth, College, ContentReport, Log, Notification, PlatformUser, Post
from flick_admin.db.base import utcnow
from flick_admin.db.team import Claim
from flick_admin.extensions import db
from flick_admin.moderation import claims
from flick_admin.refusals import Conflict
from tests import factories
from tests.conftest import audit_rows, purge_committed_audit

BAN = {"action": "ban", "reason_choice": "Spam or scam"}


def _claim(client, kind, target_id, step="claim", **form):
    return client.post(f"/reports/{kind}/{target_id}/{step}", data=form)


def test_claiming_shows_the_holder_in_the_queue_and_on_the_item(client, dbs, login_as):
    login_as("moderator", name="Asha Rao")
    post = factories.PostFactory(title="Held post")
    factories.ReportFactory(post=post)
    assert _claim(client, "post", post.id).status_code == 303
    [row] = audit_rows(dbs, action="admin:claimed:content")
    assert row.entity_type == "post" and row.entity_id == str(post.id)
    login_as("moderator", name="Ben Ito")
    queue = client.get("/reports/").get_data(as_text=True)
    assert "claimed by Asha Rao, just now" in queue
    item = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Claimed by Asha Rao, just now." in item and "Take over from Asha Rao" in item


def test_acting_on_an_item_someone_else_holds_is_a_409_naming_them_and_writes_nothing(
        client, dbs, login_as):
    login_as("moderator", name="Asha Rao")
    post = factories.PostFactory()
    report = factories.ReportFactory(post=post)
    _claim(client, "post", post.id)
    login_as("moderator", name="Ben Ito")
    before = len(audit_rows(dbs))
    response = client.post(f"/posts/{post.id}/act", data=BAN)
    assert response.status_code == 409
    assert "claimed by Asha Rao" in response.get_data(as_text=True)
    dbs.expire_all()
    assert not dbs.get(Post, post.id).is_banned
    assert dbs.get(ContentReport, report.id).status == "pending"
    assert len(audit_rows(dbs)) == before
    # In a batch too: the whole batch is refused.
    other = factories.PostFactory()
    factories.ReportFactory(post=other)
    response = client.post("/reports/bulk", data={
        **BAN, "target": [f"post:{other.id}:b0s0", f"post:{post.id}:b0s0"]})
    assert response.status_code == 409
    dbs.expire_all()
    assert not dbs.get(Post, other.id).is_banned


def test_take_over_is_audited_naming_the_previous_holder_and_deciding_ends_the_claim(
        client, dbs, login_as):
    first = login_as("moderator", name="Asha Rao")
    post = factories.PostFactory()
    factories.ReportFactory(post=post)
    _claim(client, "post", post.id)
    second = login_as("moderator", name="Ben Ito")
    assert _claim(client, "post", post.id).status_code == 409
    assert _claim(client, "post", post.id, "take-over", note="Asha is off shift").status_code == 303
    [row] = audit_rows(dbs, action="admin:took-over:content")
    assert row.before == {"holder": first.id} and row.after == {"holder": second.id}
    assert row.metadata_["previous_holder"] == "Asha Rao" and row.reason == "Asha is off shift"
    assert client.post(f"/posts/{post.id}/act", data=BAN).status_code == 303
    dbs.expire_all()
    assert dbs.get(Post, post.id).is_banned
    assert dbs.scalars(sa.select(Claim).where(Claim.target_id == post.id)).first() is None


def test_the_holder_acts_freely_and_releasing_frees_the_item(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    factories.ReportFactory(post=post)
    _claim(client, "post", post.id)
    assert _claim(client, "post", post.id, "release").status_code == 303
    assert len(audit_rows(dbs, action="admin:released:content")) == 1
    login_as("moderator")
    assert _claim(client, "post", post.id).status_code == 303


def test_an_expired_claim_can_be_taken_by_anyone(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    factories.ReportFactory(post=post)
    _claim(client, "post", post.id)
    dbs.execute(sa.update(Claim).values(expires_at=utcnow() - timedelta(minutes=1)))
    dbs.flush()
    taker = login_as("moderator")
    assert client.post(f"/posts/{post.id}/act", data=BAN).status_code == 303
    factories.ReportFactory(post=factories.PostFactory())
    assert _claim(client, "post", post.id).status_code == 303
    dbs.expire_all()
    assert dbs.scalars(sa.select(Claim.holder_id)).all() == [taker.id]


def test_claiming_again_renews_and_writes_no_second_row(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    factories.ReportFactory(post=post)
    _claim(client, "post", post.id)
    dbs.execute(sa.update(Claim).values(expires_at=utcnow() + timedelta(minutes=1)))
    dbs.flush()
    _claim(client, "post", post.id)
    dbs.expire_all()
    claim = dbs.scalars(sa.select(Claim)).one()
    assert claim.expires_at > utcnow() + timedelta(minutes=8)
    assert len(audit_rows(dbs, action="admin:claimed:content")) == 1


def test_the_item_page_claims_through_json_for_its_script(client, dbs, login_as):
    login_as("moderator", name="Asha Rao")
    comment = factories.CommentFactory()
    factories.ReportFactory(comment=comment)
    page = client.get(f"/comments/{comment.id}?claim=1").get_data(as_text=True)
    assert "data-auto-claim" in page
    answer = client.post(f"/reports/comment/{comment.id}/claim", headers={"Accept": "application/json"})
    assert answer.status_code == 200 and answer.json["changed"] is True
    assert answer.json["holder"] == "claimed by Asha Rao, just now"
    login_as("moderator")
    refused = client.post(f"/reports/comment/{comment.id}/claim", headers={"Accept": "application/json"})
    assert refused.status_code == 409 and "claimed by Asha Rao" in refused.json["message"]


def test_assigning_with_a_note_puts_the_item_under_the_colleagues_assigned_to_me(
        client, dbs, login_as):
    lead = login_as("admin", name="Lead")
    colleague = factories.StaffFactory(role="moderator", name="Chen")
    post = factories.PostFactory(title="Needs Chen")
    factories.ReportFactory(post=post)
    other = factories.PostFactory(title="Nobody's")
    factories.ReportFactory(post=other)
    form = client.get(f"/reports/post/{post.id}/assign").get_data(as_text=True)
    assert f'value="{colleague.id}"' in form and f'value="{lead.id}"' not in form
    response = _claim(client, "post", post.id, "assign", assignee=colleague.id, note="Context in DM")
    assert response.status_code == 303
    [row] = audit_rows(dbs, action="admin:assigned:content")
    assert row.after == {"holder": colleague.id, "note": "Context in DM"}
    assert row.metadata_["assignee"] == "Chen"
    token = factories.open_session_for(colleague)
    client.set_cookie(client.application.config["AUTH_COOKIE_NAME"], token)
    mine = client.get("/reports/?claim=assigned").get_data(as_text=True)
    assert "Needs Chen" in mine and "Nobody&#39;s" not in mine and "Context in DM" in mine
    assert "assigned to Chen by Lead" in mine
    unclaimed = client.get("/reports/?claim=unclaimed").get_data(as_text=True)
    assert "Nobody&#39;s" in unclaimed and "Needs Chen" not in unclaimed
    # The assignment does not expire and Chen may act on it.
    assert client.post(f"/posts/{post.id}/act", data=BAN).status_code == 303


def test_the_mine_filter_and_bad_assignments(client, dbs, login_as):
    me = login_as("moderator")
    held = factories.PostFactory(title="Mine to decide")
    factories.ReportFactory(post=held)
    free = factories.PostFactory(title="Free item")
    factories.ReportFactory(post=free)
    _claim(client, "post", held.id)
    page = client.get("/reports/?claim=mine").get_data(as_text=True)
    assert "Mine to decide" in page and "Free item" not in page
    student = factories.StudentFactory()
    refused = _claim(client, "post", free.id, "assign", assignee=student.auth.id)
    assert refused.status_code == 400
    assert _claim(client, "post", uuid.uuid4()).status_code == 404
    assert client.get("/reports/?claim=everyone").status_code == 400
    # Assigning what a third moderator holds: 409, nothing written.
    login_as("moderator")
    colleague = factories.StaffFactory(role="moderator")
    assert _claim(client, "post", held.id, "assign", assignee=colleague.id).status_code == 409
    dbs.expire_all()
    assert dbs.scalars(sa.select(Claim.holder_id).where(Claim.target_id == held.id)).one() == me.id


def test_the_queue_keeps_its_statement_budget_with_claims(app, client, dbs, login_as, count_queries):
    login_as("moderator")
    for _ in range(4):
        post = factories.PostFactory()
        factories.ReportFactory(post=post)
        _claim(client, "post", post.id)
    factories.ReportFactory(on_comment=True)
    for query in ("", "?claim=mine", "?claim=unclaimed&sort=newest"):
        with count_queries() as counted:
            assert client.get("/reports/" + query).status_code == 200
        assert counted.n <= 5, counted.statements


# --- two real connections ---------------------------------------------------------------------

@pytest.fixture
def committed_item(app):
    with app.app_context():
        engine = db.engine
    tag = uuid.uuid4().hex
    ids = {"college": uuid.uuid4(), "post": uuid.uuid4(), "user": uuid.uuid4(), "auth": f"claim-{tag}",
           "mods": [f"mod-a-{tag}", f"mod-b-{tag}"], "assignees": [f"mod-c-{tag}", f"mod-d-{tag}"]}
    with orm.Session(engine) as s:
        s.add(College(id=ids["college"], name="Claim College", email_domain=f"{tag}.edu",
                      city="Pune", state="MH"))
        s.add(Auth(id=ids["auth"], name="author", email=f"{tag}@claim.edu", role="user"))
        for mod in [*ids["mods"], *ids["assignees"]]:
            s.add(Auth(id=mod, name=mod, email=f"{mod}@flick.test", role="moderator"))
        s.flush()
        s.add(PlatformUser(id=ids["user"], auth_id=ids["auth"], username=tag[:20], college_id=ids["college"]))
        s.flush()
        s.add(Post(id=ids["post"], title="contested", content="x", posted_by_id=ids["user"], topic="Ask Flick"))
        s.commit()
    try:
        yield ids
    finally:
        with orm.Session(engine) as s:
            purge_committed_audit(s, [ids["post"]])
            s.execute(sa.delete(Claim).where(Claim.target_id == ids["post"]))
            s.execute(sa.delete(Notification).where(Notification.receiver_id == str(ids["user"])))
            s.execute(sa.delete(Post).where(Post.id == ids["post"]))
            s.execute(sa.delete(PlatformUser).where(PlatformUser.id == ids["user"]))
            s.execute(sa.delete(Auth).where(Auth.id.in_([ids["auth"], *ids["mods"], *ids["assignees"]])))
            s.execute(sa.delete(College).where(College.id == ids["college"]))
            s.commit()


@pytest.mark.postgres_only
def test_two_moderators_claiming_at_the_same_instant_exactly_one_wins(app, committed_item):
    ids = committed_item
    with app.app_context(), orm.Session(db.engine, expire_on_commit=False) as s:
        mods = [s.get(Auth, m) for m in ids["mods"]]
    for round_ in range(5):
        barrier = threading.Barrier(2)
        results: list = [None, None]

        def run(index):
            with app.test_request_context("/"):
                login_user(mods[index])
                try:
                    barrier.wait(timeout=10)
                    results[index] = claims.claim("post", ids["post"])
                except Exception as exc:  # the test inspects what each side got
                    results[index] = exc
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        won = [r for r in results if not isinstance(r, Exception)]
        lost = [r for r in results if isinstance(r, Exception)]
        assert len(won) == 1 and won[0].changed, results
        assert len(lost) == 1 and isinstance(lost[0], Conflict), results
        with app.app_context(), db.engine.begin() as conn:
            holders = conn.execute(sa.select(Claim.holder_id).where(Claim.target_id == ids["post"])).all()
            assert len(holders) == 1
            rows = conn.execute(sa.select(Log.actor_id).where(
                Log.entity_id == str(ids["post"]), Log.action == "admin:claimed:content")).all()
            assert len(rows) == round_ + 1 and rows[-1].actor_id in ids["mods"]
            conn.execute(sa.delete(Claim).where(Claim.target_id == ids["post"]))


def test_assigning_over_an_expired_claim_replaces_it(client, dbs, login_as):
    """An expired claim's row stays until replaced: an assignment takes its place."""
    login_as("moderator")
    post = factories.PostFactory()
    factories.ReportFactory(post=post)
    other = factories.StaffFactory(role="moderator")
    dbs.add(Claim(target_type="post", target_id=post.id, holder_id=other.id,
                  claimed_at=utcnow() - timedelta(hours=1), expires_at=utcnow() - timedelta(minutes=1)))
    dbs.commit()
    colleague = factories.StaffFactory(role="moderator", name="Chen")
    assert _claim(client, "post", post.id, "assign", assignee=colleague.id).status_code == 303
    dbs.expire_all()
    claim = dbs.scalars(sa.select(Claim).where(Claim.target_id == post.id)).one()
    assert claim.holder_id == colleague.id and claim.expires_at is None


@pytest.mark.postgres_only
def test_two_concurrent_assignments_of_an_unclaimed_item_one_wins_the_other_gets_409(app, committed_item):
    """Two moderators assign the same free item at the same instant (two real connections):
    one assignment is kept, the other is refused with 409 naming the holder — never 503."""
    ids = committed_item
    with app.app_context(), orm.Session(db.engine, expire_on_commit=False) as s:
        mods = [s.get(Auth, m) for m in ids["mods"]]
    for round_ in range(5):
        barrier = threading.Barrier(2)
        results: list = [None, None]

        def run(index):
            with app.test_request_context("/"):
                login_user(mods[index])
                try:
                    barrier.wait(timeout=10)
                    # Each gives it to a different third colleague: whichever runs first (at
                    # the same instant, or one after the other on a busy machine), the other
                    # finds it held by someone else — never two assignments.
                    results[index] = claims.assign("post", ids["post"], ids["assignees"][index], f"round {round_}")
                except Exception as exc:  # the test inspects what each side got
                    results[index] = exc
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        won = [r for r in results if not isinstance(r, Exception)]
        lost = [r for r in results if isinstance(r, Exception)]
        assert len(won) == 1 and won[0].changed, results
        assert len(lost) == 1 and isinstance(lost[0], Conflict), results
        assert "assigned to" in lost[0].message, lost[0].message
        with app.app_context(), db.engine.begin() as conn:
            holders = conn.execute(sa.select(Claim.holder_id).where(Claim.target_id == ids["post"])).all()
            assert len(holders) == 1
            rows = conn.execute(sa.select(Log.actor_id).where(
                Log.entity_id == str(ids["post"]), Log.action == "admin:assigned:content")).all()
            assert len(rows) == round_ + 1
            conn.execute(sa.delete(Claim).where(Claim.target_id == ids["post"]))
