"""The report queue's priority order: reporters' reliability (a running tally kept by every
decision, reopen, batch and revert, reconciled and repaired like the other tallies), the
author's past sanctions and the item's age; the words that explain a score; held items
after free ones; the reporters whose reports are almost never acted on."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from flick_admin import reliability, tallies
from flick_admin.db.base import utcnow
from flick_admin.db.tallies import ReporterReliability
from flick_admin.db.team import StaffScope
from flick_admin.moderation import priority, services
from flick_admin.moderation.services import Target, TargetKind
from tests import factories
from tests.conftest import audit_rows

OLD = timedelta(days=2)  # before the tallies' watermark (catch-up stops 5 minutes back)
BAN = {"action": "ban", "reason_choice": "Spam or scam"}


def catch_up(app):
    with app.test_request_context("/"):
        return tallies.catch_up()


def reconcile(app):
    with app.test_request_context("/"):
        return tallies.reconcile()


def tallied(dbs, student) -> tuple[int, int] | None:
    dbs.expire_all()
    row = dbs.get(ReporterReliability, student.id)
    return None if row is None else (row.decided, row.acted)


def record(app, dbs, student) -> reliability.Record:
    with app.test_request_context("/"):
        return reliability.record_of(dbs, student.id, tallies._mark("reports"))


def history(reporter, acted: int, ignored: int, *, age=OLD):
    """Decided reports filed by ``reporter`` in the past (each on its own post)."""
    for i in range(acted + ignored):
        factories.ReportFactory(reporter=reporter, status="resolved" if i < acted else "ignored",
                                created_at=utcnow() - age - timedelta(minutes=i))


def test_a_new_reporter_counts_as_average_and_one_decision_moves_it_a_little():
    assert reliability.mean(0, 0) == 0.5
    assert reliability.mean(1, 1) == 2 / 3 and reliability.mean(1, 0) == 1 / 3
    assert round(reliability.mean(10, 9), 3) == 0.833
    assert reliability.Record(20, 1).low and not reliability.Record(19, 0).low
    assert not reliability.Record(20, 2).low


def test_decisions_reopens_batches_and_reverts_keep_reliability_exact(app, client, dbs, login_as):
    login_as("moderator")
    alice, bob = factories.StudentFactory(username="alice_r"), factories.StudentFactory(username="bob_r")
    posts = [factories.PostFactory(title=f"Reliability post {i}") for i in range(4)]
    for post in posts:
        factories.ReportFactory(post=post, reporter=alice, created_at=utcnow() - OLD)
    factories.ReportFactory(post=posts[0], reporter=bob, created_at=utcnow() - OLD)
    history(bob, acted=1, ignored=2)
    catch_up(app)
    assert tallied(dbs, alice) is None and tallied(dbs, bob) == (3, 1)
    # A ban resolves alice's and bob's reports on post 0; ignore settles post 1.
    assert client.post(f"/posts/{posts[0].id}/act", data={**BAN, "state": "b0s0"}).status_code == 303
    assert client.post(f"/reports/post/{posts[1].id}/act",
                       data={"action": "ignore", "reason_choice": "Report reviewed: no violation",
                             "state": "b0s0"}).status_code == 303
    assert tallied(dbs, alice) == (2, 1) and tallied(dbs, bob) == (4, 2)
    # A batch: shadow-ban posts 2 and 3 in one unit.
    with app.test_request_context("/"):
        from flask_login import login_user
        from flick_admin.db import Auth
        login_user(dbs.scalars(sa.select(Auth).where(Auth.role == "moderator")).first())
        services.moderate_batch([Target(TargetKind.POST, p.id, None) for p in posts[2:]], "shadow_ban", "spam")
    assert tallied(dbs, alice) == (4, 3)
    # Reverting the ban reopens its two reports: both reporters' counts go back.
    ban = [r for r in audit_rows(dbs, action="admin:blocked:content") if r.entity_id == str(posts[0].id)][-1]
    assert client.post(f"/revert/{ban.id}", data={"reason_choice": "Other", "reason_text": "decided in error"}
                       ).status_code == 303
    assert tallied(dbs, alice) == (3, 2) and tallied(dbs, bob) == (3, 1)
    assert reconcile(app).exact
    # The live part (reports since the watermark) counts too, on the user page and in the queue.
    history(alice, acted=1, ignored=0, age=timedelta(0))
    assert record(app, dbs, alice) == reliability.Record(4, 3)
    page = client.get(f"/users/{alice.auth_id}").get_data(as_text=True)
    assert re.search(r'data-testid="reporter-reliability">\s*3 of 4 decided reports acted on; reliability 67 %', page)


def test_reconcile_finds_reliability_drift_and_repair_fixes_it(app, dbs, login_as):
    login_as("superadmin")
    reporter = factories.StudentFactory()
    history(reporter, acted=2, ignored=3)
    catch_up(app)
    assert tallied(dbs, reporter) == (5, 2) and reconcile(app).exact
    # Flick's own admin changes a report's status behind Flick Admin's back.
    dbs.execute(sa.update(ReporterReliability).where(ReporterReliability.reporter_id == reporter.id)
                .values(acted=4))
    stray = factories.StudentFactory()
    dbs.add(ReporterReliability(reporter_id=stray.id, decided=3, acted=0))
    dbs.flush()
    found = reconcile(app)
    assert not found.exact
    assert set(found.reporters) == {(reporter.id, 5, 2, 5, 4), (stray.id, 0, 0, 3, 0)}
    assert any("reporter reliability" in line and "2 difference" in line for line in found.lines())
    with app.test_request_context("/"):
        tallies.repair("drift found by reconcile")
    assert tallied(dbs, reporter) == (5, 2) and tallied(dbs, stray) is None
    assert reconcile(app).exact
    [repair] = audit_rows(dbs, action="admin:repaired:tallies")
    assert repair.metadata_["reporter_differences"] == 2


def _queue(client, **args) -> str:
    return client.get("/reports/", query_string=args).get_data(as_text=True)


def _order(page: str, titles: list[str]) -> list[str]:
    return sorted(titles, key=lambda t: page.index(t))


def test_priority_orders_by_reliable_reporters_sanctions_and_age_and_explains_it(client, dbs, login_as):
    login_as("moderator")
    reliable = [factories.StudentFactory() for _ in range(2)]
    history(reliable[0], acted=8, ignored=0)   # 90 %
    history(reliable[1], acted=11, ignored=0)  # 92 %
    noisy = factories.StudentFactory()
    history(noisy, acted=0, ignored=30)        # 3 %, almost never acted on
    now = utcnow()
    trusted = factories.PostFactory(title="Trusted reports")
    for who in (*reliable, factories.StudentFactory()):
        factories.ReportFactory(post=trusted, reporter=who, created_at=now - timedelta(hours=6))
    noise = factories.PostFactory(title="Noisy reports")
    factories.ReportFactory(post=noise, reporter=noisy, created_at=now - timedelta(hours=9))
    factories.ReportFactory(post=noise, reporter=noisy, created_at=now - timedelta(hours=8))  # one reporter
    repeat = factories.StudentFactory(username="repeat_author")
    for _ in range(2):
        factories.LogFactory(action="admin:banned:user", entity_type="user", entity_id=repeat.auth_id)
    sanctioned = factories.PostFactory(title="Sanctioned author", author=repeat)
    factories.ReportFactory(post=sanctioned, created_at=now - timedelta(hours=1))
    page = _queue(client)
    assert 'value="priority" selected' in page
    assert _order(page, ["Trusted reports", "Sanctioned author", "Noisy reports"]) == [
        "Trusted reports", "Sanctioned author", "Noisy reports"]
    # The words behind each score, as its accessible description.
    assert ("Priority: 3 reporters, 2 of them reliable (90 %, 92 %); the author was never banned or "
            "suspended before; waiting 6 h") in page
    assert ("Priority: 1 reporter, rarely right (3 %); the author was never banned or suspended before; "
            "waiting 9 h") in page
    assert "Priority: 1 reporter, of average or unknown record (50 %); the author was banned or suspended " \
           "twice before; waiting 1 h" in page
    assert page.count('data-testid="priority"') == 3 and 'aria-describedby="why-1"' in page
    # Oldest first is still there on request.
    assert _order(_queue(client, sort="oldest"), ["Trusted reports", "Noisy reports"])[0] == "Noisy reports"


def test_the_default_order_is_configurable(app, client, dbs, login_as):
    login_as("moderator")
    app.config["REPORT_QUEUE_ORDER"] = "oldest"
    try:
        assert 'value="oldest" selected' in _queue(client)
    finally:
        app.config["REPORT_QUEUE_ORDER"] = "priority"
    assert 'value="priority" selected' in _queue(client)


def test_items_held_by_someone_else_sort_after_free_ones(client, dbs, login_as):
    colleague = factories.StaffFactory(role="moderator", name="Other Mod")
    me = login_as("moderator")
    hot = factories.PostFactory(title="Held by a colleague")
    for _ in range(4):
        factories.ReportFactory(post=hot, created_at=utcnow() - timedelta(days=3))
    mine = factories.PostFactory(title="Held by me")
    free = factories.PostFactory(title="Free item")
    factories.ReportFactory(post=mine, created_at=utcnow() - timedelta(minutes=2))
    factories.ReportFactory(post=free, created_at=utcnow() - timedelta(minutes=1))
    from flick_admin.db.team import Claim
    for post, holder in ((hot, colleague), (mine, me)):
        dbs.add(Claim(target_type="post", target_id=post.id, holder_id=holder.id, claimed_at=utcnow(),
                      expires_at=utcnow() + timedelta(minutes=10)))
    dbs.flush()
    page = _queue(client)
    assert _order(page, ["Held by a colleague", "Held by me", "Free item"])[-1] == "Held by a colleague"
    # Without the claim it leads (four reports, three days).
    dbs.execute(sa.delete(Claim).where(Claim.target_id == hot.id))
    dbs.flush()
    assert _order(_queue(client), ["Held by a colleague", "Free item"])[0] == "Held by a colleague"


def _titles(page: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r"Paged item \d+", page)))


def test_the_priority_queue_pages_with_a_cursor_in_five_statements(app, client, dbs, login_as, count_queries):
    """Pages of two, walked forward and back, give exactly the single page's order (the
    authors' sanctions are read only for the items that can make a page)."""
    login_as("moderator")
    for i in range(9):
        author = factories.StudentFactory()
        for _ in range(i % 4):
            factories.LogFactory(action="admin:suspended:user", entity_type="user", entity_id=author.auth_id)
        post = factories.PostFactory(title=f"Paged item {i}", author=author)
        for _ in range(i % 5 * 2 + 1):  # 1 to 9 reporters: keys further apart than sanctions reach
            factories.ReportFactory(post=post, created_at=utcnow() - timedelta(hours=i))
    factories.ReportFactory(on_comment=True)
    whole = _titles(_queue(client))
    assert len(whole) == 9
    app.config["PAGE_SIZE"] = 2
    try:
        with count_queries() as counted:
            page = _queue(client)
        assert counted.n <= 5, counted.statements
        seen, pages = _titles(page), [page]
        while (following := re.search(r'href="([^"]*after=[^"]+)"[^>]*>\s*Next', page)) and len(pages) < 10:
            page = client.get(following.group(1).replace("&amp;", "&")).get_data(as_text=True)
            pages.append(page)
            seen += _titles(page)
        assert seen == whole
        # Back from the last page: the page before it again.
        previous = re.search(r'href="([^"]*before=[^"]+)"[^>]*>\s*&larr; Previous', page)
        assert _titles(client.get(previous.group(1).replace("&amp;", "&")).get_data(as_text=True)) == \
            _titles(pages[-2])
    finally:
        app.config["PAGE_SIZE"] = 50


def test_reporters_rarely_acted_on_are_listed_for_moderators_only(client, dbs, login_as):
    world_in = factories.CollegeFactory(email_domain="inside-r.edu")
    world_out = factories.CollegeFactory(email_domain="outside-r.edu")
    noisy_in = factories.StudentFactory(username="noisy_inside", college=world_in)
    noisy_out = factories.StudentFactory(username="noisy_outside", college=world_out)
    fine = factories.StudentFactory(username="fine_reporter", college=world_in)
    history(noisy_in, acted=1, ignored=19)   # 5 % of 20
    history(noisy_out, acted=0, ignored=25)
    history(fine, acted=3, ignored=17)       # 15 %: not "almost never"
    login_as("moderator")
    page = client.get("/reports/reporters").get_data(as_text=True)
    assert "noisy_inside" in page and "noisy_outside" in page and "fine_reporter" not in page
    assert page.index("noisy_outside") < page.index("noisy_inside")  # least acted-on first
    assert "1 (5 %)" in page and "9 %" in page  # reliability (1 + 1) / (20 + 2)
    user_page = client.get(f"/users/{noisy_in.auth_id}").get_data(as_text=True)
    assert "rarely acted on" in user_page
    # A college-scoped moderator sees only their colleges' students.
    me = login_as("moderator", name="Scoped Mod")
    dbs.add(StaffScope(user_id=me.id, college_id=world_in.id))
    dbs.flush()
    page = client.get("/reports/reporters").get_data(as_text=True)
    assert "noisy_inside" in page and "noisy_outside" not in page
    login_as("auditor")
    assert client.get("/reports/reporters").status_code == 403


def test_the_priority_explanation_in_words():
    now = utcnow()
    score, words = priority.explain([0.8, 0.92, 0.5], 2, now - timedelta(hours=6), now)
    assert words == ("3 reporters, 2 of them reliable (80 %, 92 %); the author was banned or suspended "
                     "twice before; waiting 6 h")
    assert round(score, 3) == round(0.8 + 0.92 + 0.5 - 3 * priority.REPORTER_OFFSET
                                    + 2 * priority.SANCTION_WEIGHT + 6 * priority.AGE_PER_HOUR, 3)
    assert priority.explain([0.5, 0.1], 0, now - timedelta(days=3), now)[1] == (
        "2 reporters, none of them with a reliable record, 1 rarely right (10 %); the author was never banned "
        "or suspended before; waiting 3 days")
    assert priority.explain([0.5], 5, now - timedelta(minutes=20), now)[1].endswith(
        "banned or suspended 5 times before; waiting 20 min")
