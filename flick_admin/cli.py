"""``flask --app wsgi …`` commands: staff, demo, adopt."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from flick_admin.db.enums import StaffRole
from flick_admin.extensions import db

BASELINE = "0001_flick_baseline"

staff_cli = AppGroup("staff", help="Manage staff accounts from the command line.")


@staff_cli.command("create")
@click.argument("email")
@click.option("--role", required=True,
              type=click.Choice([r.value for r in StaffRole]))
@click.option("--name", default=None, help="Display name (defaults to the email's local part).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def staff_create(email: str, role: str, name: str | None, password_stdin: bool) -> None:
    """Create a staff account that can sign in to Flick Admin (and Flick)."""
    from flick_admin.auth.services import create_staff
    from flick_admin.refusals import ActionRefused

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_staff(email, role, password, name=name)
    except ActionRefused as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Created {role} {user.email} (id {user.id}).")


@staff_cli.command("rotate-2fa-key")
def staff_rotate_2fa_key() -> None:
    """Re-encrypt every second-factor secret with TOTP_ENCRYPTION_KEY (old keys in
    TOTP_ENCRYPTION_OLD_KEYS still read); then the old keys can be removed."""
    from flick_admin.auth.totp_keys import KeyMismatch
    from flick_admin.auth.two_factor import rotate_key

    try:
        done = rotate_key()
    except KeyMismatch as exc:
        raise click.ClickException(f"{exc} Nothing was changed.") from exc
    click.echo(f"Re-encrypted {done.rows} second-factor secret(s) with the current key"
               + (f" ({done.were_plain} were stored in the clear)." if done.were_plain else "."))


@click.command("adopt")
@with_appcontext
@click.option("--check", is_flag=True, help="Only report differences; stamp nothing.")
def adopt(check: bool) -> None:
    """Take over a database that Flick's server created: compare its schema with the
    baseline, report differences in plain words, and stamp the baseline so that
    ``flask db upgrade`` adds only Flick Admin's own objects."""
    from flask_migrate import stamp

    from flick_admin.db import schema_facts

    engine = db.engine
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        if "alembic_version" in inspector.get_table_names():
            current = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            if current:
                click.echo(f"This database is already managed by Flick Admin (revision {current}).")
                if not check:
                    click.echo("Run `flask --app wsgi db upgrade` to bring it to the latest revision.")
                    return
                _report_drift_at_head(conn)
                return
        if conn.dialect.name == "postgresql":
            drift = schema_facts.compare(schema_facts.live_facts(conn))
        else:
            drift = schema_facts.compare_sqlite(conn)
    for line in drift.blocking:
        click.echo(f"  ✗ {line}")
    for line in drift.warnings:
        click.echo(f"  ! {line}")
    if not drift.ok:
        raise click.ClickException(
            f"{len(drift.blocking)} difference(s) would break Flick Admin; nothing was stamped. "
            "Bring the database to Flick's current schema first."
        )
    if drift.warnings:
        click.echo(f"{len(drift.warnings)} difference(s) Flick Admin can live with (listed above).")
    else:
        click.echo("The schema matches Flick's baseline exactly.")
    if check:
        click.echo("--check given: nothing stamped.")
        return
    stamp(directory=current_app.extensions["migrate"].directory, revision=BASELINE)
    click.echo(f"Stamped {BASELINE}. Next: `flask --app wsgi db upgrade` adds Flick Admin's objects.")


def _report_drift_at_head(conn) -> None:
    from flick_admin.db import drift as drift_module
    from flick_admin.ops.health import head_revision

    drift = drift_module.at_head(conn, head_revision())
    for line in drift.blocking:
        click.echo(f"  ✗ {line}")
    for line in drift.warnings:
        click.echo(f"  ! {line}")
    if not drift.ok:
        click.echo(f"{len(drift.blocking)} blocking difference(s) from the migrations at head, "
                   f"{len(drift.warnings)} other(s).")
        sys.exit(1)
    if drift.warnings:
        click.echo(f"No blocking difference; {len(drift.warnings)} difference(s) Flick Admin can "
                   "live with (listed above).")
    else:
        click.echo("The schema matches the migrations at head (Flick's baseline and Flick Admin's own).")


@click.command("check")
@with_appcontext
def db_check() -> None:
    """Compare the live schema with what the migrations at head define (Flick's baseline
    plus Flick Admin's own objects); print every difference; exit 1 on a blocking one."""
    with db.engine.connect() as conn:
        _report_drift_at_head(conn)


words_cli = AppGroup("words", help="Banned words.")


@words_cli.command("scan")
@click.argument("word", required=False)
@click.option("--strict", is_flag=True, help="The word is a strict-mode word.")
@click.option("--severity", default="moderate", show_default=True)
@click.option("--remove", default=None, help="An existing word the change deletes (or replaces).")
def words_scan(word: str | None, strict: bool, severity: str, remove: str | None) -> None:
    """What adding WORD (and deleting --remove) would block and release over all visible
    posts and comments, with Flick's matcher; without either, what today's list blocks."""
    from flick_admin.colleges import catch, queries, words
    from flick_admin.colleges.wordcheck import Word
    from flick_admin.refusals import ActionRefused

    current = queries.all_words()
    try:
        added = [Word(words.clean_word(word), words.clean_severity(severity), strict)] if word else []
    except ActionRefused as exc:
        raise click.ClickException(exc.message) from exc
    removed = [w for w in current if remove and w.word == remove.strip().lower()]
    if remove and not removed:
        raise click.ClickException(f"{remove!r} is not a banned word.")
    keep = [w for w in current if w not in removed]
    if not (added or removed):
        added, keep = current, []
    conn = db.session.connection()
    started = datetime.now(UTC)
    with click.progressbar(length=catch.count_all(conn), label="Scanning posts and comments") as bar:
        result = catch.preview(conn, keep, added, removed, texts=catch.all_texts(conn), progress=bar.update)
    seconds = (datetime.now(UTC) - started).total_seconds()
    click.echo(f"{result.summary} ({seconds:.1f} s)")
    for label, examples in (("Would block", result.block_examples), ("Would no longer block", result.release_examples)):
        for e in examples:
            click.echo(f"  {label}: {e.kind} {e.id}: …{e.before}<<{e.inside}>>{e.after}… ({e.word})")


@click.command("demo")
@with_appcontext
@click.option("--size", default=60, show_default=True, type=click.IntRange(5, 5_000_000),
              help="Number of students; posts, comments and reports scale with it.")
@click.option("--serve/--no-serve", default=True, help="Start the dashboard afterwards.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def demo(size: int, serve: bool, host: str, port: int) -> None:
    """Migrate the database, load demo data and demo staff, and serve the dashboard
    (development and test only, on an empty database or one the demo filled itself)."""
    from flask_migrate import upgrade

    from flick_admin.ops import demo as demo_data

    click.echo(f"Database: {db.engine.url.render_as_string(hide_password=True)}")
    refused = demo_data.refusal(current_app.config["FLICK_ADMIN_ENV"])
    db.session.remove()  # the check's read ends before the migration writes
    if refused:
        raise click.ClickException(refused)
    upgrade(directory=current_app.extensions["migrate"].directory)
    logins = demo_data.ensure_demo(size=size, echo=click.echo)
    click.echo("\nDemo sign-ins (password for each: %s):" % demo_data.DEMO_PASSWORD)
    width = max(len(role) for role, _ in logins) + 2
    for role, email in logins:
        click.echo(f"  {role:<{width}} {email}")
    if serve:
        click.echo(f"\nServing Flick Admin on http://{host}:{port}  (Ctrl+C to stop)")
        # Flask refuses app.run() inside its own CLI; serve with Werkzeug directly.
        from werkzeug.serving import run_simple

        run_simple(host, port, current_app._get_current_object(), use_reloader=False, threaded=True)


audit_cli = AppGroup("audit", help="Verify and maintain the audit trail.")


@audit_cli.command("verify")
@click.option("--full", is_flag=True, help="Re-verify the whole chain, not only what came since the last check.")
@click.option("--expect", "expect", default=None, metavar="SEQ:SHA256",
              help="An anchor printed by an earlier run and kept outside the database; its link must still "
                   "match. Implies --full.")
def audit_verify(full: bool, expect: str | None) -> None:
    """Recompute the audit chain (new rows since the last intact verification, or all with
    --full or --expect); exit 1 and name the first bad row when it is broken. Prints the
    head to keep."""
    from flick_admin.audit.chain import Anchor
    from flick_admin.audit.services import verify_and_record

    try:
        anchor = Anchor.parse(expect) if expect else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--expect") from exc
    verdict = verify_and_record(full=full, expect=anchor)
    click.echo(verdict.summary)
    if verdict.head is not None:
        click.echo(f"head: {verdict.head}  (keep this outside the database; pass it as --expect next time)")
    if not verdict.intact:
        raise SystemExit(1)


@audit_cli.command("purge")
@click.option("--before", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Delete audit rows older than this date (UTC).")
@click.option("--reason", required=True, help="Why (kept in the purge's own audit row).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def audit_purge(before, reason: str, yes: bool) -> None:
    """Retention purge: delete old rows, keep a checkpoint so the rest still verifies."""
    from flick_admin.audit.services import purge
    from flick_admin.refusals import ActionRefused

    if not yes:
        click.confirm(f"Delete every audit row before {before:%Y-%m-%d}?", abort=True)
    try:
        result = purge(before, reason)
    except ActionRefused as refused:
        raise click.ClickException(refused.message) from refused
    click.echo(f"Purged {result.rows:,} rows; the chain continues from checkpoint link "
               f"{result.checkpoint_seq}.")


@click.command("db-roles")
@with_appcontext
@click.option("--app-role", default="flick_admin_app", show_default=True)
@click.option("--migrator-role", default="flick_admin_migrator", show_default=True)
@click.option("--flick-owner", default=None, help="Role that owns Flick's tables (default: the owner of posts).")
@click.option("--apply", "apply_", is_flag=True, help="Run the statements (needs a role that may create roles).")
def db_roles(app_role: str, migrator_role: str, flick_owner: str | None, apply_: bool) -> None:
    """Print (or --apply) the least-privilege roles: a migration role and an application role."""
    from flick_admin.ops import roles

    engine = db.engine
    if engine.dialect.name != "postgresql":
        raise click.ClickException("Database roles need PostgreSQL; this database is SQLite.")
    with engine.connect() as conn:
        database = conn.execute(sa.text("SELECT current_database()")).scalar()
        owner = flick_owner or conn.execute(sa.text(
            "SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'posts'")).scalar()
    try:
        statements = roles.statements(database, app_role, migrator_role, owner)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(roles.script(database, app_role, migrator_role, owner))
    if apply_:
        with engine.begin() as conn:
            for statement in statements:
                if not statement.startswith("--"):
                    conn.exec_driver_sql(statement)
        click.echo(f"Applied: roles {migrator_role} and {app_role} are ready.")


backup_cli = AppGroup("backup", help="Logical backups proven to restore (PostgreSQL).")


@backup_cli.command("create")
@click.option("--output", type=click.Path(dir_okay=False), default=None,
              help="Where to write the dump (default: backups/flick-<time>.dump).")
def backup_create(output: str | None) -> None:
    """Dump the database (custom format) with a manifest of row counts and its SHA-256."""
    from pathlib import Path

    from flick_admin.ops.backup import BackupError, create_recorded

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        made = create_recorded(db.engine, Path(output or f"backups/flick-{stamp}.dump"), echo=click.echo)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Wrote {made.path} ({made.size:,} bytes)\nSHA-256 {made.sha256}\nManifest {made.manifest}")


@backup_cli.command("verify")
@click.argument("file", type=click.Path(dir_okay=False))
def backup_verify(file: str) -> None:
    """Restore FILE into a scratch database and check it; exit 1 when it does not verify."""
    from pathlib import Path

    from flick_admin.ops.backup import verify_recorded

    verdict = verify_recorded(db.engine, Path(file), echo=click.echo)
    click.echo("")
    for line in verdict.lines:
        click.echo(line)
    click.echo("VERDICT: the backup restores and verifies." if verdict.ok else
               "VERDICT: the backup does NOT verify.")
    if not verdict.ok:
        raise SystemExit(1)


tallies_cli = AppGroup("tallies", help="Keep the running tallies (report and student counts) exact.")


@tallies_cli.command("catch-up")
def tallies_catch_up() -> None:
    """Add what Flick's server created since the last run (cron: every minute)."""
    from flick_admin.tallies import catch_up

    done = catch_up()
    click.echo(f"reports tallied through {done.reports_through}, students through {done.students_through}, "
               f"content through {done.content_through}")


@tallies_cli.command("reconcile")
def tallies_reconcile() -> None:
    """Recount everything and list every difference from the tallies; exit 1 if any."""
    from flick_admin.tallies import reconcile

    found = reconcile()
    for line in found.lines():
        click.echo(line)
    if not found.exact:
        raise SystemExit(1)


@tallies_cli.command("repair")
@click.option("--reason", required=True, help="Why (kept in the repair's audit row).")
def tallies_repair(reason: str) -> None:
    """Rebuild every tally from a full count (audited with what was wrong)."""
    from flick_admin.tallies import repair

    found = repair(reason)
    click.echo(f"Rebuilt the tallies; before the rebuild: "
               f"{len(found.posts)} post, {len(found.reports)} report and "
               f"{len(found.colleges)} college difference(s).")


def register(app: Flask) -> None:
    app.cli.add_command(tallies_cli)
    app.cli.add_command(staff_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(adopt)
    app.cli.add_command(words_cli)
    from flask_migrate.cli import db as migrate_group

    migrate_group.add_command(db_check, "check")  # in place of Alembic's models-only check
    app.cli.add_command(demo)
    app.cli.add_command(db_roles)
    app.cli.add_command(backup_cli)
