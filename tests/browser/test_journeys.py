"""The main journeys in a real browser: Playwright driving Debian's Chromium against Flick
Admin served on loopback, over demo data in a scratch PostgreSQL database. Each journey
keeps a screenshot of its end state in test-artifacts/browser/."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from flick_admin.db import CollegeRequest
from flick_admin.extensions import db
from tests.browser.conftest import ADMIN_SECRET, flash, shot, sign_in

pytestmark = pytest.mark.postgres_only


def test_sign_in_with_the_second_factor(page, server):
    _, base = server
    sign_in(page, base, "admin@flick.demo", ADMIN_SECRET)
    assert page.inner_text("h1") == "Overview"
    assert "admin@flick.demo" in page.inner_text("[data-testid=whoami]")
    assert page.locator("[data-testid=actions-chart] svg").count() == 1
    shot(page, "1-signed-in-with-2fa")


def test_work_the_report_queue_with_the_keyboard(page, server):
    _, base = server
    sign_in(page, base, "moderator@flick.demo")
    page.goto(base + "/reports/")
    first_text = page.locator("tr.kb-row").first.inner_text()
    page.keyboard.press("?")
    assert page.locator("#keys-help").is_visible()
    page.keyboard.press("?")
    page.keyboard.press("j")
    assert page.locator("tr.kb-row").first.get_attribute("class").count("kb-active") == 1
    page.keyboard.press("i")  # no reason yet: the panel's reason picker is focused, nothing is sent
    assert page.url == base + "/reports/"
    assert page.evaluate("document.activeElement.id") == "decide-reason"
    page.select_option("#decide-reason", "Report reviewed: no violation")
    page.keyboard.press("Escape")
    page.keyboard.press("i")  # the current row is selected and the decision waits behind "Undo"
    toast = page.locator("#undo-toast")
    assert toast.is_visible() and "Ignoring the reports on 1 item" in toast.inner_text()
    shot(page, "2a-undo-toast")
    page.keyboard.press("u")
    assert "Cancelled" in toast.inner_text()
    page.wait_for_timeout(6000)
    assert page.url == base + "/reports/"  # undone: nothing was sent
    assert page.locator("tr.kb-row").first.inner_text() == first_text
    page.keyboard.press("i")
    page.wait_for_url(re.compile(r".*/reports/.*"), timeout=15_000)
    page.wait_for_selector(".alert")
    assert "1 item(s) changed" in flash(page)
    assert page.locator("tr.kb-row").first.inner_text() != first_text
    shot(page, "2-report-queue-keyboard")


def test_the_queue_is_dense_and_decides_without_javascript_too(browser, server):
    _, base = server
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    sign_in(page, base, "moderator@flick.demo")
    page.goto(base + "/reports/")
    rows = page.locator("tr.kb-row")
    heights = [rows.nth(i).bounding_box()["height"] for i in range(min(rows.count(), 10))]
    top = rows.first.bounding_box()["y"]
    # About 40 rows fit on a 1,080 px screen under the navigation, filters and panel.
    assert max(heights) <= 24 and top + 40 * max(heights) <= 1080, (top, heights)
    assert page.locator("#decide").count() == 1 and page.locator("tr.kb-row form").count() == 0
    text = page.inner_text("[data-testid=report-queue]")
    assert not re.search(r"\b(HATE_SPEECH|SELF_HARM|CHILD_ABUSE|INAPPROPRIATE)\b", text)
    assert re.search(r"\d+ (min|h|d|mo) ago", text)
    shot(page, "7-dense-queue-1080p")
    context.close()

    plain = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = plain.new_page()
    sign_in(page, base, "moderator@flick.demo")
    page.goto(base + "/reports/")
    title = page.locator("tr.kb-row").first.locator("td.cell-text a").inner_text()
    page.locator("tr.kb-row").first.locator("input[data-select]").check()
    page.select_option("#decide-reason", "Spam or scam")
    page.click("#decide button[value=ban]")
    page.wait_for_load_state("load")
    assert "Ban 1 item?" in page.inner_text("h1") and title[:30] in page.inner_text("[data-testid=confirm-items]")
    shot(page, "8-confirm-without-javascript")
    page.click("[data-testid=confirm]")
    page.wait_for_load_state("load")
    assert "1 item(s) changed" in flash(page)
    plain.close()


def test_ban_a_post_with_a_reason_then_find_and_export_it(page, server):
    _, base = server
    sign_in(page, base, "moderator@flick.demo")
    page.goto(base + "/posts/?state=visible")
    page.locator("[data-testid=post-list] tbody tr a").first.click()
    title = page.inner_text("[data-testid=post] h1")
    form = page.locator("[data-testid=post-actions]")
    form.locator("select[name=reason_choice]").select_option("Spam or scam")
    form.locator("textarea[name=reason_text]").fill("browser journey link farm")
    form.locator("button[value=ban]").click()
    assert "Banning 1 item" in page.inner_text("#undo-toast")
    page.wait_for_selector(".alert", timeout=15_000)
    assert "Post banned" in flash(page)
    shot(page, "3-post-banned")

    page.goto(base + "/audit/")
    page.click("[data-testid=action-picker] summary")
    page.fill("[data-facet-search]", "banned content")
    page.check("input[name=action][value='admin:blocked:content']")
    page.fill("[data-testid=audit-filter] input[name=q]", "link farm")
    page.click("[data-testid=audit-filter] button.btn-primary")
    page.wait_for_load_state("load")
    rows = page.locator("[data-testid=audit-row]")
    assert rows.count() == 1 and title[:40] in rows.first.inner_text()
    assert "admin:blocked:content" not in rows.first.inner_text()
    shot(page, "4-found-in-audit-log")


def test_export_the_filtered_log(page, server, tmp_path):
    _, base = server
    sign_in(page, base, "auditor@flick.demo")
    page.goto(base + "/audit/?action=admin:blocked:content&q=farm")
    with page.expect_download() as download:
        page.click("[data-testid=export-csv]")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    content = saved.read_text()
    assert content.startswith("id,occured_at") and "browser journey link farm" in content
    shot(page, "5-exported")


def test_approve_a_college_request(page, server):
    app, base = server
    sign_in(page, base, "admin@flick.demo", ADMIN_SECRET)
    page.goto(base + "/college-requests/")
    page.locator("[data-testid=request-list] a", has_text="Review").first.click()
    form = page.locator("[data-testid=approve-request]")
    form.locator("#name").fill("Approved In A Browser College")
    form.locator("input[name=branches]").first.check()
    form.locator("button").click()
    page.wait_for_load_state("load")
    assert "Approved In A Browser College is now on Flick" in flash(page)
    shot(page, "6-request-approved")
    with app.app_context(), db.engine.connect() as conn:
        status = conn.scalar(sa.select(CollegeRequest.status).where(
            CollegeRequest.resolved_college_id.is_not(None)).limit(1))
    assert status == "approved"
