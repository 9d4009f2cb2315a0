"""The health page, the probes and the metrics."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from flick_admin.db.quoting import ident
from flick_admin.ops import health
from tests import factories
from tests.conftest import BACKEND, make_app


def test_health_page_for_admins(client, dbs, login_as, app):
    login_as("admin")
    page = client.get("/health/", query_string={"fresh": "1"}).get_data(as_text=True)
    assert "Migrations and schema" in page and "No difference from what Flick Admin expects" in page
    assert "at head" in page
    if BACKEND == "postgresql":
        assert "encrypted (TLS)" in page and "Tables" in page and "Index usage" in page
        assert "pg_stat_statements is not enabled" in page or "Slowest statements" in page
    else:
        assert "Needs PostgreSQL; this database is SQLite." in page


def test_health_says_how_far_behind_the_running_tallies_are(app):
    from datetime import timedelta

    from flick_admin.db.base import utcnow
    from flick_admin.db.tallies import TallyWatermark

    with app.app_context():
        engine = app.extensions["sqlalchemy"].engines[None]
        section = next(s for s in health.read(fresh=True).sections if s.title == "Running tallies")
        # The test database has never been caught up.
        assert section.facts["reports tallied through"].startswith("never")
        assert "tallies catch-up" in section.note
        with engine.begin() as conn:
            conn.execute(sa.update(TallyWatermark).values(through=utcnow() - timedelta(minutes=6)))
        try:
            section = next(s for s in health.read(fresh=True).sections if s.title == "Running tallies")
        finally:
            with engine.begin() as conn:
                conn.execute(sa.update(TallyWatermark).values(through=None))
    assert "(6 min ago)" in section.facts["students tallied through"] and section.note == ""


def test_moderators_and_auditors_do_not_see_it(client, dbs, login_as):
    for role in ("moderator", "auditor"):
        login_as(role)
        assert client.get("/health/").status_code == 403


def test_migration_state_and_drift_are_reported(app):
    with app.app_context():
        report = health.read(fresh=True)
    section = report.sections[0]
    assert section.facts["at head"] is True and section.facts["schema matches"] is True
    assert section.facts["current revision"] == section.facts["head"]


@pytest.mark.postgres_only
def test_sections_degrade_to_not_available_under_a_weak_role(app, database_url):
    role = f"weak_{uuid.uuid4().hex[:8]}"
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engines[None]
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE ROLE {ident(role)} LOGIN")
            conn.commit()
        weak = sa.create_engine(sa.engine.make_url(database_url).set(username=role))
        try:
            report = health.read(weak, fresh=True)
        finally:
            weak.dispose()
            with engine.connect() as conn:
                conn.exec_driver_sql(f"DROP ROLE {ident(role)}")
                conn.commit()
    by_title = {s.title: s for s in report.sections}
    migrations = by_title["Migrations and schema"]
    assert not migrations.available and "permission denied" in migrations.note
    assert by_title["Connection"].available  # what every role may read still shows


@pytest.mark.postgres_only
def test_sslmode_in_the_url_is_honoured(app, database_url):
    url = sa.engine.make_url(database_url)
    required = sa.create_engine(url.update_query_dict({"sslmode": "require"}))
    with pytest.raises(sa.exc.OperationalError, match="SSL"):
        required.connect()
    plain = sa.create_engine(url.update_query_dict({"sslmode": "disable"}))
    with app.app_context():
        report = health.read(plain, fresh=True)
    plain.dispose()
    assert {s.title: s for s in report.sections}["Connection"].facts["encrypted (TLS)"] is False


def test_healthz_and_readyz_need_no_sign_in_and_say_little(client, dbs):
    assert client.get("/healthz").get_data(as_text=True) == "ok\n"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_data(as_text=True) == "ready\n"


def test_readyz_is_503_when_the_database_is_unreachable(dbs):
    broken = make_app("postgresql://postgres@127.0.0.1:1/nowhere")
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503 and response.get_data(as_text=True) == "not ready\n"
    assert broken.test_client().get("/healthz").status_code == 200


@pytest.mark.postgres_only
def test_readyz_is_503_until_migrations_reach_head(scratch_app):
    from flask_migrate import upgrade

    with scratch_app.app_context():
        upgrade(directory=scratch_app.extensions["migrate"].directory, revision="0001_flick_baseline")
    client = scratch_app.test_client()
    assert client.get("/readyz").status_code == 503
    with scratch_app.app_context():
        upgrade(directory=scratch_app.extensions["migrate"].directory)
    assert client.get("/readyz").status_code == 200


def test_metrics_report_the_queue_and_work(client, dbs):
    factories.ReportFactory.create_batch(3)
    mod = factories.StaffFactory(role="moderator")
    factories.LogFactory(actor_id=mod.id, actor_type="moderator", action="admin:banned:user",
                         entity_type="user")
    factories.LogFactory(actor_type="system", action="admin:failed:login:self", entity_type="auth")
    text = client.get("/metrics").get_data(as_text=True)
    assert "flick_admin_database_up 1.0" in text
    assert "flick_admin_pending_reports 3.0" in text
    assert 'flick_admin_staff_actions_24h{kind="users"} 1.0' in text
    assert "flick_admin_sign_in_failures_24h 1.0" in text
    assert "flick_admin_request_seconds_bucket" in text


def test_metrics_are_closed_to_other_addresses_unless_they_bring_the_token(database_url, connection, dbs):
    app = make_app(database_url, METRICS_TOKEN="s3cret-token")
    client = app.test_client()
    outside = {"REMOTE_ADDR": "203.0.113.5"}
    assert client.get("/metrics", environ_base=outside).status_code == 403
    assert client.get("/metrics", environ_base=outside,
                      headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", environ_base=outside,
                      headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    allowed = make_app(database_url, METRICS_ALLOW="203.0.113.0/24").test_client()
    assert allowed.get("/metrics", environ_base=outside).status_code == 200
    assert allowed.get("/metrics").status_code == 403  # loopback is no longer listed
