"""The priority queue from kept keys (``flick_admin.priority_keys``): after decisions,
reverts, reports Flick's server inserts directly and sanctions of authors, the queue's
order is the order of the scores its words explain, the kept keys equal a full count
(reconcile), drift is found and repaired (audited), and a page stays within five
statements."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from flask import g
from flask_login import login_user

from flick_admin import tallies
from flick_admin.db.base import utcnow
from flick_admin.db.tallies import ItemPriority, ItemReasonPriority
from flick_admin.db.team import StaffScope
from flick_admin.moderation import report_queue, sanctions, services
from flick_admin.moderation.filters import ReportFilters
from flick_admin.moderation.services import Target, TargetKind
from tests import factories
from tests.conftest import audit_rows

OLD = timedelta(days=2)


def catch_up(app, now=None):
    with app.test_request_context("/"):
        return tallies.catch_up(now)


def reconcile(app):
    with app.test_request_context("/"):
        return tallies.reconcile()


def queue(app, staff, *, scope=None, **filters):
    """The first page's groups, as the page reads them, with the scores it explains."""
    with app.test_request_context("/"):
        login_user(staff)
        g.staff_scope = scope  # as the session loader sets it
        _page, groups = report_queue.report_queue(ReportFilters(**filters), 50)
    return groups


def assert_explained_order(groups):
    """Free items first, each part in descending explained score (keys are thousandths:
    two scores within one of each other may come either way)."""
    held = [g.holder is not None for g in groups]
    scores = [g.priority for g in groups]
    for a, b, ha, hb in zip(scores, scores[1:], held, held[1:]):
        assert ha <= hb or ha == hb
        if ha == hb:
            assert a >= b - 0.0011, (scores, [g.why for g in groups])


def kept(dbs) -> dict:
    dbs.expire_all()
    return {r.target_id: r.key for r in dbs.scalars(sa.select(ItemPriority))}


def history(reporter, acted: int, ignored: int):
    for i in range(acted + ignored):
        factories.ReportFactory(reporter=reporter, status="resolved" if i < acted else "ignored",
                                created_at=utcnow() - OLD - timedelta(hours=1, minutes=i))


def board():
    """Three reporters of different records, six posts reported in overlapping sets."""
    good, bad, new = (factories.StudentFactory() for _ in range(3))
    history(good, acted=6, ignored=1)
    history(bad, acted=0, ignored=9)
    authors = [factories.StudentFactory() for _ in range(3)]
    posts = [factories.PostFactory(title=f"Keyed item {i}", author=authors[i % 3]) for i in range(6)]
    sets = [(good,), (bad,), (new,), (good, bad), (good, new), (bad, new)]
    for i, (post, who) in enumerate(zip(posts, sets)):
        for reporter in who:
            factories.ReportFactory(post=post, reporter=reporter, created_at=utcnow() - OLD + timedelta(hours=i))
    return {"good": good, "bad": bad, "new": new, "authors": authors, "posts": posts}


def test_kept_keys_follow_decisions_reverts_new_reports_and_sanctions(app, client, dbs, login_as):
    me = login_as("superadmin")
    b = board()
    catch_up(app)
    keys = kept(dbs)
    assert set(keys) == {p.id for p in b["posts"]}
    found = reconcile(app)
    assert found.exact, found.lines()
    groups = queue(app, me)
    assert [g.target_id for g in groups if g.target_id in keys] and len(groups) == 6
    assert_explained_order(groups)
    # A ban resolves the good reporter's report on post 0: their reliability rises, so
    # the key of every other item they reported (3 and 4) moves in the same transaction.
    before = kept(dbs)
    assert client.post(f"/posts/{b['posts'][0].id}/act",
                       data={"action": "ban", "reason_choice": "Spam or scam", "state": "b0s0"}).status_code == 303
    after = kept(dbs)
    assert b["posts"][0].id not in after
    assert after[b["posts"][3].id] > before[b["posts"][3].id] and after[b["posts"][4].id] > before[b["posts"][4].id]
    assert after[b["posts"][5].id] == before[b["posts"][5].id]
    assert reconcile(app).exact
    assert_explained_order(queue(app, me))
    # A batch ignores posts 1 and 5 (the bad reporter's record moves for post 3).
    with app.test_request_context("/"):
        login_user(me)
        services.moderate_batch([Target(TargetKind.POST, b["posts"][i].id, None) for i in (1, 5)], "ignore", "fine")
    assert reconcile(app).exact
    assert_explained_order(queue(app, me))
    # Reverting the ban reopens post 0's report: it is back, and the keys with it.
    ban = [r for r in audit_rows(dbs, action="admin:blocked:content") if r.entity_id == str(b["posts"][0].id)][-1]
    assert client.post(f"/revert/{ban.id}", data={"reason_choice": "Other", "reason_text": "in error"}
                       ).status_code == 303
    assert kept(dbs)[b["posts"][0].id] == before[b["posts"][0].id]  # only the good reporter: as before
    assert reconcile(app).exact
    assert_explained_order(queue(app, me))
    # Flick's server inserts a report directly: the item is scored live until catch-up.
    fresh = factories.PostFactory(title="Keyed fresh item")
    factories.ReportFactory(post=fresh, reporter=b["good"], created_at=utcnow())
    factories.ReportFactory(post=b["posts"][2], reporter=b["good"], created_at=utcnow())
    groups = queue(app, me)
    assert fresh.id in {g.target_id for g in groups} and fresh.id not in kept(dbs)
    assert_explained_order(groups)
    catch_up(app, utcnow() + timedelta(minutes=10))
    assert fresh.id in kept(dbs) and reconcile(app).exact
    assert_explained_order(queue(app, me))
    # A sanction of an author raises the keys of the items they wrote, in its transaction.
    author = b["authors"][1]  # wrote posts 1 and 4 (4 still pending)
    before = kept(dbs)
    with app.test_request_context("/"):
        login_user(me)
        assert sanctions.sanction_user(author.auth_id, sanctions.SanctionKind.BAN, "spam").changed
    after = kept(dbs)
    assert after[b["posts"][4].id] == before[b["posts"][4].id] + 200
    assert after[b["posts"][3].id] == before[b["posts"][3].id]
    assert reconcile(app).exact
    assert_explained_order(queue(app, me))


def test_scope_filters_and_holders_on_the_kept_keys(app, dbs, login_as):
    inside = factories.CollegeFactory(email_domain="inside-k.edu")
    outside = factories.CollegeFactory(email_domain="outside-k.edu")
    posts = {}
    for name, college in (("in", inside), ("out", outside)):
        author = factories.StudentFactory(college=college)
        for i in range(2):
            post = factories.PostFactory(title=f"Scoped {name} {i}", author=author)
            for _ in range(i + 1):
                factories.ReportFactory(post=post, created_at=utcnow() - OLD)
            posts[(name, i)] = post
    comment_report = factories.ReportFactory(on_comment=True, created_at=utcnow() - OLD)
    catch_up(app)
    me = login_as("moderator")
    ids = lambda groups: {g.target_id for g in groups}  # noqa: E731
    whole = ids(queue(app, me))
    assert {p.id for p in posts.values()} <= whole and comment_report.comment_id in whole
    assert ids(queue(app, me, type="comment")) == {comment_report.comment_id}
    assert comment_report.comment_id not in ids(queue(app, me, type="post"))
    assert ids(queue(app, me, college=inside.name)) == {posts[("in", 0)].id, posts[("in", 1)].id}
    # Held by a colleague: after every free item; "unclaimed" leaves it out.
    from flick_admin.db.team import Claim
    colleague = factories.StaffFactory(role="moderator")
    top = posts[("out", 1)]
    dbs.add(Claim(target_type="post", target_id=top.id, holder_id=colleague.id, claimed_at=utcnow(),
                  expires_at=utcnow() + timedelta(minutes=10)))
    dbs.flush()
    groups = queue(app, me)
    assert groups[-1].target_id == top.id
    assert_explained_order(groups)
    assert top.id not in ids(queue(app, me, claim="unclaimed"))
    # An escalated item waits in its own view, not in the queue.
    from flick_admin.db.team import Escalation
    lower = posts[("in", 0)]
    dbs.add(Escalation(target_type="post", target_id=lower.id, escalated_by_id=me.id, comment="senior"))
    dbs.flush()
    assert lower.id not in ids(queue(app, me))
    assert ids(queue(app, me, escalated=True)) == {lower.id}
    dbs.execute(sa.delete(Escalation).where(Escalation.target_id == lower.id))
    dbs.flush()
    # A college-scoped moderator sees only their colleges' items.
    scoped = login_as("moderator", name="Scoped Keys")
    dbs.add(StaffScope(user_id=scoped.id, college_id=inside.id))
    dbs.flush()
    assert ids(queue(app, scoped, scope=frozenset({inside.id}))) == {posts[("in", 0)].id, posts[("in", 1)].id}


def test_reconcile_finds_key_drift_and_repair_fixes_it(app, dbs, login_as):
    me = login_as("superadmin")
    b = board()
    catch_up(app)
    assert reconcile(app).exact
    post = b["posts"][3]
    dbs.execute(sa.update(ItemPriority).where(ItemPriority.target_id == post.id)
                .values(key=ItemPriority.key + 500))
    stray = factories.PostFactory()
    dbs.add(ItemPriority(target_id=stray.id, type="Post", key=7))
    dbs.execute(sa.delete(ItemPriority).where(ItemPriority.target_id == b["posts"][5].id))
    dbs.flush()
    # A kept row whose item has no pending report any more (Flick deleted them) is not shown.
    assert stray.id not in {g.target_id for g in queue(app, me)}
    found = reconcile(app)
    assert not found.exact
    assert {row[0] for row in found.keys} == {post.id, stray.id, b["posts"][5].id}
    assert any("priority keys" in line and "3 difference" in line for line in found.lines())
    with app.test_request_context("/"):
        tallies.repair("key drift found by reconcile")
    assert stray.id not in kept(dbs) and b["posts"][5].id in kept(dbs)
    assert reconcile(app).exact
    [repair] = audit_rows(dbs, action="admin:repaired:tallies")
    assert repair.metadata_["priority_key_differences"] == 3


def _titles(page: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r"Keyed item \d+", page)))


def test_the_kept_key_queue_pages_in_five_statements(app, client, dbs, login_as, count_queries):
    login_as("moderator")
    board()
    catch_up(app)
    factories.ReportFactory(post=factories.PostFactory(title="Keyed item 9"), created_at=utcnow())  # live
    whole = _titles(client.get("/reports/").get_data(as_text=True))
    assert len(whole) == 7
    app.config["PAGE_SIZE"] = 2
    try:
        with count_queries() as counted:
            page = client.get("/reports/").get_data(as_text=True)
        assert counted.n <= 5, counted.statements
        seen, pages = _titles(page), [page]
        while (following := re.search(r'href="([^"]*after=[^"]+)"[^>]*>\s*Next', page)) and len(pages) < 10:
            with count_queries() as counted:
                page = client.get(following.group(1).replace("&amp;", "&")).get_data(as_text=True)
            assert counted.n <= 5
            pages.append(page)
            seen += _titles(page)
        assert seen == whole
        previous = re.search(r'href="([^"]*before=[^"]+)"[^>]*>\s*&larr; Previous', page)
        assert _titles(client.get(previous.group(1).replace("&amp;", "&")).get_data(as_text=True)) == \
            _titles(pages[-2])
    finally:
        app.config["PAGE_SIZE"] = 50


def kept_by_reason(dbs) -> dict:
    dbs.expire_all()
    return {(r.target_id, r.reason): r.key for r in dbs.scalars(sa.select(ItemReasonPriority))}


def test_kept_keys_per_reason_follow_decisions_reverts_new_reports_and_sanctions(app, client, dbs, login_as):
    """The queue filtered by a reason orders by the keys over that reason's reports alone,
    kept per (item, reason) by the same statements as the items' keys."""
    me = login_as("superadmin")
    b = board()
    # Post 3 and post 4 also have a harassment report (by the bad and the good reporter);
    # post 2 has only a harassment report besides its spam one by the new reporter.
    for i, reporter in ((3, b["bad"]), (4, b["good"]), (2, b["good"])):
        factories.ReportFactory(post=b["posts"][i], reporter=reporter, reason="HARASSMENT",
                                created_at=utcnow() - OLD + timedelta(hours=10 + i))
    comment_report = factories.ReportFactory(on_comment=True, reporter=b["good"], reason="HARASSMENT",
                                             created_at=utcnow() - OLD)
    catch_up(app)
    keys = kept_by_reason(dbs)
    harassed = {b["posts"][i].id for i in (2, 3, 4)} | {comment_report.comment_id}
    assert {t for t, reason in keys if reason == "HARASSMENT"} == harassed
    assert {t for t, reason in keys if reason == "SPAM"} == {p.id for p in b["posts"]}
    # Post 2's harassment key counts only the good reporter, its spam key only the new one.
    assert keys[b["posts"][2].id, "HARASSMENT"] != keys[b["posts"][2].id, "SPAM"]
    assert reconcile(app).exact

    def check():
        assert reconcile(app).exact, reconcile(app).lines()
        for reason in ("HARASSMENT", "SPAM"):
            groups = queue(app, me, reason=reason)
            assert_explained_order(groups)
            assert all(reason in dict(g.reasons) and len(g.reasons) == 1 for g in groups)
        return {g.target_id for g in queue(app, me, reason="HARASSMENT")}

    assert check() == harassed
    assert [g.target_id for g in queue(app, me, reason="HARASSMENT", type="comment")] == [comment_report.comment_id]
    # A ban of post 0 resolves the good reporter's report: their reliability rises, so the
    # harassment keys of posts 2 and 4 (theirs) move in the same transaction.
    before = kept_by_reason(dbs)
    assert client.post(f"/posts/{b['posts'][0].id}/act",
                       data={"action": "ban", "reason_choice": "Spam or scam", "state": "b0s0"}).status_code == 303
    after = kept_by_reason(dbs)
    assert (b["posts"][0].id, "SPAM") not in after
    for i in (2, 4):
        assert after[b["posts"][i].id, "HARASSMENT"] > before[b["posts"][i].id, "HARASSMENT"]
    assert after[b["posts"][3].id, "HARASSMENT"] == before[b["posts"][3].id, "HARASSMENT"]  # the bad reporter's
    check()
    # Ignoring post 3 takes both of its reasons out; reverting the ban brings post 0 back.
    with app.test_request_context("/"):
        login_user(me)
        services.moderate_batch([Target(TargetKind.POST, b["posts"][3].id, None)], "ignore", "fine")
    assert not {k for k in kept_by_reason(dbs) if k[0] == b["posts"][3].id}
    assert check() == harassed - {b["posts"][3].id}
    ban = [r for r in audit_rows(dbs, action="admin:blocked:content") if r.entity_id == str(b["posts"][0].id)][-1]
    assert client.post(f"/revert/{ban.id}", data={"reason_choice": "Other", "reason_text": "in error"}
                       ).status_code == 303
    assert (b["posts"][0].id, "SPAM") in kept_by_reason(dbs)
    assert b["posts"][0].id in {g.target_id for g in queue(app, me, reason="SPAM")}
    check()
    # Flick's server inserts a harassment report on post 1: scored live until catch-up.
    factories.ReportFactory(post=b["posts"][1], reporter=b["new"], reason="HARASSMENT", created_at=utcnow())
    assert b["posts"][1].id in check() and (b["posts"][1].id, "HARASSMENT") not in kept_by_reason(dbs)
    catch_up(app, utcnow() + timedelta(minutes=10))
    assert (b["posts"][1].id, "HARASSMENT") in kept_by_reason(dbs)
    check()
    # A sanction of post 4's author raises each of its reasons' keys.
    before = kept_by_reason(dbs)
    with app.test_request_context("/"):
        login_user(me)
        assert sanctions.sanction_user(b["authors"][1].auth_id, sanctions.SanctionKind.BAN, "spam").changed
    after = kept_by_reason(dbs)
    for reason in ("SPAM", "HARASSMENT"):
        assert after[b["posts"][4].id, reason] == before[b["posts"][4].id, reason] + 200
    check()


def test_reconcile_finds_reason_key_drift_and_repair_fixes_it(app, dbs, login_as):
    login_as("superadmin")
    b = board()
    catch_up(app)
    post = b["posts"][3]
    dbs.execute(sa.update(ItemReasonPriority).where(ItemReasonPriority.target_id == post.id)
                .values(key=ItemReasonPriority.key + 500))
    dbs.add(ItemReasonPriority(target_id=b["posts"][1].id, reason="VIOLENCE", type="Post", key=7))
    dbs.flush()
    found = reconcile(app)
    assert {row[0] for row in found.keys} == {post.id, b["posts"][1].id}
    with app.test_request_context("/"):
        tallies.repair("reason key drift found by reconcile")
    assert (b["posts"][1].id, "VIOLENCE") not in kept_by_reason(dbs)
    assert reconcile(app).exact
