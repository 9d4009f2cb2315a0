"""Every screen, light and dark: at 1280 px the superadmin's menu fits (Sign out visible)
and the search's placeholder is whole, and a click on a queue row's link reaches the link;
at 390 px the report queue is one card per item with everything a moderator needs
visible, and an item's history stacks instead of wrapping letter by letter. No request
answers 404 (the favicon included). Each screen is kept in test-artifacts/browser/ and
checked by axe (no serious or critical finding)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from flick_admin.db import Post
from flick_admin.extensions import db
from tests.browser.conftest import ARTIFACTS, open_session_cookie
from tests.browser.test_accessibility import BLOCKING, _axe, _report, _violations

pytestmark = pytest.mark.postgres_only

SCREENS = [("reports", "/reports/"), ("post", "post"), ("user", "user"), ("audit", "/audit/"),
           ("staff", "/staff/")]


@pytest.fixture(scope="module")
def fest(server):
    """The demo's post with a history: banned, then reverted on appeal."""
    app, _ = server
    with app.app_context():
        post = db.session.execute(sa.select(Post.id, Post.posted_by_id)
                                  .where(Post.title.like("Fest volunteers needed —%"))).one()
        auth = db.session.scalar(sa.text("SELECT auth_id FROM platform_user WHERE id = :i"), {"i": post.posted_by_id})
        db.session.remove()
    return {"post": f"/posts/{post.id}", "user": f"/users/{auth}"}


def _context(browser, app, base, email, width, scheme):
    context = browser.new_context(viewport={"width": width, "height": 900 if width > 500 else 844},
                                  is_mobile=width < 500, has_touch=width < 500, color_scheme=scheme)
    context.add_cookies([open_session_cookie(app, base, email)])
    return context


PLACEHOLDER_FITS = """(el) => {
  const style = getComputedStyle(el);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = style.font;
  const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return {text: ctx.measureText(el.placeholder).width, room};
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_every_screen_at_1280_and_390_light_and_dark(browser, server, fest, width, scheme):
    app, base = server
    context = _context(browser, app, base, "superadmin@flick.demo", width, scheme)
    page = context.new_page()
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    axe = _axe()
    found = []
    for name, url in SCREENS:
        page.goto(base + fest.get(url, url))
        page.wait_for_load_state("load")
        page.screenshot(path=str(ARTIFACTS / f"screens-{width}-{scheme}-{name}.png"), full_page=True)
        found += _violations(axe, page, f"{url} ({width} px, {scheme})")
    if width == 1280:
        page.goto(base + "/reports/")
        sign_out = page.locator("nav button:has-text('Sign out')")
        assert sign_out.is_visible()
        box = sign_out.bounding_box()
        assert box["x"] + box["width"] <= 1280, box
        fit = page.locator("#nav-search").evaluate(PLACEHOLDER_FITS)
        assert fit["text"] <= fit["room"], fit
    context.close()
    _report(f"screens-{width}-{scheme}", found)
    assert not missing, missing
    assert not [v for v in found if v["impact"] in BLOCKING], found


def test_at_390_px_the_queue_is_cards_and_the_history_stacks(browser, server, fest):
    app, base = server
    context = _context(browser, app, base, "moderator@flick.demo", 390, "light")
    page = context.new_page()
    page.goto(base + "/reports/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    rows = page.locator("tr.kb-row")
    assert rows.count() >= 5
    for i in range(3):
        row = rows.nth(i)
        for part in ("input[data-select]", "td.cell-text a", "td.cell-author", "td.cell-college",
                     "td.cell-reasons", "td.cell-held"):
            cell = row.locator(part)
            assert cell.is_visible(), (i, part)
            box = cell.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 391, (i, part, box)
        claim = row.locator("td.cell-held button")
        assert claim.count() == 0 or claim.is_visible()
    # The text is readable: the item's title is one card wide, not a sliver.
    assert rows.first.locator("td.cell-text").bounding_box()["width"] > 250
    page.screenshot(path=str(ARTIFACTS / "phone-queue-cards.png"), full_page=False)

    page.goto(base + fest["post"])
    cells = page.locator("[data-testid=history] td[data-label=Change]")
    assert cells.count() >= 2
    for i in range(cells.count()):
        assert cells.nth(i).bounding_box()["width"] > 250  # one field per line, never a column of letters
    assert "reverted moderator@flick.demo's ban of post" in page.inner_text("[data-testid=history]")
    page.locator("[data-testid=history]").screenshot(path=str(ARTIFACTS / "phone-post-history.png"))
    context.close()


def test_at_1280_px_a_click_on_a_row_link_reaches_the_link(browser, server):
    app, base = server
    context = _context(browser, app, base, "moderator@flick.demo", 1280, "light")
    page = context.new_page()
    page.goto(base + "/reports/")
    hits = page.evaluate("""() => [...document.querySelectorAll('tr.kb-row td.cell-text a')].slice(0, 20).map(a => {
        const r = a.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + Math.min(20, r.width / 2), r.top + r.height / 2);
        return a === hit || a.contains(hit);
    })""")
    assert hits and all(hits), hits
    context.close()
