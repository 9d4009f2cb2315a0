"""Does the report queue's priority order help? Measured on the ground truth that
``bench.generate`` plants (``bench_actionable``: the items that truly warrant action;
reporters of known reliability; authors with past sanctions behind a third of them).

    python -m bench.priority --database-url postgresql://postgres@127.0.0.1/flick_bench

1. Reads every pending item's features in one statement (each distinct reporter's
   reliability from a full count, the author's past sanctions, the first pending report's
   time, the reasons, the type, the author's college) and whether it truly warrants action.
2. Fits the priority's weights on that data: a grid over ``REPORTER_OFFSET``,
   ``SANCTION_WEIGHT`` and ``AGE_PER_HOUR``, scored by the share of truly actionable items
   among the first 50 of the large queues a moderator may open (the whole queue, each
   reason, each type) plus the share among the first 10 of each college's queue (at least
   20 pending items). The age term does not predict anything here (it is there so nothing
   waits for ever): the largest one that costs at most one point of that score is kept.
3. Compares priority (with the fitted weights), oldest first and most reported on those
   shares and on the position of the first actionable item in every queue (median, mean).
4. Checks the fitted order against the dashboard's own queue (``report_queue`` with
   ``sort=priority``, the page a moderator gets) and times that page's database work.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

FIRST = 50
COLLEGE_MIN = 20  # a college's queue counts when it has at least this many pending items

FEATURES = """
WITH rel AS (
  SELECT reported_by,
         COUNT(*) FILTER (WHERE status IN ('resolved', 'ignored')) AS d,
         COUNT(*) FILTER (WHERE status = 'resolved') AS a
  FROM content_reports WHERE post_id IS NOT NULL OR comment_id IS NOT NULL GROUP BY reported_by),
pairs AS (
  SELECT COALESCE(comment_id, post_id) AS tid, comment_id IS NOT NULL AS on_comment, reported_by,
         MIN(created_at) AS first, COUNT(*) AS n, array_agg(reason) AS reasons
  FROM content_reports WHERE status = 'pending' AND (post_id IS NOT NULL OR comment_id IS NOT NULL)
  GROUP BY 1, 2, 3),
items AS (
  SELECT p.tid, p.on_comment, array_agg((COALESCE(r.a, 0) + 1.0) / (COALESCE(r.d, 0) + 2.0)) AS rels,
         MIN(p.first) AS first, SUM(p.n) AS n, array_agg(DISTINCT x.reason) AS reasons
  FROM pairs p LEFT JOIN rel r ON r.reported_by = p.reported_by
  CROSS JOIN LATERAL unnest(p.reasons) AS x(reason)
  GROUP BY p.tid, p.on_comment)
SELECT i.tid, i.on_comment, i.rels, i.first, i.n, i.reasons, u.college_id,
       (SELECT COUNT(*) FROM logs l WHERE l.entity_type = 'user' AND l.entity_id = u.auth_id
          AND l.action IN ('admin:banned:user', 'admin:suspended:user')) AS sanctions,
       EXISTS (SELECT 1 FROM bench_actionable b WHERE b.target_id = i.tid) AS actionable
FROM items i
LEFT JOIN posts p ON NOT i.on_comment AND p.id = i.tid
LEFT JOIN comments c ON i.on_comment AND c.id = i.tid
LEFT JOIN platform_user u ON u.id = COALESCE(p."postedBy", c."commentedBy")
"""


@dataclass
class Item:
    tid: object
    on_comment: bool
    rels: list[float]
    first: datetime
    n: int
    reasons: list[str]
    college: object
    sanctions: int
    actionable: bool


def load(engine) -> tuple[list[Item], datetime]:
    with engine.connect() as conn:
        now = conn.execute(sa.text("SELECT LOCALTIMESTAMP")).scalar()
        rows = conn.execute(sa.text(FEATURES)).all()
    return [Item(r.tid, r.on_comment, [float(x) for x in r.rels], r.first, int(r.n), list(r.reasons),
                 r.college_id, int(r.sanctions), bool(r.actionable)) for r in rows], now


def views(items: list[Item]) -> dict[str, list[int]]:
    """The queues a moderator may open: indexes into ``items``."""
    out = {"whole queue": list(range(len(items)))}
    for reason in sorted({x for it in items for x in it.reasons}):
        out[f"reason {reason}"] = [i for i, it in enumerate(items) if reason in it.reasons]
    out["posts"] = [i for i, it in enumerate(items) if not it.on_comment]
    out["comments"] = [i for i, it in enumerate(items) if it.on_comment]
    by_college: dict[object, list[int]] = {}
    for i, it in enumerate(items):
        by_college.setdefault(it.college, []).append(i)
    out.update({f"college {k}": v for k, v in by_college.items() if len(v) >= COLLEGE_MIN})
    return out


def priority_keys(items, now, offset, sanction_weight, age_per_hour, cap=3):
    return [sum(r - offset for r in it.rels) + sanction_weight * min(it.sanctions, cap)
            + age_per_hour * (now - it.first).total_seconds() / 3600 for it in items]


def evaluate(items: list[Item], order: list[int], queues: dict[str, list[int]]) -> dict:
    """Share of actionable items among the first 50 of the whole queue and averaged over
    the large queues (whole, reasons, types); among the first 10 averaged over the
    colleges' queues; and over every queue the first actionable item's position (1-based),
    its median and mean."""
    rank = {i: k for k, i in enumerate(order)}
    large, small, firsts = [], [], []
    whole = None
    for name, members in queues.items():
        ranked = sorted(members, key=rank.__getitem__)
        first = FIRST if not name.startswith("college") else 10
        share = sum(items[i].actionable for i in ranked[:first]) / max(min(len(ranked), first), 1)
        (small if name.startswith("college") else large).append(share)
        if name == "whole queue":
            whole = share
        position = next((k + 1 for k, i in enumerate(ranked) if items[i].actionable), None)
        if position is not None:
            firsts.append(position)
    return {"top50": whole, "top50_mean": statistics.mean(large),
            "top10_colleges": statistics.mean(small) if small else float("nan"),
            "first_median": statistics.median(firsts), "first_mean": statistics.mean(firsts)}


def orders(items, now, weights) -> dict[str, list[int]]:
    idx = range(len(items))
    keys = priority_keys(items, now, *weights)
    return {
        "priority": sorted(idx, key=lambda i: (-keys[i], str(items[i].tid))),
        "oldest first": sorted(idx, key=lambda i: (items[i].first, str(items[i].tid))),
        "most reported": sorted(idx, key=lambda i: (-items[i].n, str(items[i].tid))),
    }


GRID = {
    "offset": (0.0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5),
    "sanction": (0.0, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2),
    "age": (0.0, 0.001, 0.002, 0.005, 0.01, 0.02),
}


def fit(items, now, queues) -> tuple[tuple[float, float, float], list[tuple]]:
    results = []
    for offset, sanction, age in itertools.product(GRID["offset"], GRID["sanction"], GRID["age"]):
        order = orders(items, now, (offset, sanction, age))["priority"]
        m = evaluate(items, order, queues)
        results.append(((offset, sanction, age), m))
    def merit(r):
        return r[1]["top50_mean"] + r[1]["top10_colleges"]

    best = max(results, key=lambda r: (merit(r), -r[1]["first_mean"]))
    kept = max((r for r in results if merit(r) >= merit(best) - 0.01),
               key=lambda r: (r[0][2], merit(r), -r[1]["first_mean"]))
    return kept[0], sorted(results, key=lambda r: (-merit(r), r[1]["first_mean"]))[:5]


def dashboard_check(url: str, weights, runs: int = 20) -> dict:
    """The dashboard's own priority page (the fitted weights set): which items it puts first,
    and its database time and statements (median of ``runs`` requests as staff1)."""
    from bench.harness import Probe, open_app
    from flick_admin import priority_keys, tallies
    from flick_admin.moderation import priority
    from flick_admin.db.tallies import PRIORITY, REPORTS
    from flick_admin.db.transaction import transaction

    kept = (priority_keys.REPORTER_OFFSET, priority_keys.SANCTION_WEIGHT, priority_keys.AGE_PER_HOUR)
    for module in (priority, priority_keys):  # the page reads the kept keys' module
        module.REPORTER_OFFSET, module.SANCTION_WEIGHT, module.AGE_PER_HOUR = weights
        module.SANCTION_UNIT = round(module.SANCTION_WEIGHT * module.SCALE)
        module.SANCTION_RANGE = module.SANCTION_UNIT * module.SANCTION_CAP
    bench = open_app(url, PAGE_SIZE=FIRST)
    app = bench.app
    with app.test_request_context("/"):
        tallies.catch_up()
        if tuple(weights) != kept:  # the kept keys with these weights (not needlessly: a rebuild leaves dead rows)
            with transaction() as session:
                priority_keys.rebuild(session, tallies.through(session, REPORTS),
                                      tallies.through(session, PRIORITY))
    client, probe = bench.client("staff1"), Probe(bench.engines)
    out = {}
    for sort in ("priority", "oldest", "most"):
        client.get(f"/reports/?sort={sort}")
        db_ms, statements, wall = [], 0, []
        for _ in range(runs):
            probe.reset()
            started = time.perf_counter()
            response = client.get(f"/reports/?sort={sort}")
            page = response.get_data(as_text=True)
            wall.append((time.perf_counter() - started) * 1000)
            db_ms.append(probe.db_seconds * 1000)
            statements = probe.statements
        out[sort] = {"db_ms": round(statistics.median(db_ms), 2), "statements": statements,
                     "p50_ms": round(statistics.median(wall), 2), "status": response.status_code,
                     "page": page}
    return out


def page_share(engine, page: str) -> float:
    """Share of truly actionable items among the rows of a queue page (by their checkbox
    values, kind:id:state)."""
    import re

    ids = re.findall(r'name="target" form="decide" value="(?:post|comment):([0-9a-f-]{36}):', page)
    if not ids:
        return 0.0
    with engine.connect() as conn:
        hits = conn.execute(sa.text("SELECT COUNT(*) FROM bench_actionable WHERE target_id = ANY(CAST(:ids AS uuid[]))"),
                            {"ids": ids}).scalar()
    return hits / len(ids)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/flick_bench")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-fit", action="store_true",
                        help="compare with the dashboard's weights instead of fitting them")
    args = parser.parse_args(argv)
    engine = sa.create_engine(args.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    started = time.perf_counter()
    items, now = load(engine)
    queues = views(items)
    actionable = sum(it.actionable for it in items)
    print(f"{len(items):,} pending items, {actionable:,} truly actionable ({actionable / len(items):.1%}); "
          f"{len(queues)} queues; features read in {time.perf_counter() - started:.1f} s")
    if args.no_fit:
        from flick_admin.moderation import priority

        weights = (priority.REPORTER_OFFSET, priority.SANCTION_WEIGHT, priority.AGE_PER_HOUR)
        print(f"the dashboard's weights: {weights}")
    else:
        weights, top = fit(items, now, queues)
        print("best weights by mean top-50 share (offset, sanction, age/h):")
        for w, m in top:
            print(f"  {w}: top50 {m['top50']:.1%}, large queues {m['top50_mean']:.1%}, "
                  f"colleges top10 {m['top10_colleges']:.1%}, first mean {m['first_mean']:.2f}")
        print(f"kept (largest age term within 1 point of the best): {weights}")
    print()
    large = sum(not n.startswith("college") for n in queues)
    print(f"| order | actionable in the first 50 (whole queue) | first 50, mean over {large} large queues | "
          f"first 10, mean over {len(queues) - large} colleges' queues | first actionable item's position "
          f"over {len(queues)} queues: median (mean) |")
    print("|---|---:|---:|---:|---:|")

    def line(name, m):
        print(f"| {name} | {m['top50']:.0%} | {m['top50_mean']:.0%} | {m['top10_colleges']:.0%} | "
              f"{m['first_median']:g} ({m['first_mean']:.2f}) |")

    for name, order in orders(items, now, weights).items():
        line(name, evaluate(items, order, queues))
    line("priority, first guess (0.25, 0.3, 0.01)",
         evaluate(items, orders(items, now, (0.25, 0.3, 0.01))["priority"], queues))
    print()
    checked = dashboard_check(args.database_url, weights, args.runs)
    for sort, r in checked.items():
        print(f"dashboard /reports/?sort={sort}: status {r['status']}, {r['statements']} statements, "
              f"db {r['db_ms']} ms, whole request p50 {r['p50_ms']} ms, "
              f"actionable on the page {page_share(engine, r['page']):.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
