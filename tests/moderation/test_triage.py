"""Triage at speed: decisions are confirmed (or undone) before they are sent, decided items
leave Pending, staff accounts get no sanction forms, the trail reads as sentences, lists
show labeled filters and capped counts, and the navigation fits the role."""

from __future__ import annotations

import re

from flick_admin.db import Auth, ContentReport, Post
from tests import factories
from tests.conftest import audit_rows

REASON = {"reason_choice": "Spam or scam"}


def _status(dbs, report):
    dbs.expire_all()
    return dbs.get(ContentReport, report.id).status


def test_a_queue_decision_asks_to_confirm_and_changes_nothing_until_confirmed(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory(title="A dubious giveaway")
    report = factories.ReportFactory(post=post)
    form = {"target": f"post:{post.id}:b0s0", "action": "ban", "confirm": "ask",
            "next": "/reports/", **REASON}
    asked = client.post("/reports/bulk", data=form)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Ban 1 item?" in page and "A dubious giveaway" in page
    assert "Spam or scam" in page and 'name="confirm" value="yes"' in page
    assert dbs.get(Post, post.id).is_banned is False and audit_rows(dbs) == []
    hidden = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', page))
    assert hidden["target"] == f"post:{post.id}:b0s0" and hidden["action"] == "ban"
    done = client.post("/reports/bulk", data={**form, "confirm": "yes"})
    assert done.status_code == 303 and done.headers["Location"] == "/reports/"
    dbs.expire_all()
    assert dbs.get(Post, post.id).is_banned is True and _status(dbs, report) == "resolved"


def test_confirming_without_a_reason_is_refused_first(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    factories.ReportFactory(post=post)
    response = client.post("/reports/bulk", data={"target": f"post:{post.id}:b0s0", "action": "ignore",
                                                  "confirm": "ask"})
    assert response.status_code == 400 and "A reason is required" in response.get_data(as_text=True)
    assert audit_rows(dbs) == []


def test_the_post_page_asks_too_and_reopen_needs_no_confirmation(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory(title="Shadow me")
    asked = client.post(f"/posts/{post.id}/act", data={"action": "shadow_ban", "state": "b0s0",
                                                       "confirm": "ask", **REASON})
    assert asked.status_code == 200 and "Shadow-ban 1 item?" in asked.get_data(as_text=True)
    assert dbs.get(Post, post.id).is_shadow_banned is False
    ignored = factories.ReportFactory(ignored=True)
    reopened = client.post("/reports/bulk", data={"target": f"post:{ignored.post_id}:b0s0",
                                                  "action": "reopen", "confirm": "ask", **REASON})
    assert reopened.status_code == 303 and _status(dbs, ignored) == "pending"


def test_every_decision_button_in_the_queue_goes_through_the_confirm_step(client, dbs, login_as):
    login_as("moderator")
    factories.ReportFactory()
    page = client.get("/reports/").get_data(as_text=True)
    panel = page.split('id="decide"', 1)[1].split("</form>", 1)[0]
    assert 'name="confirm" value="ask"' in panel and "data-undo" in panel.split(">", 1)[0]
    for action in ("ban", "shadow_ban", "ignore"):
        assert re.search(rf'value="{action}"[^>]*data-verb=', panel), action


def test_an_already_banned_item_shows_its_state_and_a_decision_clears_it_from_pending(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory(title="Banned by Flick itself", is_banned=True)
    late = factories.ReportFactory(post=post)
    page = client.get("/reports/").get_data(as_text=True)
    assert "Banned by Flick itself" in page and "already banned" in page
    done = client.post("/reports/bulk", data={"target": f"post:{post.id}:b1s0", "action": "ban", **REASON})
    assert done.status_code == 303
    assert _status(dbs, late) == "resolved"
    assert [r.action for r in audit_rows(dbs)] == ["admin:updated:report:status"]  # no second ban row
    assert "Banned by Flick itself" not in client.get("/reports/").get_data(as_text=True)
    # Nothing pending on it: a second decision writes nothing.
    client.post("/reports/bulk", data={"target": f"post:{post.id}:b1s0", "action": "ban", **REASON})
    assert len(audit_rows(dbs)) == 1


def test_a_moderator_gets_no_sanction_form_on_a_staff_page_and_the_server_refuses(client, dbs, login_as):
    login_as("moderator")
    colleague = factories.StaffFactory(role="admin")
    page = client.get(f"/users/{colleague.id}").get_data(as_text=True)
    assert 'data-testid="no-sanction"' in page and 'data-testid="sanction"' not in page
    assert "staff are deactivated and reactivated on the staff pages" in page
    refused = client.post(f"/users/{colleague.id}/sanction", data={"kind": "ban", **REASON})
    assert refused.status_code == 403
    dbs.expire_all()
    assert dbs.get(Auth, colleague.id).banned is not True and audit_rows(dbs) == []
    student = factories.StudentFactory()
    assert 'data-testid="sanction"' in client.get(f"/users/{student.auth_id}").get_data(as_text=True)


def test_an_admin_gets_no_sanction_form_on_a_moderators_page(client, dbs, login_as):
    login_as("admin")
    moderator = factories.StaffFactory(role="moderator")
    page = client.get(f"/users/{moderator.id}").get_data(as_text=True)
    assert 'data-testid="sanction"' not in page and 'data-testid="no-sanction"' in page


def test_the_trail_hides_sign_ins_unless_asked_and_names_targets(client, dbs, login_as):
    me = login_as("auditor")
    post = factories.PostFactory(title="Named by its title")
    factories.LogFactory(actor_id=me.id, actor_type="auditor", action="admin:logged:in:self",
                         entity_type="session", entity_id="fa_x")
    factories.LogFactory(action="user:created:post", entity_type="post", entity_id=str(post.id))
    page = client.get("/audit/").get_data(as_text=True)
    assert page.count('data-testid="audit-row"') == 1 and "Sign-ins and sign-outs are hidden" in page
    assert "“Named by its title”" in page and f"“{post.id}”" not in page
    assert page.count('data-testid="audit-row"') == 1
    with_signins = client.get("/audit/", query_string={"signins": "1"}).get_data(as_text=True)
    assert with_signins.count('data-testid="audit-row"') == 2 and "signed in" in with_signins
    picked = client.get("/audit/", query_string={"action": "admin:logged:in:self"}).get_data(as_text=True)
    assert picked.count('data-testid="audit-row"') == 1
    # The action picker: grouped checkboxes with readable names, not a small multi-select.
    assert "<select name=\"action\"" not in page and 'name="action" value="admin:blocked:content"' in page
    assert "banned content" in page and "<legend>Content</legend>" in page


def test_lists_show_labeled_filters_and_a_capped_count(app, client, dbs, login_as):
    login_as("moderator")
    factories.PostFactory.create_batch(3)
    app.config["PAGE_SIZE"] = 2
    try:
        page = client.get("/posts/").get_data(as_text=True)
        assert re.search(r'data-testid="result-count">\s*2\+ posts', page)
        deeper = re.search(r'href="([^"]*after=[^"]*)"', page).group(1).replace("&amp;", "&")
        assert "more than 1 post" in client.get(deeper).get_data(as_text=True)
    finally:
        app.config["PAGE_SIZE"] = 50
    assert re.search(r'data-testid="result-count">\s*3 posts', client.get("/posts/").get_data(as_text=True))
    for url in ("/posts/", "/comments/", "/users/", "/reports/", "/audit/"):
        page = client.get(url).get_data(as_text=True)
        form = re.search(r'<form[^>]*aria-label="Filter[^"]*"[^>]*>(.*?)</form>', page, re.S).group(1)
        assert form.count("<label") >= 3, url


def _menu(page: str) -> str:
    return page.split('class="navbar-nav mr-auto"', 1)[1].split("</ul>", 1)[0]


def test_the_navigation_fits_the_role_and_counts_waiting_reports(database_url, connection, dbs, login_as, client):
    login_as("moderator")
    factories.ReportFactory.create_batch(3)
    factories.ReportFactory(resolved=True)
    menu = _menu(client.get("/").get_data(as_text=True))
    assert "Banned words" in menu and "Colleges" not in menu and "Feedback" not in menu
    assert re.search(r'data-testid="pending-badge"[^>]*>3</span>', menu)
    assert client.get("/colleges/").status_code == 200  # still readable, just not in the menu


def test_admins_see_their_areas_and_the_badge_is_capped(client, dbs, login_as):
    login_as("admin")
    post = factories.PostFactory()
    factories.ReportFactory.create_batch(101, post=post)
    menu = _menu(client.get("/").get_data(as_text=True))
    assert "Colleges" in menu and "Feedback" in menu and "Banned words" in menu
    assert re.search(r'data-testid="pending-badge"[^>]*>99\+</span>', menu)


def test_the_badge_costs_no_extra_statement(client, dbs, login_as, count_queries):
    login_as("moderator")
    factories.ReportFactory()
    client.get("/account/")
    with count_queries() as counted:
        client.get("/account/")
    reading = [s for s in counted.statements if "content_reports" in s]
    assert len(reading) == 1 and "FROM session" in reading[0], counted.statements  # with the session
