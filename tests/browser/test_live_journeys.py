"""The live queue and no dead ends, in a real browser: a colleague's claim and decision
show on an open queue within 5 seconds; a 409 offers the way on; an item opened from the
queue says who holds it; a reverted decision links to its revert; the scope form keeps a
mistyped domain; the audit log's Actor filter takes an email or a name; the palette says
"first N" and finds a post by the start of its id."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import flash, open_session_cookie, shot

pytestmark = pytest.mark.postgres_only

LIVE_SECONDS = 5


def _as(browser, app, base, email):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_cookies([open_session_cookie(app, base, email)])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def _free_row(page) -> str:
    """The kind:id of a pending post nobody holds and nobody decided."""
    row = page.locator("tr.kb-row:not([data-decided]):has([data-testid=held] button:has-text('Claim'))").first
    return row.get_attribute("data-live-id")


def _ban_on_item_page(page) -> None:
    page.select_option("[data-testid=post-actions] select[name=reason_choice]", "Spam or scam")
    page.click("[data-testid=post-actions] button[value=ban]")


def test_an_open_queue_shows_a_colleagues_claim_and_decision_within_5_seconds(browser, server):
    app, base = server
    a_ctx, a = _as(browser, app, base, "moderator@flick.demo")
    b_ctx, b = _as(browser, app, base, "admin@flick.demo")
    b.goto(base + "/reports/?type=post")
    live_id = _free_row(b)
    row = b.locator(f'tr[data-live-id="{live_id}"]')
    row.locator("[data-select]").check()
    assert "1 selected" in b.inner_text("[data-selected-count]")

    a.goto(base + "/reports/?type=post")
    a.locator(f'tr[data-live-id="{live_id}"] [data-testid=held] button:has-text("Claim")').click()
    a.wait_for_selector(f'tr[data-live-id="{live_id}"] [data-testid=held]:has-text("You hold it")')
    # B's queue, never reloaded, shows the holder and drops the row from the selection.
    b.wait_for_selector(f'tr[data-live-id="{live_id}"].live-held', timeout=LIVE_SECONDS * 1000)
    assert "claimed by Demo moderator" in row.locator(".cell-held").inner_text()
    box = row.locator("[data-select]")
    assert box.is_disabled() and not box.is_checked()
    assert "Select rows" in b.inner_text("[data-selected-count]")
    b.click("[data-select-all]")
    assert not box.is_checked()  # select-all passes it by
    b.click("[data-select-all]")
    shot(b, "live-1-held-by-a-colleague")

    # A bans it; B's row is marked done, by whom, and cannot be selected.
    a.goto(base + "/posts/" + live_id.split(":")[1])
    _ban_on_item_page(a)
    a.wait_for_selector(".alert:has-text('Post banned')", timeout=20_000)
    b.wait_for_selector(f'tr[data-live-id="{live_id}"].live-done', timeout=LIVE_SECONDS * 1000)
    assert "Done: banned by Demo moderator" in row.locator(".cell-held").inner_text()
    assert box.is_disabled() and not box.is_checked()
    shot(b, "live-2-done-by-a-colleague")
    a_ctx.close()
    b_ctx.close()


def test_a_held_item_offers_take_over_and_opening_one_says_you_hold_it(browser, server):
    app, base = server
    a_ctx, a = _as(browser, app, base, "moderator@flick.demo")
    b_ctx, b = _as(browser, app, base, "admin@flick.demo")
    b.goto(base + "/reports/?type=post")
    item = base + "/posts/" + _free_row(b).split(":")[1]
    b.goto(item)  # drawn while nobody holds it
    assert "Nobody holds this post" in b.inner_text("[data-testid=claim]")

    # A opens it from the queue: the box says A holds it and offers Release, and the
    # claim is in the history, without a reload.
    a.goto(item + "?claim=1")
    a.wait_for_selector("[data-testid=claim] button:has-text('Release')")
    assert "You hold this post" in a.inner_text("[data-testid=claim]")
    assert a.locator("[data-testid=claim] button:has-text('Claim')").count() == 0
    assert "claimed" in a.inner_text("[data-history]").lower()
    assert "claim=1" not in a.url
    shot(a, "live-3-opened-and-held")

    # B decides on the page drawn before: 409 naming A, with Take over and the way back.
    _ban_on_item_page(b)
    b.wait_for_selector("[data-testid=error-page]", timeout=20_000)
    assert "claimed by Demo moderator" in b.inner_text("[data-testid=error-page]")
    assert b.locator("a:has-text('Back to the post')").get_attribute("href") == item[len(base):]
    shot(b, "live-4-held-409")
    b.click("[data-testid=take-over] button")
    b.wait_for_selector(".alert")
    assert "You took this post over from Demo moderator" in flash(b)
    assert b.url == item
    a_ctx.close()
    b_ctx.close()


def test_a_reverted_decision_links_to_its_revert(browser, server):
    app, base = server
    ctx, page = _as(browser, app, base, "moderator@flick.demo")
    page.goto(base + "/reports/?type=post")
    item = base + "/posts/" + _free_row(page).split(":")[1]
    page.goto(item)
    _ban_on_item_page(page)
    page.wait_for_selector(".alert:has-text('Post banned')", timeout=20_000)
    page.locator("[data-history] a:text-is('Revert')").first.click()
    page.wait_for_url(re.compile(r".*/revert/.*"))
    page.select_option("[data-testid=revert-form] select[name=reason_choice]", "Other")
    page.fill("[data-testid=revert-form] textarea[name=reason_text]", "banned the wrong post")
    page.click("[data-testid=revert]")
    page.wait_for_selector(".alert")
    page.goto(item)
    history = page.locator("[data-history]")
    assert history.locator("a:text-is('Revert')").count() == 0  # nothing left to revert
    ban_row = history.locator("tr:has-text('Reverted')").first
    entry = ban_row.locator("td a").first.get_attribute("href")
    ban_row.locator("[data-testid=reverted-link]").click()
    page.wait_for_url(re.compile(r".*/audit/entry/.*"))
    assert "reverts" in page.inner_text("main").lower()
    page.goto(base + entry)
    assert page.locator("[data-testid=revert-link]").count() == 0
    assert "Already reverted" in page.inner_text("[data-testid=reverted-note]")
    shot(page, "live-5-reverted-entry")
    ctx.close()


def _confirmed_superadmin(browser, app, base):
    """A superadmin's session that has just confirmed who they are (as signing in does),
    made directly: no second-factor window is used up."""
    import sqlalchemy as sa

    from flick_admin.auth import session_state
    from flick_admin.auth.sessions import open_session
    from flick_admin.db import Auth
    from flick_admin.db.transaction import transaction

    with app.test_request_context("/"):
        with transaction() as session:
            user = session.scalars(sa.select(Auth).where(Auth.email == "superadmin@flick.demo")).one()
            token, row = open_session(user)
            session_state.confirm(row.id)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_cookies([{"name": app.config["AUTH_COOKIE_NAME"], "value": token, "url": base}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_the_scope_form_keeps_a_mistyped_domain(browser, server):
    app, base = server
    ctx, page = _confirmed_superadmin(browser, app, base)
    page.goto(base + "/staff/")
    cell = page.locator("tr:has-text('moderator@flick.demo') [data-testid=scope]")
    cell.locator("summary").click()
    cell.locator("input[name=colleges]").fill("nosuch-college.edu")
    cell.locator("button:has-text('Limit')").click()
    page.wait_for_selector("[data-testid=scope-error]")
    cell = page.locator("tr:has-text('moderator@flick.demo') [data-testid=scope]")
    assert cell.locator("input[name=colleges]").input_value() == "nosuch-college.edu"
    assert "No college has the domain" in page.inner_text("[data-testid=scope-error]")
    shot(page, "live-6-scope-kept")
    ctx.close()


def test_the_actor_filter_takes_an_email_or_a_name(browser, server):
    app, base = server
    ctx, page = _as(browser, app, base, "auditor@flick.demo")
    page.goto(base + "/audit/")
    assert page.locator("#staff-list option[value='moderator@flick.demo']").count() == 1
    for actor in ("moderator@flick.demo", "Demo moderator"):
        page.fill("[data-testid=audit-filter] input[name=actor]", actor)
        page.press("[data-testid=audit-filter] input[name=actor]", "Enter")
        page.wait_for_url(re.compile(r".*actor=.*"))
        assert page.locator("[data-testid=audit-row]").count() > 0, actor
        assert page.locator("[data-testid=actor-unknown]").count() == 0
    page.fill("[data-testid=audit-filter] input[name=actor]", "nobody@flick.demo")
    page.press("[data-testid=audit-filter] input[name=actor]", "Enter")
    page.wait_for_selector("[data-testid=actor-unknown]")
    assert "nobody@flick.demo" in page.inner_text("[data-testid=actor-unknown]")
    shot(page, "live-7-unknown-actor")
    ctx.close()


def test_the_palette_says_first_n_and_finds_a_post_by_its_id_prefix(browser, server):
    app, base = server
    ctx, page = _as(browser, app, base, "moderator@flick.demo")
    page.goto(base + "/posts/")
    href = page.locator("[data-testid=post-list] tbody a[href^='/posts/']").first.get_attribute("href")
    post_id = href.split("/")[2].split("?")[0]
    page.keyboard.press("Control+k")
    page.fill("#palette-input", "student_")
    page.wait_for_selector("[data-palette-status]:has-text('more match')")
    assert page.inner_text("[data-palette-status]").startswith("First ")
    page.fill("#palette-input", post_id[:8])
    page.wait_for_selector("#palette-hits li:first-child .kind-post")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/posts/{post_id}.*"))
    ctx.close()


def test_the_queue_stops_asking_while_its_tab_is_hidden(browser, server):
    app, base = server
    ctx, page = _as(browser, app, base, "auditor@flick.demo")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/reports/changes" in r.url else None)
    page.goto(base + "/reports/")
    page.wait_for_timeout(3500)
    assert asked, "the open queue asks"
    page.evaluate("""() => { Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
                             document.dispatchEvent(new Event('visibilitychange')); }""")
    page.wait_for_timeout(500)
    before = len(asked)
    page.wait_for_timeout(7000)
    assert len(asked) == before, "a hidden tab does not ask"
    page.evaluate("""() => { Object.defineProperty(document, 'hidden', {configurable: true, get: () => false});
                             document.dispatchEvent(new Event('visibilitychange')); }""")
    page.wait_for_timeout(1000)
    assert len(asked) > before, "shown again, it asks at once"
    ctx.close()


def test_the_posts_list_hears_a_ban_made_since_it_was_drawn(browser, server):
    app, base = server
    a_ctx, a = _as(browser, app, base, "moderator@flick.demo")
    b_ctx, b = _as(browser, app, base, "auditor@flick.demo")
    b.goto(base + "/posts/?state=visible")
    live_id = b.locator("tr[data-live-id]").first.get_attribute("data-live-id")
    a.goto(base + "/posts/" + live_id.split(":")[1])
    _ban_on_item_page(a)
    a.wait_for_selector(".alert:has-text('Post banned')", timeout=20_000)
    cell = f'tr[data-live-id="{live_id}"] [data-live-cell]'
    b.wait_for_selector(f"{cell} .live-status:has-text('Now banned by Demo moderator')", timeout=LIVE_SECONDS * 1000)
    shot(b, "live-8-posts-list-hears-a-ban")
    a_ctx.close()
    b_ctx.close()
