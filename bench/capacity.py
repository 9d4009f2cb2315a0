"""Capacity: how many requests a second Flick Admin, an earlier Flick Admin and the stock
Flask-Admin baseline sustain, each served by gunicorn with 2 workers on this machine, under
the moderator mix of ``bench/locustfile.py`` (Locust, headless, no think time).

    .venv/bin/python -m bench.capacity --database-url postgresql://postgres@127.0.0.1/flick_bench \\
        --previous /work/prev

Servers, one after the other, on the same database:

- **Flick Admin**: this checkout, as production serves it (``gunicorn.conf.py``: the app
  preloaded in the master, ``gc.freeze()`` before the workers fork);
- **previous** (``--previous PATH``): the checkout at PATH running its own code (gunicorn's
  working directory and ``PYTHONPATH`` are PATH; checked before the run) and its own
  ``gunicorn.conf.py`` if it has one, plain gunicorn if not; the database's schema may be
  newer than that code (migrations are additive);
- **stock Flask-Admin** (``bench/baseline.py``): plain gunicorn.

For each server it steps the number of simulated moderators (requests in flight) up, runs
each step for ``--seconds`` after an unrecorded warm-up, and keeps the highest throughput
whose p95 stayed within 100 ms, and the highest at any latency; it also reads the workers'
CPU time (``/proc``) to give the CPU milliseconds a request costs the server, which moves
less than throughput on a shared machine. Locust runs on the same two cores (its own CPU
share is printed per step; ``FastHttpUser`` keeps it small), so the numbers are
conservative. Posts the decide task banned are unbanned after each step (through Flick
Admin's own service), so the data ends as it began, apart from the audit rows. Results go
to ``bench/results/capacity.json`` and print as Markdown tables.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import sqlalchemy as sa

from bench.harness import RESULTS, open_app

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent
P95_BOUND_MS = 100.0
MIN_IN_FLIGHT = 4  # two per worker: the ladder goes at least this far, however slow the first steps
OURS, PREVIOUS, STOCK = "Flick Admin", "previous", "stock Flask-Admin"
TICKS = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _code_of(checkout: Path, env: dict[str, str]) -> str:
    """Where ``flick_admin`` is imported from with this environment and working directory."""
    done = subprocess.run([sys.executable, "-c", "import flick_admin; print(flick_admin.__file__)"],
                          env=env, cwd=checkout, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _serve(app_spec: str, env: dict[str, str], cwd: Path, config: Path | None) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    if config is None:  # plain gunicorn; an explicit -c, or it would read ./gunicorn.conf.py
        config = Path(tempfile.mkdtemp()) / "plain.conf.py"
        config.write_text("# plain gunicorn: no settings\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(config), "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", app_spec], env=env, cwd=cwd)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(base + ("/healthz" if "wsgi" in app_spec else "/admin/"), timeout=2)
            return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{app_spec} in {cwd} did not start")


def _cpu(pid: int) -> float:
    """User + system CPU seconds of a process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


class Meter:
    """CPU time of a server: gunicorn's master and workers, and the PostgreSQL backends of
    their connections (found by ``application_name``: the server runs with ``PGAPPNAME``;
    short-lived parallel workers are not counted)."""

    def __init__(self, server: subprocess.Popen, engine: sa.Engine, appname: str):
        self.server, self.engine, self.appname = server, engine, appname

    def _backends(self) -> dict[int, float]:
        with self.engine.connect() as conn:
            pids = conn.execute(sa.text("SELECT pid FROM pg_stat_activity WHERE application_name = :a"),
                                {"a": self.appname}).scalars().all()
        return {pid: _cpu(pid) for pid in pids}

    def read(self) -> tuple[float, dict[int, float]]:
        pid = self.server.pid
        try:
            workers = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            workers = []
        return _cpu(pid) + sum(_cpu(p) for p in workers), self._backends()

    @staticmethod
    def spent(before, after) -> tuple[float, float]:
        """(app, database) CPU seconds between two readings."""
        app = after[0] - before[0]
        database = sum(cpu - before[1].get(pid, 0.0) for pid, cpu in after[1].items())
        return app, database


def _locust(base: str, users: int, seconds: int, env: dict[str, str]) -> dict[str, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "run")
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless",
             "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s",
             "--host", base, "--csv", prefix, "--only-summary", "--loglevel", "WARNING"],
            env=env, check=False, capture_output=True, cwd=CHECKOUT)
        with open(prefix + "_stats.csv") as fh:
            return {r["Name"]: r for r in csv.DictReader(fh)}


def _step(meter: Meter, base: str, users: int, seconds: int, env: dict[str, str]) -> dict:
    before = meter.read()
    locust_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    rows = _locust(base, users, seconds, env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    app_cpu, db_cpu = meter.spent(before, meter.read())
    total = rows["Aggregated"]
    requests = int(total["Request Count"])
    return {"users": users, "rps": round(float(total["Requests/s"]), 1),
            "p50_ms": float(total["50%"]), "p95_ms": float(total["95%"]),
            "failures": int(total["Failure Count"]), "requests": requests,
            "app_cpu_ms_per_request": round(1000 * app_cpu / requests, 2) if requests else None,
            "db_cpu_ms_per_request": round(1000 * db_cpu / requests, 2) if requests else None,
            "server_cpu_ms_per_request": round(1000 * (app_cpu + db_cpu) / requests, 2) if requests else None,
            "locust_cpu_share": round((after.ru_utime + after.ru_stime - locust_cpu.ru_utime
                                       - locust_cpu.ru_stime) / wall, 2),
            "per_page": {name: {"p50_ms": float(r["50%"]), "p95_ms": float(r["95%"]),
                                "requests": int(r["Request Count"])}
                         for name, r in rows.items() if name != "Aggregated"}}


def _ladder(meter: Meter, base: str, env: dict[str, str], steps: list[int], seconds: int, restore) -> list[dict]:
    _locust(base, 2, 5, env)  # warm-up, not recorded: the workers' first requests compile templates
    restore()
    results = []
    for users in steps:
        result = _step(meter, base, users, seconds, env)
        restore()
        print(f"  {users:3d} in flight: {result['rps']:7.1f} req/s, p50 {result['p50_ms']:4.0f} ms, "
              f"p95 {result['p95_ms']:4.0f} ms, {result['failures']} failures, "
              f"CPU a request {result['app_cpu_ms_per_request']} ms app + {result['db_cpu_ms_per_request']} ms "
              f"database, Locust "
              f"{result['locust_cpu_share']:.0%} of a core", flush=True)
        results.append(result)
        if _saturated(results):
            break
    return results


def _saturated(results: list[dict]) -> bool:
    """Far past the bound, or past it for the last two steps and the last no faster than
    every step before it: more load would only queue. (One noisy step on a shared machine
    stops nothing.)"""
    if results[-1]["users"] < MIN_IN_FLIGHT:
        return False
    if results[-1]["p95_ms"] > 4 * P95_BOUND_MS:
        return True
    if len(results) < 3 or min(r["p95_ms"] for r in results[-2:]) <= P95_BOUND_MS:
        return False
    return results[-1]["rps"] < 1.05 * max(r["rps"] for r in results[:-1])


def _best(results: list[dict]) -> dict:
    within = [r for r in results if r["p95_ms"] <= P95_BOUND_MS and not r["failures"]]
    busiest = max(results, key=lambda r: r["rps"])
    return {"sustained_rps_at_p95_100ms": max((r["rps"] for r in within), default=0.0),
            "max_rps_any_latency": busiest["rps"],
            "cpu_ms_per_request_at_max": busiest["server_cpu_ms_per_request"]}


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 1) if a and b else None


def _posts(url: str) -> tuple[list[str], list[str]]:
    """Posts to read, and posts to decide: not banned, never reported (a ban would close
    their reports, which an unban does not reopen)."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        read = [str(r[0]) for r in conn.execute(sa.text(
            'SELECT id FROM posts ORDER BY "createdAt" DESC LIMIT 200'))]
        decide = [str(r[0]) for r in conn.execute(sa.text(
            'SELECT id FROM posts p WHERE NOT p."isBanned" AND NOT p."isShadowBanned" AND NOT EXISTS '
            '(SELECT 1 FROM content_reports r WHERE r.post_id = p.id) ORDER BY p."createdAt" LIMIT 640'))]
    engine.dispose()
    return read, decide


def _restorer(bench, decide: list[str]):
    """Unban, through Flick Admin's service, every decide post a step left banned."""
    client = bench.client("staff1")

    def restore() -> None:
        with bench.engine.connect() as conn:
            banned = [str(r[0]) for r in conn.execute(sa.text(
                'SELECT id FROM posts WHERE "isBanned" AND id = ANY(CAST(:ids AS uuid[]))'), {"ids": decide})]
        for post in banned:
            response = client.post(f"/posts/{post}/act", data={
                "action": "unban", "reason_choice": "Spam or scam", "reason_text": "capacity run: restore"})
            assert response.status_code == 303, (post, response.status_code)
    return restore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/flick_bench")
    parser.add_argument("--previous", type=Path, default=None,
                        help="a checkout of an earlier Flick Admin to measure beside this one")
    parser.add_argument("--seconds", type=int, default=15, help="length of each load step")
    parser.add_argument("--steps", default="1,2,3,4,6,8,12")
    parser.add_argument("--stock-steps", default="1,2,4")
    args = parser.parse_args(argv)
    steps = [int(s) for s in args.steps.split(",")]

    bench = open_app(args.database_url)
    read, decide = _posts(args.database_url)
    restore = _restorer(bench, decide)
    locust_env = os.environ.copy() | {
        "PYTHONPATH": str(CHECKOUT), "CAPACITY_COOKIE": bench.cookie(),
        "CAPACITY_READ_POSTS": ",".join(read), "CAPACITY_DECIDE_POSTS": ",".join(decide)}
    app_env = os.environ.copy() | {
        "DATABASE_URL": args.database_url, "FLICK_ADMIN_ENV": "production", "SECRET_KEY": "bench",
        "COOKIE_SECURE": "0", "RATELIMIT_ENABLED": "0", "REQUIRE_2FA_ROLES": ""}
    servers = [(OURS, CHECKOUT, "wsgi:app", steps, "ours")]
    if args.previous:
        servers.append((PREVIOUS, args.previous.resolve(), "wsgi:app", steps, "ours"))
    servers.append((STOCK, CHECKOUT, f"bench.baseline:create_baseline({args.database_url!r})",
                    [int(s) for s in args.stock_steps.split(",")], "baseline"))

    out: dict = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "seconds_per_step": args.seconds,
                 "load_average_before": os.getloadavg()}
    for name, checkout, spec, ladder, target in servers:
        appname = f"capacity-{target}-{len(out)}"
        env = app_env | {"PYTHONPATH": str(checkout), "PGAPPNAME": appname}
        code = _code_of(checkout, env)
        assert code.startswith(str(checkout) + os.sep), f"{name}: flick_admin comes from {code}, not {checkout}"
        config = checkout / "gunicorn.conf.py" if name != STOCK and (checkout / "gunicorn.conf.py").exists() else None
        commit = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        print(f"{name} ({checkout} @ {commit or '?'}; gunicorn, 2 workers, "
              f"{'config ' + config.name if config else 'no config'}):", flush=True)
        server, base = _serve(spec, env, checkout, config)
        try:
            meter = Meter(server, bench.engine, appname)
            results = _ladder(meter, base, locust_env | {"CAPACITY_TARGET": target}, ladder, args.seconds, restore)
        finally:
            server.terminate()
            server.wait(timeout=30)
        out[name] = {"checkout": str(checkout), "commit": commit, "config": str(config) if config else None,
                     "steps": results, **_best(results)}
    out["load_average_after"] = os.getloadavg()
    out["ratios"] = ratios(out)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "capacity.json").write_text(json.dumps(out, indent=2))
    print("\n" + markdown(out))
    return 0


def ratios(out: dict) -> dict:
    ours = out[OURS]
    result = {}
    for other, label in ((STOCK, "stock"), (PREVIOUS, "previous")):
        if other not in out:
            continue
        theirs = out[other]
        result[f"ours/{label}"] = {
            "sustained_at_p95_100ms": _ratio(ours["sustained_rps_at_p95_100ms"], theirs["sustained_rps_at_p95_100ms"]),
            "max_any_latency": _ratio(ours["max_rps_any_latency"], theirs["max_rps_any_latency"]),
            "cpu_per_request": _ratio(theirs["cpu_ms_per_request_at_max"], ours["cpu_ms_per_request_at_max"])}
    return result


def markdown(out: dict) -> str:
    lines = ["| server | in flight | req/s | p50 ms | p95 ms | failures | CPU ms a request: app + database "
             "| Locust CPU |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name in (OURS, PREVIOUS, STOCK):
        for r in out.get(name, {}).get("steps", []):
            lines.append(f"| {name} | {r['users']} | {r['rps']} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | "
                         f"{r['failures']} | {r['app_cpu_ms_per_request']} + {r['db_cpu_ms_per_request']} | "
                         f"{r['locust_cpu_share']:.0%} |")
    lines += ["", "| server | sustained req/s at p95 ≤ 100 ms | max req/s | CPU ms a request at max (app + database) |",
              "|---|---:|---:|---:|"]
    for name in (OURS, PREVIOUS, STOCK):
        if name in out:
            o = out[name]
            lines.append(f"| {name} ({o['commit']}) | {o['sustained_rps_at_p95_100ms']} | "
                         f"{o['max_rps_any_latency']} | {o['cpu_ms_per_request_at_max']} |")
    lines += ["", "| server | page | p50 ms | p95 ms | share of requests |", "|---|---|---:|---:|---:|"]
    for name in (OURS, PREVIOUS, STOCK):
        if name in out:
            busiest = max(out[name]["steps"], key=lambda r: r["rps"])
            for page, r in sorted(busiest["per_page"].items()):
                lines.append(f"| {name} ({busiest['users']} in flight) | {page} | {r['p50_ms']:.0f} | "
                             f"{r['p95_ms']:.0f} | {r['requests'] / max(1, busiest['requests']):.0%} |")
    lines += ["", "| ratio | at p95 ≤ 100 ms | at any latency | CPU a request | target (any latency) |", "|---|---:|---:|---:|---|"]
    targets = {"ours/stock": 20, "ours/previous": 2}
    for label, r in out["ratios"].items():
        verdict = "met" if (r["max_any_latency"] or 0) >= targets[label] else "MISSED"
        lines.append(f"| {label} | {_fmt(r['sustained_at_p95_100ms'])} | {_fmt(r['max_any_latency'])} | "
                     f"{_fmt(r['cpu_per_request'])} | ≥ {targets[label]}×: {verdict} |")
    lines.append(f"\n(load average before {out['load_average_before'][0]:.1f}, "
                 f"after {out['load_average_after'][0]:.1f}; {out['seconds_per_step']} s a step)")
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return f"{value}×" if value else "— (none within the bound)"


if __name__ == "__main__":
    sys.exit(main())
