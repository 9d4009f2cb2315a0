"""Logical backups that are proven to restore.

``create`` dumps the database with ``pg_dump`` (custom format) inside an exported snapshot,
counts every table's rows in that same snapshot, and writes beside the dump a manifest with
the counts and the dump's SHA-256. ``verify`` checks the checksum, reads the dump's own
table of contents, restores it into a scratch database, checks the schema against what
Flick Admin expects, verifies the audit chain, compares row counts with the manifest, and
drops the scratch database whatever happens.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import Session

from flick_admin.audit.actions import AuditAction
from flick_admin.audit.recorder import record
from flick_admin.db.enums import EntityType
from flick_admin.db.quoting import compose, run
from flick_admin.db.transaction import transaction

MANIFEST_SUFFIX = ".manifest.json"
Echo = Callable[[str], None]


class BackupError(RuntimeError):
    """A backup could not be made or did not verify; the message says why."""


def libpq_url(url: URL) -> str:
    """The URL as pg_dump and pg_restore take it: no driver name, and no password (a
    command line is readable by every user of the machine; ``libpq_env`` carries it)."""
    return URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                      database=url.database,
                      query={k: v for k, v in url.query.items() if k != "password"},
                      ).render_as_string(hide_password=False)


def libpq_env(url: URL) -> dict[str, str]:
    """The environment for pg_dump and pg_restore: the password, if any, in PGPASSWORD."""
    env = dict(os.environ)
    password = url.password if url.password is not None else url.query.get("password")
    if isinstance(password, tuple):
        password = password[-1]
    if password is not None:
        env["PGPASSWORD"] = str(password)
    return env


def private_file(path: Path) -> None:
    """Create ``path`` (or truncate it) readable and writable by its owner only, so that what
    is written into it next is never world-readable, whatever the umask or an older file's mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tables(conn) -> list[str]:
    return [r[0] for r in conn.execute(sa.text(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"))]


def _counts(conn, tables: list[str]) -> dict[str, int]:
    return {t: run(conn, compose("SELECT count(*) FROM {table}", table=t))[0] for t in tables}


@dataclass
class Created:
    path: Path
    manifest: Path
    sha256: str
    size: int
    counts: dict[str, int]


def create(engine: Engine, output: Path, echo: Echo = print) -> Created:
    if engine.dialect.name != "postgresql":
        raise BackupError("Backups need PostgreSQL; this database is SQLite (copy the file instead).")
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar()
            tables = _tables(conn)
            counts = _counts(conn, tables)
            revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() \
                if "alembic_version" in tables else None
            echo(f"Dumping {len(tables)} tables ({sum(counts.values()):,} rows) in snapshot {snapshot}")
            command = ["pg_dump", "--format=custom", "--verbose", f"--snapshot={snapshot}",
                       f"--file={output}", f"--dbname={libpq_url(engine.url)}"]
            private_file(output)  # pg_dump writes into it and keeps its mode
            process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True,
                                       env=libpq_env(engine.url), umask=0o077)
            done = 0
            tail: list[str] = []
            for line in process.stderr:  # pg_dump reports each table it dumps
                tail = (tail + [line.rstrip()])[-20:]
                found = re.search(r'dumping contents of table "public\.(.+)"$', line.rstrip())
                if found:
                    done += 1
                    echo(f"  [{done}/{len(tables)}] {found.group(1)} ({counts.get(found.group(1), 0):,} rows)")
            if process.wait() != 0:
                output.unlink(missing_ok=True)
                raise BackupError("pg_dump failed:\n" + "\n".join(tail))
    digest = sha256_of(output)
    manifest = output.with_name(output.name + MANIFEST_SUFFIX)
    private_file(manifest)
    manifest.write_text(json.dumps({
        "file": output.name, "sha256": digest, "size": output.stat().st_size,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": engine.url.database, "revision": revision, "tables": counts,
    }, indent=2))
    return Created(output, manifest, digest, output.stat().st_size, counts)


@dataclass
class Verdict:
    ok: bool
    lines: list[str] = field(default_factory=list)

    def add(self, ok: bool, text: str) -> bool:
        self.lines.append(f"{'✓' if ok else '✗'} {text}")
        if not ok:
            self.ok = False
        return ok


def create_recorded(engine: Engine, output: Path, echo: Echo = print) -> Created:
    """``create``, then its audit row (a failed dump raises ``BackupError`` and records nothing)."""
    made = create(engine, output, echo=echo)
    with transaction():
        record(AuditAction.BACKUP_CREATED, entity_type=EntityType.BACKUP, entity_id=made.path.name,
               metadata={"sha256": made.sha256, "size": made.size, "rows": sum(made.counts.values()),
                         "label": made.path.name})
    return made


def verify_recorded(engine: Engine, path: Path, echo: Echo = print) -> Verdict:
    """``verify``, then its audit row; a dump that cannot even be checked is a failed verdict."""
    try:
        verdict = verify(engine, path, echo=echo)
    except BackupError as exc:
        verdict = Verdict(False, [f"✗ {exc}"])
    with transaction():
        record(AuditAction.BACKUP_VERIFIED, entity_type=EntityType.BACKUP, entity_id=path.name,
               metadata={"ok": verdict.ok, "label": path.name, "lines": verdict.lines})
    return verdict


def _toc_tables(path: Path) -> set[str]:
    listing = subprocess.run(["pg_restore", "--list", str(path)], capture_output=True, text=True)
    if listing.returncode != 0:
        raise BackupError("pg_restore cannot read the dump's table of contents: "
                          + (listing.stderr.strip().splitlines() or ["unknown error"])[-1])
    # "<id>; <catalog> <oid> TABLE DATA public <name> <owner>": the name is printed as it is
    # (unquoted, spaces and all), the owner is the last word.
    return set(re.findall(r"^\d+; \d+ \d+ TABLE DATA public (.+) \S+$", listing.stdout, re.MULTILINE))


def verify(engine: Engine, path: Path, echo: Echo = print) -> Verdict:
    path = path.resolve()
    verdict = Verdict(True)
    if not path.exists():
        raise BackupError(f"{path} does not exist.")
    manifest_path = path.with_name(path.name + MANIFEST_SUFFIX)
    if not manifest_path.exists():
        raise BackupError(f"The manifest {manifest_path.name} is missing; it holds the checksum and "
                          "row counts the dump is checked against.")
    manifest = json.loads(manifest_path.read_text())
    digest = sha256_of(path)
    if not verdict.add(digest == manifest["sha256"], f"checksum {digest[:16]}… "
                       + ("matches" if digest == manifest["sha256"] else
                          f"does not match the manifest's {manifest['sha256'][:16]}… (damaged)")):
        return verdict
    toc = _toc_tables(path)
    missing = sorted(t for t, n in manifest["tables"].items() if n and t not in toc)
    if not verdict.add(not missing, "table of contents lists every table with rows"
                       + (f"; missing: {', '.join(missing)}" if missing else "")):
        return verdict
    scratch = f"flick_admin_verify_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            run(conn, compose("CREATE DATABASE {name}", name=scratch))
        target = engine.url.set(database=scratch)
        echo(f"Restoring into scratch database {scratch} …")
        restore = subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                                  f"--dbname={libpq_url(target)}", str(path)],
                                 capture_output=True, text=True, env=libpq_env(target))
        if not verdict.add(restore.returncode == 0, "restores cleanly" if restore.returncode == 0 else
                           "restore failed: " + (restore.stderr.strip().splitlines() or ["?"])[-1]):
            return verdict
        _check_restored(target, manifest, verdict)
    finally:
        with admin.connect() as conn:
            run(conn, compose("DROP DATABASE IF EXISTS {name} WITH (FORCE)", name=scratch))
        admin.dispose()
        verdict.lines.append(f"· scratch database {scratch} dropped")
    return verdict


def _check_restored(url: URL, manifest: dict, verdict: Verdict) -> None:
    from flick_admin.audit import chain
    from flick_admin.db import schema_facts

    restored = sa.create_engine(url)
    try:
        with restored.connect() as conn:
            drift = schema_facts.compare(schema_facts.live_facts(conn))
            verdict.add(drift.ok, "schema matches what Flick Admin expects" if drift.ok else
                        "schema differs: " + "; ".join(drift.blocking[:3]))
            counts = _counts(conn, list(manifest["tables"]))
        wrong = {t: (counts.get(t), n) for t, n in manifest["tables"].items() if counts.get(t) != n}
        verdict.add(not wrong, f"row counts match the manifest ({sum(counts.values()):,} rows in "
                    f"{len(counts)} tables)" if not wrong else
                    "row counts differ: " + ", ".join(f"{t} {got} ≠ {want}" for t, (got, want) in
                                                      list(wrong.items())[:5]))
        with Session(bind=restored) as session:
            result = chain.verify(session)
        verdict.add(result.intact, f"audit chain {result.summary}")
    finally:
        restored.dispose()
