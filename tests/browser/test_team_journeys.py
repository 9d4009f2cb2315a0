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
