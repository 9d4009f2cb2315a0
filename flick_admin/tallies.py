"""Running tallies: exact counts that pages would otherwise recount at every request.

The tallies, in Flick Admin's own tables (``flick_admin.db.tallies``), never columns or
triggers on Flick's:

- pending reports per post (the posts list's "most reported" order) and per comment (the
  comments list's "with pending reports"),
- the college behind each report (the report queue's college filter),
- students per college (the colleges list's student counts and its "by students" order),
- each reporter's decided and acted-on reports (``flick_admin.reliability``: the report
  queue's priority order), kept under the reports' watermark,
- each pending item's priority key (``flick_admin.priority_keys``), under its own.

Each covers Flick's rows *created* up to its watermark. The pages add what was created
after it, counted live through an index (a few minutes of rows), so every number shown is
exact whether or not the tallies are up to date. Three things keep a tally right:

1. What Flick Admin decides updates it in the decision's own transaction
   (``reports_moved``), under a shared lock on the watermark.
2. ``catch_up`` (``flask --app wsgi tallies catch-up``, from cron each minute) moves the
   watermark to ``now - TALLY_MARGIN_SECONDS`` and adds what Flick's server appended in
   between, under an exclusive lock on the watermark. The margin covers Flick's server's
   transactions still open when it runs (their rows carry their start time).
3. ``reconcile`` recounts everything in one statement per tally and lists every
   difference; ``repair`` rebuilds them (audited). What only a full recount can see —
   a report whose status Flick's own admin changed, a student who moved college, a row
   deleted — is found and fixed there.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from typing import Any
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from flick_admin import priority_keys, reliability
from flick_admin.audit.actions import AuditAction
from flick_admin.audit.recorder import record
from flick_admin.db import Comment, ContentReport, PlatformUser, Post
from flick_admin.db.reports import about_post
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType, ReportStatus
from flick_admin.db.tallies import (
    CONTENT, PRIORITY, REPORTS, STUDENTS, CollegeStudentTally, CommentCollege, CommentPendingTally, ItemPriority,
    ItemReasonPriority, PostCollege, PostPendingTally, ReportCollege, ReporterReliability, TallyWatermark,
)
from flick_admin.db.transaction import transaction

DEFAULT_MARGIN_SECONDS = 300
PENDING = ReportStatus.PENDING.value


def margin() -> timedelta:
    seconds = DEFAULT_MARGIN_SECONDS
    if has_app_context():
        seconds = float(current_app.config.get("TALLY_MARGIN_SECONDS", DEFAULT_MARGIN_SECONDS))
    return timedelta(seconds=seconds)


# --- watermarks -----------------------------------------------------------------------------

def through(session: Session, name: str, *, lock: str | None = None) -> datetime | None:
    """The watermark of one tally; ``lock`` is "share" (a decision) or "update" (catch-up)."""
    stmt = sa.select(TallyWatermark.through).where(TallyWatermark.name == name)
    if lock:
        stmt = stmt.with_for_update(read=lock == "share")
    return session.execute(stmt).scalar_one_or_none()


def _after(column, mark: datetime | None):
    """Rows a tally does not hold yet (all of them while there is no watermark)."""
    return sa.true() if mark is None else column > mark


def _upsert(session: Session, model, select: sa.Select, columns: list[str], *,
            add: str | None = None, params: list[dict] | None = None) -> None:
    """INSERT … SELECT with ON CONFLICT: add ``add`` to the row that exists, or keep it."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
    stmt = insert.from_select(columns, select)
    key = [c.name for c in model.__table__.primary_key.columns]
    if add:
        stmt = stmt.on_conflict_do_update(
            index_elements=key,
            set_={add: getattr(model.__table__.c, add) + getattr(stmt.excluded, add)})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=key)
    if params is None:
        session.execute(stmt)
    else:
        session.connection().execute(stmt, params)


# --- what each tally counts (shared by catch-up, rebuild and reconcile) ---------------------

def _pending_per_post(low: datetime | None, high: datetime | None, *, content=Post) -> sa.Select:
    """(post or comment id, its creation, pending reports): per post, every report that
    carries its id; per comment (``content=Comment``), the reports about it."""
    key = ContentReport.post_id if content is Post else ContentReport.comment_id
    conditions = [ContentReport.status == PENDING, key.is_not(None), _after(ContentReport.created_at, low)]
    if high is not None:
        conditions.append(ContentReport.created_at <= high)
    return (sa.select(key, content.created_at, sa.func.count().label("n"))
            .join(content, content.id == key)
            .where(*conditions).group_by(key, content.created_at))


# (tally, the content it counts, its key column, its creation column)
PENDING_TALLIES = ((PostPendingTally, Post, "post_id", "post_created_at"),
                   (CommentPendingTally, Comment, "comment_id", "comment_created_at"))


def _report_colleges(low: datetime | None, high: datetime | None) -> list[sa.Select]:
    """(report id, college id) for reports on posts and on comments, by their author."""
    def window(stmt):
        stmt = stmt.where(_after(ContentReport.created_at, low))
        return stmt if high is None else stmt.where(ContentReport.created_at <= high)

    # A report naming a comment is about the comment (by its author's college), even when
    # it carries the comment's post too: counted once, under the comment.
    on_posts = window(sa.select(ContentReport.id, PlatformUser.college_id)
                      .where(about_post())
                      .join(Post, Post.id == ContentReport.post_id)
                      .join(PlatformUser, PlatformUser.id == Post.posted_by_id))
    on_comments = window(sa.select(ContentReport.id, PlatformUser.college_id)
                         .join(Comment, Comment.id == ContentReport.comment_id)
                         .join(PlatformUser, PlatformUser.id == Comment.commented_by_id))
    return [on_posts, on_comments]


def _students_per_college(low: datetime | None, high: datetime | None) -> sa.Select:
    stmt = (sa.select(PlatformUser.college_id, sa.func.count().label("n"))
            .where(_after(PlatformUser.created_at, low)).group_by(PlatformUser.college_id))
    return stmt if high is None else stmt.where(PlatformUser.created_at <= high)


def _content_colleges(low: datetime | None, high: datetime | None) -> list[tuple[Any, sa.Select, list[str]]]:
    """(tally, (id, college, created) of posts and of comments by their author, columns)."""
    out = []
    for model, content, author, key in ((PostCollege, Post, Post.posted_by_id, "post_id"),
                                        (CommentCollege, Comment, Comment.commented_by_id, "comment_id")):
        stmt = (sa.select(content.id, PlatformUser.college_id, content.created_at)
                .join(PlatformUser, PlatformUser.id == author)
                .where(_after(content.created_at, low)))
        if high is not None:
            stmt = stmt.where(content.created_at <= high)
        out.append((model, stmt, [key, "college_id", "created_at"]))
    return out


def _add_window(session: Session, low: datetime | None, high: datetime, *, which: str) -> None:
    if which == CONTENT:
        for model, select, columns in _content_colleges(low, high):
            _upsert(session, model, select, columns)
    elif which == REPORTS:
        for model, content, key, created in PENDING_TALLIES:
            _upsert(session, model, _pending_per_post(low, high, content=content),
                    [key, created, "pending"], add="pending")
        reliability.add_window(session, low, high)
        for select in _report_colleges(low, high):
            _upsert(session, ReportCollege, select, ["report_id", "college_id"])
    else:
        _upsert(session, CollegeStudentTally, _students_per_college(low, high),
                ["college_id", "students"], add="students")


# --- keeping them --------------------------------------------------------------------------

@dataclass(frozen=True)
class CatchUp:
    reports_through: datetime | None
    students_through: datetime | None
    content_through: datetime | None = None


def catch_up(now: datetime | None = None) -> CatchUp:
    """Move both watermarks to ``now - margin``, adding what was created in between."""
    high = (now or utcnow()) - margin()
    marks = {}
    with transaction() as session:
        for name in (REPORTS, STUDENTS, CONTENT):
            low = through(session, name, lock="update")
            if low is None or high > low:
                _add_window(session, low, high, which=name)
                session.execute(sa.update(TallyWatermark).where(TallyWatermark.name == name)
                                .values(through=high, updated_at=utcnow()))
                low = high
            marks[name] = low
        low = through(session, PRIORITY, lock="update")
        if low is None or high > low:
            if low is None:
                priority_keys.rebuild(session, marks[REPORTS], high)
            else:
                priority_keys.added(session, marks[REPORTS], low, high)
            session.execute(sa.update(TallyWatermark).where(TallyWatermark.name == PRIORITY)
                            .values(through=high, updated_at=utcnow()))
    return CatchUp(marks[REPORTS], marks[STUDENTS], marks[CONTENT])


@dataclass(frozen=True)
class MovedReport:
    post_id: uuid.UUID | None
    created_at: datetime
    reporter_id: uuid.UUID | None = None  # with old and new: the reporter's reliability moves too
    old: str | None = None
    new: str | None = None
    item: uuid.UUID | None = None  # the post or comment it is about (its priority key moves)
    comment_id: uuid.UUID | None = None  # the comment it is about (its pending tally moves)

    @property
    def pending_moved(self) -> bool:
        return self.old is None or (self.old == PENDING) != (self.new == PENDING)


def reports_moved(session: Session, moved: Iterable[MovedReport], *, into_pending: bool) -> None:
    """Reports of this unit left pending (a decision) or came back to it (a reopen): keep
    the per-post and per-comment tallies right for the ones they already hold, and their reporters'
    reliability (``flick_admin.reliability``). One statement per direction and tally."""
    moved = list(moved)
    if not moved:
        return
    mark = through(session, REPORTS, lock="share")
    if mark is None:
        return
    reliability.moved(session, mark, [(m.reporter_id, m.created_at, m.old, m.new)
                                      for m in moved if m.old is not None])
    # Exclusive: decisions rewrite the keys one after the other, each from a snapshot that
    # holds every decision committed before it (concurrent ones touch the same items
    # through shared reporters, and a key read before another's commit would be stale).
    keys_mark = through(session, PRIORITY, lock="update")
    if keys_mark is not None:
        priority_keys.reports_moved(session, mark, keys_mark, [m.item for m in moved],
                                    [m.reporter_id for m in moved if m.old != m.new])
    for model, content, key, created in PENDING_TALLIES:
        per_item = Counter(getattr(m, key) for m in moved
                           if getattr(m, key) is not None and m.pending_moved and m.created_at <= mark)
        if not per_item:
            continue
        if into_pending:
            # The item may have no row yet (its reports were all decided when tallied): one
            # INSERT … SELECT … ON CONFLICT, run for every item in one executemany.
            select = (sa.select(content.id, content.created_at, sa.bindparam("n", type_=sa.Integer))
                      .where(content.id == sa.bindparam("pid", type_=content.id.type)))
            _upsert(session, model, select, [key, created, "pending"],
                    add="pending", params=[{"pid": pid, "n": n} for pid, n in per_item.items()])
        else:
            t = model.__table__
            session.connection().execute(
                sa.update(t).where(t.c[key] == sa.bindparam("pid"))
                .values(pending=t.c.pending - sa.bindparam("n")),
                [{"pid": pid, "n": n} for pid, n in per_item.items()])


def author_sanctioned(session: Session, author_id: uuid.UUID | None) -> None:
    """A student was banned or suspended (in this unit): their items' priority keys move."""
    mark = through(session, REPORTS, lock="share")
    keys_mark = through(session, PRIORITY, lock="update")  # as reports_moved
    priority_keys.author_sanctioned(session, mark, keys_mark, author_id)


# --- reconciling ----------------------------------------------------------------------------

@dataclass
class Reconciliation:
    reports_through: datetime | None
    students_through: datetime | None
    posts: list[tuple[uuid.UUID, int, int]] = field(default_factory=list)  # post, counted, tallied
    comments: list[tuple[uuid.UUID, int, int]] = field(default_factory=list)  # comment, counted, tallied
    reports: list[tuple[uuid.UUID, uuid.UUID | None, uuid.UUID | None]] = field(default_factory=list)
    colleges: list[tuple[uuid.UUID, int, int]] = field(default_factory=list)
    content: list[tuple[uuid.UUID, uuid.UUID | None, uuid.UUID | None]] = field(default_factory=list)
    # reporter, counted decided, counted acted, tallied decided, tallied acted
    reporters: list[tuple] = field(default_factory=list)
    keys: list[tuple] = field(default_factory=list)  # item, counted key, tallied key

    @property
    def exact(self) -> bool:
        return not (self.posts or self.comments or self.reports or self.colleges or self.content or self.reporters
                    or self.keys)

    def lines(self, limit: int = 20) -> list[str]:
        out = [f"reports tallied through {self.reports_through or 'nothing yet'}, "
               f"students through {self.students_through or 'nothing yet'}"]
        for label, items in (("post pending reports (post, counted, tallied)", self.posts),
                             ("comment pending reports (comment, counted, tallied)", self.comments),
                             ("report colleges (report, counted, tallied)", self.reports),
                             ("college students (college, counted, tallied)", self.colleges),
                             ("content colleges (post or comment, counted, tallied)", self.content),
                             ("reporter reliability (reporter, counted decided, acted, tallied decided, acted)",
                              self.reporters),
                             ("priority keys (item, counted, tallied)", self.keys)):
            out.append(f"{label}: {len(items)} difference(s)")
            out.extend(f"  {' '.join(str(v) for v in item)}" for item in items[:limit])
        out.append("exact: every tally equals a full count" if self.exact else
                   "NOT exact: run `flask --app wsgi tallies repair`")
        return out


def _differences(session: Session, counted: sa.Subquery, key: str, value: str,
                 model, tallied: str) -> list[tuple]:
    """Rows where a full count and the tally disagree, in one statement (one snapshot)."""
    t = model.__table__
    one = (sa.select(counted.c[key], counted.c[value], sa.func.coalesce(t.c[tallied], 0))
           .outerjoin(t, t.c[key] == counted.c[key])
           .where(sa.func.coalesce(t.c[tallied], 0) != counted.c[value]))
    other = (sa.select(t.c[key], sa.literal(0), t.c[tallied])
             .where(t.c[tallied] != 0, ~sa.exists().where(counted.c[key] == t.c[key])))
    return [tuple(r) for r in session.execute(sa.union_all(one, other))]


def _college_differences(session: Session, truth: sa.Subquery, model, key: str) -> list[tuple]:
    """(id, counted college, tallied college) where a tally of "whose college" is wrong,
    missing, or holds a row the full count no longer has: one statement."""
    t = model.__table__
    wrong = (sa.select(truth.c.id, truth.c.college_id, t.c.college_id)
             .outerjoin(t, t.c[key] == truth.c.id)
             .where(sa.or_(t.c.college_id.is_(None), t.c.college_id != truth.c.college_id)))
    extra = (sa.select(t.c[key], sa.null(), t.c.college_id)
             .where(~sa.exists().where(truth.c.id == t.c[key])))
    return [tuple(r) for r in session.execute(sa.union_all(wrong, extra))]


def _reconcile(session: Session) -> Reconciliation:
    reports_mark = through(session, REPORTS, lock="update")
    students_mark = through(session, STUDENTS, lock="update")
    result = Reconciliation(reports_mark, students_mark)
    if reports_mark is not None:
        for model, content, key, _created in PENDING_TALLIES:
            pending = _pending_per_post(None, reports_mark, content=content).subquery()
            counted = sa.select(pending.c[key].label(key), pending.c.n.label("n")).subquery()
            differences = _differences(session, counted, key, "n", model, "pending")
            setattr(result, "posts" if content is Post else "comments", differences)
        truth = sa.union_all(*_report_colleges(None, reports_mark)).subquery()
        result.reports = _college_differences(session, truth, ReportCollege, "report_id")
        result.reporters = reliability.differences(session, reports_mark)
    keys_mark = through(session, PRIORITY, lock="update")
    if keys_mark is not None:
        result.keys = priority_keys.differences(session, reports_mark, keys_mark)
    content_mark = through(session, CONTENT, lock="update")
    if content_mark is not None:
        for model, select, columns in _content_colleges(None, content_mark):
            result.content += _college_differences(session, select.subquery(), model, columns[0])
    if students_mark is not None:
        students = _students_per_college(None, students_mark).subquery()
        result.colleges = _differences(session, students, "college_id", "n",
                                       CollegeStudentTally, "students")
    return result


def reconcile() -> Reconciliation:
    """Compare every tally with a full count (read-only; the watermarks are held meanwhile)."""
    with transaction() as session:
        return _reconcile(session)


def repair(reason: str) -> Reconciliation:
    """Recount every tally from scratch (watermarks at now - margin), audited with what was
    wrong. Returns the reconciliation found before the rebuild."""
    high = utcnow() - margin()
    with transaction() as session:
        found = _reconcile(session)
        for model in (PostPendingTally, CommentPendingTally, ReportCollege, CollegeStudentTally, PostCollege, CommentCollege,
                      ReporterReliability, ItemPriority, ItemReasonPriority):
            session.execute(sa.delete(model))
        for name in (REPORTS, STUDENTS, CONTENT):
            _add_window(session, None, high, which=name)
        priority_keys.rebuild(session, high, high)
        session.execute(sa.update(TallyWatermark).values(through=high, updated_at=utcnow()))
        record(AuditAction.TALLIES_REPAIRED, entity_type=EntityType.TALLY, entity_id="all",
               reason=reason,
               before={"reports_through": _iso(found.reports_through),
                       "students_through": _iso(found.students_through)},
               after={"reports_through": high.isoformat(), "students_through": high.isoformat()},
               metadata={"post_differences": len(found.posts), "comment_differences": len(found.comments),
                         "content_differences": len(found.content),
                         "report_differences": len(found.reports),
                         "reporter_differences": len(found.reporters),
                         "priority_key_differences": len(found.keys),
                         "college_differences": len(found.colleges)})
    return found


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- reading (the pages) ---------------------------------------------------------------------

EPOCH = datetime(1, 1, 1)


def _mark(name: str) -> sa.ColumnElement:
    """The watermark as a scalar subquery (no statement of its own); before the first
    catch-up, a time older than any row."""
    return sa.func.coalesce(
        sa.select(TallyWatermark.through).where(TallyWatermark.name == name).scalar_subquery(),
        sa.literal(EPOCH, sa.DateTime))


def read_mark(name: str) -> datetime:
    """The watermark as a value, read on the replica: a page passes it to its query as a
    literal, so the planner sees how few rows lie past it (a subquery would hide that and
    make it plan for a third of the table)."""
    from flick_admin.db.replica import reader

    return through(reader(), name) or EPOCH


def pending_post_sources(content=Post) -> list[sa.Subquery]:
    """Two disjoint sources of (post_id, pending, created_at), exact together: the tally's
    posts without reports since its watermark (read along its index), and the posts with
    such reports, with the tally's count plus the new ones (counted live, a few minutes'
    worth). Page them with ``paginate_merged``: each keeps its own plan. With
    ``content=Comment`` (``pending_comment_sources``), the same of comments (comment_id)."""
    model, _content, key, created = next(p for p in PENDING_TALLIES if p[1] is content)
    column = getattr(ContentReport, key)
    live = (sa.select(column.label(key), sa.func.count().label("n"))
            .where(ContentReport.status == PENDING, column.is_not(None),
                   ContentReport.created_at > read_mark(REPORTS))
            .group_by(column).cte("new_pending" if content is Post else "new_comment_pending"))
    t = model.__table__
    tallied = (sa.select(t.c[key], t.c.pending.label("pending"), t.c[created].label("created_at"))
               .where(t.c.pending > 0, t.c[key].not_in(sa.select(live.c[key]))))
    fresh = (sa.select(live.c[key],
                       sa.cast(live.c.n + sa.func.coalesce(t.c.pending, 0), sa.Integer).label("pending"),
                       content.created_at.label("created_at"))
             .join(content, content.id == live.c[key])
             .outerjoin(t, t.c[key] == live.c[key]))
    return [tallied.subquery("tallied"), fresh.subquery("fresh")]


def pending_comment_sources() -> list[sa.Subquery]:
    return pending_post_sources(Comment)


def reports_of_colleges(college_ids: sa.Select, status: str | None) -> sa.CompoundSelect:
    """Ids of reports on content by students of these colleges: the tally's up to the
    watermark, the rest looked up live (reports since then, with this status)."""
    mark = read_mark(REPORTS)
    live = [s.where(PlatformUser.college_id.in_(college_ids), ContentReport.created_at > mark)
            for s in _report_colleges(None, None)]
    if status:
        live = [s.where(ContentReport.status == status) for s in live]
    live = [sa.select(s.subquery().c.id) for s in live]
    tallied = sa.select(ReportCollege.report_id).where(ReportCollege.college_id.in_(college_ids))
    return sa.union_all(tallied, *live)


def students_by_college() -> sa.Subquery:
    """(college_id, n) for every college with students: the tally plus the students
    created since its watermark (one index range, usually empty), for sorting by size."""
    recent = (sa.select(PlatformUser.college_id.label("college_id"), sa.func.count().label("n"))
              .where(PlatformUser.created_at > read_mark(STUDENTS))
              .group_by(PlatformUser.college_id).subquery("recent"))
    t = CollegeStudentTally.__table__
    both = sa.union_all(sa.select(t.c.college_id, t.c.students.label("n")),
                        sa.select(recent.c.college_id, recent.c.n)).subquery("both")
    return (sa.select(both.c.college_id, sa.func.sum(both.c.n).label("n"))
            .group_by(both.c.college_id).subquery("students"))


def students_column(college_id) -> sa.ColumnElement:
    """A correlated, exact student count for ``college_id``: the tally plus the students
    created since (an index range on (college_id, created_at), usually empty)."""
    recent = (sa.select(sa.func.count()).select_from(PlatformUser)
              .where(PlatformUser.college_id == college_id, PlatformUser.created_at > _mark(STUDENTS))
              .scalar_subquery())
    tallied = (sa.select(CollegeStudentTally.students)
               .where(CollegeStudentTally.college_id == college_id).scalar_subquery())
    return sa.func.coalesce(tallied, 0) + recent


def scoped_content(model, colleges) -> list[tuple[Any, Any, Any]]:
    """For each college, (source, created_at, id) of its content-college tally rows, each
    walked in (created_at, id) order through the tally's index."""
    t = model.__table__
    key = t.c.post_id if model is PostCollege else t.c.comment_id
    out = []
    for college in sorted(colleges):
        walk = sa.select(t).where(t.c.college_id == college).subquery(f"in_{college.hex[:12]}")
        out.append((walk, walk.c.created_at, walk.c[key.name]))
    return out
