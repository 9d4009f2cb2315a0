"""What an open report queue costs while it polls (``static/live.js`` asks
``/reports/changes`` every 3 s for its rows), measured in-process:

    .venv/bin/python -m bench.live_poll --database-url postgresql://postgres@127.0.0.1/flick_bench

It draws the report queue (50 rows), then polls for those rows ``--runs`` times — with two
of them claimed and one decided by another moderator, so the answer carries holders and
"done" — and reports per poll: statements, database time (engine events, wall time around
each statement), the process's CPU time (``time.process_time``, everything the worker
spends: routing, the session, the JSON) and the wall time. For comparison it measures the
CPU of the queue page itself, then computes what 50 open queues (50 / 3 polls a second)
take of the capacity run's two cores, counting the poll's CPU plus its database time (the
database runs on the same two cores).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time

import sqlalchemy as sa

from bench.harness import RESULTS, Probe, open_app

POLL_SECONDS = 3
OPEN_QUEUES = 50
CORES = 2


def _timed(client, probe: Probe, url: str, runs: int) -> dict:
    client.get(url)  # warm-up
    cpu, wall, db, statements = [], [], [], []
    for _ in range(runs):
        probe.reset()
        c0, w0 = time.process_time(), time.perf_counter()
        response = client.get(url)
        response.get_data()
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
        db.append(probe.db_seconds * 1000)
        statements.append(probe.statements)
        assert response.status_code == 200, (url, response.status_code)
    return {"cpu_ms": statistics.median(cpu), "wall_ms": statistics.median(wall),
            "wall_p95_ms": sorted(wall)[int(0.95 * (len(wall) - 1))], "db_ms": statistics.median(db),
            "db_p95_ms": sorted(db)[int(0.95 * (len(db) - 1))], "statements": max(statements)}


def _explain(engine, client, url: str, runs: int = 30) -> dict:
    """Planning and execution time (EXPLAIN ANALYZE, medians) of the first statement a
    request runs: the poll's one statement, or a page's session lookup."""
    seen: list = []

    def grab(conn, cursor, statement, params, context, many):
        seen.append((statement, params))

    sa.event.listen(engine, "before_cursor_execute", grab)
    client.get(url)
    sa.event.remove(engine, "before_cursor_execute", grab)
    statement, params = seen[0]
    planning, execution = [], []
    with engine.connect() as conn, conn.connection.dbapi_connection.cursor() as cursor:
        for _ in range(runs):
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, params)
            out = cursor.fetchone()[0][0]
            planning.append(out["Planning Time"])
            execution.append(out["Execution Time"])
    return {"planning_ms": round(statistics.median(planning), 3), "execution_ms": round(statistics.median(execution), 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/flick_bench")
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args(argv)

    bench = open_app(args.database_url)
    engine, me, other, probe = bench.engine, bench.client("staff0"), bench.client("staff1"), Probe(bench.engines)

    page = me.get("/reports/").get_data(as_text=True)
    ids = re.findall(r'data-live-id="([^"]+)"', page)
    assert ids, "the queue has rows"
    # Another moderator claims two rows and decides one, so the answer is not all empty.
    for ident in ids[:2]:
        kind, target = ident.split(":")
        other.post(f"/reports/{kind}/{target}/claim")
    kind, target = ids[2].split(":")
    other.post(f"/reports/{kind}/{target}/act", data={"action": "ignore", "reason_choice": "Spam or scam"})
    poll_url = "/reports/changes?status=pending&ids=" + ",".join(ids)
    answer = me.get(poll_url).get_json()["rows"]
    held = sum(1 for row in answer.values() if row["holder"])
    done = sum(1 for row in answer.values() if row["done"])

    poll = _timed(me, probe, poll_url, args.runs)
    queue = _timed(me, probe, "/reports/", max(20, args.runs // 10))
    plan = {}
    if engine.dialect.name == "postgresql":
        plan = {"poll": _explain(engine, me, poll_url), "page_session_lookup": _explain(engine, me, "/reports/")}

    per_second = OPEN_QUEUES / POLL_SECONDS
    pg_ms = sum(plan["poll"].values()) if plan else poll["db_ms"]
    # What PostgreSQL spends (planning + execution) plus the worker's CPU; the pessimistic
    # share counts the statement's whole round trip instead (under load it holds waiting).
    share = per_second * (poll["cpu_ms"] + pg_ms) / 1000 / CORES
    pessimistic = per_second * (poll["cpu_ms"] + poll["db_ms"]) / 1000 / CORES
    result = {"rows": len(ids), "held": held, "done": done, "poll": poll, "queue_page": queue,
              "postgres": plan, "open_queues": OPEN_QUEUES,
              "polls_per_second": round(per_second, 2), "share_of_two_cores": round(share, 4),
              "share_of_two_cores_round_trip": round(pessimistic, 4)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "live_poll.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print(f"\n| per poll ({len(ids)} rows) | median | p95 |\n|---|---:|---:|\n"
          f"| statements | {poll['statements']} | |\n"
          f"| database ms (round trip) | {poll['db_ms']:.2f} | {poll['db_p95_ms']:.2f} |\n"
          f"| PostgreSQL planning + execution ms (EXPLAIN ANALYZE) | {plan.get('poll')} | |\n"
          f"| a page's session lookup, for comparison | {plan.get('page_session_lookup')} | |\n"
          f"| worker CPU ms | {poll['cpu_ms']:.2f} | |\n| wall ms | {poll['wall_ms']:.2f} | {poll['wall_p95_ms']:.2f} |\n"
          f"\nThe queue page itself: {queue['cpu_ms']:.1f} ms CPU, {queue['statements']} statements.\n"
          f"{OPEN_QUEUES} open queues = {per_second:.1f} polls/s = {share:.1%} of {CORES} cores "
          f"({pessimistic:.1%} counting each statement's whole round trip).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
