"""The main journeys in a real browser: Playwright driving Debian's Chromium against Flick
Admin served on loopback, over demo data in a scratch PostgreSQL database. Each journey
keeps a screenshot of its end state in test-artifacts/browser/."""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import orm
from werkzeug.serving import make_server

from flick_admin.db import Auth, CollegeRequest, TwoFactor
from flick_admin.db.quoting import ident
from flick_admin.ops.demo import DEMO_PASSWORD
from flick_admin.extensions import db
from tests.conftest import make_app

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
ADMIN_SECRET = pyotp.random_base32()

pytestmark = pytest.mark.postgres_only
if not CHROMIUM.exists():
    reason = "Chromium is not installed (apt-get install chromium); .ci/run installs it"
    if os.environ.get("FLICK_REQUIRE_BROWSER"):
        pytest.fail(reason, pytrace=False)
    pytestmark = [pytestmark, pytest.mark.skip(reason=reason)]


@pytest.fixture(scope="module")
def server(request):
    database_url = request.getfixturevalue("browser_database")
    app = make_app(database_url, WTF_CSRF_ENABLED=True, REQUIRE_2FA_ROLES="admin,superadmin")
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve", "--size", "12"])
    assert result.exit_code == 0, result.output
    with app.app_context(), orm.Session(db.engine) as s:
        admin = s.scalars(sa.select(Auth).where(Auth.email == "admin@flick.demo")).one()
        s.add(TwoFactor(id=secrets.token_urlsafe(12), user_id=admin.id, secret=ADMIN_SECRET, backup_codes="[]"))
        admin.two_factor_enabled = True
        s.commit()
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser_database():
    import uuid

    from tests.conftest import PG_ADMIN_URL

    name = f"flick_admin_browser_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {ident(name)}")
    yield admin.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {ident(name)} WITH (FORCE)")
    admin.dispose()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield page
    context.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


_USED_WINDOWS = [0]


def _fresh_code(secret: str) -> str:
    """Each 30-second window's code signs in once: the second sign-in takes the next one."""
    offset = 30 * _USED_WINDOWS[0]
    _USED_WINDOWS[0] += 1
    return pyotp.TOTP(secret).at(time.time() + offset)


def sign_in(page, base: str, email: str, secret: str | None = None) -> None:
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    if secret:
        page.wait_for_url(re.compile(r".*/login/code$"))
        page.fill("#code", _fresh_code(secret))
        page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def flash(page) -> str:
    return page.inner_text(".alert")


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
    page.fill("input[name=q]", "link farm")
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
