"""`flask demo` loads a team at work: two moderators and one limited to a college, an
admin, a superadmin and an auditor; an item assigned and one claimed (few, and never the
first rows a moderator reaches); a permanent ban waiting for a second pair of eyes; a ban
reverted on appeal; and reported content that reads like what students report."""

from __future__ import annotations

import sqlalchemy as sa

from flick_admin.db import Auth, Comment, ContentReport, Log, Post
from flick_admin.db.team import Claim, Proposal, StaffScope


def _load(app):
    saved = app.config["FOUR_EYES"]
    app.config["FOUR_EYES"] = "user-ban,batch,college-delete,word-import"
    try:
        result = app.test_cli_runner().invoke(args=["demo", "--no-serve", "--size", "10"])
    finally:
        app.config["FOUR_EYES"] = saved
    assert result.exit_code == 0, result.output
    return result.output


def test_the_demo_has_a_team_at_work(app, client, dbs):
    output = _load(app)
    dbs.expire_all()
    staff = dict(dbs.execute(sa.select(Auth.email, Auth.role).where(Auth.email.like("%@flick.demo"))).all())
    assert [r for r in staff.values()].count("moderator") >= 3
    assert {"admin", "superadmin", "auditor"} <= set(staff.values())
    asha = dbs.scalar(sa.select(Auth.id).where(Auth.email == "asha@flick.demo"))
    assert dbs.scalar(sa.select(sa.func.count()).select_from(StaffScope).where(StaffScope.user_id == asha)) == 1
    assert "only" in output and "asha@flick.demo" in output and "chen@flick.demo" in output

    # Few items held, by Chen: one assigned by the admin (with a note), one claimed.
    held = dbs.execute(sa.select(Claim, Auth.email).join(Auth, Auth.id == Claim.holder_id)).all()
    assert len(held) == 2 and {email for _, email in held} == {"chen@flick.demo"}
    assert sum(1 for c, _ in held if c.expires_at is None and c.note) == 1
    assert {c.target_type for c, _ in held} == {"comment"}  # the posts list's first rows stay free
    # ... and their reports are the newest: the bottom of an oldest-first queue.
    held_ids = [c.target_id for c, _ in held]
    newest = dbs.scalars(sa.select(ContentReport.comment_id).where(ContentReport.status == "pending")
                         .order_by(ContentReport.created_at.desc()).limit(3)).all()
    assert set(held_ids) <= set(newest)
    oldest = dbs.scalars(sa.select(sa.func.coalesce(ContentReport.comment_id, ContentReport.post_id))
                         .where(ContentReport.status == "pending")
                         .order_by(ContentReport.created_at).limit(5)).all()
    assert not set(held_ids) & set(oldest)

    # A permanent ban waits for a second pair of eyes.
    waiting = dbs.scalars(sa.select(Proposal).where(Proposal.status == "waiting")).all()
    assert len(waiting) == 1 and "permanently" in waiting[0].summary and waiting[0].kind == "user-ban"

    # A ban reverted on appeal, the revert naming whose ban it undid.
    undo = dbs.scalars(sa.select(Log).where(Log.action == "admin:unblocked:content")).all()
    assert len(undo) == 1
    meta = undo[0].metadata_
    assert meta["reverts"] and "moderator@flick.demo's ban of post" in meta["reverted"]
    assert undo[0].reason.startswith("Appeal accepted")
    fest = dbs.get(Post, __import__("uuid").UUID(undo[0].entity_id))
    assert fest.is_banned is False

    # What students really report: spam links, insults, doxxing, ads.
    texts = " ".join(dbs.scalars(sa.select(Post.content)).all() + dbs.scalars(sa.select(Comment.content)).all())
    for sample in ("quick-cash-campus.xyz", "absolute clown", "room 214", "WhatsApp me"):
        assert sample in texts

    # The audit log reads it in words.
    client.post("/login", data={"email": "auditor@flick.demo", "password": "flick-demo-password"})
    page = client.get("/audit/").get_data(as_text=True)
    assert "reverted" in page and "moderator@flick.demo&#39;s ban of post" in page
    assert "(no name recorded)" not in page
