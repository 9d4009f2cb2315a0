"""Reporters' reliability: the share of a student's decided reports that were acted on.

A report is *decided* once it is resolved (the item was banned or shadow-banned) or
ignored; it was *acted on* when resolved. Reports that name no post and no comment are
left out: there was nothing to act on. A reporter's reliability is the mean of a
Beta(1, 1) prior updated by their record, ``(acted + 1) / (decided + 2)``: a new reporter
counts as average (50 %), and one decision moves it only a little.

The counts are a running tally kept like the others (``flick_admin.tallies``), under the
reports' watermark: ``admin_reporter_reliability`` holds the reports created up to it;
the reports created after it are counted live through ``ix_admin_reports_reporter`` (a
few minutes of rows). Each decision, reopen and revert moves its reporters' counts in its
own transaction (``moved``); ``tallies.catch_up`` adds the window; ``tallies.reconcile``
compares with a full count and ``tallies.repair`` rebuilds it.

This module reads only Flick Admin's db layer; ``flick_admin.tallies`` calls it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from flick_admin.db import ContentReport
from flick_admin.db.enums import ReportStatus
from flick_admin.db.reports import unlinked
from flick_admin.db.tallies import ReporterReliability

DECIDED = (ReportStatus.RESOLVED.value, ReportStatus.IGNORED.value)
ACTED = ReportStatus.RESOLVED.value
# "Almost never acted on": at least this many decided reports, under this share acted.
LOW_MIN_DECIDED = 20
LOW_SHARE = 0.10
# Reliable enough to say so in the queue's explanation.
RELIABLE = 0.70


def mean(decided: int, acted: int) -> float:
    """The Beta(1, 1) posterior mean: a reporter with no record counts as 50 %."""
    return (acted + 1) / (decided + 2)


def mean_sql(decided, acted) -> sa.ColumnElement:
    return (acted + 1) / (sa.cast(decided, sa.Float) + 2.0)


@dataclass(frozen=True)
class Record:
    decided: int
    acted: int

    @property
    def reliability(self) -> float:
        return mean(self.decided, self.acted)

    @property
    def low(self) -> bool:
        return self.decided >= LOW_MIN_DECIDED and self.acted < LOW_SHARE * self.decided


# --- what the tally counts (catch-up, rebuild, reconcile) ------------------------------------

def counted(low: datetime | None, high: datetime | None) -> sa.Select:
    """(reporter_id, decided, acted) over linked reports created in (low, high]."""
    conditions = [ContentReport.status.in_(DECIDED), sa.not_(unlinked(ContentReport))]
    if low is not None:
        conditions.append(ContentReport.created_at > low)
    if high is not None:
        conditions.append(ContentReport.created_at <= high)
    return (sa.select(ContentReport.reported_by_id.label("reporter_id"),
                      sa.func.count().label("decided"),
                      sa.func.sum(sa.case((ContentReport.status == ACTED, 1), else_=0)).label("acted"))
            .where(*conditions).group_by(ContentReport.reported_by_id))


def _insert(session: Session):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ReporterReliability)


def _adding(stmt):
    t = ReporterReliability.__table__
    return stmt.on_conflict_do_update(
        index_elements=["reporter_id"],
        set_={"decided": t.c.decided + stmt.excluded.decided, "acted": t.c.acted + stmt.excluded.acted})


def add_window(session: Session, low: datetime | None, high: datetime) -> None:
    """Add the decided reports created in (low, high] (catch-up and rebuild)."""
    stmt = _insert(session).from_select(["reporter_id", "decided", "acted"], counted(low, high))
    session.execute(_adding(stmt))


def rebuild(session: Session, high: datetime) -> None:
    session.execute(sa.delete(ReporterReliability))
    add_window(session, None, high)


def moved(session: Session, mark: datetime | None,
          rows: Iterable[tuple[uuid.UUID | None, datetime, str, str]]) -> None:
    """Reports (reporter, created, old status, new status) changed status in this unit:
    move their reporters' counts (for the reports the tally already holds). One statement."""
    if mark is None:
        return
    delta: dict[uuid.UUID, list[int]] = defaultdict(lambda: [0, 0])
    for reporter, created, old, new in rows:
        if reporter is None or created > mark or old == new:
            continue
        d = delta[reporter]
        d[0] += (new in DECIDED) - (old in DECIDED)
        d[1] += (new == ACTED) - (old == ACTED)
    params = [{"reporter_id": r, "decided": d, "acted": a} for r, (d, a) in delta.items() if d or a]
    if not params:
        return
    stmt = _adding(_insert(session).values(
        reporter_id=sa.bindparam("reporter_id"), decided=sa.bindparam("decided"),
        acted=sa.bindparam("acted")))
    session.connection().execute(stmt, params)


def differences(session: Session, mark: datetime) -> list[tuple]:
    """(reporter, counted decided, counted acted, tallied decided, tallied acted) wherever a
    full count and the tally disagree: one statement."""
    c = counted(None, mark).subquery()
    t = ReporterReliability.__table__
    wrong = (sa.select(c.c.reporter_id, c.c.decided, c.c.acted,
                       sa.func.coalesce(t.c.decided, 0), sa.func.coalesce(t.c.acted, 0))
             .outerjoin(t, t.c.reporter_id == c.c.reporter_id)
             .where(sa.or_(sa.func.coalesce(t.c.decided, 0) != c.c.decided,
                           sa.func.coalesce(t.c.acted, 0) != c.c.acted)))
    extra = (sa.select(t.c.reporter_id, sa.literal(0), sa.literal(0), t.c.decided, t.c.acted)
             .where(sa.or_(t.c.decided != 0, t.c.acted != 0),
                    ~sa.exists().where(c.c.reporter_id == t.c.reporter_id)))
    return [tuple(r) for r in session.execute(sa.union_all(wrong, extra))]


# --- reading -------------------------------------------------------------------------------

def live_since(mark) -> sa.CTE:
    """(reporter_id, decided, acted) of the reports created after the watermark."""
    return counted(mark, None).cte("reliability_live")


def columns(reporter_id, mark):
    """Correlated (decided, acted) of one reporter: the tally plus the reports since the
    watermark (an index range on (reported_by, created_at), usually empty)."""
    t = ReporterReliability.__table__
    since = [ContentReport.reported_by_id == reporter_id, ContentReport.created_at > mark,
             sa.not_(unlinked(ContentReport))]
    live_d = (sa.select(sa.func.count()).select_from(ContentReport)
              .where(*since, ContentReport.status.in_(DECIDED)).scalar_subquery())
    live_a = (sa.select(sa.func.count()).select_from(ContentReport)
              .where(*since, ContentReport.status == ACTED).scalar_subquery())
    tallied_d = sa.select(t.c.decided).where(t.c.reporter_id == reporter_id).scalar_subquery()
    tallied_a = sa.select(t.c.acted).where(t.c.reporter_id == reporter_id).scalar_subquery()
    return (sa.func.coalesce(tallied_d, 0) + live_d, sa.func.coalesce(tallied_a, 0) + live_a)


def joined(reporter_id, mark) -> tuple[sa.ColumnElement, sa.ColumnElement, list]:
    """(decided, acted, the outer joins they need) for rows with a ``reporter_id``: the
    tally and the reports since the watermark grouped once (two hash joins, where the
    correlated ``columns`` probe both per row)."""
    live = counted(mark, None).subquery("reliability_live")
    t = ReporterReliability.__table__
    decided = sa.func.coalesce(t.c.decided, 0) + sa.func.coalesce(live.c.decided, 0)
    acted = sa.func.coalesce(t.c.acted, 0) + sa.func.coalesce(live.c.acted, 0)
    return decided, acted, [(t, t.c.reporter_id == reporter_id), (live, live.c.reporter_id == reporter_id)]


def record_of(session: Session, reporter_id: uuid.UUID, mark) -> Record:
    decided, acted = columns(sa.literal(reporter_id, ReporterReliability.reporter_id.type), mark)
    row = session.execute(sa.select(decided.label("d"), acted.label("a"))).one()
    return Record(int(row.d or 0), int(row.a or 0))
