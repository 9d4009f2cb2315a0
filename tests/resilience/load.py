"""The load harness: moderators over real HTTP against gunicorn, each request recorded
(when, status, request id, whether the page said something changed), and the checks run
on the trail afterwards. Used by the load test, its PgBouncer run and the fault tests."""

from __future__ import annotations

import http.cookiejar
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask_migrate import upgrade
from sqlalchemy import orm

from flick_admin.db import Auth, Log, Post
from flick_admin.extensions import db
from tests import factories
from tests.conftest import make_app
from tests.resilience.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "load-test"
MODERATORS, POSTS, STUDENTS = 8, 12, 6


@dataclass
class Seeded:
    tokens: list[str]
    posts: list
    students: list[str]


def seed(database_url: str, **settings) -> Seeded:
    app = make_app(database_url, **settings)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        with orm.Session(db.engine) as s:
            factories.bind(s)
            try:
                tokens = [factories.open_session_for(factories.StaffFactory(role="moderator"))
                          for _ in range(MODERATORS)]
                posts = [p.id for p in factories.PostFactory.create_batch(POSTS)]
                students = [factories.StudentFactory().auth_id for _ in range(STUDENTS)]
            finally:
                factories.bind(None)
        for engine in db.engines.values():
            engine.dispose()
    return Seeded(tokens, posts, students)


@contextmanager
def gunicorn(database_url: str, *, workers: int = 2, threads: int = 4, **env_extra):
    """Flick Admin under gunicorn on a free loopback port; yields the base URL."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": SECRET,
           "FLICK_ADMIN_ENV": "production", "COOKIE_SECURE": "0", "REQUIRE_2FA_ROLES": "",
           "RATELIMIT_ENABLED": "0", "FOUR_EYES": "none", **env_extra}
    log = tempfile.TemporaryFile()  # the server's output, read by tests that look for a log line
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", str(threads),
         "-b", f"127.0.0.1:{port}", "--timeout", "60", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.1)
        server.log = log  # type: ignore[attr-defined]
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def server_log(server) -> str:
    server.log.flush()
    server.log.seek(0)
    return server.log.read().decode(errors="replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_flash_reader = SecureCookieSessionInterface()
_flask = Flask("flick-admin-load")
_flask.secret_key = SECRET


def flashed(set_cookie_headers: list[str]) -> list[tuple[str, str]]:
    """The flash messages a response put in the client session cookie."""
    for header in set_cookie_headers:
        match = re.match(r"flick_admin_csrf=([^;]*)", header)
        if match and match.group(1):
            data = _flash_reader.get_signing_serializer(_flask).loads(match.group(1))
            return [tuple(f) for f in data.get("_flashes", [])]
    return []


@dataclass
class Sent:
    started: float
    ended: float
    status: int  # 0: no HTTP answer at all
    request_id: str | None
    changed: bool  # the page said the action changed something
    said: str = ""  # the start of an error page's text


class Client:
    def __init__(self, base: str, token: str | None = None):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())
        if token:
            self.jar.set_cookie(http.cookiejar.Cookie(
                0, "flick_admin_session", token, None, False, "127.0.0.1", False, False, "/", True, False,
                None, False, None, None, {}))

    def open(self, path, data=None):
        """(status, body, headers); status 0 when no HTTP answer came."""
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as response:
                return response.status, response.read().decode(), response.headers
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode(), err.headers
        except (OSError, urllib.error.URLError) as err:
            return 0, repr(err), None

    def csrf(self, path="/reports/") -> str:
        for _ in range(100):
            status, page, _ = self.open(path)
            found = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page)
            if found:
                return found.group(1)
            time.sleep(0.2)
        raise AssertionError(f"no form on {path}: {status}")

    def freeze(self) -> None:
        """Keep the cookies as they are now (the client session with its CSRF token), so
        each response's flash message is that request's alone."""
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.jar)
        self.opener = urllib.request.build_opener(_NoRedirect())
        self.opener.addheaders = [("Cookie", cookie)]


class Moderator(threading.Thread):
    def __init__(self, base: str, token: str, seeded: Seeded, deadline: float, seed: int):
        super().__init__(daemon=True)
        self.client = Client(base, token)
        self.seeded, self.deadline = seeded, deadline
        self.rng = random.Random(seed)
        self.sent: list[Sent] = []
        self.error: str | None = None

    def act(self, token: str) -> None:
        if self.rng.random() < 0.7:
            post = self.rng.choice(self.seeded.posts)
            action = self.rng.choice(["ban", "unban", "shadow_ban", "unshadow_ban"])
            path, data = f"/posts/{post}/act", {"csrf_token": token, "action": action,
                                                "reason_choice": "Spam or scam"}
        else:
            student = self.rng.choice(self.seeded.students)
            if self.rng.random() < 0.5:
                path, data = f"/users/{student}/sanction", {
                    "csrf_token": token, "kind": "suspend", "days": str(self.rng.randint(1, 9)),
                    "reason_choice": "Harassment or bullying"}
            else:
                path, data = f"/users/{student}/lift", {"csrf_token": token,
                                                         "reason_choice": "Report reviewed: no violation"}
        started = time.monotonic()
        status, body, headers = self.client.open(path, data)
        told = flashed(headers.get_all("Set-Cookie") or []) if status == 303 else []
        changed = bool(told) and told[-1][0] == "success"
        said = ""
        if status not in (303, 409):
            title = re.search(r"<title>(.*?)</title>", body, re.S)
            said = (title.group(1) if title else body[:200]).strip()
        self.sent.append(Sent(started, time.monotonic(), status,
                              headers.get("X-Request-Id") if headers else None, changed, said))

    def run(self):
        try:
            token = self.client.csrf()
            self.client.freeze()
            while time.monotonic() < self.deadline:
                self.act(token)
        except Exception as exc:  # reported by the test
            self.error = repr(exc)


def run_load(base: str, seeded: Seeded, seconds: float) -> list[Sent]:
    deadline = time.monotonic() + seconds
    moderators = [Moderator(base, t, seeded, deadline, seed=i) for i, t in enumerate(seeded.tokens)]
    for m in moderators:
        m.start()
    for m in moderators:
        m.join(timeout=seconds + 90)
    assert not any(m.is_alive() for m in moderators), "a moderator hung: deadlock or stuck request"
    assert [m.error for m in moderators if m.error] == []
    return sorted((s for m in moderators for s in m.sent), key=lambda s: s.started)


def statuses(sent: list[Sent]) -> Counter:
    return Counter(s.status for s in sent)


def check_trail(database_url: str, seeded: Seeded, sent: list[Sent]) -> None:
    """Every action the page called done has its audit rows; replaying each item's audit
    rows gives its final state; the chain verifies."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            told = {uuid.UUID(s.request_id) for s in sent if s.changed}
            recorded = set(conn.scalars(sa.select(Log.request_id).distinct().where(
                Log.request_id.in_(told)))) if told else set()
            assert told <= recorded, f"acknowledged without an audit row: {told - recorded}"
            for post_id in seeded.posts:
                state = {"isBanned": False, "isShadowBanned": False}
                for before, after in conn.execute(
                        sa.select(Log.before, Log.after)
                        .where(Log.entity_type == "post", Log.entity_id == str(post_id))
                        .order_by(Log.occured_at, Log.id)):
                    assert {k: state[k] for k in before} == before, (post_id, state, before)
                    state.update(after)
                final = conn.execute(sa.select(Post.is_banned, Post.is_shadow_banned)
                                     .where(Post.id == post_id)).one()
                assert (bool(final[0]), bool(final[1])) == (state["isBanned"], state["isShadowBanned"])
            for student in seeded.students:
                rows = conn.execute(sa.select(Log.action).where(Log.entity_type == "user",
                                                                Log.entity_id == student)
                                    .order_by(Log.occured_at, Log.id)).scalars().all()
                banned = conn.scalar(sa.select(Auth.banned).where(Auth.id == student))
                # Lifts and sanctions alternate; the last row decides the state.
                assert bool(banned) == (bool(rows) and rows[-1] != "admin:unbanned:user"), (student, rows)
        from flick_admin.audit import chain

        with orm.Session(engine) as s:
            verdict = chain.verify(s)
        assert verdict.intact, verdict.summary
    finally:
        engine.dispose()
