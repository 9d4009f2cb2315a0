"""Measure Flick Admin's pages beside a stock Flask-Admin baseline, in one process.

    python -m bench.run --database-url postgresql://postgres@127.0.0.1/flick_bench

For every list and detail page (first page, a page 100,000 rows deep, each main filter,
each search) it reports p50 and p95 time end to end in-process, database time, SQL
statements and HTML size — for Flick Admin and for the baseline's closest page — and the
ratio between them. Also measured: a bulk action on 500 posts, a streamed export of the
whole log (peak RSS of a separate process), verification of the audit chain, and sign-in.
Results print as a table and are written to ``bench/results/latest.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode

import sqlalchemy as sa

from bench.harness import RESULTS, Probe, open_app, sign_in  # noqa: F401  (sign_in: used by other scripts)

DEPTH = 100_000  # rows: "page 2,000" at 50 a page
TARGET = {"list": 50.0, "search": 150.0, "detail": 30.0}


@dataclass
class Measure:
    p50_ms: float
    p95_ms: float
    db_ms: float
    statements: int
    html_kb: float
    status: int


@dataclass
class Row:
    name: str
    kind: str  # list / search / detail
    ours: Measure | None = None
    baseline: Measure | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if self.ours and self.baseline and self.ours.p50_ms:
            return self.baseline.p50_ms / self.ours.p50_ms
        return None


def measure(client, probe: Probe, url: str, runs: int) -> Measure:
    response = client.get(url)  # warm-up (and the status we report)
    status, size = response.status_code, len(response.get_data())
    times, db_times, statements = [], [], 0
    for _ in range(runs):
        probe.reset()
        started = time.perf_counter()
        response = client.get(url)
        response.get_data()
        times.append((time.perf_counter() - started) * 1000)
        db_times.append(probe.db_seconds * 1000)
        statements = probe.statements
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return Measure(round(statistics.median(times), 2), round(p95, 2),
                   round(statistics.median(db_times), 2), statements, round(size / 1024, 1), status)


def _scalar(conn, sql, **params):
    return conn.execute(sa.text(sql), params).first()


def build_cases(engine, baseline_app, depth: int = DEPTH) -> list[tuple[str, str, str | None, str | None]]:
    """(name, kind, our url, baseline url) for each page measured."""
    from bench.baseline import filter_arg
    from flick_admin.pagination import encode

    with engine.connect() as conn:
        deep_post = _scalar(conn, 'SELECT "createdAt", id FROM posts ORDER BY "createdAt" DESC, id DESC '
                                  "OFFSET :n LIMIT 1", n=depth)
        deep_comment = _scalar(conn, 'SELECT "createdAt", id FROM comments ORDER BY "createdAt" DESC, id DESC '
                                     "OFFSET :n LIMIT 1", n=depth)
        deep_log = _scalar(conn, "SELECT occured_at, id FROM logs ORDER BY occured_at DESC, id DESC "
                                 "OFFSET :n LIMIT 1", n=depth)
        deep_user = _scalar(conn, "SELECT created_at, id FROM auth ORDER BY created_at DESC, id DESC "
                                  "OFFSET :n LIMIT 1", n=min(depth, 150_000))
        reported = _scalar(conn, "SELECT post_id FROM content_reports WHERE post_id IS NOT NULL "
                                 "AND status = 'pending' LIMIT 1")[0]
        student = _scalar(conn, "SELECT auth_id FROM platform_user ORDER BY created_at LIMIT 1 OFFSET 100")[0]
        log_id = _scalar(conn, "SELECT id FROM logs WHERE actor_type = 'moderator' ORDER BY occured_at DESC LIMIT 1")[0]
        college = _scalar(conn, 'SELECT "emailDomain" FROM colleges ORDER BY name LIMIT 1 OFFSET 7')[0]

    def q(**args) -> str:
        return "?" + urlencode(args, doseq=True)

    def b(endpoint: str, **args) -> str:
        return f"/admin/{endpoint}/" + (q(**args) if args else "")

    flt = lambda endpoint, label, op: filter_arg(baseline_app, endpoint, label, op)  # noqa: E731
    deep_page = depth // 50 - 1
    return [
        ("posts: first page", "list", "/posts/", b("post")),
        (f"posts: {depth:,} rows deep", "list", "/posts/" + q(after=encode(tuple(deep_post))), b("post", page=deep_page)),
        ("posts: banned", "list", "/posts/" + q(state="banned"), b("post", **{flt("post", "Is Banned", "equals"): "1"})),
        ("posts: with pending reports", "list", "/posts/" + q(reported="1"), None),
        ("posts: most reported", "list", "/posts/" + q(sort="reported"), None),
        ("posts: topic", "list", "/posts/" + q(topic="Showcase"), b("post", **{flt("post", "Topic", "equals"): "Showcase"})),
        ("posts: college", "list", "/posts/" + q(college=college), None),
        ("posts: author", "list", "/posts/" + q(author="student_4242"), None),
        ("posts: search one word", "search", "/posts/" + q(q="placements"), b("post", search="placements")),
        ("posts: search two words", "search", "/posts/" + q(q="deadline friday"), b("post", search="deadline friday")),
        ("post page", "detail", f"/posts/{reported}", b("post").rstrip("/") + f"/details/?id={reported}"),
        ("comments: first page", "list", "/comments/", b("comment")),
        (f"comments: {depth:,} rows deep", "list", "/comments/" + q(after=encode(tuple(deep_comment))), b("comment", page=deep_page)),
        ("comments: banned", "list", "/comments/" + q(state="banned"), b("comment", **{flt("comment", "Is Banned", "equals"): "1"})),
        ("comments: search", "search", "/comments/" + q(q="polished"), b("comment", search="polished")),
        ("reports: queue", "list", "/reports/", b("report", **{flt("report", "Status", "equals"): "pending"})),
        ("reports: comments only", "list", "/reports/" + q(type="comment"), None),
        ("reports: reason", "list", "/reports/" + q(reason="SPAM"), b("report", **{flt("report", "Reason", "equals"): "SPAM"})),
        ("reports: college", "list", "/reports/" + q(college=college), None),
        ("reports: resolved", "list", "/reports/" + q(status="resolved"), None),
        ("users: first page", "list", "/users/", b("user")),
        (f"users: {min(depth, 150_000):,} rows deep", "list", "/users/" + q(after=encode(tuple(deep_user))), b("user", page=deep_page)),
        ("users: banned", "list", "/users/" + q(ban="banned"), None),
        ("users: onboarding", "list", "/users/" + q(status="ONBOARDING"), b("user", **{flt("user", "Status", "equals"): "ONBOARDING"})),
        ("users: search", "search", "/users/" + q(q="student_4242"), b("user", search="student_4242")),
        ("user page", "detail", f"/users/{student}", None),
        ("colleges: first page", "list", "/colleges/", b("college")),
        ("colleges: by students", "list", "/colleges/" + q(sort="students"), None),
        ("colleges: search", "search", "/colleges/" + q(q="Pune"), b("college", search="Pune")),
        ("log: first page", "list", "/audit/", b("log")),
        (f"log: {depth:,} rows deep", "list", "/audit/" + q(after=encode(tuple(deep_log))), b("log", page=deep_page)),
        ("log: actor", "list", "/audit/" + q(actor="staff1"), b("log", **{flt("log", "Actor Id", "equals"): "staff1"})),
        ("log: action", "list", "/audit/" + q(action="admin:banned:user"), b("log", **{flt("log", "Action", "equals"): "admin:banned:user"})),
        ("log: actor type", "list", "/audit/" + q(actor_type="moderator"), None),
        ("log: entity", "list", "/audit/" + q(entity_type="college"), b("log", **{flt("log", "Entity Type", "equals"): "college"})),
        ("log: reason words", "search", "/audit/" + q(q="harassment"), b("log", search="harassment")),
        ("log entry", "detail", f"/audit/entry/{log_id}", b("log").rstrip("/") + f"/details/?id={log_id}"),
        ("overview", "detail", "/", None),
        ("palette: username prefix", "search", "/search/suggest" + q(q="student_424"), None),
        ("palette: email prefix", "search", "/search/suggest" + q(q="student_4242@"), None),
        ("palette: post id", "search", "/search/suggest" + q(q=str(reported)), None),
        ("palette: college", "search", "/search/suggest" + q(q=college[:5]), None),
    ]


SCOPED = "bench-scoped"
SAVED = (("posts", "state=banned", "Banned posts"), ("reports", "", "Queue"),
         ("reports", "reason=SPAM&type=comment", "Spam comments"), ("comments", "reported=1", "Reported comments"),
         ("users", "ban=suspended", "Suspended"), ("audit", "actor_type=moderator", "Moderators' actions"))


def team_setup(engine) -> str:
    """A moderator limited to three colleges (the largest by students), and saved views of
    staff0: idempotent, so a rerun measures the same thing."""
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO auth (id, name, email, email_verified, role, banned, created_at, updated_at) "
            "VALUES (:id, 'Scoped Moderator', 'scoped@flick.bench', true, 'moderator', false, now(), now()) "
            "ON CONFLICT (id) DO NOTHING"), {"id": SCOPED})
        conn.execute(sa.text("DELETE FROM admin_staff_scopes WHERE user_id = :id"), {"id": SCOPED})
        conn.execute(sa.text(
            "INSERT INTO admin_staff_scopes (user_id, college_id) SELECT :id, college_id FROM "
            "(SELECT college_id, count(*) n FROM platform_user GROUP BY college_id ORDER BY n DESC LIMIT 3) t"),
            {"id": SCOPED})
        conn.execute(sa.text("DELETE FROM admin_saved_views WHERE owner_id = 'staff0'"))
        for page, query, name in SAVED:
            conn.execute(sa.text(
                "INSERT INTO admin_saved_views (id, owner_id, page, name, query, shared, created_at) "
                "VALUES (:id, 'staff0', :page, :name, :query, false, now())"),
                {"id": uuid.uuid4(), "page": page, "name": name, "query": query})
        share = conn.execute(sa.text("SELECT round(100.0 * count(*) / (SELECT count(*) FROM platform_user), 1) "
                                     "FROM platform_user WHERE college_id IN (SELECT college_id FROM "
                                     "admin_staff_scopes WHERE user_id = :id)"), {"id": SCOPED}).scalar()
    return f"{share}% of students"


def team_cases() -> list[tuple[str, str, str]]:
    """Pages of the college-scoped moderator (same budgets as everyone's)."""
    return [
        ("scoped: reports queue", "list", "/reports/"),
        ("scoped: reports newest", "list", "/reports/?sort=newest"),
        ("scoped: posts", "list", "/posts/"),
        ("scoped: posts most reported", "list", "/posts/?sort=reported"),
        ("scoped: comments", "list", "/comments/"),
        ("scoped: users", "list", "/users/"),
        ("scoped: home", "detail", "/"),
        ("scoped: palette", "search", "/search/suggest?q=student_42"),
    ]


def saved_view_counts(app, runs: int = 20) -> dict:
    """Each saved view's capped count alone (median database ms over ``runs``), and the
    navigation's one statement for all of them."""
    from flask_login import login_user

    from flick_admin.db import Auth
    from flick_admin.db.team import SavedView
    from flick_admin.extensions import db
    from flick_admin.team import saved_views

    out: dict[str, object] = {"each_ms": {}}
    with app.test_request_context("/"):
        login_user(db.session.get(Auth, "staff0"))
        views = list(db.session.scalars(sa.select(SavedView).where(SavedView.owner_id == "staff0")
                                        .order_by(SavedView.name)))
        for view in views + [None]:
            stmt, _ = saved_views.capped_count_statement(views if view is None else [view])
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                db.session.execute(stmt).all()
                times.append((time.perf_counter() - started) * 1000)
            value = round(statistics.median(times), 2)
            if view is None:
                out["all_in_one_statement_ms"] = value
            else:
                out["each_ms"][view.name] = value
        db.session.rollback()
    return out


def bulk_500(app, engine) -> float:
    from flick_admin.moderation import services
    from flick_admin.moderation.services import Target, TargetKind

    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(sa.text(
            'SELECT id FROM posts WHERE "isBanned" = false AND "isShadowBanned" = false '
            'ORDER BY "createdAt" DESC LIMIT 500'))]
    targets = [Target(TargetKind.POST, i, "b0s0") for i in ids]

    # A batch this size waits for a second staff member; what is measured is the batch as an
    # approval runs it (the commit point's check included), so batches are not severe here.
    saved = app.config.get("FOUR_EYES")
    app.config["FOUR_EYES"] = "user-ban,college-delete,word-import"
    try:
        with app.test_request_context("/"):
            started = time.perf_counter()
            outcome = services.moderate_batch(targets, "ban", "benchmark batch")
            elapsed = time.perf_counter() - started
            assert outcome.changed == 500, outcome
            undo = [Target(TargetKind.POST, i, "b1s0") for i in ids]
            services.moderate_batch(undo, "unban", "benchmark batch undone")
    finally:
        app.config["FOUR_EYES"] = saved
    return elapsed


def verify_chain(app, tail: int = 100_000) -> dict:
    """The full verification (every link re-hashed in PostgreSQL, and the whole log swept
    for rows without a link), the chain alone, and an incremental check of the last
    ``tail`` links as a daily run after a verification would do it."""
    from flick_admin.audit import chain, chain_sql
    from flick_admin.db.audit import AuditChainLink
    from flick_admin.extensions import db

    out = {}
    with app.app_context():
        session = db.session()
        started = time.perf_counter()
        verdict = chain.verify(session, full=True)
        out["full"] = {"rows": verdict.checked, "seconds": round(time.perf_counter() - started, 2),
                       "result": verdict.summary}
        session.rollback()
        started = time.perf_counter()
        alone = chain_sql.walk_in_database(session, 0, chain.GENESIS, None, sweep=False)
        out["chain_alone"] = {"rows": alone.checked, "seconds": round(time.perf_counter() - started, 2)}
        session.rollback()
        seq = max(0, (verdict.last_seq or 0) - tail)
        anchor = chain.Anchor(seq, session.scalar(sa.select(AuditChainLink.row_hash)
                                                  .where(AuditChainLink.seq == seq)) or chain.GENESIS)
        started = time.perf_counter()
        resumed = chain._walk(session, anchor)
        chain.unchained_rows(session, since=chain._resumed_since(session, anchor))
        out["incremental"] = {"rows": resumed.checked, "seconds": round(time.perf_counter() - started, 2),
                              "result": resumed.summary}
        session.rollback()
    return out


def sign_in_time(app, runs: int = 5) -> float:
    from bench.generate import STAFF_PASSWORD

    client = app.test_client()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.post("/login", data={"email": "staff1@flick.bench", "password": STAFF_PASSWORD})
        times.append(time.perf_counter() - started)
        assert response.status_code == 303, response.status_code
        client.delete_cookie(app.config["AUTH_COOKIE_NAME"])
    return statistics.median(times)


def export_probe(url: str, fmt: str = "jsonl") -> dict:
    """Run in a child process: stream the whole log export, report rows, bytes and peak RSS."""
    client = open_app(url, csrf=True).client()
    started = time.perf_counter()
    response = client.get(f"/audit/export.{fmt}", query_string={"signins": "1"})  # the whole log
    size = lines = 0
    for chunk in response.response:
        size += len(chunk)
        lines += chunk.count(b"\n")
    response.close()
    seconds = time.perf_counter() - started
    return {"format": fmt, "rows": lines - 1, "bytes": size, "seconds": round(seconds, 1),
            "rows_per_s": round((lines - 1) / seconds),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/flick_bench")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per Flick Admin page")
    parser.add_argument("--baseline-runs", type=int, default=5)
    parser.add_argument("--depth", type=int, default=DEPTH, help="rows deep for the deep pages")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--only", action="append", default=[],
                        help="measure only the pages whose name contains this (repeatable)")
    parser.add_argument("--export-probe", default=None, choices=("jsonl", "csv"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.export_probe:
        print(json.dumps(export_probe(args.database_url, args.export_probe)))
        return 0

    from bench.baseline import create_baseline
    from flick_admin.extensions import db

    bench = open_app(args.database_url)
    ours, engine = bench.app, bench.engine
    base = create_baseline(args.database_url)
    with base.app_context():
        base_engines = list(db.engines.values())
    client = bench.client()
    base_client = base.test_client()
    our_probe, base_probe = Probe(bench.engines), Probe(base_engines)

    rows: list[Row] = []
    scope_share = team_setup(engine)
    scoped_client = bench.client(SCOPED)
    for name, kind, url in team_cases():
        if args.only and not any(part in name for part in args.only):
            continue
        row = Row(name, kind, notes=[f"scope: {scope_share}"])
        row.ours = measure(scoped_client, our_probe, url, args.runs)
        rows.append(row)
        print(_line(row), flush=True)
    for name, kind, our_url, base_url in build_cases(engine, base, args.depth):
        if args.only and not any(part in name for part in args.only):
            continue
        row = Row(name, kind)
        row.ours = measure(client, our_probe, our_url, args.runs)
        if base_url and not args.skip_baseline:
            row.baseline = measure(base_client, base_probe, base_url, args.baseline_runs)
        rows.append(row)
        print(_line(row), flush=True)

    extras: dict[str, object] = {"saved_view_counts": saved_view_counts(ours)}
    if args.only:  # a partial run: just those pages, kept apart from the full run's results
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "partial.json").write_text(json.dumps(
            {"when": datetime.now(UTC).isoformat(timespec="seconds"),
             "rows": [asdict(r) | {"ratio": r.ratio} for r in rows]}, indent=2))
        print("\n" + markdown(rows, extras))
        return 0
    extras["bulk_500_posts_s"] = round(bulk_500(ours, engine), 3)
    extras["verify_chain"] = verify_chain(ours)
    extras["sign_in_p50_s"] = round(sign_in_time(ours), 3)
    if not args.skip_export:
        extras["export_whole_log"] = []
        for fmt in ("jsonl", "csv"):
            child = subprocess.run([sys.executable, "-m", "bench.run", "--export-probe", fmt,
                                    "--database-url", args.database_url],
                                   capture_output=True, text=True, check=True, env=os.environ.copy())
            extras["export_whole_log"].append(json.loads(child.stdout.strip().splitlines()[-1]))
    print(json.dumps(extras, indent=2))
    RESULTS.mkdir(exist_ok=True)
    payload = {"when": datetime.now(UTC).isoformat(timespec="seconds"),
               "rows": [asdict(r) | {"ratio": r.ratio} for r in rows], "extras": extras}
    (RESULTS / "latest.json").write_text(json.dumps(payload, indent=2))
    print("\n" + markdown(rows, extras))
    return 0


def _line(row: Row) -> str:
    o, b = row.ours, row.baseline
    base = f"{b.p50_ms:9.1f} ms" if b else "        —"
    ratio = f"{row.ratio:7.1f}×" if row.ratio else "      —"
    return (f"{row.name:<30} ours p50 {o.p50_ms:7.1f} p95 {o.p95_ms:7.1f} db {o.db_ms:6.1f} "
            f"sql {o.statements:2d} {o.html_kb:6.1f} KB | baseline {base} | {ratio}")


# Round two: no page over 5 ms of database time, at any depth or filter.
DB_TARGET_MS = 5.0


def markdown(rows: list[Row], extras: dict) -> str:
    out = ["| page | ours p50 ms | ours p95 ms | db ms | SQL | KB | baseline p50 ms | baseline SQL | faster | target |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        o, b = r.ours, r.baseline
        ok = (o.p95_ms <= TARGET[r.kind] and o.statements <= 5 and o.html_kb <= 200
              and o.db_ms <= DB_TARGET_MS)
        out.append(
            f"| {r.name} | {o.p50_ms:.1f} | {o.p95_ms:.1f} | {o.db_ms:.1f} | {o.statements} | {o.html_kb:.0f} | "
            f"{f'{b.p50_ms:.0f}' if b else '—'} | {b.statements if b else '—'} | "
            f"{f'{r.ratio:.0f}×' if r.ratio else '—'} | {'met' if ok else 'MISSED'} |")
    out.append("")
    counts = extras.get("saved_view_counts")
    if counts:
        each = ", ".join(f"{name} {ms} ms" for name, ms in counts["each_ms"].items())
        out.append(f"- saved views, each capped count alone (median database ms): {each}; all "
                   f"{len(counts['each_ms'])} in the navigation's one statement: "
                   f"{counts['all_in_one_statement_ms']} ms")
    if "bulk_500_posts_s" not in extras:
        return "\n".join(out)
    out.append(f"- bulk ban of 500 posts (500 content rows + their report rows, one transaction): "
               f"{extras['bulk_500_posts_s']} s")
    for label, key in (("full (links re-hashed, whole log swept for rows without a link)", "full"),
                       ("the chain alone", "chain_alone"), ("incremental (the newest links)", "incremental")):
        v = extras["verify_chain"][key]
        rate = v["rows"] / v["seconds"] if v["seconds"] else 0
        out.append(f"- audit chain verification, {label}: {v['rows']:,} rows in {v['seconds']} s "
                   f"({rate:,.0f} rows/s){' — ' + v['result'] if 'result' in v else ''}")
    out.append(f"- sign-in p50: {extras['sign_in_p50_s']} s (scrypt N=16384, r=16 — deliberate)")
    for e in extras.get("export_whole_log", []):
        label = "JSON Lines" if e["format"] == "jsonl" else "CSV"
        out.append(f"- export of the whole log as {label}: {e['rows']:,} rows, {e['bytes'] / 1e9:.2f} GB "
                   f"in {e['seconds']} s ({e['rows_per_s']:,} rows/s), peak RSS {e['peak_rss_mb']} MB")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
