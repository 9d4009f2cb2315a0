"""The report queue: one row per reported post or comment, with what a moderator needs to
decide it at a glance — the text, the reporters' own words, the author's past sanctions,
the reasons and the ages — in a constant number of statements per page."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from flick_admin import reliability, scope, tallies
from flick_admin.audit.recorder import current_actor
from flick_admin.db import Auth, College, Comment, ContentReport, Log, PlatformUser, Post
from flick_admin.db.reports import about_any, about_comment, about_post, subject_id, subject_kind, unlinked
from flick_admin.db.enums import EntityType
from flick_admin.db.enums import ReportStatus
from flick_admin.db.tallies import PRIORITY, REPORTS, ItemPriority, ItemReasonPriority
from flick_admin.db.replica import reader
from flick_admin.db.team import Claim
from flick_admin.moderation import claims, escalations, notes, priority
from flick_admin.moderation.filters import ReportFilters
from flick_admin.moderation.queries import EXCERPT, SANCTION_ACTIONS, college_match
from flick_admin.pagination import Page, capturing, merged_statement, paginate, run_merged
from flick_admin.prebuilt import once
from flick_admin.db.base import utcnow

PENDING = ReportStatus.PENDING.value


@dataclass
class ReportGroup:
    kind: str  # "post" or "comment"
    target_id: uuid.UUID
    count: int
    first: Any
    latest: Any
    reasons: list[tuple[str, int]]
    target: Any  # the post or comment row, or None when it is gone
    messages: list[str] = ()  # the newest reporters' own words
    reliabilities: list[float] = ()  # each distinct reporter's reliability (flick_admin.reliability)
    priority: float | None = None  # set by priority.annotate, with the words that explain it
    why: str = ""

    @property
    def holder(self) -> claims.Holder | None:
        """Who holds the item now (a claim in force or an assignment), if anyone."""
        return claims.holder_from(self.target)


def _narrowed(stmt: sa.Select, report, f: ReportFilters, now=None, me=None) -> sa.Select:
    """The college filter and the member's scope (reports on content by students of those
    colleges, by the running tally of each report's college plus the reports since its
    watermark, looked up live), and who holds the item."""
    if f.college:
        colleges = sa.select(College.id).where(college_match(f.college))
        stmt = stmt.where(report.id.in_(tallies.reports_of_colleges(colleges, f.status)))
    if scope.limited():
        stmt = stmt.where(report.id.in_(tallies.reports_of_colleges(scope.college_ids(), f.status)))
    if f.claim:
        stmt = stmt.where(_claim_condition(subject_id(report), f, now, me))
    # Escalated items wait in their own view, not in the ordinary queue.
    waiting = escalations.escalated(subject_id(report))
    return stmt.where(waiting if f.escalated else ~waiting)


def _claim_condition(target, f: ReportFilters, now=None, me=None):
    """The queue's "unclaimed", "mine" and "assigned to me" (a claim in force on the
    item ``target``, found by the claims' primary key); ``now`` and ``me`` may be bound."""
    held = [Claim.target_id == target, claims.active(now)]
    if f.claim == "unclaimed":
        return ~sa.exists().where(*held)
    me = current_actor().id if me is None else me
    held.append(Claim.holder_id == me)
    if f.claim == "assigned":
        held += [Claim.expires_at.is_(None), Claim.assigned_by_id.is_not(None),
                 Claim.assigned_by_id != me]
    return sa.exists().where(*held)


def _report_filters(report, f: ReportFilters, reason=None) -> list:
    # Which item a report is about comes from its ids, never from its type (see
    # flick_admin.db.reports); reports about nothing are listed apart (unlinked_reports).
    conditions = [report.status == f.status, sa.not_(unlinked(report))]
    if f.type:
        conditions.append(about_post(report) if f.type == "post" else about_comment(report))
    if f.reason:
        conditions.append(report.reason == (f.reason if reason is None else reason))
    return conditions


def report_queue(f: ReportFilters, size: int) -> tuple[Page, list[ReportGroup]]:
    """One row per reported target. Oldest first walks the reports in time order and keeps
    each target's first report, newest first (the default for decided reports) walks them
    backwards and keeps each target's newest, so a page costs the same however many
    reports match; "most" and a non-pending priority aggregate every matching report."""
    if f.sort == "oldest" or (f.sort == "priority" and capturing()):
        # A saved view only counts its items: the cheapest order finds the same ones.
        return _report_queue_by_first(f, size)
    if f.sort == "priority":
        return _report_queue_by_priority(f, size)
    if f.sort == "newest":
        # The mirror of "oldest": the reports walked backwards, each item at its newest.
        return _report_queue_by_first(f, size, latest=True)
    kind, target = subject_kind(ContentReport), subject_id(ContentReport)
    grouped = (
        sa.select(kind.label("type"), target.label("target_id"), sa.func.count().label("n"))
        .where(*_report_filters(ContentReport, f))
        .group_by(kind, target)
    )
    g = _narrowed(grouped, ContentReport, f).subquery()
    stmt = sa.select(g.c.type, g.c.target_id)
    keys = [g.c.n, g.c.target_id]
    page = paginate(stmt, keys, descending=True, size=size, after=f.after, before=f.before)
    return page, _report_groups(page.rows, f)


def _report_queue_by_priority(f: ReportFilters, size: int) -> tuple[Page, list[ReportGroup]]:
    if f.status == PENDING:
        return _report_queue_by_kept_key(f, size)
    g = priority.sort_key(lambda stmt: _narrowed(stmt.where(*_report_filters(ContentReport, f)),
                                                 ContentReport, f),
                          size, f.after, f.before).subquery("ranked")
    page = paginate(sa.select(g.c.type, g.c.target_id), [g.c.key, g.c.target_id], descending=True,
                    size=size, after=f.after, before=f.before)
    return page, _report_groups(page.rows, f)


def _report_queue_by_kept_key(f: ReportFilters, size: int) -> tuple[Page, list[ReportGroup]]:
    """The pending queue in priority order from the kept keys (``flick_admin.priority_keys``):
    three disjoint sources merged by (key, item) — the kept items that nobody else holds
    (an index walk on the key), the kept items someone else holds (few; after every free
    one), and the items with reports since the keys' watermark (scored live, a few
    minutes of reports). The same order as scoring every item live. Before the first
    catch-up the keys' watermark is empty: every item counts as new, scored live.
    With a reason, the keys over that reason's reports (``ItemReasonPriority``).
    The watermark is a scalar subquery (no statement of its own: the page's budget)."""
    values = {"now": utcnow(), "me": current_actor().id, "reason": f.reason}
    if f.college or scope.limited() or f.after or f.before:
        # The college filter reads a watermark, a cursor its keys: built for this page.
        union, backwards = _kept_key_statement(None, f, size)
    else:
        union, backwards = _kept_key_first_page(f.type, bool(f.reason), f.claim, f.escalated, size)
    page = run_merged(union, 2, descending=True, size=size, after=f.after, backwards=backwards,
                      values=values)
    return page, _report_groups(page.rows, f)


@once
def _kept_key_first_page(dialect: str, typed: str, reasoned: bool, claim: str, escalated: bool,
                         size: int):
    """The first page's statement of ``_report_queue_by_kept_key`` for a shape of filters
    (no college filter, no scope): the time, the member and the reason bound."""
    shape = ReportFilters(type=typed, reason="bound" if reasoned else "", claim=claim, escalated=escalated)
    return _kept_key_statement(dialect, shape, size)


def _kept_key_statement(dialect: str | None, f: ReportFilters, size: int):
    """(the merged statement, whether it reads backwards): its ``now``, ``me`` and
    ``reason`` are bound parameters, given when it runs."""
    now = sa.bindparam("now", type_=Claim.expires_at.type)
    me = sa.bindparam("me", type_=Claim.holder_id.type)
    reason = sa.bindparam("reason", type_=ContentReport.reason.type)
    mark = tallies._mark(PRIORITY)
    fresh = (sa.select(subject_id(ContentReport))
             .where(ContentReport.status == PENDING, ContentReport.created_at > mark,
                    sa.not_(unlinked(ContentReport))))
    t = (ItemReasonPriority if f.reason else ItemPriority).__table__
    same_reason = [ContentReport.reason == reason] if f.reason else []
    # A kept item still has a pending report (of the reason; Flick's own deletions and status
    # changes reach the keys only at reconcile): one index probe per row walked.
    # (Scalar probes, not EXISTS: the planner would make it a join and sort every item.)
    def probe(*where):
        return (sa.select(sa.literal(1)).select_from(ContentReport)
                .where(ContentReport.status == PENDING, *same_reason, *where)
                .limit(1).correlate(t).scalar_subquery())

    still = sa.case((t.c.type == "Post", probe(ContentReport.post_id == t.c.target_id,
                                                ContentReport.comment_id.is_(None))),
                    else_=probe(ContentReport.comment_id == t.c.target_id)).is_not(None)
    kept = [t.c.target_id.not_in(fresh), still] + ([t.c.reason == reason] if f.reason else [])
    if f.type:
        kept.append(t.c.type == ("Post" if f.type == "post" else "Comment"))
    if f.college:
        kept.append(t.c.college_id.in_(sa.select(College.id).where(college_match(f.college))))
    if scope.limited():
        kept.append(t.c.college_id.in_(scope.college_ids()))
    if f.claim:
        kept.append(_claim_condition(t.c.target_id, f, now, me))
    waiting = escalations.escalated(t.c.target_id)  # in their own view, as ``_narrowed``
    kept.append(waiting if f.escalated else ~waiting)
    held = sa.exists().where(Claim.target_id == t.c.target_id, claims.active(now), Claim.holder_id != me)
    held_key = (t.c.key - priority.HELD).label("held_key")
    live = priority.sort_key(
        lambda stmt: _narrowed(stmt.where(*_report_filters(ContentReport, f, reason), about_any(fresh)),
                               ContentReport, f, now, me),
        size, f.after, f.before, now=now, me=me).subquery("fresh_ranked")
    return merged_statement(
        [(sa.select(t.c.type, t.c.target_id).where(*kept, ~held), [t.c.key, t.c.target_id]),
         (sa.select(t.c.type, t.c.target_id).where(*kept, held), [held_key, t.c.target_id]),
         (sa.select(live.c.type, live.c.target_id), [live.c.key, live.c.target_id])],
        descending=True, size=size, after=f.after, before=f.before)




def _report_queue_by_first(f: ReportFilters, size: int, latest: bool = False) -> tuple[Page, list[ReportGroup]]:
    """Each item by its first report (oldest first) or, with ``latest``, by its newest
    report (newest first): the reports walked in time order, one way or the other."""
    report = ContentReport
    earlier = sa.orm.aliased(ContentReport)

    def has_earlier(*same):
        # "Earlier" in the walk's direction: a later report when walking backwards.
        mine, theirs = sa.tuple_(report.created_at, report.id), sa.tuple_(earlier.created_at, earlier.id)
        return sa.exists().where(*same, *_report_filters(earlier, f),
                                 theirs > mine if latest else theirs < mine)

    # A row per item: its report with no earlier one about the same item (a comment's
    # reports by comment id, a post's own reports by post id without a comment id).
    stmt = (
        sa.select(subject_kind(report).label("type"), subject_id(report).label("target_id"))
        .where(*_report_filters(report, f),
               ~has_earlier(earlier.comment_id == report.comment_id),
               sa.or_(report.comment_id.is_not(None),
                      ~has_earlier(earlier.post_id == report.post_id, earlier.comment_id.is_(None))))
    )
    page = paginate(_narrowed(stmt, report, f), [report.created_at, report.id], descending=latest, size=size,
                    after=f.after, before=f.before)
    return page, _report_groups(page.rows, f)


MESSAGES_SHOWN = 3


def past_sanctions():
    """How many bans and suspensions the author has had (by the audit rows of their user)."""
    return (sa.select(sa.func.count()).select_from(Log)
            .where(Log.entity_type == EntityType.USER.value, Log.entity_id == PlatformUser.auth_id,
                   Log.action.in_(SANCTION_ACTIONS))
            .correlate(PlatformUser).scalar_subquery())


def _team_columns(stmt: sa.Select, kind: str, target, now, dialect: str) -> sa.Select:
    """Who holds the item, its newest internal note and its escalation, in the targets'
    statement. On PostgreSQL the holder and the escalation are LATERAL subqueries of at
    most one row, planned on their own (as joins of the targets' statement, their join
    search was most of its 4 ms of planning at full scale)."""
    stmt = stmt.add_columns(*notes.latest_columns(kind, target))
    if dialect != "postgresql":
        return escalations.with_escalation(claims.with_holder(stmt, kind, target, now=now), kind, target)
    held = claims.holder_row(kind, target, now=now).lateral(f"held_{kind}")
    escalation = escalations.escalation_row(kind, target).lateral(f"escalated_{kind}")
    return (stmt.add_columns(*held.c, *escalation.c)
            .outerjoin(held, sa.true()).outerjoin(escalation, sa.true()))


@once
def _targets_statement(dialect: str, posts: bool, comments: bool) -> sa.Executable:
    """The targets' statement for a page with posts, comments or both: the ids
    (``post_ids``, ``comment_ids``) and the time (``now``, for the claims in force) bound
    when it runs."""
    now = sa.bindparam("now", type_=Claim.expires_at.type)
    author = [PlatformUser.username, PlatformUser.auth_id, College.name.label("college"),
              Auth.banned.label("author_banned"), Auth.ban_expires.label("author_ban_expires"),
              past_sanctions().label("author_sanctions")]
    selects = []
    if posts:
        selects.append(
            sa.select(Post.id, Post.id.label("post_id"), Post.title.label("title"),
                      sa.func.substr(Post.content, 1, EXCERPT).label("excerpt"),
                      Post.is_banned.label("is_banned"), Post.is_shadow_banned.label("is_shadow_banned"),
                      Post.created_at.label("created_at"), *author)
            .outerjoin(PlatformUser, PlatformUser.id == Post.posted_by_id)
            .outerjoin(Auth, Auth.id == PlatformUser.auth_id)
            .outerjoin(College, College.id == PlatformUser.college_id)
            .where(Post.id.in_(sa.bindparam("post_ids", expanding=True, type_=Post.id.type))))
        selects[-1] = _team_columns(selects[-1], "post", Post.id, now, dialect)
    if comments:
        # A comment's row is titled by its post, unless that post is outside the scope.
        post_author = sa.orm.aliased(PlatformUser)
        title = scope.shown(Post.title, post_author.college_id, scope.OUTSIDE_POST)
        selects.append(
            sa.select(Comment.id, Comment.post_id, title.label("title"),
                      sa.func.substr(Comment.content, 1, EXCERPT).label("excerpt"),
                      Comment.is_banned.label("is_banned"), sa.false().label("is_shadow_banned"),
                      Comment.created_at.label("created_at"), *author)
            .join(Post, Post.id == Comment.post_id)
            .outerjoin(PlatformUser, PlatformUser.id == Comment.commented_by_id)
            .outerjoin(Auth, Auth.id == PlatformUser.auth_id)
            .outerjoin(College, College.id == PlatformUser.college_id)
            .where(Comment.id.in_(sa.bindparam("comment_ids", expanding=True, type_=Comment.id.type))))
        if scope.limited():
            selects[-1] = selects[-1].outerjoin(post_author, post_author.id == Post.posted_by_id)
        selects[-1] = _team_columns(selects[-1], "comment", Comment.id, now, dialect)
    return selects[0] if len(selects) == 1 else sa.union_all(*selects)


def report_targets(post_ids: list[uuid.UUID], comment_ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """The page's posts and comments, with author, college, the author's ban and past
    sanctions: one statement for both kinds."""
    if not post_ids and not comment_ids:
        return {}
    values: dict[str, Any] = {"now": utcnow()}
    if post_ids:
        values["post_ids"] = post_ids
    if comment_ids:
        values["comment_ids"] = comment_ids
    stmt = _targets_statement(bool(post_ids), bool(comment_ids))
    return {row.id: row for row in reader().execute(stmt, values)}


@once
def _reports_statement(dialect: str, posts: bool, comments: bool, typed: str, reasoned: bool) -> sa.Select:
    """Every matching report of a page's targets, newest first per item, with each
    reporter's record: the ids, the status and the reason bound when it runs."""
    target = subject_id(ContentReport)
    among = []
    if posts:
        among.append(sa.and_(ContentReport.post_id.in_(sa.bindparam("post_ids", expanding=True,
                                                                    type_=ContentReport.post_id.type)),
                             ContentReport.comment_id.is_(None)))
    if comments:
        among.append(ContentReport.comment_id.in_(sa.bindparam("comment_ids", expanding=True,
                                                               type_=ContentReport.comment_id.type)))
    # ``_report_filters`` with the status and the reason bound.
    matching = [ContentReport.status == sa.bindparam("status", type_=ContentReport.status.type),
                sa.not_(unlinked(ContentReport))]
    if typed:
        matching.append(about_post(ContentReport) if typed == "post" else about_comment(ContentReport))
    if reasoned:
        matching.append(ContentReport.reason == sa.bindparam("reason", type_=ContentReport.reason.type))
    newest = sa.func.row_number().over(partition_by=target,
                                       order_by=(ContentReport.created_at.desc(), ContentReport.id))
    inner = (sa.select(target.label("tid"), ContentReport.id, ContentReport.reason, ContentReport.message,
                       ContentReport.created_at, ContentReport.reported_by_id.label("reporter"),
                       newest.label("newest"))
             .where(sa.or_(*among), *matching)).subquery()
    # Each reporter's record (the tally plus the reports since its watermark).
    decided, acted, joins = reliability.joined(inner.c.reporter, tallies._mark(REPORTS))
    shown = sa.case((inner.c.newest <= MESSAGES_SHOWN, inner.c.message), else_=sa.null())
    stmt = sa.select(inner.c.tid, inner.c.id, inner.c.reason, inner.c.created_at, inner.c.reporter,
                     inner.c.newest, shown.label("message"), decided.label("decided"),
                     acted.label("acted")).select_from(inner)
    for table, on in joins:
        stmt = stmt.outerjoin(table, on)
    return stmt.order_by(inner.c.tid, inner.c.newest)


def _report_groups(rows: list[Any], f: ReportFilters) -> list[ReportGroup]:
    post_ids = [r.target_id for r in rows if r.type == "Post"]
    comment_ids = [r.target_id for r in rows if r.type == "Comment"]
    targets = report_targets(post_ids, comment_ids)
    # Keyed by the id's integer: a UUID hashes and compares in Python, an int in C (the
    # loop below meets every matching report of the page, hundreds of rows).
    reasons: dict[int, Counter] = defaultdict(Counter)
    spans: dict[int, list[Any]] = {}
    messages: dict[int, list[str]] = defaultdict(list)
    reporters: dict[int, dict[Any, tuple]] = defaultdict(dict)
    if rows:
        # Every matching report of the page's targets in one pass, newest first per item
        # (one sort): counted per reason, spanned, and each distinct reporter's record,
        # here; the reporters' own words only for the newest few.
        values: dict[str, Any] = {"status": f.status}
        if post_ids:
            values["post_ids"] = post_ids
        if comment_ids:
            values["comment_ids"] = comment_ids
        if f.reason:
            values["reason"] = f.reason
        stmt = _reports_statement(bool(post_ids), bool(comment_ids), f.type, bool(f.reason))
        # The columns by position (a row's attribute costs ten times an index, and this
        # loop reads each of hundreds of rows), in the select's order.
        for tid, report_id, reason, created_at, reporter, newest, message, decided_n, acted_n in \
                reader().execute(stmt, values):
            key = tid.int
            seen = reporters[key].get(reporter)
            if seen is None or report_id < seen[1]:  # a reporter's place: their first report's
                reporters[key][reporter] = (newest, report_id, int(decided_n or 0), int(acted_n or 0))
            reasons[key][reason] += 1
            span = spans.get(key)
            if span is None:
                span = spans[key] = [0, created_at, created_at]
            span[0] += 1
            if created_at < span[1]:
                span[1] = created_at
            elif created_at > span[2]:
                span[2] = created_at
            if newest <= MESSAGES_SHOWN and message and (message := message.strip()):
                messages[key].append(message[:EXCERPT])
    reliabilities = {key: [reliability.mean(d, a) for _n, _id, d, a in sorted(records.values())]
                     for key, records in reporters.items()}
    groups = []
    for r in rows:
        key = r.target_id.int
        count, first, latest = spans.get(key, [0, None, None])
        ordered = sorted(reasons.get(key, {}).items(), key=lambda item: (-item[1], item[0]))
        groups.append(ReportGroup("post" if r.type == "Post" else "comment", r.target_id, count,
                                  first, latest, ordered, targets.get(r.target_id),
                                  messages.get(key, []), reliabilities.get(key, [])))
    priority.annotate(groups)
    return groups




UNLINKED_SHOWN = 50


def unlinked_reports(f: ReportFilters) -> list[Any]:
    """Reports of this status that name neither a post nor a comment (the content is gone
    or was never linked), listed apart from the queue so they can be ignored. Not shown to
    a college-scoped member (nothing ties them to a college) nor under a filter they
    cannot match (type, college, holder), nor past the first page."""
    if scope.limited() or f.type or f.college or f.claim or f.after or f.before:
        return []
    conditions = [unlinked(ContentReport), ContentReport.status == f.status]
    if f.reason:
        conditions.append(ContentReport.reason == f.reason)
    return reader().execute(
        sa.select(ContentReport.id, ContentReport.type, ContentReport.reason, ContentReport.message,
                  ContentReport.status, ContentReport.created_at,
                  PlatformUser.username.label("reporter"), PlatformUser.auth_id.label("reporter_auth_id"))
        .outerjoin(PlatformUser, PlatformUser.id == ContentReport.reported_by_id)
        .where(*conditions)
        .order_by(ContentReport.created_at, ContentReport.id).limit(UNLINKED_SHOWN)).all()
