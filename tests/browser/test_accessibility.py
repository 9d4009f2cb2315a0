"""Accessible and usable on any screen, proven in the browser: axe-core (shipped inside
axe-playwright-python, run offline) over every page for every role — error pages, empty
states and a form error included — with zero serious or critical violations; the main
pages at 1280 and 390 px with nothing overflowing the viewport sideways; the command
palette by keyboard; and the dark theme."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from flick_admin.db import College, Comment, Log, Post
from flick_admin.extensions import db
from tests.browser.conftest import ARTIFACTS, open_session_cookie, shot

pytestmark = pytest.mark.postgres_only

ROLES = {"moderator": "moderator@flick.demo", "admin": "admin@flick.demo",
         "superadmin": "superadmin@flick.demo", "auditor": "auditor@flick.demo",
         "triage": "triage@flick.demo"}
BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def ids(server):
    app, _ = server
    escalated = _escalate_one(app)
    with app.app_context():
        return {"escalated": escalated,
            "post": db.session.scalar(sa.select(Post.id).limit(1)),
            "comment": db.session.scalar(sa.select(Comment.id).limit(1)),
            "college": db.session.scalar(sa.select(College.id).limit(1)),
            "log": db.session.scalar(sa.select(Log.id).where(Log.actor_type != "user").limit(1)),
            "user": db.session.scalar(sa.text("SELECT auth_id FROM platform_user LIMIT 1")),
            "reason": db.session.scalar(sa.text("SELECT id FROM admin_removal_reasons LIMIT 1")),
        }


def _escalate_one(app):
    """One reported post escalated with a note (the Escalated view and its row flags), and
    a note on another (the ordinary queue's note flag)."""
    from flick_admin.db.base import utcnow
    from flick_admin.db.team import Escalation, Note

    with app.app_context():
        session = db.session()
        posts = session.scalars(sa.text(
            "SELECT DISTINCT post_id FROM content_reports WHERE status = 'pending' AND comment_id IS NULL "
            "AND post_id IS NOT NULL LIMIT 3 OFFSET 1")).all()
        staff = session.scalar(sa.text("SELECT id FROM auth WHERE email = 'moderator@flick.demo'"))
        for post_id in posts[:2]:
            session.add(Note(target_type="post", target_id=post_id, author_id=staff, body="Seen this before",
                             created_at=utcnow()))
        session.add(Escalation(target_type="post", target_id=posts[0], escalated_by_id=staff,
                               escalated_at=utcnow(), comment="Needs a senior call"))
        session.commit()
        return posts[0]


def pages_for(ids) -> list[str]:
    return [
        "/", "/reports/", "/reports/?status=resolved", "/reports/?reason=TERRORISM&type=comment",
        "/posts/", f"/posts/{ids['post']}", "/posts/?q=zzzzqqq", "/comments/", f"/comments/{ids['comment']}",
        "/users/", f"/users/{ids['user']}", "/banned-words/", "/audit/", f"/audit/entry/{ids['log']}",
        "/audit/verify", "/colleges/", f"/colleges/{ids['college']}", "/branches/", "/college-requests/",
        "/feedback/", "/health/", "/staff/", "/account/", "/account/two-factor", "/search/?q=stu",
        "/colleges/new", "/no-such-page", "/audit/?since=not-a-date",
        # Moderating as a team.
        "/reports/?claim=mine", f"/reports/post/{ids['post']}/assign", "/proposals/", "/views/",
        f"/revert/{ids['log']}",
        # The catalogue of removal reasons.
        "/removal-reasons/", f"/removal-reasons/{ids['reason']}",
        # Notes and escalation.
        "/reports/?escalated=1", "/reports/?escalated=1&status=resolved", f"/posts/{ids['escalated']}",
    ]


def _axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def _violations(axe, page, url: str) -> list[dict]:
    results = axe.run(page, options={"resultTypes": ["violations"]})
    found = []
    for v in results.response["violations"]:
        found.append({"url": url, "id": v["id"], "impact": v["impact"], "help": v["help"],
                      "nodes": [n["target"] for n in v["nodes"]][:5]})
    return found


def _report(name: str, found: list[dict]) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(found, indent=2, default=str))


@pytest.mark.parametrize("role", list(ROLES))
def test_no_serious_accessibility_violation_on_any_page(browser, server, ids, role):
    app, base = server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([open_session_cookie(app, base, ROLES[role])])
    page = context.new_page()
    axe = _axe()
    found = []
    for url in pages_for(ids):
        page.goto(base + url)
        found += _violations(axe, page, url)
    context.close()
    _report(role, found)
    blocking = [v for v in found if v["impact"] in BLOCKING]
    assert not blocking, "\n".join(f"{v['url']}: {v['impact']} {v['id']} — {v['help']} {v['nodes']}"
                                   for v in found)


def test_no_serious_accessibility_violation_signed_out(browser, server):
    _, base = server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    axe = _axe()
    found = []
    page.goto(base + "/login")
    found += _violations(axe, page, "/login")
    page.fill("#email", "nobody@flick.demo")
    page.fill("#password", "wrong password")
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    assert "Wrong email or password" in page.content()
    found += _violations(axe, page, "/login (wrong password)")
    page.goto(base + "/invite/not-a-token")
    found += _violations(axe, page, "/invite (not valid)")
    context.close()
    _report("signed-out", found)
    assert not [v for v in found if v["impact"] in BLOCKING], found


def test_the_checker_can_fail(browser, server):
    """The control: a page with a known serious problem is reported as such."""
    _, base = server
    context = browser.new_context()
    page = context.new_page()
    page.goto(base + "/login")
    page.evaluate("document.querySelector('label[for=email]').remove()")
    found = _violations(_axe(), page, "/login (label removed)")
    context.close()
    assert any(v["id"] == "label" and v["impact"] in BLOCKING for v in found), found


MAIN_PAGES = [("home", "/"), ("reports", "/reports/"), ("posts", "/posts/"), ("post", "post"),
              ("users", "/users/"), ("user", "user"), ("audit", "/audit/"), ("colleges", "/colleges/"),
              ("account", "/account/")]

OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = el => { for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; }
    return false; };
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (!r.width || getComputedStyle(el).visibility === 'hidden') continue;
    if ((r.right > width + 1 || r.left < -1) && !scrolls(el)) out.push(el.tagName + '.' + el.className + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
  }
  return {width, scrollWidth: document.documentElement.scrollWidth, out: out.slice(0, 10)};
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_main_pages_fit_the_screen(browser, server, ids, width):
    app, base = server
    context = browser.new_context(viewport={"width": width, "height": 900 if width > 500 else 844},
                                  is_mobile=width < 500, has_touch=width < 500)
    context.add_cookies([open_session_cookie(app, base, ROLES["admin"])])
    page = context.new_page()
    problems = {}
    for name, url in MAIN_PAGES:
        target = {"post": f"/posts/{ids['post']}", "user": f"/users/{ids['user']}"}.get(url, url)
        page.goto(base + target)
        measured = page.evaluate(OVERFLOWING)
        if measured["scrollWidth"] > measured["width"] + 1 or measured["out"]:
            problems[name] = measured
        page.screenshot(path=str(ARTIFACTS / f"screen-{width}-{name}.png"), full_page=width > 500)
    context.close()
    assert not problems, problems


def test_on_a_phone_the_menu_collapses_and_the_queue_stays_usable(browser, server):
    app, base = server
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    context.add_cookies([open_session_cookie(app, base, ROLES["moderator"])])
    page = context.new_page()
    page.goto(base + "/reports/")
    assert not page.locator("#admin-navbar-collapse").is_visible()
    page.click("button.navbar-toggler")
    page.wait_for_selector("#admin-navbar-collapse.show")
    assert page.locator("#admin-navbar-collapse a", has_text="Reports").is_visible()
    page.click("button.navbar-toggler")
    ban = page.locator("#decide button[value=ban]")
    ban.scroll_into_view_if_needed()
    box = ban.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.locator("tr.kb-row").first.locator("input[data-select]").check()
    assert "1 selected" in page.inner_text("[data-selected-count]")
    shot(page, "phone-report-queue")
    context.close()


def test_the_command_palette_by_keyboard(browser, server):
    app, base = server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([open_session_cookie(app, base, ROLES["moderator"])])
    page = context.new_page()
    page.goto(base + "/posts/")
    page.keyboard.press("Control+k")
    assert page.locator("#palette").is_visible()
    page.keyboard.type("student_0000")
    page.wait_for_selector("#palette-hits li")
    shot(page, "palette")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/users/.+"))
    page.keyboard.press("/")
    assert page.locator("#palette").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#palette").is_visible()
    context.close()


def test_the_dark_theme_follows_the_system(browser, server, ids):
    app, base = server
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    context.add_cookies([open_session_cookie(app, base, ROLES["moderator"])])
    page = context.new_page()
    page.goto(base + "/reports/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(21, 24, 28)", background
    shot(page, "dark-report-queue")
    found = _violations(_axe(), page, "/reports/ (dark)")
    page.goto(base + "/audit/")
    found += _violations(_axe(), page, "/audit/ (dark)")
    # Notes and escalation in the dark: the Escalated view's flags, the Escalate button.
    page.goto(base + "/reports/?escalated=1")
    assert page.locator("[data-testid=escalated-flag]").count() >= 1
    found += _violations(_axe(), page, "/reports/?escalated=1 (dark)")
    page.goto(base + "/reports/")
    assert page.locator("[data-testid=note-flag]").count() >= 1
    found += _violations(_axe(), page, "/reports/ with a note (dark)")
    page.locator("tr.kb-row:not([data-decided]) td.cell-text a").first.click()
    assert page.locator("[data-testid=escalate-form] button").count() == 1
    found += _violations(_axe(), page, "a post with the Escalate button (dark)")
    context.close()
    light = browser.new_context(color_scheme="light")
    light.add_cookies([open_session_cookie(app, base, ROLES["moderator"])])
    page = light.new_page()
    page.goto(base + "/reports/")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(21, 24, 28)"
    light.close()
    assert not [v for v in found if v["impact"] in BLOCKING], found
