"""Backups, end to end on PostgreSQL: made, restored into a scratch database, checked —
and a damaged dump is a clear failure that leaves nothing behind."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from flick_admin.db import Log
from flick_admin.extensions import db
from tests.conftest import PG_ADMIN_URL, make_app

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def populated(scratch_app):
    with scratch_app.app_context():
        upgrade(directory=scratch_app.extensions["migrate"].directory)
    result = scratch_app.test_cli_runner().invoke(args=["demo", "--no-serve", "--size", "8"])
    assert result.exit_code == 0, result.output
    return scratch_app


def _verification_rows(app) -> list[dict]:
    with app.app_context():
        return db.session.scalars(sa.select(Log.metadata_).where(
            Log.action == "system:verified:backup").order_by(Log.occured_at)).all()


def _leftover_scratch_databases() -> list[str]:
    admin = sa.create_engine(PG_ADMIN_URL)
    with admin.connect() as conn:
        names = conn.execute(sa.text(
            "SELECT datname FROM pg_database WHERE datname LIKE 'flick_admin_verify_%'")).scalars().all()
    admin.dispose()
    return names


def test_create_then_verify(populated, tmp_path):
    app, dump = populated, tmp_path / "flick.dump"
    runner = app.test_cli_runner()
    made = runner.invoke(args=["backup", "create", "--output", str(dump)])
    assert made.exit_code == 0, made.output
    assert "SHA-256" in made.output and "[1/" in made.output  # progress per table
    manifest = json.loads(Path(str(dump) + ".manifest.json").read_text())
    assert manifest["tables"]["posts"] == 32 + 5 and len(manifest["sha256"]) == 64
    checked = runner.invoke(args=["backup", "verify", str(dump)])
    assert checked.exit_code == 0, checked.output
    for line in ("✓ checksum", "✓ table of contents", "✓ restores cleanly", "✓ schema matches",
                 "✓ row counts match", "✓ audit chain intact", "VERDICT: the backup restores and verifies."):
        assert line in checked.output, line
    assert _leftover_scratch_databases() == []
    with app.app_context():
        actions = db.session.scalars(sa.select(Log.action).where(Log.entity_type == "backup")).all()
    assert sorted(actions) == ["system:created:backup", "system:verified:backup"]


def test_a_damaged_dump_fails_clearly_and_leaves_nothing_behind(populated, tmp_path):
    app, dump = populated, tmp_path / "flick.dump"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "create", "--output", str(dump)]).exit_code == 0
    data = bytearray(dump.read_bytes())
    data[len(data) // 2: len(data) // 2 + 64] = b"\x00" * 64
    dump.write_bytes(bytes(data))
    flipped = runner.invoke(args=["backup", "verify", str(dump)])
    assert flipped.exit_code == 1 and "(damaged)" in flipped.output and "does NOT verify" in flipped.output
    # Damage that the manifest was regenerated for: only a restore can tell.
    dump.write_bytes(bytes(data[: len(data) // 3]))
    manifest_path = Path(str(dump) + ".manifest.json")
    manifest = json.loads(manifest_path.read_text())
    from flick_admin.ops.backup import sha256_of

    manifest["sha256"] = sha256_of(dump)
    manifest_path.write_text(json.dumps(manifest))
    truncated = runner.invoke(args=["backup", "verify", str(dump)])
    assert truncated.exit_code == 1 and "does NOT verify" in truncated.output
    assert "✗" in truncated.output
    assert _leftover_scratch_databases() == []
    failed = _verification_rows(app)
    assert [row["ok"] for row in failed] == [False, False]
    assert any("(damaged)" in line for line in failed[0]["lines"])


def test_missing_manifest_is_refused(populated, tmp_path):
    dump = tmp_path / "alone.dump"
    dump.write_bytes(b"PGDMP not really")
    result = populated.test_cli_runner().invoke(args=["backup", "verify", str(dump)])
    assert result.exit_code == 1 and "manifest" in result.output
    [row] = _verification_rows(populated)
    assert row["ok"] is False and row["label"] == "alone.dump"
    assert row["lines"] == [line for line in result.output.splitlines() if line.startswith("✗")]


def test_table_names_are_quoted_not_pasted_into_sql(populated, tmp_path):
    """A table whose name holds a double quote, a percent sign and a semicolon is counted,
    dumped and checked like any other (its name is never pasted into SQL text)."""
    odd = 'odd "name"; 100%'
    with populated.app_context():
        with db.engine.begin() as conn:
            conn.exec_driver_sql('CREATE TABLE "odd ""name""; 100%%" (n int)')
            conn.exec_driver_sql('INSERT INTO "odd ""name""; 100%%" VALUES (1), (2)')
    dump = tmp_path / "odd.dump"
    runner = populated.test_cli_runner()
    made = runner.invoke(args=["backup", "create", "--output", str(dump)])
    assert made.exit_code == 0, made.output
    manifest = json.loads(Path(str(dump) + ".manifest.json").read_text())
    assert manifest["tables"][odd] == 2
    checked = runner.invoke(args=["backup", "verify", str(dump)])
    assert checked.exit_code == 0, checked.output
    assert "✓ row counts match" in checked.output


def test_the_dump_and_its_manifest_are_readable_by_their_owner_only(populated, tmp_path):
    dump, stale = tmp_path / "flick.dump", tmp_path / "stale.dump"
    stale.write_bytes(b"an older file, world-readable")
    stale.chmod(0o644)
    runner = populated.test_cli_runner()
    previous = os.umask(0o022)  # the usual umask: new files 0644
    try:
        for target in (dump, stale):
            made = runner.invoke(args=["backup", "create", "--output", str(target)])
            assert made.exit_code == 0, made.output
    finally:
        os.umask(previous)
    for target in (dump, stale):
        assert stat.S_IMODE(target.stat().st_mode) == 0o600, target
        assert stat.S_IMODE(Path(str(target) + ".manifest.json").stat().st_mode) == 0o600


def test_the_database_password_is_never_on_a_command_line(scratch_database, tmp_path, monkeypatch):
    """pg_dump and pg_restore get the password through PGPASSWORD, not in their argv
    (which every user of the machine can read in ps)."""
    password = "canary-Pw-7b1e9f"
    url = sa.engine.make_url(scratch_database).set(password=password).render_as_string(hide_password=False)
    app = make_app(url)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
    launched: list[tuple[list[str], dict | None]] = []
    real_popen = subprocess.Popen

    class Recorded(real_popen):
        def __init__(self, args, *rest, **options):
            launched.append((list(args), options.get("env")))
            super().__init__(args, *rest, **options)

    monkeypatch.setattr(subprocess, "Popen", Recorded)
    dump = tmp_path / "flick.dump"
    runner = app.test_cli_runner()
    try:
        made = runner.invoke(args=["backup", "create", "--output", str(dump)])
        assert made.exit_code == 0, made.output
        checked = runner.invoke(args=["backup", "verify", str(dump)])
        assert checked.exit_code == 0, checked.output
    finally:
        with app.app_context():
            db.engine.dispose()
    programs = [argv[0] for argv, _ in launched]
    assert "pg_dump" in programs and "pg_restore" in programs
    for argv, env in launched:
        assert not any(password in arg for arg in argv), argv
        if any(arg.startswith("--dbname=") for arg in argv):
            assert env is not None and env.get("PGPASSWORD") == password
    assert password not in made.output + checked.output
