"""The report queue's priority key per pending item, kept like the other tallies.

An item's priority (``flick_admin.moderation.priority``) is the sum over its distinct
reporters of (reliability − ``REPORTER_OFFSET``), plus ``SANCTION_WEIGHT`` per past
sanction of its author (at most ``SANCTION_CAP``), plus ``AGE_PER_HOUR`` per hour since
its first pending report. The age term is linear in time, so

    priority(t) = K + AGE_PER_HOUR · hours(t),  K = reporters + sanctions − AGE_PER_HOUR · hours(first)

and ordering by K (descending) is the priority order at every moment. K (in thousandths,
an integer, exactly as the live order computes it) is kept per item in
``admin_item_priority``, under its own watermark (``PRIORITY``): a row per item with
pending reports created up to it, holding K over those reports; and per item and reason
in ``admin_item_reason_priority`` (K over that reason's reports alone: the queue's reason
filter). What moves K is rewritten in the same transaction, by recomputing the touched
items' rows in two statements a table (a delete and an INSERT … SELECT of the same
formula as the full count):

- a decision, reopen or revert of reports (``reports_moved``): the items of the moved
  reports, and every item pending-reported by their reporters (their reliability moved);
- a sanction of a student (``author_sanctioned``): the items they wrote;
- ``tallies.catch_up``: the items with pending reports created since the last watermark
  (Flick's server inserts reports without Flick Admin).

Items with pending reports created after the watermark are scored live by the page (a
few minutes of rows). ``tallies.reconcile`` compares every row with a full count and
``tallies.repair`` rebuilds the table. This module reads only Flick Admin's db layer.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FunctionElement

from flick_admin import reliability
from flick_admin.audit.actions import AuditAction
from flick_admin.db import Comment, ContentReport, Log, PlatformUser, Post
from flick_admin.db.enums import EntityType, ReportStatus
from flick_admin.db.reports import subject_id, subject_kind, unlinked
from flick_admin.db.tallies import ItemPriority, ItemReasonPriority

# Fitted by ``python -m bench.priority`` on the benchmark's planted ground truth (scale 0.1;
# bench/README.md). The first guess (0.25, 0.3, 0.01) let age outweigh the reporters.
REPORTER_OFFSET = 0.25
SANCTION_WEIGHT = 0.2
SANCTION_CAP = 3
AGE_PER_HOUR = 0.001  # a day's wait is worth a tenth of an average reporter
SCALE = 1000  # the sort key is the priority in thousandths (an integer, for the cursor)
SANCTION_UNIT = round(SANCTION_WEIGHT * SCALE)  # one past sanction, in the key's units
SANCTION_RANGE = SANCTION_UNIT * SANCTION_CAP  # the most the sanctions add to a key
SANCTION_ACTIONS = (AuditAction.USER_BANNED.value, AuditAction.USER_SUSPENDED.value)
PENDING = ReportStatus.PENDING.value
# Reconcile tolerates a thousandth: the sum of the reliabilities is a float whose last bit
# depends on the order the database adds them in, which can move the integer key by one.
KEY_TOLERANCE = 1


class _hours(FunctionElement):
    """Hours from 1970-01-01 to a timestamp (UTC, without time zone)."""

    type = sa.Float()
    inherit_cache = True


@compiles(_hours, "postgresql")
def _hours_pg(element, compiler, **kw):
    return f"(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) / 3600.0)"


@compiles(_hours)
def _hours_sqlite(element, compiler, **kw):
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 24.0)"


def hours(column) -> sa.ColumnElement:
    return _hours(column)


def sanctions() -> sa.ScalarSelect:
    """The author's past bans and suspensions (as the queue's author badge), correlated to
    ``PlatformUser``, counted only up to ``SANCTION_CAP``: the index walk stops there."""
    some = (sa.select(sa.literal(1).label("one")).select_from(Log)
            .where(Log.entity_type == EntityType.USER.value, Log.entity_id == PlatformUser.auth_id,
                   Log.action.in_(SANCTION_ACTIONS))
            .correlate(PlatformUser).limit(SANCTION_CAP).subquery("sanctions"))
    return sa.select(sa.func.count()).select_from(some).scalar_subquery()


def reporters_sum(reporter_id, mark) -> tuple[sa.ColumnElement, list]:
    """(Σ reliability − offset, the outer joins it needs) for ``reporter_id`` grouped rows:
    the reliability tally plus the decided reports created after ``mark`` (counted live)."""
    decided, acted, joins = reliability.joined(reporter_id, mark)
    return sa.func.sum(reliability.mean_sql(decided, acted) - REPORTER_OFFSET), joins


def partial_key(reporters, first) -> sa.ColumnElement:
    """K without the sanctions, in thousandths."""
    return sa.cast((reporters - AGE_PER_HOUR * hours(first)) * SCALE, sa.BigInteger)


def item_keys(mark: datetime | None, high: datetime | None, items=None, by_reason: bool = False) -> sa.Select:
    """(target_id, type, key, author_id, college_id) of every item with pending linked
    reports created up to ``high`` (of ``items`` only, when given): K over those reports,
    with reporters' reliability as of now (``mark``: the reports' watermark). ``by_reason``:
    (target_id, reason, type, key, college_id), K over each reason's reports apart."""
    kind, target = subject_kind(ContentReport), subject_id(ContentReport)
    reason = [ContentReport.reason.label("reason")] if by_reason else []
    conditions = [ContentReport.status == PENDING, sa.not_(unlinked(ContentReport))]
    if high is not None:
        conditions.append(ContentReport.created_at <= high)
    if items is not None:
        conditions.append(target.in_(items))
    pairs = (sa.select(kind.label("type"), target.label("target_id"), *reason,
                       ContentReport.reported_by_id.label("reporter_id"),
                       sa.func.min(ContentReport.created_at).label("first"))
             .where(*conditions).group_by(kind, target, *reason, ContentReport.reported_by_id)
             .subquery("pairs"))
    reporters, joins = reporters_sum(pairs.c.reporter_id, mark)
    per = [pairs.c.type, pairs.c.target_id] + ([pairs.c.reason] if by_reason else [])
    grouped = sa.select(*per, reporters.label("reporters"),
                        sa.func.min(pairs.c.first).label("first")).select_from(pairs)
    for table, on in joins:
        grouped = grouped.outerjoin(table, on)
    g = grouped.group_by(*per).subquery("grouped")
    author = sa.func.coalesce(Post.posted_by_id, Comment.commented_by_id)
    key = partial_key(g.c.reporters, g.c.first) + SANCTION_UNIT * sanctions()
    columns = ([g.c.target_id, g.c.reason, g.c.type, key.label("key")] if by_reason else
               [g.c.target_id, g.c.type, key.label("key"), PlatformUser.id.label("author_id")])
    return (sa.select(*columns, PlatformUser.college_id.label("college_id"))
            .select_from(g)
            .outerjoin(Post, sa.and_(g.c.type == "Post", Post.id == g.c.target_id))
            .outerjoin(Comment, sa.and_(g.c.type == "Comment", Comment.id == g.c.target_id))
            .outerjoin(PlatformUser, PlatformUser.id == author))


COLUMNS = ["target_id", "type", "key", "author_id", "college_id"]
REASON_COLUMNS = ["target_id", "reason", "type", "key", "college_id"]
# Each kept table: (model, its columns, its primary key, item_keys' ``by_reason``).
KEPT = ((ItemPriority, COLUMNS, ["target_id"], False),
        (ItemReasonPriority, REASON_COLUMNS, ["target_id", "reason"], True))


def rebuild(session: Session, mark: datetime | None, high: datetime) -> None:
    for model, columns, _key, by_reason in KEPT:
        session.execute(sa.delete(model))
        session.execute(sa.insert(model).from_select(columns, item_keys(mark, high, by_reason=by_reason)))


def refresh(session: Session, mark: datetime | None, high: datetime, items: Iterable[uuid.UUID]) -> None:
    """Recompute these items' rows (two statements a table; none when there are no items)."""
    items = sorted(set(i for i in items if i is not None))
    if not items:
        return
    dialect = session.get_bind().dialect.name
    for model, columns, key, by_reason in KEPT:
        session.execute(sa.delete(model).where(model.target_id.in_(items)))
        # Upserted: a concurrent decision may have written the same item meanwhile (its DELETE
        # waited for ours, then this statement's snapshot sees what it committed).
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
        stmt = insert.from_select(columns, item_keys(mark, high, items, by_reason))
        session.execute(stmt.on_conflict_do_update(
            index_elements=key, set_={c: getattr(stmt.excluded, c) for c in columns if c not in key}))


def added(session: Session, mark: datetime | None, low: datetime, high: datetime) -> None:
    """Catch-up: the items with pending reports created in (low, high]."""
    target = subject_id(ContentReport)
    items = session.execute(
        sa.select(target).distinct()
        .where(ContentReport.status == PENDING, sa.not_(unlinked(ContentReport)),
               ContentReport.created_at > low, ContentReport.created_at <= high)).scalars().all()
    refresh(session, mark, high, items)


def reports_moved(session: Session, mark: datetime | None, high: datetime,
                  items: Iterable[uuid.UUID], reporters: Iterable[uuid.UUID]) -> None:
    """Reports of these items, by these reporters, changed status: the items themselves
    and every item still pending-reported by those reporters (their reliability moved)."""
    reporters = sorted(set(r for r in reporters if r is not None))
    touched = set(items)
    if reporters:
        touched.update(session.execute(
            sa.select(subject_id(ContentReport)).distinct()
            .where(ContentReport.reported_by_id.in_(reporters), ContentReport.status == PENDING,
                   sa.not_(unlinked(ContentReport)), ContentReport.created_at <= high)).scalars())
    refresh(session, mark, high, touched)


def author_sanctioned(session: Session, mark: datetime | None, high: datetime | None,
                      author_id: uuid.UUID | None) -> None:
    """A student was banned or suspended: the key of every item they wrote moves."""
    if high is None or author_id is None:
        return
    session.flush()  # the sanction's audit row is what the key counts
    items = session.execute(sa.select(ItemPriority.target_id)
                            .where(ItemPriority.author_id == author_id)).scalars().all()
    refresh(session, mark, high, items)


def differences(session: Session, mark: datetime | None, high: datetime) -> list[tuple]:
    """(item, counted key, tallied key) wherever a full count and a table disagree (a
    missing or extra row, another key, author or college; both tables): one statement."""
    c = item_keys(mark, high).subquery("counted")
    t = ItemPriority.__table__
    wrong = (sa.select(c.c.target_id, c.c.key, t.c.key)
             .outerjoin(t, t.c.target_id == c.c.target_id)
             .where(sa.or_(t.c.key.is_(None), sa.func.abs(t.c.key - c.c.key) > KEY_TOLERANCE,
                           t.c.type != c.c.type,
                           sa.func.coalesce(t.c.author_id, c.c.target_id) != sa.func.coalesce(c.c.author_id, c.c.target_id),
                           sa.func.coalesce(t.c.college_id, c.c.target_id) != sa.func.coalesce(c.c.college_id, c.c.target_id))))
    extra = (sa.select(t.c.target_id, sa.null(), t.c.key)
             .where(~sa.exists().where(c.c.target_id == t.c.target_id)))
    c = item_keys(mark, high, by_reason=True).subquery("counted_by_reason")
    t = ItemReasonPriority.__table__
    same = sa.and_(t.c.target_id == c.c.target_id, t.c.reason == c.c.reason)
    wrong_reason = (sa.select(c.c.target_id, c.c.key, t.c.key)
                    .outerjoin(t, same)
                    .where(sa.or_(t.c.key.is_(None), sa.func.abs(t.c.key - c.c.key) > KEY_TOLERANCE,
                                  t.c.type != c.c.type,
                                  sa.func.coalesce(t.c.college_id, c.c.target_id)
                                  != sa.func.coalesce(c.c.college_id, c.c.target_id))))
    extra_reason = sa.select(t.c.target_id, sa.null(), t.c.key).where(~sa.exists().where(same))
    return [tuple(r) for r in session.execute(sa.union_all(wrong, extra, wrong_reason, extra_reason))]
