"""No dead ends, no wrong buttons: a refusal offers the way on, a done thing is not offered
again, a filter accepts what it invites."""

from __future__ import annotations

import re

from tests import factories
from tests.conftest import audit_rows

BAN = {"action": "ban", "reason_choice": "Spam or scam"}
REASON = {"reason_choice": "Other", "reason_text": "decided in error"}


def test_a_409_held_by_someone_offers_take_over_and_the_way_back(client, dbs, login_as):
    post = factories.PostFactory()
    factories.ReportFactory(post=post)
    login_as("moderator", name="Asha Rao")
    client.post(f"/reports/post/{post.id}/claim")
    login_as("moderator", name="Ben Ito")
    response = client.post(f"/posts/{post.id}/act", data=BAN)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "claimed by Asha Rao" in page
    assert f'action="/reports/post/{post.id}/take-over"' in page and "Take over this post" in page
    assert f'href="/posts/{post.id}"' in page and "Back to the post" in page
    # The button works: the item is Ben's now, and he lands back on it.
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    data = {"next": f"/posts/{post.id}"} | ({"csrf_token": token.group(1)} if token else {})
    taken = client.post(f"/reports/post/{post.id}/take-over", data=data)
    assert taken.status_code == 303 and taken.headers["Location"].endswith(f"/posts/{post.id}")
    assert audit_rows(dbs, action="admin:took-over:content")
    # In a batch too: the page names the held item.
    login_as("moderator", name="Chen Li")
    batch = client.post("/reports/bulk", data={**BAN, "target": [f"post:{post.id}:b0s0"]})
    assert batch.status_code == 409 and f"/reports/post/{post.id}/take-over" in batch.get_data(as_text=True)


def test_other_refusals_offer_no_take_over(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory(is_banned=True)
    response = client.post(f"/posts/{post.id}/act", data={**BAN, "action": "shadow_ban", "state": "b0s0"})
    assert response.status_code == 409
    assert "take-over" not in response.get_data(as_text=True)


def test_a_mistyped_scope_keeps_what_was_typed(client, dbs, login_as):
    factories.CollegeFactory(email_domain="inside.edu")
    login_as("superadmin")
    client.post("/account/confirm", data={"code": factories.STAFF_PASSWORD})
    mod = factories.StaffFactory(role="moderator")
    response = client.post(f"/staff/{mod.id}/scope", data={"colleges": "inside.edu, insdie.edu"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'value="inside.edu, insdie.edu"' in page
    assert "No college has the domain &#39;insdie.edu&#39;" in page
    assert 'aria-invalid="true"' in page and 'data-testid="scope-error"' in page
    assert not audit_rows(dbs, action="admin:updated:admin:scope")


def test_a_reverted_entry_links_to_its_revert_instead_of_offering_revert(client, dbs, login_as, count_queries):
    login_as("moderator")
    post = factories.PostFactory()
    client.post(f"/posts/{post.id}/act", data=BAN)
    [ban] = audit_rows(dbs, action="admin:blocked:content")
    assert f"/revert/{ban.id}" in client.get(f"/audit/entry/{ban.id}").get_data(as_text=True)
    assert client.post(f"/revert/{ban.id}", data=REASON).status_code == 303
    [undo] = audit_rows(dbs, action="admin:unblocked:content")
    with count_queries() as counted:
        entry = client.get(f"/audit/entry/{ban.id}").get_data(as_text=True)
    assert counted.n <= 5
    assert f"/revert/{ban.id}" not in entry and "Revert…" not in entry
    assert f'href="/audit/entry/{undo.id}" data-testid="reverted-link"' in entry
    history = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert f"/revert/{ban.id}" not in history
    assert f'href="/audit/entry/{undo.id}" class="small" data-testid="reverted-link"' in history
    # The revert itself offers no revert (do the action again), as before.
    assert f"/revert/{undo.id}" not in history


def test_after_opening_an_item_the_box_says_you_hold_it_and_history_shows_the_claim(client, dbs, login_as):
    """What the item page's script draws again after its background claim."""
    post = factories.PostFactory()
    factories.ReportFactory(post=post)
    login_as("moderator", name="Asha Rao")
    opened = client.get(f"/posts/{post.id}?claim=1").get_data(as_text=True)
    assert "data-auto-claim" in opened and "data-history" in opened
    claimed = client.post(f"/reports/post/{post.id}/claim", headers={"Accept": "application/json"})
    assert claimed.status_code == 200 and claimed.get_json()["changed"]
    page = client.get(f"/posts/{post.id}").get_data(as_text=True)
    box = page[page.index('data-testid="claim"'):page.index("</section>", page.index('data-testid="claim"'))]
    assert "You hold this post" in box and "Release" in box and ">Claim<" not in box
    history = page[page.index("data-history"):]
    assert "claimed" in history.lower()


def test_the_actor_filter_takes_an_email_or_a_name_and_says_when_nobody_is_meant(client, dbs, login_as):
    post = factories.PostFactory(title="Asha's banned post")
    factories.ReportFactory(post=post)
    asha = login_as("moderator", name="Asha Rao", email="asha.rao@flick.test")
    client.post(f"/posts/{post.id}/act", data=BAN)
    login_as("auditor")
    for actor in (asha.id, "asha.rao@flick.test", "ASHA.RAO@flick.test", "Asha Rao", "asha rao"):
        page = client.get("/audit/", query_string={"actor": actor}).get_data(as_text=True)
        assert "Asha&#39;s banned post" in page, actor
        assert 'data-testid="actor-unknown"' not in page
    listing = client.get("/audit/").get_data(as_text=True)
    assert '<option value="asha.rao@flick.test">Asha Rao (moderator)</option>' in listing
    assert 'placeholder="staff email or name"' in listing
    unknown = client.get("/audit/", query_string={"actor": "nobody@flick.test"})
    assert unknown.status_code == 200
    body = unknown.get_data(as_text=True)
    assert 'data-testid="actor-unknown"' in body and "nobody@flick.test" in body
    assert "Asha&#39;s banned post" not in body
    # The export reads the same filter.
    login_as("superadmin")
    export = client.get("/audit/export.jsonl", query_string={"actor": "Asha Rao"}).get_data(as_text=True)
    assert '"admin:blocked:content"' in export


def test_the_palette_says_first_n_when_more_match_and_an_id_prefix_finds_the_post(client, dbs, login_as):
    login_as("moderator")
    for n in range(7):
        factories.StudentFactory(username=f"zelda{n}")
    hits = client.get("/search/suggest?q=zelda").get_json()
    users = [h for h in hits if h["kind"] == "user"]
    assert len(users) == 5 and all(h["more"] for h in users)
    assert not any(h["more"] for h in client.get("/search/suggest?q=zelda6").get_json())
    page = client.get("/search/?q=zelda").get_data(as_text=True)
    assert 'data-testid="more-match"' in page
    post = factories.PostFactory(title="Found by its id")
    comment = factories.CommentFactory()
    for q in (str(post.id)[:8], str(post.id)[:13], str(post.id)[:8].upper()):
        found = client.get("/search/suggest", query_string={"q": q}).get_json()
        assert any(h["kind"] == "post" and h["url"] == f"/posts/{post.id}" for h in found), q
    found = client.get("/search/suggest", query_string={"q": str(comment.id)[:8]}).get_json()
    assert any(h["url"] == f"/comments/{comment.id}" for h in found)
    assert not any(h["kind"] == "post" for h in client.get("/search/suggest?q=0123456").get_json())


def test_a_refused_new_staff_account_keeps_what_was_typed(client, dbs, login_as):
    login_as("superadmin")
    client.post("/account/confirm", data={"code": factories.STAFF_PASSWORD})
    taken = factories.StaffFactory(role="moderator")
    for email, status in (("not an email", 400), (taken.email, 409)):
        response = client.post("/staff/new", data={"email": email, "name": "Dana Cruz", "role": "auditor",
                                                   "handover": "password"})
        assert response.status_code == status, email
        page = response.get_data(as_text=True)
        assert 'data-testid="create-error"' in page and 'value="Dana Cruz"' in page
        assert '<option value="auditor" selected>' in page and '<option value="password" selected>' in page
    assert not audit_rows(dbs, action="admin:created:admin:account")
