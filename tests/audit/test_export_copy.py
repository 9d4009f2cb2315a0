"""The export through PostgreSQL's COPY gives the same rows, values and order as the portable
export that formats rows in Python — for awkward values too (quotes, newlines, tabs,
backslashes, non-ASCII, control characters, NULLs) — and counts rows right when a CSV
field holds a newline."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from flick_admin.audit import export
from flick_admin.audit.queries import AuditFilters
from tests import factories
from tests.conftest import audit_rows

pytestmark = pytest.mark.postgres_only

AWKWARD = 'He said "no"\nthen\tleft \\ ünïcödé \u0001 end'


def _rows(dbs):
    now = datetime.now(UTC)
    staff = factories.StaffFactory(role="moderator", email="copy@college.edu")
    factories.LogFactory(actor_id=staff.id, actor_type="moderator", action="admin:blocked:content",
                         reason=AWKWARD, before={"quote": '"', "nested": {"b": [1, None]}},
                         after={"text": AWKWARD}, metadata_={"label": "ü"}, ip_address="10.1.2.3",
                         user_agent="agent/1.0", occured_at=now - timedelta(minutes=5))
    factories.LogFactory(occured_at=now - timedelta(days=1, microseconds=-1))
    factories.LogFactory(occured_at=now.replace(microsecond=0) - timedelta(days=2))


def _both(app, fmt: str, args: dict | None = None) -> tuple[bytes, int, bytes, int]:
    filters = AuditFilters.parse(MultiDict(args or {}))
    with app.test_request_context("/"):
        copied, formatted = export.Counter(), export.Counter()
        a = b"".join(export._copied(filters, fmt, copied))
        b = b"".join(export._formatted(filters, fmt, formatted))
    return a, copied.rows, b, formatted.rows


def _normal(record: dict) -> dict:
    out = dict(record)
    out["occured_at"] = datetime.fromisoformat(out["occured_at"]).astimezone(UTC)
    return out


def test_json_lines_through_copy_equal_the_portable_export(app, dbs):
    _rows(dbs)
    copied, n_copied, formatted, n_formatted = _both(app, "jsonl")
    assert n_copied == n_formatted == 3
    ours = [json.loads(line) for line in copied.decode().splitlines()]
    theirs = [json.loads(line) for line in formatted.decode().splitlines()]
    assert [_normal(r) for r in ours] == [_normal(r) for r in theirs]
    assert ours[0]["reason"] == AWKWARD and ours[0]["after"] == {"text": AWKWARD}
    assert ours[0]["ip_address"] == "10.1.2.3" and ours[1]["reason"] is None
    assert list(ours[0]) == sorted(ours[0])  # keys in sorted order, as the portable export


def test_csv_through_copy_equals_the_portable_export_and_counts_rows(app, dbs):
    _rows(dbs)
    copied, n_copied, formatted, n_formatted = _both(app, "csv")
    assert n_copied == n_formatted == 3  # a newline inside a field is not a row
    ours = list(csv.DictReader(io.StringIO(copied.decode())))
    theirs = list(csv.DictReader(io.StringIO(formatted.decode())))
    assert list(ours[0]) == list(theirs[0])
    for mine, other in zip(ours, theirs, strict=True):
        for key in mine:
            if key in ("before", "after", "metadata"):
                assert json.loads(mine[key] or "null") == json.loads(other[key] or "null")
            elif key == "occured_at":
                assert datetime.fromisoformat(mine[key]) == datetime.fromisoformat(other[key])
            else:
                assert mine[key] == other[key], key
    assert ours[0]["reason"] == AWKWARD


def test_the_view_audits_the_copy_with_its_hash_and_count(client, dbs, login_as):
    login_as("auditor")
    _rows(dbs)
    response = client.get("/audit/export.csv", query_string={"actor_type": "moderator"})
    body = response.get_data()
    assert len(list(csv.DictReader(io.StringIO(body.decode())))) == 1
    (row,) = audit_rows(dbs, action="admin:exported:audit-log")
    assert row.metadata_["rows"] == 1 and row.metadata_["sha256"] == hashlib.sha256(body).hexdigest()


def test_a_large_export_is_computed_in_parallel_with_the_same_result(app, dbs, monkeypatch):
    _rows(dbs)
    serial = _both(app, "jsonl")[0]
    monkeypatch.setattr(export, "PARALLEL_ROWS", 0)  # as if the filter matched millions
    parallel = _both(app, "jsonl")[0]
    assert parallel == serial


def test_formula_cells_are_neutralised_alike_by_copy_and_the_portable_export(app, dbs):
    for text in ('=HYPERLINK("x")', "+1", "-1", "@A1", "\tt", "\rr", "plain", "'quoted"):
        factories.LogFactory(reason=text, user_agent=text, entity_id=text, actor_id=text)
    copied, n_copied, formatted, n_formatted = _both(app, "csv")
    assert n_copied == n_formatted == 8
    ours = list(csv.DictReader(io.StringIO(copied.decode(), newline="")))
    theirs = list(csv.DictReader(io.StringIO(formatted.decode(), newline="")))
    for mine, other in zip(ours, theirs, strict=True):
        for key in ("reason", "user_agent", "entity_id", "actor_id"):
            assert mine[key] == other[key], key
            assert not mine[key].startswith(("=", "+", "-", "@", "\t", "\r")), mine[key]
    assert sorted(r["reason"] for r in ours) == sorted(
        ["'=HYPERLINK(\"x\")", "'+1", "'-1", "'@A1", "'\tt", "'\rr", "plain", "'quoted"])
