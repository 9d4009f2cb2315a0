"""Hostile search terms against every search box: the slowest answer, and no 500.

    python -m bench.hostile --database-url postgresql://postgres@127.0.0.1/flick_bench

Every term below goes into every search box and text filter of Flick Admin (posts,
comments, users, the audit log, colleges, the command palette, banned words, staff, and
the text filters beside them). Each answer must be a 200 or a clear 400 ("type at least 3
letters", "search too broad"), never a 500 and never a long scan. The run prints one line
per box (its slowest term, with status, database time and statements) and the slowest of
all, and writes ``bench/results/hostile.json``. The same cases run in the test suite
(``tests/moderation/test_hostile_terms.py``) on both databases.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from urllib.parse import urlencode

# (label, term). Short, wildcard-only, punctuation-only, very long, many words, non-Latin.
TERMS: tuple[tuple[str, str], ...] = (
    ("one letter", "s"),
    ("two letters", "st"),
    ("percent", "%"),
    ("underscore", "_"),
    ("wildcards", "%_%_%"),
    ("many percents", "%%%%"),
    ("backslash", "\\"),
    ("escaped percent", "\\%"),
    ("dashes", "--"),
    ("quotes", "'\"';--"),
    ("punctuation", "()[]{}.,;:!?*+^$|"),
    ("wildcards in a word", "a%b_c"),
    ("percent sign after digits", "100%"),
    ("longest word", "x" * 200),
    ("long repeated word", "abc " * 49 + "abc"),
    ("many words", "the quick brown fox jumps over the lazy dog and then again and again"),
    ("common short words", "a an of to in it is"),
    ("Devanagari", "परीक्षा"),
    ("Chinese", "考试"),
    ("Cyrillic", "экзамен"),
    ("emoji", "🙂🙂🙂"),
    ("spaces", "   "),
)

# (box, path, argument): every search box and free-text filter.
BOXES: tuple[tuple[str, str, str], ...] = (
    ("posts: words", "/posts/", "q"),
    ("posts: author", "/posts/", "author"),
    ("posts: college", "/posts/", "college"),
    ("comments: words", "/comments/", "q"),
    ("comments: author", "/comments/", "author"),
    ("users: username or email", "/users/", "q"),
    ("users: college", "/users/", "college"),
    ("reports: college", "/reports/", "college"),
    ("audit log: reason words", "/audit/", "q"),
    ("colleges", "/colleges/", "q"),
    ("palette", "/search/suggest", "q"),
    ("palette page", "/search/", "q"),
    ("banned words", "/banned-words/", "q"),
    ("staff", "/staff/", "q"),
)


def url(path: str, arg: str, term: str) -> str:
    return f"{path}?{urlencode({arg: term})}"


def main(argv: list[str] | None = None) -> int:
    from bench.harness import RESULTS, Probe, open_app

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/flick_bench")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per term and box (median)")
    args = parser.parse_args(argv)

    bench = open_app(args.database_url)
    app, client, probe = bench.app, bench.client(), Probe(bench.engines)
    timeout = app.config.get("LIST_STATEMENT_TIMEOUT_MS", 0)
    print(f"statement timeout on list reads: {timeout} ms; {len(TERMS)} terms × {len(BOXES)} boxes")

    results, failures = [], []
    for box, path, arg in BOXES:
        worst = None
        for label, term in TERMS:
            target = url(path, arg, term)
            client.get(target)  # warm-up
            times, db_times, status, statements = [], [], 0, 0
            for _ in range(args.runs):
                probe.reset()
                started = time.perf_counter()
                response = client.get(target)
                response.get_data()
                times.append((time.perf_counter() - started) * 1000)
                db_times.append(probe.db_seconds * 1000)
                status, statements = response.status_code, probe.statements
            times.sort()
            db_times.sort()
            row = {"box": box, "term": label, "status": status, "ms": round(times[len(times) // 2], 1),
                   "db_ms": round(db_times[len(db_times) // 2], 1), "statements": statements}
            results.append(row)
            if status not in (200, 400):
                failures.append(row)
            if worst is None or row["db_ms"] > worst["db_ms"]:
                worst = row
        print(f"{box:<28} slowest: {worst['term']:<24} {worst['status']}  {worst['ms']:7.1f} ms  "
              f"db {worst['db_ms']:7.1f} ms  {worst['statements']} SQL", flush=True)
    slowest = max(results, key=lambda r: r["db_ms"])
    refused = sum(1 for r in results if r["status"] == 400)
    print(f"\nslowest of all: {slowest['box']} / {slowest['term']}: {slowest['status']}, "
          f"{slowest['ms']} ms, db {slowest['db_ms']} ms")
    print(f"{len(results)} answers: {len(results) - refused - len(failures)} pages, {refused} clear 400s, "
          f"{len(failures)} other")
    for row in failures:
        print("  NOT 200/400:", row)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "hostile.json").write_text(json.dumps({"timeout_ms": timeout, "results": results}, indent=1,
                                                 ensure_ascii=False))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
