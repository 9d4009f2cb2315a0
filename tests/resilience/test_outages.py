"""Faults between the parts, under load: the primary restarted, PgBouncer restarted. Every
action a moderator was told succeeded is in the database with its audit row; every other
request got a clear answer (a 409, or the "Database unavailable" page); the workers
recover without a restart. What each fault cost is written to
``test-artifacts/resilience/faults.json`` (the README's operations section quotes it)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.resilience.load import Sent, check_trail, gunicorn, run_load, seed, statuses

pytestmark = pytest.mark.postgres_only
SECONDS, FAULT_AT = 16.0, 5.0
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "resilience"


def _under_fault(base: str, seeded, fault) -> tuple[list[Sent], float, float]:
    """Run the load; ``fault`` runs FAULT_AT seconds in. Returns what was sent and when the
    fault began and ended (monotonic)."""
    window: list[float] = []

    def inject():
        time.sleep(FAULT_AT)
        window.append(time.monotonic())
        fault()
        window.append(time.monotonic())

    injector = threading.Thread(target=inject, daemon=True)
    injector.start()
    sent = run_load(base, seeded, SECONDS)
    injector.join(timeout=60)
    assert len(window) == 2, "the fault did not finish"
    return sent, window[0], window[1]


def _judge(name: str, sent: list[Sent], began: float, ended: float) -> dict:
    counted = statuses(sent)
    failed = [s for s in sent if s.status not in (303, 409)]
    # Every failure is the honest page, never a 500 or a dropped connection.
    assert {s.status for s in failed} <= {503}, counted
    assert all("Database unavailable" in s.said for s in failed), {s.said for s in failed}
    # The workers recover by themselves: actions succeed again after the fault.
    after = [s for s in sent if s.started > ended]
    assert any(s.status == 303 for s in after), counted
    last_failure = max((s.ended for s in failed), default=began)
    first_success = min((s.ended for s in sent if s.status == 303 and s.started >= last_failure
                         and s.started >= began), default=None)
    cost = {"fault": name, "requests": sum(counted.values()), "failed": len(failed),
            "fault_seconds": round(ended - began, 2),
            "seconds_to_recover": round((first_success or last_failure) - began, 2),
            "statuses": {str(k): v for k, v in sorted(counted.items())}}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "faults.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    known[name] = cost
    path.write_text(json.dumps(known, indent=2) + "\n")
    return cost


def test_primary_restarted_during_load(running_stack, stack_database):
    seeded = seed(stack_database)
    with gunicorn(stack_database) as (base, _server):
        sent, began, ended = _under_fault(base, seeded, running_stack.primary.restart)
    _judge("primary restart", sent, began, ended)
    check_trail(stack_database, seeded, sent)


def test_pgbouncer_restarted_during_load(running_stack, stack_database):
    name = sa.engine.make_url(stack_database).database
    through = running_stack.bouncer_url(name)
    seeded = seed(through, PGBOUNCER="1")

    def restart_pgbouncer():
        running_stack.pgbouncer.stop()
        running_stack.pgbouncer.start()

    with gunicorn(through, PGBOUNCER="1") as (base, _server):
        sent, began, ended = _under_fault(base, seeded, restart_pgbouncer)
    _judge("PgBouncer restart", sent, began, ended)
    check_trail(stack_database, seeded, sent)
