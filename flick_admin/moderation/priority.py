"""The report queue's priority order, and the words that explain an item's place in it.

An item's priority adds up what predicts that it truly warrants action:

- each distinct reporter, weighted by their reliability (``flick_admin.reliability``: the
  Beta(1, 1) mean of their decided reports acted on) less ``REPORTER_OFFSET`` — so a
  reporter who is almost never right adds next to nothing, and several average
  reporters still add up;
- the author's past bans and suspensions (``SANCTION_WEIGHT`` each, at most
  ``SANCTION_CAP`` of them);
- how long the item has waited (``AGE_PER_HOUR`` per hour since its first pending report),
  so nothing waits for ever.

The weights were fitted on the benchmark's planted ground truth (``bench/priority.py``;
``bench/README.md`` has the table). The age term is linear, so the order does not change
while time passes: the page is sorted by the priority less the age term's growth since
1970 (a fixed number per item), which a keyset cursor can page through. That number is
kept per pending item (``flick_admin.priority_keys``), so the pending queue walks an index
(``report_queue``); ``sort_key`` scores live what is not kept (reports since the keys'
watermark, other statuses, the reason filter). Items that another staff member holds
sort after the free ones: they are not next for you.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from flick_admin import priority_keys, reliability, scope, tallies
from flick_admin.audit.recorder import current_actor
from flick_admin.db import College, Comment, ContentReport, PlatformUser, Post
from flick_admin.db.base import utcnow
from flick_admin.db.reports import subject_id, subject_kind
from flick_admin.db.tallies import REPORTS, ReporterReliability
from flick_admin.db.replica import reader
from flick_admin.db.team import Claim
from flick_admin.moderation import claims
from flick_admin.pagination import BadCursor, decode
# The weights and the key's units live with the kept keys (re-exported for the tests).
from flick_admin.priority_keys import (  # noqa: F401
    AGE_PER_HOUR, REPORTER_OFFSET, SANCTION_CAP, SANCTION_RANGE, SANCTION_UNIT, SANCTION_WEIGHT, SCALE,
)

HELD = 10 ** 12  # held by someone else: after every free item


def score(reliabilities: list[float], sanctions: int, hours: float) -> float:
    """The priority of an item, as the page explains it (the order's formula, in Python)."""
    k = priority_keys
    return (sum(r - k.REPORTER_OFFSET for r in reliabilities)
            + k.SANCTION_WEIGHT * min(sanctions or 0, k.SANCTION_CAP) + k.AGE_PER_HOUR * max(hours, 0.0))


def sort_key(narrowed, size: int, after: str | None = None, before: str | None = None,
             now=None, me=None) -> sa.Select:
    """(type, target_id, key) for the items whose reports match that may be on the page:
    ``narrowed`` filters a SELECT over ``ContentReport`` (the queue's filters and scope).

    The author's sanctions (a few index lookups per item) are read only for the items that
    can make the page: every item gets a partial key (its reporters and age, less
    ``HELD`` when someone else holds it), which the sanctions raise by at most
    ``SANCTION_RANGE``. ``now`` and ``me`` (the time and the member, for the claims) may be
    bound parameters (a statement built once). Going forward, no item whose partial key is more than that range
    below the (size + 1)-th largest partial key among the items sure to lie past the
    cursor can be on the page, so the others are never joined."""
    # The watermark as a scalar subquery: no statement of its own (the page's budget).
    mark = tallies._mark(REPORTS)
    kind, target = subject_kind(ContentReport), subject_id(ContentReport)
    pairs = narrowed(
        sa.select(kind.label("type"), target.label("target_id"),
                  ContentReport.reported_by_id.label("reporter_id"),
                  sa.func.min(ContentReport.created_at).label("first"))
    ).group_by(kind, target, ContentReport.reported_by_id).subquery("pairs")
    reporters, joins = priority_keys.reporters_sum(pairs.c.reporter_id, mark)
    grouped = (sa.select(pairs.c.type, pairs.c.target_id,
                         reporters.label("reporters"), sa.func.min(pairs.c.first).label("first"))
               .select_from(pairs))
    for table, on in joins:
        grouped = grouped.outerjoin(table, on)
    grouped = grouped.group_by(pairs.c.type, pairs.c.target_id).subquery("grouped")
    held = sa.exists().where(Claim.target_id == grouped.c.target_id, claims.active(now),
                             Claim.holder_id != (current_actor().id if me is None else me))
    partial = (priority_keys.partial_key(grouped.c.reporters, grouped.c.first)
               - sa.case((held, HELD), else_=0))
    items = sa.select(grouped.c.type, grouped.c.target_id, partial.label("partial")).cte("items")
    candidates = sa.select(items)
    if before is None:  # the first page, or the next one (the previous one reads them all)
        edge = decode(after, 2)[0] if after else None
        if edge is not None and (not isinstance(edge, int) or isinstance(edge, bool)):
            raise BadCursor("malformed cursor")
        past = sa.select(items.c.partial)
        if edge is not None:
            past = past.where(items.c.partial < edge - priority_keys.SANCTION_RANGE)
            candidates = candidates.where(items.c.partial <= edge)
        threshold = past.order_by(items.c.partial.desc()).offset(size).limit(1).scalar_subquery()
        candidates = candidates.where(
            items.c.partial >= sa.func.coalesce(threshold, -10 * HELD) - priority_keys.SANCTION_RANGE)
    c = candidates.subquery("candidates")
    author = sa.func.coalesce(Post.posted_by_id, Comment.commented_by_id)
    key = (c.c.partial + priority_keys.SANCTION_UNIT * priority_keys.sanctions()).label("key")
    return (sa.select(c.c.type, c.c.target_id, key)
            .select_from(c)
            .outerjoin(Post, sa.and_(c.c.type == "Post", Post.id == c.c.target_id))
            .outerjoin(Comment, sa.and_(c.c.type == "Comment", Comment.id == c.c.target_id))
            .outerjoin(PlatformUser, PlatformUser.id == author))


# --- the words ------------------------------------------------------------------------------

def _pct(r: float) -> str:
    return f"{round(r * 100)} %"


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def waited(hours: float) -> str:
    if hours < 1:
        return f"{max(int(hours * 60), 0)} min"
    if hours < 48:
        return f"{int(hours)} h"
    return f"{int(hours // 24)} days"


def explain(reliabilities: list[float], sanctions: int, first: datetime | None,
            now: datetime | None = None) -> tuple[float, str]:
    """(priority, the sentence that explains it), e.g. "3 reporters, 2 of them reliable
    (80 %, 92 %); the author was banned or suspended twice before; waiting 6 h"."""
    now = now or utcnow()
    hours = (now - first).total_seconds() / 3600 if first else 0.0
    n = len(reliabilities)
    reliable = sorted(r for r in reliabilities if r >= reliability.RELIABLE)
    rarely = sorted(r for r in reliabilities if r < 1 - reliability.RELIABLE)
    words = f"{n} reporter{'s' if n != 1 else ''}"
    if n == 1:
        words += f", {'reliable' if reliable else 'rarely right' if rarely else 'of average or unknown record'}" \
                 f" ({_pct(reliabilities[0])})"
    else:
        words += (f", {len(reliable)} of them reliable ({', '.join(_pct(r) for r in reliable)})"
                  if reliable else ", none of them with a reliable record")
        if rarely:
            words += f", {len(rarely)} rarely right ({', '.join(_pct(r) for r in rarely)})"
    sanctions = sanctions or 0
    words += ("; the author was never banned or suspended before" if not sanctions else
              f"; the author was banned or suspended {_times(sanctions)} before")
    words += f"; waiting {waited(hours)}"
    return score(reliabilities, sanctions, hours), words


def annotate(groups: list[Any]) -> None:
    """Set each group's ``priority`` and ``why`` (from its reporters' reliabilities, read
    with the page's reports, and its target's author sanctions)."""
    now = utcnow()
    for g in groups:
        sanctions = getattr(g.target, "author_sanctions", 0) if g.target is not None else 0
        g.priority, g.why = explain(list(g.reliabilities), sanctions or 0, g.first, now)


# --- reporters whose reports are almost never acted on ------------------------------------------

LOW_SHOWN = 100


def low_reliability() -> list[Any]:
    """Reporters with at least ``reliability.LOW_MIN_DECIDED`` decided reports, under
    ``LOW_SHARE`` of them acted on, least acted-on first (at most ``LOW_SHOWN``): the tally
    plus the reports since its watermark, in one statement. A college-scoped member sees
    only the students of their colleges (their record counts every report they filed)."""
    t = ReporterReliability.__table__
    live = reliability.counted(tallies._mark(REPORTS), None).subquery("live")
    both = sa.union_all(sa.select(t.c.reporter_id, t.c.decided, t.c.acted),
                        sa.select(live.c.reporter_id, live.c.decided, live.c.acted)).subquery("both")
    decided, acted = sa.func.sum(both.c.decided), sa.func.sum(both.c.acted)
    records = (sa.select(both.c.reporter_id, decided.label("decided"), acted.label("acted"))
               .group_by(both.c.reporter_id)
               .having(decided >= reliability.LOW_MIN_DECIDED,
                       acted < reliability.LOW_SHARE * decided)).subquery("records")
    share = records.c.acted / sa.cast(records.c.decided, sa.Float)
    return reader().execute(
        sa.select(records.c.decided, records.c.acted, PlatformUser.username, PlatformUser.auth_id,
                  College.name.label("college"))
        .join(PlatformUser, PlatformUser.id == records.c.reporter_id)
        .outerjoin(College, College.id == PlatformUser.college_id)
        .where(scope.students(PlatformUser.college_id))
        .order_by(share, records.c.decided.desc(), PlatformUser.username)
        .limit(LOW_SHOWN)).all()
