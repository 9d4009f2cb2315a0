"""Moderating as a team in a real browser: one moderator opens an item (and so claims
it), a colleague takes it over and decides it, then reverts the decision; a permanent
ban is proposed by one and approved by the other."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import flash, open_session_cookie, shot

pytestmark = pytest.mark.postgres_only


def _as(browser, app, base, email):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_cookies([open_session_cookie(app, base, email)])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_claim_take_over_decide_and_revert(browser, server):
    app, base = server
    first_ctx, first = _as(browser, app, base, "moderator@flick.demo")
    second_ctx, second = _as(browser, app, base, "admin@flick.demo")
    first.goto(base + "/reports/?type=post")
    first.locator("tr.kb-row:not([data-decided]) td.cell-text a").first.click()
    first.wait_for_selector("[data-claim-status]:has-text('You hold')")
    item = first.url.split("?")[0]
    shot(first, "team-1-claimed-on-opening")

    second.goto(base + "/reports/?type=post")
    held = second.locator("tr.kb-row [data-testid=held]")
    mine = second.locator(f"tr.kb-row:has(a[href^='{item.replace(base, '')}']) [data-testid=held]")
    assert "claimed by" in mine.inner_text()
    # In priority order an item someone else holds comes after every free one: not next.
    assert "claimed by" not in held.first.inner_text() and "claimed by" in held.last.inner_text()
    second.goto(item)
    assert "Claimed by" in second.inner_text("[data-testid=claim]")
    second.click("[data-testid=claim] button:has-text('Take over')")
    second.wait_for_selector(".alert")
    assert "You took this post over from" in flash(second)
    second.select_option("[data-testid=post-actions] select[name=reason_choice]", "Spam or scam")
    second.click("[data-testid=post-actions] button[value=ban]")
    second.wait_for_selector(".alert:has-text('Post banned')", timeout=20_000)
    shot(second, "team-2-taken-over-and-banned")

    # The first moderator no longer holds it: their claim ended with the decision.
    first.goto(item)
    assert "Nobody holds this post" in first.inner_text("[data-testid=claim]")

    second.locator("table a:has-text('Revert')").first.click()  # the newest history row: the ban
    second.wait_for_url(re.compile(r".*/revert/.*"))
    assert "changes, all or nothing" in second.inner_text("h1")  # the ban and the reports it resolved
    second.select_option("[data-testid=revert-form] select[name=reason_choice]", "Other")
    second.fill("[data-testid=revert-form] textarea[name=reason_text]", "banned the wrong post")
    second.click("[data-testid=revert]")
    second.wait_for_selector(".alert")
    assert "Reverted" in flash(second)
    second.goto(item)
    badges = second.inner_text("[data-testid=post] p.small")
    assert "visible" in badges and "banned" not in badges
    shot(second, "team-3-reverted")
    first_ctx.close()
    second_ctx.close()


def test_propose_a_permanent_ban_and_a_colleague_approves_it(browser, server):
    app, base = server
    app.config["FOUR_EYES"] = "user-ban"
    try:
        first_ctx, first = _as(browser, app, base, "moderator@flick.demo")
        second_ctx, second = _as(browser, app, base, "admin@flick.demo")
        first.goto(base + "/users/?kind=student&ban=free")
        first.locator("[data-testid=user-list] tbody tr a").first.click()
        user_page = first.url
        first.select_option("[data-testid=sanction] select[name=kind]", "ban")
        first.select_option("[data-testid=sanction] select[name=reason_choice]", "Ban evasion")
        first.click("[data-testid=sanction] button:has-text('Apply')")
        first.wait_for_selector(".alert")
        assert "second pair of eyes" in flash(first)
        first.goto(base + "/proposals/")
        assert "yours: another staff member decides" in first.inner_text("[data-testid=proposals]")

        second.goto(base + "/")
        assert second.locator("[data-testid=proposals-badge]").count() == 1
        second.goto(base + "/proposals/")
        shot(second, "team-4-waiting-for-a-second-pair-of-eyes")
        second.fill("[data-testid=proposal] input[name=note]", "evidence checked")
        second.click("[data-testid=approve]")
        second.wait_for_selector(".alert")
        assert "Approved and done" in flash(second)
        first.goto(user_page)
        assert "never (permanent)" in first.inner_text("main")
        shot(first, "team-5-ban-approved")
        first_ctx.close()
        second_ctx.close()
    finally:
        app.config["FOUR_EYES"] = "none"


def test_save_a_view_and_see_its_live_count_in_the_navigation(browser, server):
    app, base = server
    context, page = _as(browser, app, base, "auditor@flick.demo")
    page.goto(base + "/posts/?state=visible")
    page.click("details.save-view summary")
    page.fill("[data-testid=save-view] input[name=name]", "Visible posts")
    page.click("[data-testid=save-view] button")
    page.wait_for_selector(".alert")
    assert "Saved the view" in flash(page)
    page.click("nav .dropdown-toggle:has-text('Views')")
    page.wait_for_selector("[data-testid=views-menu] [data-view-count]:text-matches('^(\\\\d+|50\\\\+)$')")
    shot(page, "team-6-saved-view-in-navigation")
    context.close()


def test_note_then_escalate_and_an_admin_works_it_in_the_escalated_view(browser, server):
    app, base = server
    mod_ctx, mod = _as(browser, app, base, "moderator@flick.demo")
    admin_ctx, admin = _as(browser, app, base, "admin@flick.demo")
    mod.goto(base + "/reports/?type=post&sort=newest")
    mod.locator("tr.kb-row:not([data-decided]) td.cell-text a").first.click()
    mod.wait_for_selector("[data-claim-status]:has-text('You hold')")
    item = mod.url.split("?")[0]
    path = item.replace(base, "")
    mod.fill("[data-testid=note-form] textarea[name=body]", "Same text posted in three colleges")
    mod.click("[data-testid=note-form] button")
    mod.wait_for_selector(".alert")
    assert "Only staff can read it" in flash(mod)
    assert "Same text posted in three colleges" in mod.inner_text("[data-testid=note]")
    mod.fill("[data-testid=escalate-form] textarea[name=comment]", "Possible coordinated spam: a senior call")
    mod.click("[data-testid=escalate-form] button")
    mod.wait_for_selector(".alert")
    assert "Escalated" in flash(mod) and "your claim on it is released" in flash(mod)
    assert "Possible coordinated spam" in mod.inner_text("[data-testid=escalation-status]")
    shot(mod, "team-6-noted-and-escalated")
    # It left the ordinary queue.
    mod.goto(base + "/reports/?type=post&sort=newest")
    assert mod.locator(f"tr.kb-row a[href^='{path}']").count() == 0

    admin.goto(base + "/")
    badge = admin.locator("[data-testid=category-escalated-badge]")  # on "Moderation"
    assert badge.count() == 1 and int(badge.inner_text()) >= 1
    admin.click("#admin-navbar-collapse a.dropdown-toggle:has-text('Moderation')")
    admin.click("#admin-navbar-collapse a.dropdown-item:has-text('Escalated')")
    admin.wait_for_url(re.compile(r".*escalated=1.*"))
    row = admin.locator(f"tr.kb-row:has(a[href^='{path}'])")
    assert "Possible coordinated spam" in row.locator("[data-testid=escalated-flag]").get_attribute("title")
    assert "Same text posted" in row.locator("[data-testid=note-flag]").get_attribute("title")
    shot(admin, "team-7-escalated-view")
    # The admin decides it: the decision ends the escalation.
    admin.goto(item)
    admin.select_option("[data-testid=post-actions] select[name=reason_choice]", "Spam or scam")
    admin.click("[data-testid=post-actions] button[value=ban]")
    admin.wait_for_selector(".alert:has-text('Post banned')", timeout=20_000)
    assert admin.locator("[data-testid=escalation-status]").count() == 0
    assert "ended an escalation" in admin.inner_text("main")  # in the item's history
    shot(admin, "team-8-decided-escalation-ended")
    mod_ctx.close()
    admin_ctx.close()
