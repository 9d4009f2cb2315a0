"""The canary crawl for college scopes.

Content outside a scoped moderator's colleges carries unique marker strings — in titles,
texts, report messages and reasons, usernames, names, e-mails, ban reasons, feedback and
audit reasons and labels — and in-scope content links to it: replies to outside posts and
comments, reports on outside comments, reports filed by in-scope students on outside
content, outside students reporting in-scope content, audit rows about outside content
(some sharing a request with the scoped moderator's own row). Signed in as the scoped
moderator, the crawl requests every GET route of the app's route map with every id of
the right kind, every list with every filter (and the pages they link to), the palette,
search, saved views and their counts, exports and JSON endpoints. No response may carry a
marker and every id outside the scope answers 404. The same crawl as an unscoped
moderator must find every marker, so the crawl can fail.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections import deque
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa
from flask import url_for

from flick_admin.audit.queries import AuditFilters
from flick_admin.colleges.queries import COLLEGE_SORTS, REQUEST_STATUSES, CollegeFilters, FeedbackFilters, RequestFilters, WordFilters
from flick_admin.db import Log
from flick_admin.feedback.services import STATUSES as FEEDBACK_STATUSES
from flick_admin.feedback.services import TYPES as FEEDBACK_TYPES
from flick_admin.db.base import utcnow
from flick_admin.db.enums import TOPICS, ReportStatus
from flick_admin.db.team import Proposal, SavedView, StaffScope
from flick_admin.moderation.filters import (
    COMMENT_STATES, POST_SORTS, POST_STATES, REPORT_CLAIMS, REPORT_REASONS, REPORT_SORTS, REPORT_TYPES,
    USER_BAN_STATES, USER_KINDS, USER_STATUSES, CommentFilters, PostFilters, ReportFilters, UserFilters,
)
from tests import factories

MAX_REQUESTS = 3000


class Markers:
    """Unique strings planted in outside content (lower-case: usernames are)."""

    def __init__(self) -> None:
        self.tag = uuid.uuid4().hex[:6]
        self.all: dict[str, str] = {}

    def __call__(self, what: str) -> str:
        value = f"cnry{self.tag}_{what}"
        self.all[value] = what
        return value


@dataclasses.dataclass
class Planted:
    markers: Markers
    scoped: object
    control: object
    ids: dict[str, list[str]]       # URL argument -> every value of the right kind
    outside: dict[str, set[str]]    # URL argument -> the values outside the scope
    texts: dict[str, str]           # plain (non-marker) values the filters search for


def _act(client, url, **data):
    response = client.post(url, data=data)
    assert response.status_code in (200, 303), (url, response.status_code, response.data[:300])


def _sign_in(app, client, user) -> None:
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], factories.open_session_for(user))


@pytest.fixture
def planted(app, client, dbs) -> Planted:
    mk = Markers()
    inside = factories.CollegeFactory(email_domain="inside-canary.edu", name="Inside Canary College")
    outside = factories.CollegeFactory(email_domain="outside-canary.edu", name="Outside Canary College")
    a = factories.StudentFactory(college=inside, username="in_alice")
    a2 = factories.StudentFactory(college=inside, username="in_amir")
    b = factories.StudentFactory(
        college=outside, username=mk("username"),
        auth=factories.AuthFactory(name=mk("person_name"), email=f"{mk('email')}@outside-canary.edu"))
    pa = factories.PostFactory(author=a, title="Inside canary post", content="inside body")
    pb = factories.PostFactory(author=b, title=mk("post_title"), content=mk("post_content"))
    ca = factories.CommentFactory(author=a, post=pa, content="inside top comment")
    cb = factories.CommentFactory(author=b, post=pb, content=mk("comment_on_outside_post"))
    cb2 = factories.CommentFactory(author=b, post=pa, content=mk("outside_comment_on_inside_post"))
    ca2 = factories.CommentFactory(author=a, post=pb, parent_comment_id=cb.id, content="inside reply to outside")
    ca3 = factories.CommentFactory(author=a, post=pa, parent_comment_id=cb2.id, content="inside reply in thread")
    # Reports on outside content (one filed by an in-scope student), an outside student's
    # reports on in-scope content, and reports on in-scope content.
    r_pb = factories.ReportFactory(post=pb, reporter=b, message=mk("report_on_outside_post"),
                                   reason=mk("report_reason"))
    r_cb = factories.ReportFactory(type="Comment", post=None, comment=cb, reporter=a,
                                   message=mk("report_filed_by_insider"))
    r_cb2 = factories.ReportFactory(type="Comment", post=None, comment=cb2, reporter=a2,
                                    message=mk("report_on_outside_comment_of_inside_post"))
    # Flick's server may give a comment's report its post's id too: about the comment still.
    r_both = factories.ReportFactory(type="Comment", post=pa, comment=cb2, reporter=a,
                                     reason=mk("report_naming_both_reason"), message=mk("report_naming_both"))
    r_pa = factories.ReportFactory(post=pa, reporter=b, message="inside post reported")
    r_ca = factories.ReportFactory(type="Comment", post=None, comment=ca, reporter=b,
                                   message="inside comment reported")
    r_ca2 = factories.ReportFactory(type="Comment", post=None, comment=ca2, reporter=a2,
                                    message="inside reply reported")
    factories.FeedbackFactory(user=b, title=mk("feedback_title"), content=mk("feedback_content"))
    factories.FeedbackFactory(user=a, title="Inside feedback", content="inside feedback body")
    # Outside content still waiting (the decisions below leave it pending), under a real
    # reason, for the reason filters, the reported lists and the kept keys.
    pb2 = factories.PostFactory(author=b, title=mk("pending_post_title"), content=mk("pending_post_content"))
    cb3 = factories.CommentFactory(author=b, post=pa, content=mk("pending_comment_content"))
    factories.ReportFactory(post=pb2, reporter=a, reason="HARASSMENT", message=mk("pending_post_report"))
    factories.ReportFactory(type="Comment", post=None, comment=cb3, reporter=a2, reason="HARASSMENT",
                            message=mk("pending_comment_report"))
    factories.CollegeRequestFactory()
    factories.BannedWordFactory(word="canaryword")
    branch = factories.BranchFactory()

    control = factories.StaffFactory(role="moderator", name="Control Mod")
    scoped = factories.StaffFactory(role="moderator", name="Scoped Mod")
    dbs.add(StaffScope(user_id=scoped.id, college_id=inside.id))
    dbs.flush()

    # Staff actions about outside content, through the app (real audit rows).
    _sign_in(app, client, control)
    _act(client, f"/posts/{pb.id}/act", action="ban", reason_text=mk("ban_post_reason"))
    _act(client, f"/comments/{cb.id}/act", action="ban", reason_text=mk("ban_comment_reason"))
    _act(client, f"/reports/comment/{cb2.id}/act", action="ignore", reason_text=mk("ignore_reason"))
    _act(client, f"/users/{b.auth_id}/sanction", kind="suspend", days="3", reason_text=mk("suspend_reason"))
    _act(client, f"/reports/post/{pb.id}/claim")
    # Internal notes on outside items and an outside student, and an outside item escalated
    # (its comment is the row's reason too).
    _act(client, f"/team/notes/post/{pb.id}/add", body=mk("note_on_outside_post"))
    _act(client, f"/team/notes/comment/{cb2.id}/add", body=mk("note_on_outside_comment"))
    _act(client, f"/team/notes/user/{b.auth_id}/add", body=mk("note_on_outside_student"))
    _act(client, f"/team/escalations/post/{pb.id}/escalate", comment=mk("escalation_comment"))
    # One decision over an inside and an outside item (its reason is shared by both).
    _act(client, "/reports/bulk", action="ignore", reason_text="weekly sweep",
         target=[f"post:{pa.id}:b0s0", f"comment:{ca.id}:b0"])
    _act(client, f"/comments/{ca2.id}/act", action="ban", reason_text="inside reply banned")
    # Rows Flick's own server writes about outside content (no stored label).
    factories.LogFactory(actor_id=b.auth_id, actor_type="user", action="user:created:post",
                         entity_type="post", entity_id=str(pb.id))
    factories.LogFactory(actor_id=b.auth_id, actor_type="user", action="user:created:comment",
                         entity_type="comment", entity_id=str(cb2.id))
    # The scoped moderator's own row in the same request as a row about outside content.
    outside_row = dbs.scalars(sa.select(Log).where(Log.entity_id == str(pb.id),
                                                   Log.action == "admin:blocked:content")).first()
    shared_request = outside_row.request_id if outside_row is not None else uuid.uuid4()
    factories.LogFactory(actor_id=scoped.id, actor_type="moderator", action="admin:claimed:content",
                         entity_type="post", entity_id=str(pa.id), request_id=shared_request,
                         metadata_={"label": "Inside canary post"})
    # A proposal about an outside student, and views shared by the control moderator.
    dbs.add(Proposal(kind="user-ban", payload={"user_id": b.auth_id}, summary=f"Ban {b.username} permanently",
                     permission="content:moderate", proposer_id=control.id, reason=mk("proposal_reason"),
                     created_at=utcnow(), expires_at=utcnow() + timedelta(hours=48)))
    for page, query in (("posts", "college=outside-canary.edu"), ("reports", "status=pending"),
                        ("comments", ""), ("users", "q=cnry")):
        dbs.add(SavedView(owner_id=control.id, page=page, name=f"Shared {page}", query=query, shared=True))
    dbs.add(SavedView(owner_id=scoped.id, page="posts", name="My posts", query="", shared=False))
    dbs.commit()

    logs = dbs.execute(sa.select(Log.id, Log.entity_type, Log.entity_id)).all()
    outside_entities = {str(pb.id), str(pb2.id), str(cb.id), str(cb2.id), str(cb3.id), str(r_pb.id),
                        str(r_cb.id), str(r_cb2.id), str(r_both.id),
                        b.auth_id}
    students = [a.auth_id, a2.auth_id, b.auth_id]
    posts, comments = [str(pa.id), str(pb.id), str(pb2.id)], [str(c.id) for c in (ca, ca2, ca3, cb, cb2, cb3)]
    ids = {
        "post_id": posts, "comment_id": comments, "user_id": students + [control.id, scoped.id],
        "log_id": [str(row.id) for row in logs],
        "college_id": [str(inside.id), str(outside.id)], "branch_id": [str(branch.id)],
        "request_id": [str(i) for i in dbs.scalars(sa.text("SELECT id FROM college_requests"))],
        "word_id": [str(i) for i in dbs.scalars(sa.text("SELECT id FROM banned_words"))],
        "reason_id": [str(factories.RemovalReasonFactory().id)],  # the catalogue: no college
        "target_id:post": posts, "target_id:comment": comments,
        "fmt": ["csv", "jsonl"], "token": ["no-such-invite"],
    }
    out = {
        "post_id": {str(pb.id), str(pb2.id)}, "comment_id": {str(cb.id), str(cb2.id), str(cb3.id)},
        "user_id": {b.auth_id},
        "log_id": {str(row.id) for row in logs if row.entity_id in outside_entities},
        "target_id:post": {str(pb.id), str(pb2.id)}, "target_id:comment": {str(cb.id), str(cb2.id), str(cb3.id)},
    }
    assert out["log_id"], "audit rows about outside content were planted"
    texts = {"post": str(pb.id), "author": b.username, "q": b.username, "college": "outside-canary.edu",
             "actor": control.id, "entity_id": str(pb.id), "request_id": str(shared_request)}
    del r_pa, r_ca, r_ca2
    return Planted(mk, scoped, control, ids, out, texts)


# --- what to request -----------------------------------------------------------------------

# Every filter of every list, each value it takes (free-text ones: values that would find
# the outside content). A new filter field fails test_every_filter_is_crawled until listed.
def _filter_values(p: Planted) -> dict[str, tuple[type, dict[str, tuple[str, ...]]]]:
    t = p.texts
    return {
        "reports.index": (ReportFilters, {
            "status": tuple(s.value for s in ReportStatus), "type": REPORT_TYPES[1:],
            "reason": REPORT_REASONS, "college": (t["college"], "Outside Canary"), "claim": REPORT_CLAIMS[1:],
            "sort": REPORT_SORTS, "escalated": ("1",)}),
        "posts.index": (PostFilters, {
            "state": POST_STATES[1:], "reported": ("1",), "topic": TOPICS, "college": (t["college"],),
            "author": (t["author"], "cnry"), "q": (p.markers.tag, t["author"]),
            "created_from": ("2000-01-01",), "created_to": ("2999-01-01",), "sort": POST_SORTS}),
        "comments.index": (CommentFilters, {
            "state": COMMENT_STATES[1:], "reported": ("1",), "author": (t["author"],),
            "q": (p.markers.tag, "outside"), "post": (t["post"],)}),
        "users.index": (UserFilters, {
            "q": (t["q"], "cnry", f"{t['q']}@"), "college": (t["college"],), "ban": USER_BAN_STATES[1:],
            "status": USER_STATUSES[1:], "kind": USER_KINDS[1:]}),
        "audit.index": (AuditFilters, {
            "actor": (t["actor"],), "actor_type": ("moderator", "user", "admin"),
            "action": ("admin:blocked:content", "admin:suspended:user", "user:created:post",
                       "admin:claimed:content"),
            "entity_type": ("post", "comment", "user", "content_report"), "entity_id": (t["entity_id"],),
            "since": ("2000-01-01",), "until": ("2999-01-01",), "request_id": (t["request_id"],),
            "q": (p.markers.tag,), "signins": ("1",), "mine": ("1",)}),
        "audit.export": (AuditFilters, {"entity_id": (t["entity_id"],), "q": (p.markers.tag,)}),
        "feedback.index": (FeedbackFilters, {"status": FEEDBACK_STATUSES, "type": FEEDBACK_TYPES}),
        # Colleges, requests and banned words are not any college's students' content.
        "colleges.index": (CollegeFilters, {"q": ("Outside", "outside-canary"), "sort": COLLEGE_SORTS}),
        "college_requests.index": (RequestFilters, {"status": REQUEST_STATUSES}),
        "banned_words.index": (WordFilters, {"q": ("canary",), "severity": ("mild", "moderate", "severe"),
                                             "mode": ("strict", "plain")}),
        # The live queue's poll, asked about every post and comment (inside and outside).
        "reports.changes": (None, {"ids": (",".join([f"post:{i}" for i in p.ids["post_id"]]
                                                    + [f"comment:{i}" for i in p.ids["comment_id"]]),),
                                   "status": tuple(s.value for s in ReportStatus)}),
        "search.index": (None, {"q": (t["q"], "cnry", p.markers.tag, t["post"], t["post"][:8], t["college"], "in_")}),
        "search.suggest": (None, {"q": (t["q"], "cnry", p.markers.tag, t["post"], t["post"][:8], t["college"],
                                        "in_")}),
    }


# Filters together, in the shapes the lists and the queue build for them (the reason's kept
# keys, decided reports newest first, the reported lists' merged walks, the banned accounts'
# walk, the audit log by actor).
def _combinations(p: Planted) -> dict[str, list[dict[str, str]]]:
    decided = [{"status": s, "reason": r, "sort": o} for s in ("resolved", "ignored", "pending")
               for r in ("", "HARASSMENT", "SPAM") for o in ("newest", "priority", "oldest", "most")]
    return {
        "reports.index": decided + [{"reason": "HARASSMENT", "type": t, "claim": c}
                                    for t in ("", "post", "comment") for c in ("", "unclaimed")],
        "posts.index": [{"reported": "1", "sort": s} for s in POST_SORTS]
                       + [{"reported": "1", "state": s} for s in POST_STATES[1:]],
        "comments.index": [{"reported": "1", "state": s} for s in COMMENT_STATES[1:]],
        "users.index": [{"ban": b, "kind": k} for b in USER_BAN_STATES[1:] for k in USER_KINDS],
        "audit.index": [{"actor": a, "mine": m} for a in (p.control.id, p.control.email, "Control Mod",
                                                          p.scoped.id) for m in ("", "1")],
    }


SKIPPED_ENDPOINTS = {"static", "admin.static"}


def _route_urls(app, p: Planted) -> list[tuple[str, str, bool]]:
    """(endpoint, url, about something outside the scope) for every GET route and every
    value of its arguments."""
    out = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in SKIPPED_ENDPOINTS:
                continue
            args = sorted(rule.arguments)
            if "kind" in args:  # /reports/<kind>/<target_id>/…: the kind decides the ids
                combos = [({"kind": kind, "target_id": v}, v in p.outside[f"target_id:{kind}"])
                          for kind in ("post", "comment") for v in p.ids[f"target_id:{kind}"]]
            elif args:
                assert len(args) == 1, f"crawl does not know how to fill {rule.rule}"
                [arg] = args
                assert arg in p.ids, f"crawl does not know the ids of <{arg}> in {rule.rule}"
                combos = [({arg: v}, v in p.outside.get(arg, ())) for v in p.ids[arg]]
            else:
                combos = [({}, False)]
            filters = _filter_values(p).get(rule.endpoint, (None, {}))[1]
            for values, is_outside in combos:
                out.append((rule.endpoint, url_for(rule.endpoint, **values), is_outside))
                for field, choices in filters.items():
                    for choice in choices:
                        out.append((rule.endpoint, url_for(rule.endpoint, **values, **{field: choice}), False))
                for combination in _combinations(p).get(rule.endpoint, ()):
                    given = {k: v for k, v in combination.items() if v}
                    out.append((rule.endpoint, url_for(rule.endpoint, **values, **given), False))
    return out


HREF = re.compile(r'(?:href|action|data-url|data-src)="(/[^"#]*)"')


def _crawl(app, client, p: Planted) -> dict[str, tuple[int, str, bool]]:
    """Every route URL, then every same-site link the pages show: url -> (status, body,
    about something outside the scope)."""
    seen: dict[str, tuple[int, str, bool]] = {}
    queue = deque(_route_urls(app, p))
    while queue:
        endpoint, url, is_outside = queue.popleft()
        if url in seen or len(seen) >= MAX_REQUESTS:
            continue
        response = client.get(url)
        body = response.get_data(as_text=True) + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers)
        seen[url] = (response.status_code, body, is_outside)
        if response.status_code == 200 and response.mimetype == "text/html":
            for link in HREF.findall(body):
                link = link.replace("&amp;", "&")
                path = urlsplit(link).path
                if path.startswith(("/static", "/logout")) or link in seen:
                    continue
                queue.append(("link", link, False))
    return seen


def _route_of(url: str) -> str:
    """The URL with its ids replaced, to read a leak report."""
    return re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}|(?<=/users/)[^/?]+", "ID", url)


def _found(seen, markers: Markers) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for url, (_status, body, _outside) in seen.items():
        lowered = body.lower()
        for marker in markers.all:
            # A filter the moderator typed is shown back to them: not a leak.
            if marker in lowered and marker not in url.lower():
                found.setdefault(marker, []).append(url)
    return found


def test_every_filter_is_crawled(planted):
    for endpoint, (filters, values) in _filter_values(planted).items():
        if filters is None:
            continue
        names = {f.name for f in dataclasses.fields(filters)} - {"after", "before"}
        if endpoint == "audit.export":
            continue  # the audit list's filter, exported: the list covers each field
        assert names == set(values), (endpoint, names ^ set(values))


def test_a_scoped_moderator_sees_no_marker_and_every_outside_id_is_a_404(app, client, planted, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 3)  # the crawl follows next / previous pages
    _sign_in(app, client, planted.scoped)
    seen = _crawl(app, client, planted)
    leaks = _found(seen, planted.markers)
    assert not leaks, "\n".join(f"{planted.markers.all[m]}: {sorted(set(map(_route_of, urls)))}"
                                 for m, urls in leaks.items())
    # Nor does any page name an outside post, comment or student by id (a link to a 404).
    outside_ids = set().union(*(v for k, v in planted.outside.items() if k != "log_id"))
    named = {_route_of(url) for url, (_s, body, _o) in seen.items()
             for ident in outside_ids if ident in body and ident not in url}
    assert not named, named
    not_hidden = {url: status for url, (status, _b, outside) in seen.items() if outside and status != 404}
    assert not not_hidden, not_hidden
    broken = {url: status for url, (status, _b, _o) in seen.items() if status >= 500}
    assert not broken, broken
    routes = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods} - SKIPPED_ENDPOINTS
    outside = sum(1 for *_x, o in seen.values() if o)
    print(f"\ncanary crawl (scoped): {len(routes)} GET routes, {len(seen)} requests "
          f"({outside} with an outside id), {len(planted.markers.all)} markers, 0 found")


def test_the_control_crawl_finds_every_marker(app, client, planted, monkeypatch):
    """As an unscoped moderator the same crawl reaches every marker: so the crawl above can fail."""
    monkeypatch.setitem(app.config, "PAGE_SIZE", 3)
    _sign_in(app, client, planted.control)
    seen = _crawl(app, client, planted)
    found = _found(seen, planted.markers)
    missing = sorted(planted.markers.all[m] for m in set(planted.markers.all) - set(found))
    assert not missing, missing
    reachable = {url for url, (status, _b, outside) in seen.items() if outside and status == 200}
    assert reachable, "the outside ids open for an unscoped moderator"
    print(f"\ncanary crawl (control): {len(seen)} requests, {len(found)}/{len(planted.markers.all)} "
          f"markers found on {len({u for urls in found.values() for u in urls})} pages")
