"""Where a page's time goes: a profile of Flick Admin's first pages, split into the parts
of a request (``python -m bench.profile``).

Each page is requested ``--runs`` times in-process (after warm-ups) under ``cProfile``; the
time is attributed to what the request spent it on, by the cumulative time of the
functions that do each part:

- database: waiting for PostgreSQL (psycopg's ``wait``),
- queries: SQLAlchemy and psycopg around the statements (compiling or fetching the cached
  compiled form, sending, turning rows into Python objects), without the wait,
- templates: rendering Jinja (the page, the layout, the navigation, ``url_for``),
- the rest: Flask, Werkzeug and Flask-Login (routing, hooks, request and response
  objects, the test client).

The session lookup (the signed-in staff member, one statement) is also given on its own,
as a share of the whole: it is part of "database" and "queries".

Profiling slows Python down, so the shares matter, not the milliseconds; the last column
is the page's plain time without the profiler.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time

from bench.harness import RESULTS, open_app

PAGES = (("posts", "/posts/"), ("comments", "/comments/"), ("users", "/users/"),
         ("colleges", "/colleges/"), ("log", "/audit/"), ("report queue", "/reports/"))

PARTS = {
    "database": ("psycopg/connection.py", "wait"),
    "session": ("flick_admin/auth/sessions.py", "find_live_session"),
    "templates": ("flask/templating.py", "_render"),
    "request": ("flask/app.py", "wsgi_app"),
}


def _cumulative(stats: pstats.Stats, file_part: str, name: str) -> float:
    total = 0.0
    for (filename, _line, function), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        if function == name and filename.endswith(file_part):
            total += ct
    return total


def profile(client, url: str, runs: int) -> dict:
    for _ in range(5):
        client.get(url)
    started = time.perf_counter()
    for _ in range(runs):
        client.get(url)
    plain_ms = (time.perf_counter() - started) / runs * 1000
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        client.get(url)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = _cumulative(stats, *PARTS["request"])
    database = _cumulative(stats, *PARTS["database"])
    templates = _cumulative(stats, *PARTS["templates"])
    queries = _cumulative(stats, "sqlalchemy/orm/session.py", "execute") - database
    parts = {"database": database, "queries": queries, "templates": templates,
             "rest": total - database - queries - templates}
    return {"plain_ms": round(plain_ms, 1),
            "shares": {k: round(100 * v / total, 1) for k, v in parts.items()},
            # Finding the signed-in staff member (its statement and wait included).
            "session_lookup": round(100 * _cumulative(stats, *PARTS["session"]) / total, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/flick_bench")
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args(argv)

    client = open_app(args.database_url).client()
    results = {name: profile(client, url, args.runs) for name, url in PAGES}
    lines = ["| page | database | queries (SQLAlchemy) | templates (Jinja) | Flask, Werkzeug | "
             "of which session lookup | plain ms |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, r in results.items():
        s = r["shares"]
        lines.append(f"| {name} | {s['database']}% | {s['queries']}% | {s['templates']}% | "
                     f"{s['rest']}% | {r['session_lookup']}% | {r['plain_ms']} |")
    print("\n".join(lines))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "profile.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
