"""Staff read words, never codes or ids: one label table for Flick's codes on the post,
comment and user pages; every audit action as a phrase; an item's history in words with
holders named; a report named by its reporter and item; a revert that says what it
reverted, with reasons that fit a revert; a favicon on every page."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from flick_admin import labels
from flick_admin.audit import describe
from flick_admin.audit.actions import AuditAction
from flick_admin.db import Log
from flick_admin.db.enums import REPORT_REASON_LABELS, UserStatus
from flick_admin.team.views import REVERT_REASONS
from tests import factories
from tests.conftest import audit_rows

REASON = {"reason_choice": "Spam or scam"}
UPPER_CODES = sorted(set(REPORT_REASON_LABELS) | {s.value for s in UserStatus})
FIELD_NAMES = ("holder", "isBanned", "isShadowBanned", "ban_expires", "ban_reason", "emailDomain",
               "strict_mode", "two_factor_enabled")


def visible_text(page: str) -> str:
    """What a reader sees: the text between the tags (scripts and attributes left out)."""
    page = re.sub(r"<script.*?</script>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def codes_in(page: str) -> list[str]:
    return [code for code in UPPER_CODES if re.search(rf"\b{code}\b", page)]


# --- the label table ----------------------------------------------------------------------

def test_the_label_table_reads_every_code_as_words():
    for code in UPPER_CODES:
        word = labels.label(code)
        assert word and word != code and not word.isupper(), code
    assert labels.label("HATE_SPEECH", "reason") == "Hate speech"
    assert labels.label("ACTIVE", "user_status") == "Active"
    assert labels.label("SOMETHING_NEW") == "Something new"  # an unknown code still reads as words
    assert labels.standing("ACTIVE", True, None) == "Banned"
    assert labels.standing("ACTIVE", False, None) == "Active"
    from flick_admin.permissions import Permission

    for permission in Permission:
        assert ":" not in labels.label(permission.value, "permission"), permission


def test_post_comment_and_user_pages_show_no_raw_code(client, dbs, login_as):
    login_as("moderator")
    author = factories.StudentFactory(username="raw_codes_author")
    author.auth.banned = True  # banned, while Flick's status still says ACTIVE
    post = factories.PostFactory(author=author, title="Codes everywhere")
    comment = factories.CommentFactory(post=post, author=author)
    reporter = factories.StudentFactory(username="the_reporter")
    for i, reason in enumerate(REPORT_REASON_LABELS):
        factories.ReportFactory(post=post, reporter=reporter, reason=reason,
                                status=("pending", "resolved", "ignored")[i % 3])
        factories.ReportFactory(type="Comment", post=None, comment=comment, reporter=reporter, reason=reason)
        factories.ReportFactory(type="Comment", post=None, comment=factories.CommentFactory(author=reporter),
                                reporter=author, reason=reason)
    dbs.flush()
    pages = {
        "post": client.get(f"/posts/{post.id}"),
        "comment": client.get(f"/comments/{comment.id}"),
        "author": client.get(f"/users/{author.auth_id}"),
        "reporter": client.get(f"/users/{reporter.auth_id}"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        page = response.get_data(as_text=True)
        assert not codes_in(page), (name, codes_in(page))
    post_page = visible_text(pages["post"].get_data(as_text=True))
    assert "Hate speech" in post_page and "Self-harm" in post_page
    assert re.search(r"Status\s+Banned", post_page)  # not "ACTIVE"
    author_page = visible_text(pages["author"].get_data(as_text=True))
    assert re.search(r"Status\s+Banned", author_page)
    assert "Child abuse on comment" in visible_text(pages["reporter"].get_data(as_text=True))


# --- every audit action as words -------------------------------------------------------------

@pytest.mark.parametrize("action", [a.value for a in AuditAction])
def test_every_action_kind_reads_as_a_phrase(action):
    assert ":" not in describe.action_label(action), action
    assert ":" not in describe.verb(action), action


class Row:
    def __init__(self, action, before=None, after=None, metadata=None, **names):
        self.action, self.before, self.after, self.metadata_ = action, before, after, metadata or {}
        self.entity_type = "post"
        for key, value in names.items():
            setattr(self, key, value)


@pytest.mark.parametrize("row, words", [
    (Row("admin:claimed:content", None, {"holder": "k15VUe_x", "minutes": 10}, after_holder="chen@c.edu"),
     "claimed by chen@c.edu; for 10 minutes"),
    (Row("admin:released:content", {"holder": "k15VUe_x"}, None, before_holder="chen@c.edu"), "released by chen@c.edu"),
    (Row("admin:took-over:content", {"holder": "a1"}, {"holder": "b2"}, before_holder="asha@c.edu",
         after_holder="lee@c.edu"), "taken over from asha@c.edu by lee@c.edu"),
    (Row("admin:assigned:content", None, {"holder": "b2", "note": "DM"}, after_holder="lee@c.edu"),
     "assigned to lee@c.edu; note: “DM”"),
    (Row("admin:blocked:content", {"isBanned": False}, {"isBanned": True}), "banned"),
    (Row("admin:unblocked:content", {"isBanned": True}, {"isBanned": False}), "ban lifted"),
    (Row("admin:shadow:banned:content", {"isShadowBanned": False}, {"isShadowBanned": True}), "shadow-banned"),
    (Row("admin:banned:user", {"banned": False, "ban_reason": None, "ban_expires": None},
         {"banned": True, "ban_reason": "x", "ban_expires": None}), "banned permanently"),
    (Row("admin:suspended:user", {"banned": False}, {"banned": True, "ban_expires": "2030-01-02T03:04:00"}),
     "suspended until 2030-01-02 03:04 UTC"),
    (Row("admin:updated:report:status", {"status": "pending"}, {"status": "resolved"}), "pending → resolved"),
    (Row("admin:updated:college", {"emailDomain": "a.edu"}, {"emailDomain": "b.edu"}),
     "email domain: “a.edu” → “b.edu”"),
    (Row("admin:updated:banned-word", {"strict_mode": False}, {"strict_mode": True}), "strict mode: no → yes"),
])
def test_a_change_reads_as_words(row, words):
    said = describe.change(row)
    assert said == words
    for field in FIELD_NAMES:
        assert field not in said


def test_an_items_history_names_holders_and_says_what_changed(client, dbs, login_as):
    first = login_as("moderator", name="Asha", email="asha@college.test")
    post = factories.PostFactory(title="Showcase of words")
    factories.ReportFactory(post=post)
    client.post(f"/reports/post/{post.id}/claim")
    second = login_as("moderator", name="Chen", email="chen@college.test")
    client.post(f"/reports/post/{post.id}/take-over", data={"reason": "Asha is off shift"})
    client.post(f"/posts/{post.id}/act", data={"action": "ban", "state": "b0s0", **REASON})
    page = client.get(f"/posts/{post.id}").get_data(as_text=True)
    text = visible_text(page)
    assert "claimed by asha@college.test" in text
    assert "taken over from asha@college.test by chen@college.test" in text
    assert "banned" in text
    for secret in (first.id, second.id):
        assert secret not in text
    for field in FIELD_NAMES:
        assert not re.search(rf"\b{field}\b", text), field


def test_the_audit_log_names_a_report_by_its_reporter_and_item(client, dbs, login_as):
    login_as("moderator")
    reporter = factories.StudentFactory(username="student_00005")
    post = factories.PostFactory(title="Showcase: my weather app")
    factories.ReportFactory(post=post, reporter=reporter)
    client.post(f"/reports/post/{post.id}/act", data={"action": "ignore", "state": "b0s0", **REASON})
    assert audit_rows(dbs, action="admin:updated:report:status")
    login_as("auditor")
    text = visible_text(client.get("/audit/").get_data(as_text=True))
    assert "report by student_00005 on post “Showcase: my weather app”" in text
    assert "(no name recorded)" not in text


# --- reverts ---------------------------------------------------------------------------------

def test_a_revert_says_what_it_reverted_and_offers_revert_reasons(client, dbs, login_as):
    login_as("moderator", email="chen@college.test")
    post = factories.PostFactory(title="Showcase: my weather app")
    client.post(f"/posts/{post.id}/act", data={"action": "ban", "state": "b0s0", **REASON})
    [ban] = audit_rows(dbs, action="admin:blocked:content")
    login_as("moderator", email="lee@college.test")
    form = client.get(f"/revert/{ban.id}").get_data(as_text=True)
    for reason in REVERT_REASONS:
        assert f'value="{html.escape(reason, quote=True)}"' in form or f'value="{reason}"' in form, reason
    for violation in ("Hate speech", "Spam or scam", "Ban evasion"):
        assert f'value="{violation}"' not in form
    # An unknown reason is refused; nothing is written.
    bad = client.post(f"/revert/{ban.id}", data={"reason_choice": "Because"})
    assert bad.status_code == 400
    assert dbs.scalar(sa.select(sa.func.count()).select_from(Log)
                      .where(Log.action == "admin:unblocked:content")) == 0
    response = client.post(f"/revert/{ban.id}", data={"reason_choice": "Appeal accepted",
                                                     "reason_text": "the link is the club's form"})
    assert response.status_code == 303
    [undo] = audit_rows(dbs, action="admin:unblocked:content")
    assert undo.reason == "Appeal accepted: the link is the club's form"
    assert undo.metadata_["reverted"] == "chen@college.test's ban of post “Showcase: my weather app”"
    login_as("auditor")
    text = visible_text(client.get("/audit/").get_data(as_text=True))
    assert "lee@college.test reverted chen@college.test's ban of post “Showcase: my weather app”" in " ".join(text.split())
    item = visible_text(client.get(f"/posts/{post.id}").get_data(as_text=True))
    assert "reverted chen@college.test's ban of post" in " ".join(item.split())
    entry = visible_text(client.get(f"/audit/entry/{undo.id}").get_data(as_text=True))
    assert "reverted chen@college.test's ban" in " ".join(entry.split())


# --- the favicon -----------------------------------------------------------------------------

def test_every_page_names_a_favicon_that_is_served(client, login_as):
    for path in ("/login",):
        page = client.get(path).get_data(as_text=True)
        found = re.search(r'<link rel="icon" href="([^"]+)"', page)
        assert found, path
    login_as("moderator")
    page = client.get("/reports/").get_data(as_text=True)
    href = re.search(r'<link rel="icon" href="([^"]+)"', page).group(1)
    icon = client.get(href)
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert client.get("/no-such-page").status_code == 404
    assert '<link rel="icon"' in client.get("/no-such-page").get_data(as_text=True)
