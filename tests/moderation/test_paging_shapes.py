"""The list and queue orders given new query shapes (the merged walks of the reported lists,
the kept keys of the queue by reason, the banned accounts' walk, the audit log by actor):
walked forward to the end and back to the start, each item shows once, in order, also
when many share a timestamp; a cursor that is malformed, of another list or of the wrong
types is a 400 (never a 500), as a scoped moderator too."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, timedelta

import pytest
import sqlalchemy as sa

from flick_admin.db import PlatformUser
from flick_admin.db.base import utcnow
from flick_admin.db.team import StaffScope
from flick_admin.pagination import encode
from tests import factories
from tests.moderation.test_lists import next_link, prev_link
from tests.moderation.test_tallies import catch_up

N = 8
SIZE = 3


def _walk(client, url: str, pattern: re.Pattern) -> tuple[list[str], list[list[str]]]:
    """Forward to the end, then back to the start: (items in order, the pages going back)."""
    seen, pages = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        body = response.get_data(as_text=True)
        pages.append(pattern.findall(body))
        seen += pages[-1]
        last, url = body, next_link(body)
    back = []
    url = prev_link(last)
    while url:
        body = client.get(url).get_data(as_text=True)
        back.append(pattern.findall(body))
        url = prev_link(body)
    return seen, pages, back


def _shapes(tag: str, dbs, staff) -> dict[str, str]:
    """Each list URL, with N items marked ``pg<tag>_<i>``, half of them at one instant."""
    same = utcnow() - timedelta(days=3)

    def at(i):
        return same if i % 2 == 0 else same - timedelta(minutes=i)

    college = factories.CollegeFactory()
    student = lambda: factories.StudentFactory(college=college)  # noqa: E731
    for i in range(N):
        comment = factories.CommentFactory(content=f"pg{tag}_c{i}", created_at=at(i), author=student())
        factories.ReportFactory(on_comment=True, comment=comment, reason="HARASSMENT", created_at=at(i))
        post = factories.PostFactory(title=f"pg{tag}_p{i}", created_at=at(i), author=student())
        factories.ReportFactory(post=post, reason="HARASSMENT", created_at=at(i))
        decided = factories.PostFactory(title=f"pg{tag}_r{i}", created_at=at(i), author=student())
        factories.ReportFactory(post=decided, reason="SPAM", status="resolved", created_at=at(i))
        factories.StudentFactory(college=college, username=f"pg{tag}_u{i}",
                                 auth=factories.AuthFactory(suspended=True, created_at=at(i)))
        factories.LogFactory(actor_id=staff.id, actor_type="moderator", action="admin:claimed:content",
                             entity_type="post", entity_id=str(post.id), occured_at=at(i).replace(tzinfo=UTC),
                             reason=f"pg{tag}_a{i}")
    return {
        "comments reported": "/comments/?reported=1",
        "posts reported": "/posts/?reported=1",
        "posts reported oldest": "/posts/?reported=1&sort=oldest",
        "posts most reported": "/posts/?sort=reported",
        "queue by reason": "/reports/?reason=HARASSMENT",
        "queue by reason, posts": "/reports/?reason=HARASSMENT&type=post",
        "queue newest": "/reports/?sort=newest&reason=HARASSMENT",
        "resolved newest": "/reports/?status=resolved",
        "resolved by reason": "/reports/?status=resolved&reason=SPAM",
        "users suspended": "/users/?ban=suspended",
        "users banned, students": "/users/?ban=suspended&kind=student",
        "audit by actor": f"/audit/?actor={staff.email}",
        "audit by actor name": f"/audit/?actor={staff.name}",
    }


LETTER = {"comments": "c", "posts": "p", "queue": "p", "resolved": "r", "users": "u", "audit": "a"}


@pytest.fixture
def shaped(app, dbs, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", SIZE)
    tag = uuid.uuid4().hex[:6]
    # Two staff of one name: the actor filter by name merges their walks.
    staff = factories.StaffFactory(role="moderator", name=f"Pager {tag}")
    factories.StaffFactory(role="moderator", name=f"Pager {tag}")
    return tag, staff, _shapes(tag, dbs, staff)


@pytest.mark.parametrize("tallied", [False, True], ids=["live", "kept"])
@pytest.mark.parametrize("scoped", [False, True], ids=["all", "scoped"])
def test_every_shape_pages_forward_and_back_without_gaps_or_repeats(app, client, dbs, shaped, tallied,
                                                                    scoped):
    tag, staff, shapes = shaped
    me = factories.StaffFactory(role="superadmin")
    if scoped:
        college = dbs.scalar(sa.select(PlatformUser.college_id).where(PlatformUser.username == f"pg{tag}_u0"))
        dbs.add(StaffScope(user_id=me.id, college_id=college))
        dbs.flush()
    if tallied:
        catch_up(app)
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], factories.open_session_for(me))
    problems = {}
    for name, url in shapes.items():
        if scoped and name.startswith("audit"):
            continue  # a scoped member reads their own audit rows only
        letter = LETTER[name.split()[0]]
        pattern = re.compile(rf"pg{tag}_{letter}(\d+)")
        seen, pages, back = _walk(client, url, pattern)
        # An item may be named more than once in its own row (a title and a link): once a row.
        rows = [list(dict.fromkeys(p)) for p in pages]
        flat = [i for p in rows for i in p]
        if sorted(flat) != sorted(str(i) for i in range(N)):
            problems[name] = ("forward", rows)
            continue
        backs = [list(dict.fromkeys(p)) for p in back]
        if backs and [i for p in reversed(backs) for i in p] != [i for p in rows[:-1] for i in p]:
            problems[name] = ("back", rows, backs)
    assert not problems, problems


def _bad_cursors() -> dict[str, str]:
    when, ident = utcnow().isoformat(), str(uuid.uuid4())
    return {
        "garbage": "not-a-cursor!!",
        "empty list": encode(()),
        "three keys": encode((utcnow(), uuid.uuid4(), 3)),
        "texts": encode(("abc", "def")),
        "text time": encode(("2026-13-45", uuid.uuid4())),
        "swapped": encode((uuid.uuid4(), utcnow())),
        "ints": encode((1, 2)),
        "int and time": encode((5, utcnow())),
        "bool": encode((True, uuid.uuid4())),
        "tagged oddly": "WyJ4eHgiLCJ1MTIzIl0",
        "long": "A" * 600,
        "plain": f"{when},{ident}",
    }


@pytest.mark.parametrize("scoped", [False, True], ids=["all", "scoped"])
def test_bad_and_foreign_cursors_are_a_400(app, client, dbs, shaped, scoped):
    tag, staff, shapes = shaped
    me = factories.StaffFactory(role="superadmin")
    if scoped:
        dbs.add(StaffScope(user_id=me.id, college_id=factories.CollegeFactory().id))
        dbs.flush()
    catch_up(app)
    client.set_cookie(app.config["AUTH_COOKIE_NAME"], factories.open_session_for(me))
    urls = dict(shapes, **{"users": "/users/", "comments": "/comments/", "posts": "/posts/",
                           "queue": "/reports/", "queue oldest": "/reports/?sort=oldest",
                           "queue most": "/reports/?sort=most", "audit": "/audit/"})
    # A real cursor of each list, tried on every other list.
    real = {}
    for name, url in urls.items():
        found = re.search(r"(?:after|before)=([^&\"]+)", next_link(client.get(url).get_data(as_text=True)) or "")
        if found:
            real[name] = found.group(1)
    cursors = dict(_bad_cursors(), **{f"of {k}": v for k, v in real.items()})
    failed = {}
    for name, url in urls.items():
        for which, cursor in cursors.items():
            if which == f"of {name}":
                continue
            for side in ("after", "before"):
                joined = f"{url}{'&' if '?' in url else '?'}{side}={cursor}"
                status = client.get(joined).status_code
                if status >= 500 or (status != 400 and not which.startswith("of ")):
                    failed[(name, which, side)] = status
    assert not failed, sorted(failed.items())
