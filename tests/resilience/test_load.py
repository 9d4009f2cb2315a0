"""Many moderators at once, over real HTTP: gunicorn on loopback, threads acting on the same
posts and users for a bounded time (FLICK_LOAD_SECONDS, default 60). No 5xx, no deadlock,
and the audit trail tells exactly what happened: every action the page called done has its
audit rows, and replaying each item's audit rows gives its final state, one row per change."""

from __future__ import annotations

import os

import pytest

from tests.resilience.load import check_trail, gunicorn, run_load, seed, statuses

pytestmark = pytest.mark.postgres_only
SECONDS = float(os.environ.get("FLICK_LOAD_SECONDS", "60"))


def test_many_moderators_at_once(scratch_database):
    seeded = seed(scratch_database)
    with gunicorn(scratch_database) as (base, _server):
        sent = run_load(base, seeded, SECONDS)
    counted = statuses(sent)
    assert sum(counted.values()) > 50, counted
    assert set(counted) <= {303, 409}, counted
    check_trail(scratch_database, seeded, sent)
