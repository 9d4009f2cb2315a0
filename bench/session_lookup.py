"""What the session lookup costs per request (``python -m bench.session_lookup``): the
statement every signed-in page runs first, timed in a list page's request context (with
the read limit), as wall time and as this process's CPU time (the Python part), median of
10 × 100 calls. ``--against PATH`` times another version of ``flick_admin/auth/sessions.py``
(e.g. main's) interleaved with this one in the same process, for a fair before/after on a
busy machine."""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time

from bench.run import sign_in


def _time(find, token: str, calls: int = 100) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        find(token)
    return (time.perf_counter() - wall) / calls * 1000, (time.process_time() - cpu) / calls * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/flick_bench")
    parser.add_argument("--url", default="/posts/")
    parser.add_argument("--against", help="another sessions.py to time beside this one")
    args = parser.parse_args(argv)

    import sqlalchemy as sa
    from flask import request

    from flick_admin import create_app
    from flick_admin.auth import sessions
    from flick_admin.db import read_limit
    from flick_admin.extensions import db

    app = create_app({"DATABASE_URL": args.database_url, "FLICK_ADMIN_ENV": "testing",
                      "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    with app.app_context():
        engine = db.engine
    token = sign_in(app, engine)
    versions = {"this": sessions.find_live_session}
    if args.against:
        if not hasattr(read_limit, "lookup_column"):  # what older versions call
            def lookup_column(session):
                setting = read_limit.lookup_setting(session)
                return None if setting is None else sa.func.set_config(
                    "statement_timeout", setting, True).label("read_limit")
            read_limit.lookup_column = lookup_column
        spec = importlib.util.spec_from_file_location("other_sessions", args.against)
        other = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(other)
        versions["other"] = other.find_live_session
    with app.test_request_context(args.url):
        request.url_rule, request.view_args = app.url_map.bind("localhost").match(args.url, return_rule=True)
        for find in versions.values():
            for _ in range(10):
                find(token)
        runs: dict[str, list] = {name: [] for name in versions}
        for _ in range(10):
            for name, find in versions.items():
                runs[name].append(_time(find, token))
    for name, timed in runs.items():
        wall = sorted(w for w, _ in timed)[len(timed) // 2]
        cpu = sorted(c for _, c in timed)[len(timed) // 2]
        print(f"{name}: {wall:.2f} ms wall, {cpu:.2f} ms CPU per lookup (median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
