"""Removal reasons in a real browser: an admin adds a reason to the catalogue, a moderator
picks it on a post page and bans the post, and the author's notification in Flick's table
reads as the student will read it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from flick_admin.db import Notification, Post
from flick_admin.extensions import db
from tests.browser.conftest import flash, open_session_cookie, shot

pytestmark = pytest.mark.postgres_only

TEXT = "Selling phones, notes or tickets belongs on your college's marketplace, not on Flick."


def test_an_admins_reason_picked_on_a_post_page_is_what_the_author_reads(browser, page, server):
    app, base = server
    app.config["NOTIFY_AUTHORS"] = True  # on by default; the test app turns it off elsewhere
    try:
        # A session made directly: the suite's sign-ins through the form use up the admin's
        # second-factor windows (each code signs in once).
        page.context.add_cookies([open_session_cookie(app, base, "admin@flick.demo")])
        page.goto(base + "/removal-reasons/")
        form = page.locator("[data-testid=reason-new]")
        form.locator("input[name=title]").fill("Selling things")
        form.locator("textarea[name=student_text]").fill(TEXT)
        form.locator("input[name=fits][value=SPAM]").check()
        form.locator("button").click()
        page.wait_for_selector(".alert")
        assert "Selling things" in flash(page) and TEXT in page.inner_text("[data-testid=reason-list]")
        shot(page, "reasons-1-catalogue")

        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_cookies([open_session_cookie(app, base, "moderator@flick.demo")])
        moderator = context.new_page()
        moderator.goto(base + "/posts/?state=visible")
        moderator.locator("[data-testid=post-list] tbody tr a").first.click()
        post_id = moderator.url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
        title = moderator.inner_text("[data-testid=post] h1")
        actions = moderator.locator("[data-testid=post-actions]")
        picker = actions.locator("select[name=reason_choice]")
        assert "Selling things" in picker.locator("optgroup").first.inner_text()
        picker.select_option(label=next(o for o in picker.locator("option").all_inner_texts()
                                        if o.startswith("Selling things")))
        actions.locator("button[value=ban]").click()
        moderator.wait_for_selector(".alert", timeout=15_000)
        assert "Post banned" in flash(moderator)
        shot(moderator, "reasons-2-post-banned")
        context.close()

        with app.app_context():
            author = db.session.scalar(sa.select(Post.posted_by_id).where(Post.id == post_id))
            said = db.session.scalars(sa.select(Notification.content)
                                      .where(Notification.receiver_id == str(author))).all()
            history = db.session.execute(sa.text(
                "SELECT reason FROM logs WHERE entity_id = :p AND action = 'admin:blocked:content' "
                "ORDER BY occured_at DESC LIMIT 1"),
                {"p": post_id}).scalars().all()
        short = title if len(title) <= 60 else title[:59] + "…"
        assert said == [f"Your post “{short}” was removed from Flick. {TEXT}"]
        assert history == ["Selling things"]
    finally:
        app.config["NOTIFY_AUTHORS"] = False
