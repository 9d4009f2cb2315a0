"""Browsing, reading and exporting the audit trail."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from flick_admin.db import Log
from tests import factories
from tests.conftest import audit_rows


def seed(dbs):
    mod = factories.StaffFactory(role="moderator", email="mod@college.edu")
    admin = factories.StaffFactory(role="admin", email="boss@college.edu")
    now = datetime.now(UTC)
    rid = uuid.uuid4()
    batch = str(uuid.uuid4())
    post_id = str(uuid.uuid4())
    rows = [
        factories.LogFactory(actor_id=mod.id, actor_type="moderator", action="admin:blocked:content",
                             entity_type="post", entity_id=post_id, reason="spam links",
                             request_id=rid, occured_at=now - timedelta(hours=1),
                             before={"isBanned": False}, after={"isBanned": True},
                             metadata_={"label": "Buy followers now", "batch_id": batch}),
        factories.LogFactory(actor_id=mod.id, actor_type="moderator", action="admin:updated:report:status",
                             entity_type="content-report", entity_id=str(uuid.uuid4()), reason="spam links",
                             request_id=rid, occured_at=now - timedelta(hours=1),
                             before={"status": "pending"}, after={"status": "resolved"},
                             metadata_={"batch_id": batch}),
        factories.LogFactory(actor_id=admin.id, actor_type="admin", action="admin:updated:college",
                             entity_type="college", entity_id=str(uuid.uuid4()), reason=None,
                             occured_at=now - timedelta(days=3), metadata_={"label": "Old Name College"}),
        factories.LogFactory(actor_type="user", action="user:created:post", entity_type="post",
                             entity_id=post_id, occured_at=now - timedelta(days=10)),
    ]
    return mod, admin, rows, rid


def listed(client, **query) -> str:
    response = client.get("/audit/", query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_rows_read_as_sentences_even_after_the_target_is_gone(client, dbs, login_as):
    login_as("auditor")
    seed(dbs)
    page = listed(client)
    assert "mod@college.edu</a>\n        banned\n        \n          post" in page
    assert "Buy followers now" in page and "spam links" in page
    assert "a student" in page and "created" in page  # Flick's own rows are browsable too
    assert "boss@college.edu" in page and "Old Name College" in page


@pytest.mark.parametrize(("query", "expected"), [
    ({"actor_type": "admin"}, 1),
    ({"action": ["admin:blocked:content", "admin:updated:college"]}, 2),
    ({"entity_type": "post"}, 2),
    ({"q": "spam"}, 2),
    ({"q": "SPAM links"}, 2),
])
def test_filters(client, dbs, login_as, query, expected):
    login_as("auditor")
    seed(dbs)
    assert listed(client, **query).count('data-testid="audit-row"') == expected


def test_actor_entity_time_and_request_filters(client, dbs, login_as):
    login_as("auditor")
    mod, admin, rows, rid = seed(dbs)
    assert listed(client, actor=admin.id).count('data-testid="audit-row"') == 1
    assert listed(client, entity_type="post", entity_id=rows[0].entity_id).count('data-testid="audit-row"') == 2
    assert listed(client, request_id=str(rid)).count('data-testid="audit-row"') == 2
    since = (datetime.now(UTC) - timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    until = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    page = listed(client, since=since, until=until)
    assert page.count('data-testid="audit-row"') == 1 and "Old Name College" in page


def test_actor_by_email_or_a_shared_name_merges_each_accounts_rows_newest_first(client, dbs, login_as):
    """The Actor filter reads each named account's rows along its own index walk, merged
    into one page in time order (ids, emails and names, any case)."""
    login_as("auditor")
    now = datetime.now(UTC)
    one = factories.StaffFactory(role="moderator", email="Sam.One@college.edu", name="Sam Lee")
    two = factories.StaffFactory(role="admin", email="sam.two@college.edu", name="sam lee ")
    for hours, who in ((1, one), (2, two), (3, one), (4, two)):
        factories.LogFactory(actor_id=who.id, actor_type="moderator", action="admin:updated:college",
                             entity_type="college", entity_id=str(uuid.uuid4()),
                             occured_at=now - timedelta(hours=hours), metadata_={"label": f"row {hours}"})
    factories.LogFactory(actor_id=one.id, actor_type="moderator", action="admin:logged:in:self",
                         entity_type="auth", entity_id=one.id, occured_at=now)  # sign-ins hidden
    page = listed(client, actor="SAM LEE")
    assert page.count('data-testid="audit-row"') == 4
    assert [page.index(f"row {h}") for h in (1, 2, 3, 4)] == sorted(page.index(f"row {h}") for h in (1, 2, 3, 4))
    by_email = listed(client, actor="sam.one@college.edu")
    assert by_email.count('data-testid="audit-row"') == 2 and "row 2" not in by_email
    assert listed(client, actor=two.id).count('data-testid="audit-row"') == 2


def test_mine_lists_only_the_signed_in_members_own_actions(client, dbs, login_as):
    """The error pages link to ``?mine=1``: "your recent actions", whoever you are."""
    me = login_as("moderator")
    seed(dbs)
    factories.LogFactory(actor_id=me.id, actor_type="moderator", action="admin:blocked:content",
                         entity_type="post", metadata_={"label": "My own ban"})
    page = listed(client, mine="1")
    assert page.count('data-testid="audit-row"') == 1 and "My own ban" in page
    assert "Buy followers now" not in page


@pytest.mark.parametrize("query", [
    {"action": "admin:exploded:everything; drop table logs"}, {"actor_type": "alien"},
    {"entity_type": "planet"}, {"since": "last tuesday"}, {"request_id": "nope"},
    {"since": "2026-05-02T00:00", "until": "2026-05-01T00:00"}, {"after": "%%%"},
])
def test_bad_filters_are_400(client, dbs, login_as, query):
    login_as("auditor")
    assert client.get("/audit/", query_string=query).status_code == 400


def test_entry_page_shows_every_field_a_diff_and_its_request_and_batch(client, dbs, login_as):
    login_as("auditor")
    _, _, rows, rid = seed(dbs)
    page = client.get(f"/audit/entry/{rows[0].id}").get_data(as_text=True)
    for text in (str(rows[0].id), "spam links", str(rid), "Buy followers now", 'data-testid="diff"',
                 'data-testid="siblings"', 'data-testid="batch"'):
        assert text in page, text
    diff = page.split('data-testid="diff"')[1].split("</table>")[0]
    assert "isBanned" in diff and "false" in diff and "true" in diff and "table-warning" in diff
    assert f"/audit/entry/{rows[1].id}" in page
    assert client.get(f"/audit/entry/{uuid.uuid4()}").status_code == 404


def _exported(dbs):
    (row,) = audit_rows(dbs, action="admin:exported:audit-log")
    return row


def test_csv_export_is_exactly_the_filter_and_is_itself_audited(app, client, dbs, login_as):
    auditor = login_as("auditor")
    seed(dbs)
    response = client.get("/audit/export.csv", query_string={"entity_type": "post"})
    body = response.get_data()
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "flick-audit-" in response.headers["Content-Disposition"]
    assert json.loads(response.headers["X-Flick-Audit-Filter"]) == {"entity_type": "post"}
    table = list(csv.DictReader(io.StringIO(body.decode())))
    assert [r["action"] for r in table] == ["admin:blocked:content", "user:created:post"]
    assert json.loads(table[0]["after"]) == {"isBanned": True}
    record = _exported(dbs)
    assert record.actor_id == auditor.id
    assert record.metadata_["rows"] == 2 and record.metadata_["complete"] is True
    assert record.metadata_["filter"] == {"entity_type": "post"}
    assert record.metadata_["sha256"] == hashlib.sha256(body).hexdigest()


def test_jsonl_export_starts_with_the_filter(client, dbs, login_as):
    login_as("admin")
    seed(dbs)
    response = client.get("/audit/export.jsonl", query_string={"actor_type": "moderator"})
    lines = response.get_data(as_text=True).splitlines()
    header = json.loads(lines[0])["flick_audit_export"]
    assert header["filter"] == {"actor_type": "moderator"}
    rows = [json.loads(line) for line in lines[1:]]
    assert {r["actor_email"] for r in rows} == {"mod@college.edu"} and len(rows) == 2
    assert _exported(dbs).metadata_["sha256"] == hashlib.sha256(response.get_data()).hexdigest()


def test_export_walks_every_row_across_batches(app, client, dbs, login_as, monkeypatch):
    from flick_admin.audit import queries

    login_as("auditor")
    for i in range(7):
        factories.LogFactory(entity_id=f"row-{i}")
    original = queries.export_rows
    monkeypatch.setattr(queries, "export_rows", lambda f, batch=2000: original(f, batch=3))
    lines = client.get("/audit/export.jsonl").get_data(as_text=True).splitlines()[1:]
    ids = [json.loads(line)["entity_id"] for line in lines]
    assert sorted(ids) == sorted(f"row-{i}" for i in range(7))


def test_moderators_read_but_cannot_export_or_verify(client, dbs, login_as):
    login_as("moderator")
    assert client.get("/audit/").status_code == 200
    assert client.get("/audit/export.csv").status_code == 403
    assert client.post("/audit/verify").status_code == 403
    assert dbs.scalar(sa.select(sa.func.count()).select_from(Log)
                      .where(Log.action == "admin:exported:audit-log")) == 0


def test_verify_page_runs_and_records_the_result(client, dbs, login_as):
    login_as("auditor")
    response = client.post("/audit/verify")
    assert response.status_code == 303
    page = client.get("/audit/verify").get_data(as_text=True)
    assert "intact" in page
    (row,) = audit_rows(dbs, action="admin:verified:audit-log")
    assert row.metadata_["intact"] is True


def test_entity_pages_link_their_history_to_entries(client, dbs, login_as):
    login_as("moderator")
    post = factories.PostFactory()
    client.post(f"/posts/{post.id}/act", data={"action": "ban", "state": "b0s0", "reason_choice": "Spam or scam"})
    page = client.get(f"/posts/{post.id}").get_data(as_text=True)
    (row,) = audit_rows(dbs, action="admin:blocked:content")
    assert f"/audit/entry/{row.id}" in page
    comment = factories.CommentFactory(post=post)
    client.post(f"/comments/{comment.id}/act", data={"action": "ban", "state": "b0", "reason_choice": "Spam or scam"})
    page = client.get(f"/comments/{comment.id}").get_data(as_text=True)
    assert "admin:blocked:content" in page and comment.content in page


@pytest.mark.postgres_only
@pytest.mark.parametrize("query", [
    {}, {"actor": "x"}, {"actor_type": "moderator"}, {"action": ["admin:blocked:content"]},
    {"entity_type": "post", "entity_id": "x"}, {"request_id": str(uuid.UUID(int=5))},
])
def test_main_filters_use_an_index_not_a_scan(app, dbs, connection, query):
    """On a log of 40,000 rows, each single filter's page is served by an index."""
    from werkzeug.datastructures import MultiDict

    from flick_admin.audit.queries import AuditFilters, filtered
    from flick_admin.db import Log as LogModel

    connection.exec_driver_sql("""
        INSERT INTO logs (id, occured_at, actor_id, actor_type, action, entity_type, entity_id, request_id)
        SELECT gen_random_uuid(), now() - (g || ' minutes')::interval, 'actor-' || (g %% 50),
               (ARRAY['user','moderator','admin','system'])[1 + g %% 4]::log_role,
               (ARRAY['user:created:post','admin:blocked:content','admin:banned:user'])[1 + g %% 3],
               (ARRAY['post','user','comment'])[1 + g %% 3]::log_entity_type,
               'entity-' || (g %% 5000), gen_random_uuid()
        FROM generate_series(1, 40000) AS g""")
    connection.exec_driver_sql("ANALYZE logs")
    stmt = filtered(AuditFilters.parse(MultiDict(query)))
    stmt = stmt.order_by(LogModel.occured_at.desc(), LogModel.id.desc()).limit(51)
    compiled = stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    plan = "\n".join(r[0] for r in connection.exec_driver_sql(f"EXPLAIN {str(compiled).replace('%', '%%')}"))
    assert "Seq Scan on logs" not in plan, plan
    assert "Index" in plan, plan


FORMULAS = ('=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR")


def test_csv_cells_that_would_be_formulas_are_neutralised_and_the_digest_covers_the_bytes_sent(
        app, client, dbs, login_as):
    """A failed sign-in with a formula for a User-Agent (and any field starting with =, +, -,
    @, tab or CR) leaves as text: a single quote before it. JSON Lines keep the value."""
    victim = factories.StaffFactory(role="moderator")
    app.test_client().post("/login", data={"email": victim.email, "password": "wrong"},
                           headers={"User-Agent": FORMULAS[0]})
    login_as("auditor")
    for i, text in enumerate(FORMULAS):
        factories.LogFactory(action="admin:blocked:content", entity_type="post", reason=text,
                             entity_id=f"-{i}", after={"text": text}, user_agent="ordinary agent")
    response = client.get("/audit/export.csv", query_string={"signins": "1"})
    body = response.get_data()
    table = list(csv.DictReader(io.StringIO(body.decode(), newline="")))
    cells = [value for row in table for value in row.values() if value]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))], cells
    assert {r["reason"] for r in table if r["action"] == "admin:blocked:content"} == {"'" + f for f in FORMULAS}
    assert {r["entity_id"] for r in table if r["action"] == "admin:blocked:content"} == {
        f"'-{i}" for i in range(len(FORMULAS))}
    [failed] = [r for r in table if r["action"] == "admin:failed:login:self"]
    assert failed["user_agent"] == "'" + FORMULAS[0]
    assert _exported(dbs).metadata_["sha256"] == hashlib.sha256(body).hexdigest()
    lines = client.get("/audit/export.jsonl", query_string={"signins": "1"}).get_data(as_text=True)
    assert json.dumps(FORMULAS[0])[1:-1] in lines  # JSON is not a spreadsheet: kept as it was


def test_the_entrys_utc_time_is_utc_whatever_the_readers_zone(client, dbs, login_as):
    login_as("auditor")
    row = factories.LogFactory(action="admin:blocked:content", entity_type="post",
                               entity_id=str(uuid.uuid4()), occured_at=datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    assert client.post("/account/preferences",
                       data={"time_zone": "Asia/Kolkata", "theme": "system"}).status_code == 303
    page = client.get(f"/audit/entry/{row.id}").get_data(as_text=True)
    cell = page.split('data-testid="when-utc">')[1].split("</td>")[0]
    assert cell.startswith("2026-06-01 12:00:00") and "17:30 IST" in cell
    assert ">2026-06-01 12:00:00 UTC</li>" in page
