"""The staff home page: the queue's state today and the last 30 days of work, with charts
drawn on the server as SVG (no chart library, no CDN, no script)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup, escape

from flick_admin import tallies
from flick_admin.audit.actions import AuditAction
from flick_admin.db import Auth, College, CollegeRequest, ContentReport, Log
from flick_admin.permissions import STAFF_ROLES
from flick_admin.db.replica import reader

KINDS = ("content", "reports", "users", "colleges", "other")
KIND_COLOURS = {"content": "#dc3545", "reports": "#fd7e14", "users": "#6f42c1",
                "colleges": "#17a2b8", "other": "#adb5bd"}
PERIODS = (1, 7, 30, 90)


# Holding an item is team work, not a decision on content: claims, releases, take-overs
# and assignments count as "other" (and so stay out of the per-moderator table).
NOT_DECISIONS = frozenset({AuditAction.CONTENT_CLAIMED.value, AuditAction.CONTENT_RELEASED.value,
                           AuditAction.CONTENT_TAKEN_OVER.value, AuditAction.CONTENT_ASSIGNED.value})


def kind_of(action: str) -> str:
    """The area of an action, for charts and the per-moderator table."""
    if action in NOT_DECISIONS:
        return "other"
    parts = action.split(":")
    target = parts[-1]
    if target == "content":
        return "content"
    if parts[-2:] == ["report", "status"] or target in ("report", "reports"):
        return "reports"
    if target == "user":
        return "users"
    if target in ("college", "branch", "college-request", "banned-word"):
        return "colleges"
    return "other"


def _day(column, *, aware: bool):
    dialect = reader().get_bind().dialect.name
    if dialect == "postgresql":
        source = sa.func.timezone("UTC", column) if aware else column
        return sa.cast(source, sa.Date)
    return sa.func.date(column)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


@dataclass
class Overview:
    today: date
    pending_reports: int
    oldest_pending: datetime | None
    actions_today: int
    bans_in_force: int
    requests_waiting: int
    days: list[date]
    actions_by_day: dict[date, dict[str, int]] = field(default_factory=dict)
    opened_by_day: dict[date, int] = field(default_factory=dict)
    decided_by_day: dict[date, int] = field(default_factory=dict)
    median_decision: timedelta | None = None
    per_moderator: list[dict[str, Any]] = field(default_factory=list)
    period_days: int = 7


def _seconds_between(start, end):
    if reader().get_bind().dialect.name == "postgresql":
        return sa.func.extract("epoch", end - start)
    return (sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0


def _median(values: sa.Select) -> sa.ScalarSelect:
    """The median of a one-column select, in SQL both PostgreSQL and SQLite run."""
    source = values.subquery()
    value = list(source.c)[0]
    ranked = sa.select(
        value.label("v"),
        sa.func.row_number().over(order_by=value).label("rn"),
        sa.func.count().over().label("n"),
    ).subquery()
    return (sa.select(sa.func.avg(ranked.c.v))
            .where(ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2]))
            .scalar_subquery())


_CACHE: dict[tuple[int, str], tuple[float, Overview]] = {}
_CACHE_LOCK = threading.Lock()


def cached(period_days: int, ttl_seconds: float) -> Overview:
    """The overview, at most ``ttl_seconds`` old. At Flick's scale a fresh one reads a
    month of the audit log (a few hundred ms); a dashboard can be a minute behind."""
    if ttl_seconds <= 0:
        return build(period_days=period_days)
    key = (period_days, reader().get_bind().engine.url.render_as_string(hide_password=True))
    now = time.monotonic()
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit and hit[0] > now:
            return hit[1]
    fresh = build(period_days=period_days)
    with _CACHE_LOCK:
        _CACHE[key] = (now + ttl_seconds, fresh)
    return fresh


def build(now: datetime | None = None, period_days: int = 7) -> Overview:
    """Everything on the page in three statements."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    naive_now = now.replace(tzinfo=None)
    today = now.date()
    days = [today - timedelta(days=29 - i) for i in range(30)]
    window_start = min(days[0], today - timedelta(days=period_days - 1))
    start = datetime.combine(window_start, datetime.min.time(), tzinfo=UTC)
    chart_start = datetime.combine(days[0], datetime.min.time())
    s = reader()

    decided = sa.and_(ContentReport.status.in_(("resolved", "ignored")),
                      ContentReport.updated_at >= chart_start)
    durations = sa.select(_seconds_between(ContentReport.created_at, ContentReport.updated_at)).where(decided)
    head = s.execute(sa.select(
        sa.select(sa.func.count()).select_from(ContentReport)
        .where(ContentReport.status == "pending").scalar_subquery(),
        sa.select(sa.func.min(ContentReport.created_at))
        .where(ContentReport.status == "pending").scalar_subquery(),
        # Users' bans: a staff account's ban flag is its deactivation, not a sanction.
        sa.select(sa.func.count()).select_from(Auth)
        .where(Auth.banned.is_(True), sa.or_(Auth.role.is_(None), Auth.role.not_in(STAFF_ROLES)),
               sa.or_(Auth.ban_expires.is_(None), Auth.ban_expires > naive_now)).scalar_subquery(),
        sa.select(sa.func.count()).select_from(CollegeRequest)
        .where(CollegeRequest.status == "pending").scalar_subquery(),
        _median(durations),
    )).one()
    median = None if head[4] is None else timedelta(seconds=round(float(head[4])))
    out = Overview(today=today, pending_reports=head[0], oldest_pending=head[1], actions_today=0,
                   bans_in_force=head[2], requests_waiting=head[3], days=days,
                   period_days=period_days, median_decision=median)

    # Staff work by day, person and action: the chart, today's count and the table.
    log_day = _day(Log.occured_at, aware=True)
    out.actions_by_day = {d: dict.fromkeys(KINDS, 0) for d in days}
    people: dict[str, dict[str, Any]] = {}
    period_start = today - timedelta(days=period_days - 1)
    grouped = (
        sa.select(log_day.label("day"), Log.actor_id, Log.actor_type, Log.action,
                  sa.func.count().label("n"))
        .where(Log.occured_at >= start, Log.actor_type.in_(STAFF_ROLES))
        .group_by(log_day, Log.actor_id, Log.actor_type, Log.action)
        .subquery()
    )
    # Names are joined to the grouped rows (a few thousand), not to every log row.
    for day, actor_id, role, action, n, email in s.execute(
        sa.select(grouped, Auth.email).outerjoin(Auth, Auth.id == grouped.c.actor_id)
    ):
        day, kind = _as_date(day), kind_of(action)
        if day in out.actions_by_day:
            out.actions_by_day[day][kind] += n
        if day == today:
            out.actions_today += n
        if day >= period_start and actor_id is not None and kind != "other":
            row = people.setdefault(actor_id, {"actor_id": actor_id, "email": email or actor_id,
                                               "role": role, **dict.fromkeys(KINDS[:-1], 0),
                                               "total": 0})
            row[kind] += n
            row["total"] += n
    out.per_moderator = sorted(people.values(), key=lambda r: (-r["total"], r["email"]))

    opened_day = _day(ContentReport.created_at, aware=False)
    decided_day = _day(ContentReport.updated_at, aware=False)
    out.opened_by_day = dict.fromkeys(days, 0)
    out.decided_by_day = dict.fromkeys(days, 0)
    both = sa.union_all(
        sa.select(sa.literal("opened").label("kind"), opened_day.label("day"), sa.func.count().label("n"))
        .where(ContentReport.created_at >= chart_start).group_by(opened_day),
        sa.select(sa.literal("decided"), decided_day, sa.func.count()).where(decided).group_by(decided_day),
    )
    for kind, day, n in s.execute(both):
        series = out.opened_by_day if kind == "opened" else out.decided_by_day
        if _as_date(day) in series:
            series[_as_date(day)] = n
    return out


# --- charts ---------------------------------------------------------------------------------

def _axis_labels(days: list[date], x, height: int) -> list[str]:
    parts = []
    for i, day in enumerate(days):
        if i % 5 == 0 or i == len(days) - 1:
            parts.append(f'<text x="{x(i) + 4:.1f}" y="{height - 4}" font-size="10" '
                         f'text-anchor="middle" fill="#6c757d">{day:%d %b}</text>')
    return parts


def stacked_bars(by_day: dict[date, dict[str, int]], width: int = 720, height: int = 220) -> Markup:
    days = list(by_day)
    top = max([sum(v.values()) for v in by_day.values()] + [1])
    plot_h, slot = height - 54, (width - 40) / max(len(days), 1)

    def x(i: int) -> float:
        return 30 + i * slot

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="Staff actions per day by kind" class="chart" data-max="{top}">']
    parts.append(f'<text x="2" y="12" font-size="10" fill="#6c757d">{top}</text>')
    for i, day in enumerate(days):
        y = 10 + plot_h
        for kind in KINDS:
            n = by_day[day][kind]
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            parts.append(
                f'<rect x="{x(i):.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}" height="{h:.1f}" '
                f'fill="{KIND_COLOURS[kind]}" data-day="{day}" data-kind="{kind}" data-n="{n}">'
                f'<title>{day:%d %b}: {n} {kind}</title></rect>')
    parts += _axis_labels(days, x, height - 18)
    for j, kind in enumerate(KINDS):
        parts.append(f'<rect x="{40 + j * 110}" y="{height - 12}" width="10" height="10" '
                     f'fill="{KIND_COLOURS[kind]}"/><text x="{54 + j * 110}" y="{height - 3}" '
                     f'font-size="11">{escape(kind)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def two_lines(first: dict[date, int], second: dict[date, int], labels: tuple[str, str],
              width: int = 720, height: int = 220) -> Markup:
    days = list(first)
    top = max(list(first.values()) + list(second.values()) + [1])
    plot_h, step = height - 54, (width - 50) / max(len(days) - 1, 1)

    def x(i: int) -> float:
        return 30 + i * step

    def y(n: int) -> float:
        return 10 + plot_h - plot_h * n / top

    colours = ("#007bff", "#28a745")
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="Reports opened and decided per day" class="chart" data-max="{top}">',
             f'<text x="2" y="12" font-size="10" fill="#6c757d">{top}</text>']
    for series, colour, label in ((first, colours[0], labels[0]), (second, colours[1], labels[1])):
        points = " ".join(f"{x(i):.1f},{y(series[d]):.1f}" for i, d in enumerate(days))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}" '
                     f'data-series="{escape(label)}" data-total="{sum(series.values())}"/>')
        for i, d in enumerate(days):
            if series[d]:
                parts.append(f'<circle cx="{x(i):.1f}" cy="{y(series[d]):.1f}" r="2.5" fill="{colour}">'
                             f'<title>{d:%d %b}: {series[d]} {escape(label)}</title></circle>')
    parts += _axis_labels(days, x, height - 18)
    for j, (colour, label) in enumerate(zip(colours, labels, strict=True)):
        parts.append(f'<rect x="{40 + j * 160}" y="{height - 12}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{54 + j * 160}" y="{height - 3}" font-size="11">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def human_duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    if seconds < 3600:
        return f"{max(seconds // 60, 0)} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"



def college_names(ids) -> list[str]:
    return list(reader().scalars(sa.select(College.name).where(College.id.in_(list(ids)))
                                 .order_by(College.name)))


SCOPED_CAP = 100


def scoped_pending(college_ids: sa.Select) -> int:
    """Pending reports on content by students of these colleges, counted to SCOPED_CAP."""
    mine = (sa.select(sa.literal(1)).select_from(ContentReport)
            .where(ContentReport.status == "pending",
                   ContentReport.id.in_(tallies.reports_of_colleges(college_ids, "pending")))
            .limit(SCOPED_CAP).subquery())
    return int(reader().scalar(sa.select(sa.func.count()).select_from(mine)) or 0)
