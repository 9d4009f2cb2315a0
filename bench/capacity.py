"""Capacity: how many requests a second Flick Admin and the stock Flask-Admin baseline
sustain with p95 ≤ 100 ms, each served by gunicorn with 2 workers on this machine, under
the moderator mix of ``bench/locustfile.py`` (Locust, headless, no think time).

    .venv/bin/python -m bench.capacity --database-url postgresql://postgres@127.0.0.1/flick_bench

For each server it steps the number of simulated moderators (requests in flight) up,
runs each step for ``--seconds``, and keeps the highest throughput whose p95 stayed within
the bound; it also reports the highest throughput at any latency. Locust runs on the same
two cores as the server, so both numbers are conservative. Results go to
``bench/results/capacity.json`` and are printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
P95_BOUND_MS = 100.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(app_spec: str, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", app_spec], env=env, cwd=HERE.parent)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz" if "wsgi" in app_spec else base + "/admin/", timeout=2)
            return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{app_spec} did not start")


def _step(base: str, users: int, seconds: int, env: dict[str, str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "run")
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless",
             "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s",
             "--host", base, "--csv", prefix, "--only-summary", "--loglevel", "WARNING"],
            env=env, check=False, capture_output=True, cwd=HERE.parent)
        with open(prefix + "_stats.csv") as fh:
            rows = {r["Name"]: r for r in csv.DictReader(fh)}
    total = rows["Aggregated"]
    return {"users": users, "rps": round(float(total["Requests/s"]), 1),
            "p50_ms": float(total["50%"]), "p95_ms": float(total["95%"]),
            "failures": int(total["Failure Count"]), "requests": int(total["Request Count"]),
            "per_page_p95_ms": {name: float(r["95%"]) for name, r in rows.items() if name != "Aggregated"}}


def _ladder(base: str, env: dict[str, str], steps: list[int], seconds: int) -> list[dict]:
    results = []
    for users in steps:
        result = _step(base, users, seconds, env)
        print(f"  {users:3d} in flight: {result['rps']:7.1f} req/s, p50 {result['p50_ms']:.0f} ms, "
              f"p95 {result['p95_ms']:.0f} ms, {result['failures']} failures", flush=True)
        results.append(result)
        if result["p95_ms"] > 4 * P95_BOUND_MS:
            break  # far past the bound: more load only queues
    return results


def _best(results: list[dict]) -> dict:
    within = [r for r in results if r["p95_ms"] <= P95_BOUND_MS and not r["failures"]]
    return {"sustained_rps_at_p95_100ms": max((r["rps"] for r in within), default=0.0),
            "max_rps_any_latency": max((r["rps"] for r in results), default=0.0)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/flick_bench")
    parser.add_argument("--seconds", type=int, default=20, help="length of each load step")
    parser.add_argument("--steps", default="1,2,4,8,16,32")
    args = parser.parse_args(argv)
    steps = [int(s) for s in args.steps.split(",")]

    from bench.run import sign_in
    from flick_admin import create_app
    from flick_admin.extensions import db

    app = create_app({"DATABASE_URL": args.database_url, "FLICK_ADMIN_ENV": "testing", "SECRET_KEY": "bench"})
    with app.app_context():
        engine = db.engine
    cookie = sign_in(app, engine)
    with engine.connect() as conn:
        read = [str(r[0]) for r in conn.execute(sa.text(
            'SELECT id FROM posts ORDER BY "createdAt" DESC LIMIT 200'))]
        decide = [str(r[0]) for r in conn.execute(sa.text(
            'SELECT id FROM posts WHERE "isBanned" = false AND "isShadowBanned" = false '
            'ORDER BY "createdAt" LIMIT 640'))]
    base_env = os.environ.copy() | {
        "PYTHONPATH": str(HERE.parent), "CAPACITY_COOKIE": cookie,
        "CAPACITY_READ_POSTS": ",".join(read), "CAPACITY_DECIDE_POSTS": ",".join(decide)}
    ours_env = base_env | {
        "DATABASE_URL": args.database_url, "FLICK_ADMIN_ENV": "production", "SECRET_KEY": "bench",
        "COOKIE_SECURE": "0", "RATELIMIT_ENABLED": "0", "REQUIRE_2FA_ROLES": "", "CAPACITY_TARGET": "ours"}
    out = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "seconds_per_step": args.seconds}
    for name, spec, env in (
            ("Flick Admin", "wsgi:app", ours_env),
            ("stock Flask-Admin", f"bench.baseline:create_baseline({args.database_url!r})",
             base_env | {"CAPACITY_TARGET": "baseline"})):
        print(f"{name} (gunicorn, 2 workers):", flush=True)
        server, base = _serve(spec, env)
        try:
            results = _ladder(base, env, steps, args.seconds)
        finally:
            server.terminate()
            server.wait(timeout=30)
        out[name] = {"steps": results, **_best(results)}
    ours, theirs = out["Flick Admin"], out["stock Flask-Admin"]
    out["ratio_sustained"] = (round(ours["sustained_rps_at_p95_100ms"] / theirs["sustained_rps_at_p95_100ms"], 1)
                              if theirs["sustained_rps_at_p95_100ms"] else None)
    out["ratio_max"] = round(ours["max_rps_any_latency"] / theirs["max_rps_any_latency"], 1)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "capacity.json").write_text(json.dumps(out, indent=2))
    print(json.dumps({k: v for k, v in out.items() if not isinstance(v, dict)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
