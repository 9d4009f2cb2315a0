"""The ``flask --app wsgi`` commands: staff create, adopt, demo."""

from __future__ import annotations

import contextlib
import io
import os
import re

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from flick_admin.auth.passwords import verify_password
from flick_admin.db import Account, Auth, Log, Post
from flick_admin.extensions import db
from flick_admin.config import ROOT
from tests import factories
from tests.conftest import make_app


def test_staff_create_reads_the_password_from_stdin(app, dbs):
    result = app.test_cli_runner().invoke(
        args=["staff", "create", "New.Admin@Flick.test", "--role", "admin", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    dbs.expire_all()
    user = dbs.scalars(sa.select(Auth).where(Auth.email == "new.admin@flick.test")).one()
    assert user.role == "admin" and user.email_verified
    account = dbs.scalars(sa.select(Account).where(Account.user_id == user.id)).one()
    assert account.provider_id == "credential" and account.account_id == user.id
    assert verify_password("a long enough password", account.password)
    entry = dbs.scalars(sa.select(Log).where(Log.entity_id == user.id)).one()
    assert (entry.action, entry.actor_type) == ("system:created:admin:account", "system")
    assert entry.after == {"email": "new.admin@flick.test", "role": "admin"}


def test_staff_create_refuses_duplicates_and_bad_roles(app, dbs):
    existing = factories.StaffFactory()
    runner = app.test_cli_runner()
    dup = runner.invoke(args=["staff", "create", existing.email, "--role", "admin",
                              "--password-stdin"], input="a long enough password\n")
    assert dup.exit_code != 0 and "already exists" in dup.output
    bad = runner.invoke(args=["staff", "create", "x@flick.test", "--role", "owner",
                              "--password-stdin"], input="a long enough password\n")
    assert bad.exit_code != 0


def test_demo_loads_data_and_one_login_per_role(app, client, dbs):
    # With four-eyes as it is by default: the demo's made-up history is not a severe effect.
    saved = app.config["FOUR_EYES"]
    app.config["FOUR_EYES"] = "user-ban,batch,college-delete,word-import"
    try:
        result = app.test_cli_runner().invoke(args=["demo", "--no-serve", "--size", "10"])
    finally:
        app.config["FOUR_EYES"] = saved
    assert result.exit_code == 0, result.output
    for role in ("moderator", "admin", "superadmin", "auditor", "triage"):
        assert f"{role}@flick.demo" in result.output
    dbs.expire_all()
    assert dbs.scalar(sa.select(sa.func.count()).select_from(Post)) == 40 + 5  # 4N, and the reported ones
    topics = set(dbs.scalars(sa.select(Post.topic).distinct()))
    assert len(topics) >= 8
    from flick_admin.db.reasons import RemovalReason  # a catalogue to pick from

    assert len(dbs.scalars(sa.select(RemovalReason).where(RemovalReason.retired_at.is_(None))).all()) == 3
    response = client.post("/login", data={"email": "auditor@flick.demo",
                                           "password": "flick-demo-password"})
    assert response.status_code == 303
    again = app.test_cli_runner().invoke(args=["demo", "--no-serve", "--size", "10"])
    assert "already loaded" in again.output


# --- adopting a database that Flick's server created ------------------------------------

def _offline_baseline_sql(app) -> str:
    out = io.StringIO()
    with app.app_context(), contextlib.redirect_stdout(out):
        upgrade(directory=app.extensions["migrate"].directory,
                revision="0001_flick_baseline", sql=True)
    sql = out.getvalue()
    # Flick's own database has no Alembic version table: drop those statements.
    statements = [s for s in sql.split(";\n") if "alembic_version" not in s]
    return ";\n".join(statements)


def _head_revision(app) -> str:
    from alembic.script import ScriptDirectory

    with app.app_context():
        migrate = app.extensions["migrate"]
        return ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory)).get_current_head()


@pytest.fixture
def flick_database(scratch_app):
    """A database laid out the way Flick's server made it (baseline DDL, no Alembic)."""
    sql = _offline_baseline_sql(scratch_app)
    with scratch_app.app_context():
        with db.engine.begin() as conn:
            conn.exec_driver_sql(sql)
    return scratch_app


@pytest.mark.postgres_only
def test_adopt_stamps_a_matching_flick_database_and_upgrade_adds_admin_objects(flick_database):
    app = flick_database
    runner = app.test_cli_runner()
    result = runner.invoke(args=["adopt"])
    assert result.exit_code == 0, result.output
    assert "matches Flick's baseline exactly" in result.output
    assert "Stamped 0001_flick_baseline" in result.output
    upgraded = runner.invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    with app.app_context(), db.engine.connect() as conn:
        labels = conn.execute(sa.text("SELECT unnest(enum_range(NULL::log_role))::text")).scalars().all()
        head = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert "moderator" in labels and "auditor" in labels
    assert head == _head_revision(app)
    again = runner.invoke(args=["adopt"])
    assert "already managed" in again.output


@pytest.mark.postgres_only
def test_adopt_refuses_and_explains_a_drifted_database(flick_database):
    app = flick_database
    with app.app_context(), db.engine.begin() as conn:
        conn.exec_driver_sql('ALTER TABLE posts ALTER COLUMN title TYPE varchar(80)')
        conn.exec_driver_sql('ALTER TABLE comments DROP COLUMN "parentCommentId"')
        conn.exec_driver_sql('DROP INDEX idx_college_name')
    result = app.test_cli_runner().invoke(args=["adopt"])
    assert result.exit_code != 0
    out = result.output
    assert "column posts.title is of type character varying, expected text" in out
    assert "column comments.parentCommentId is missing" in out
    assert "index idx_college_name on colleges is missing" in out
    assert "nothing was stamped" in out
    with app.app_context(), db.engine.connect() as conn:
        assert not sa.inspect(conn).has_table("alembic_version")


@pytest.mark.postgres_only
def test_adopt_check_reports_without_stamping(flick_database):
    app = flick_database
    result = app.test_cli_runner().invoke(args=["adopt", "--check"])
    assert result.exit_code == 0 and "nothing stamped" in result.output
    with app.app_context(), db.engine.connect() as conn:
        assert not sa.inspect(conn).has_table("alembic_version")


def test_offline_sql_contains_flicks_quoted_names(app):
    sql = _offline_baseline_sql(app)
    assert re.search(r'"isShadowBanned"', sql)
    assert "alembic_version" not in sql


def test_demo_serves_the_dashboard_after_loading(app, dbs, monkeypatch):
    """`flask demo` must really serve: Flask ignores app.run() inside its own CLI."""
    import werkzeug.serving

    served = {}
    monkeypatch.setattr(werkzeug.serving, "run_simple",
                        lambda host, port, application, **kw: served.update(host=host, port=port, app=application))
    result = app.test_cli_runner().invoke(args=["demo", "--size", "5", "--port", "5099"])
    assert result.exit_code == 0, result.output
    assert served == {"host": "127.0.0.1", "port": 5099, "app": app}
    assert "Serving Flick Admin on http://127.0.0.1:5099" in result.output


# --- `flask demo` only where it cannot hurt ------------------------------------------------

def _demo_staff(dbs) -> int:
    dbs.expire_all()
    return dbs.scalar(sa.select(sa.func.count()).select_from(Auth).where(Auth.email.like("%@flick.demo")))


@pytest.mark.parametrize("env", ["production", "staging", "prod"])
def test_demo_refuses_outside_development_and_test(database_url, dbs, env):
    production = make_app(database_url, FLICK_ADMIN_ENV=env, RATELIMIT_ALLOW_MEMORY="1")
    result = production.test_cli_runner().invoke(args=["demo", "--no-serve", "--size", "5"])
    with production.app_context():
        db.engine.dispose()
    assert result.exit_code != 0
    assert f"FLICK_ADMIN_ENV is {env!r}" in result.output
    assert "flick-demo-password" not in result.output
    assert _demo_staff(dbs) == 0
    assert dbs.scalar(sa.select(sa.func.count()).select_from(Post)) == 0


@pytest.mark.parametrize("existing", ["student", "staff", "college"])
def test_demo_refuses_a_database_holding_flick_data_it_did_not_create(app, dbs, existing):
    {"student": factories.StudentFactory, "staff": factories.StaffFactory,
     "college": factories.CollegeFactory}[existing]()
    dbs.flush()
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve", "--size", "5"])
    assert result.exit_code != 0
    assert "already holds Flick data" in result.output
    assert _demo_staff(dbs) == 0
    assert dbs.scalar(sa.select(sa.func.count()).select_from(Post)) == 0


def test_the_readme_demo_line_works_on_a_fresh_sqlite_file(tmp_path):
    """The README's one line: FLICK_ADMIN_ENV=development on a file that does not exist yet."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(FLICK_ADMIN_ENV="development", DATABASE_URL=f"sqlite:///{tmp_path}/fresh.sqlite3")
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "demo", "--no-serve", "--size", "5"]
    first = subprocess.run(flask, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "superadmin@flick.demo" in first.stdout
    again = subprocess.run(flask, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "already loaded" in again.stdout


# --- `db check`: the live schema against the migrations at head --------------------------------

@pytest.fixture
def managed_database(scratch_app):
    with scratch_app.app_context():
        upgrade(directory=scratch_app.extensions["migrate"].directory)
    return scratch_app


def _plant(app, *statements):
    with app.app_context(), db.engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


@pytest.mark.postgres_only
def test_db_check_passes_at_head(managed_database):
    result = managed_database.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
    assert "matches the migrations at head" in result.output


@pytest.mark.postgres_only
def test_db_check_a_missing_index_is_printed_but_does_not_block(managed_database):
    _plant(managed_database, "DROP INDEX ix_admin_posts_created")
    result = managed_database.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
    assert "index ix_admin_posts_created on posts is missing" in result.output


@pytest.mark.postgres_only
@pytest.mark.parametrize(("statements", "said"), [
    (["ALTER TABLE posts ALTER COLUMN title TYPE varchar(80)"],
     "column posts.title is of type character varying, expected text"),
    (["ALTER TABLE admin_saved_views ALTER COLUMN name TYPE varchar(20)"],
     "column admin_saved_views.name is of type"),
    (["ALTER TYPE log_role ADD VALUE 'intern'"],
     "enum type log_role has the values intern, which no migration defines"),
    (["DROP TABLE admin_saved_views CASCADE"], "table admin_saved_views is missing"),
])
def test_db_check_blocking_drift_exits_1(managed_database, statements, said):
    _plant(managed_database, *statements)
    runner = managed_database.test_cli_runner()
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 1, result.output
    assert said in result.output
    adopt = runner.invoke(args=["adopt", "--check"])
    assert adopt.exit_code == 1 and said in adopt.output and "already managed" in adopt.output


@pytest.mark.postgres_only
def test_db_check_a_database_behind_head_blocks(managed_database):
    _plant(managed_database, "UPDATE alembic_version SET version_num = '0011_team'")
    result = managed_database.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 1 and "run `flask --app wsgi db upgrade`" in result.output
