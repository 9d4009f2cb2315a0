"""Servers of the tests' own, in production's shape, on 127.0.0.1: a PostgreSQL 15 primary
made with initdb in a temporary folder, a hot-standby replica made from it with
``pg_basebackup -R``, PgBouncer in transaction pooling in front of the primary, and a
Redis. Each on a free port of its own; the machine's PostgreSQL (5432) and Redis (6379)
are never touched. As root, every server runs as the ``postgres`` OS user (initdb,
postgres and pgbouncer refuse root)."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN = Path(os.environ.get("FLICK_PG_BIN", "/usr/lib/postgresql/15/bin"))
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
RUN_AS = "postgres"


def missing() -> list[str]:
    """What is not installed here (empty when every server can be started)."""
    needed = {"PostgreSQL 15 (initdb)": PG_BIN / "initdb", "pg_basebackup": PG_BIN / "pg_basebackup",
              "pgbouncer": Path(PGBOUNCER), "redis-server": Path(REDIS)}
    gaps = [name for name, path in needed.items() if not path.exists()]
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(RUN_AS)
        except KeyError:
            gaps.append(f"the {RUN_AS!r} OS user (servers refuse to run as root)")
    return gaps


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner(args: list[str]) -> list[str]:
    return ["runuser", "-u", RUN_AS, "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(_as_owner([str(a) for a in args]), check=True, capture_output=True, text=True,
                          **kwargs)


def _wait_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answers on 127.0.0.1:{port} after {seconds} s")


class Postgres:
    def __init__(self, data: Path, port: int):
        self.data, self.port = data, port

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        _run([PG_BIN / "pg_ctl", "-D", self.data, "-l", self.data / "server.log", "-w", "-t", "60",
              "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.data}",
              "start"])

    def stop(self, mode: str = "fast") -> None:
        _run([PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop"])

    def restart(self) -> None:
        _run([PG_BIN / "pg_ctl", "-D", self.data, "-l", self.data / "server.log", "-m", "fast", "-w",
              "-t", "60", "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.data}",
              "restart"])

    def running(self) -> bool:
        return subprocess.run(_as_owner([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "status"]),
                              capture_output=True).returncode == 0


class Daemon:
    """A server process started in the foreground and stopped by its pid."""

    def __init__(self, name: str, args: list[str], port: int, log: Path):
        self.name, self.args, self.port, self.log = name, args, port, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(_as_owner(self.args), stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        _wait_port(self.port)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            # runuser passes the signal on to the server it started.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None


class Stack:
    """The four servers, started once and stopped together."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="flick-admin-stack-"))
        os.chmod(self.root, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.root, RUN_AS, RUN_AS)
        self.primary = Postgres(self.root / "primary", free_port())
        self.replica = Postgres(self.root / "replica", free_port())
        self.bouncer_port, self.redis_port = free_port(), free_port()
        self.pgbouncer = Daemon("pgbouncer", [PGBOUNCER, str(self.root / "pgbouncer.ini")],
                                self.bouncer_port, self.root / "pgbouncer.log")
        self.redis = Daemon("redis", [REDIS, "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no", "--dir", str(self.root)],
                            self.redis_port, self.root / "redis.log")

    def start(self) -> "Stack":
        _run([PG_BIN / "initdb", "-D", self.primary.data, "-U", "postgres", "--auth=trust",
              "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"])
        with open(self.primary.data / "postgresql.conf", "a") as conf:
            # Small and quick: a test cluster, not a production one.
            conf.write("fsync = off\nfull_page_writes = off\nshared_buffers = 32MB\n"
                       "max_connections = 120\nwal_level = replica\nmax_wal_senders = 4\n")
        self.primary.start()
        _run([PG_BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", self.primary.port, "-U", "postgres",
              "-D", self.replica.data, "-R", "-X", "stream", "--no-sync"])
        self.replica.start()
        self._write_pgbouncer_config()
        self.pgbouncer.start()
        self.redis.start()
        return self

    def _write_pgbouncer_config(self) -> None:
        ini = self.root / "pgbouncer.ini"
        ini.write_text(
            "[databases]\n"
            f"* = host=127.0.0.1 port={self.primary.port}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.bouncer_port}\n"
            f"unix_socket_dir = {self.root}\n"
            "auth_type = trust\n"
            f"auth_file = {self.root / 'userlist.txt'}\n"
            "pool_mode = transaction\n"
            "max_client_conn = 400\ndefault_pool_size = 20\n"
            "server_login_retry = 1\n"
        )
        (self.root / "userlist.txt").write_text('"postgres" ""\n')
        if os.geteuid() == 0:
            for path in (ini, self.root / "userlist.txt"):
                shutil.chown(path, RUN_AS, RUN_AS)

    def bouncer_url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.bouncer_port}/{database}"

    def redis_url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/{db}"

    def ensure_running(self) -> None:
        """Bring back anything a fault test left stopped."""
        for pg in (self.primary, self.replica):
            if not pg.running():
                pg.start()
        for daemon in (self.pgbouncer, self.redis):
            if daemon.process is None or daemon.process.poll() is not None:
                daemon.start()

    def stop(self) -> None:
        for daemon in (self.redis, self.pgbouncer):
            try:
                daemon.stop()
            except Exception:
                pass
        for pg in (self.replica, self.primary):
            try:
                if pg.data.exists() and pg.running():
                    pg.stop("immediate")
            except Exception:
                pass
        shutil.rmtree(self.root, ignore_errors=True)
