"""Many moderators at once, over real HTTP: gunicorn on loopback, threads acting on the same
posts and users for a bounded time (FLICK_LOAD_SECONDS, default 60). No 5xx, no deadlock,
and the audit trail tells exactly what happened: replaying each item's audit rows gives its
final state, one row per change."""

from __future__ import annotations

import http.cookiejar
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import orm

from flick_admin.db import Auth, Log, Post
from flick_admin.extensions import db
from tests import factories
from tests.conftest import make_app

pytestmark = pytest.mark.postgres_only
SECONDS = float(os.environ.get("FLICK_LOAD_SECONDS", "60"))
MODERATORS, POSTS, STUDENTS = 8, 12, 6
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Moderator(threading.Thread):
    def __init__(self, base: str, token: str, posts: list, students: list, deadline: float, seed: int):
        super().__init__(daemon=True)
        self.base, self.posts, self.students, self.deadline = base, posts, students, deadline
        self.rng = random.Random(seed)
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar),
                                                  _NoRedirect())
        jar.set_cookie(http.cookiejar.Cookie(0, "flick_admin_session", token, None, False, "127.0.0.1",
                                             False, False, "/", True, False, None, False, None, None, {}))
        self.statuses: Counter = Counter()
        self.error: str | None = None

    def _open(self, path, data=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def run(self):
        try:
            status, page = self._open("/reports/")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            while time.monotonic() < self.deadline:
                if self.rng.random() < 0.7:
                    post = self.rng.choice(self.posts)
                    action = self.rng.choice(["ban", "unban", "shadow_ban", "unshadow_ban"])
                    status, _ = self._open(f"/posts/{post}/act", {
                        "csrf_token": token, "action": action, "reason_choice": "Spam or scam"})
                else:
                    student = self.rng.choice(self.students)
                    if self.rng.random() < 0.5:
                        status, _ = self._open(f"/users/{student}/sanction", {
                            "csrf_token": token, "kind": "suspend", "days": str(self.rng.randint(1, 9)),
                            "reason_choice": "Harassment or bullying"})
                    else:
                        status, _ = self._open(f"/users/{student}/lift", {
                            "csrf_token": token, "reason_choice": "Report reviewed: no violation"})
                self.statuses[status] += 1
        except Exception as exc:  # reported by the test
            self.error = repr(exc)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_many_moderators_at_once(scratch_database):
    app = make_app(scratch_database)
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
        db.engine.dispose()
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": scratch_database, "SECRET_KEY": "load-test",
           "FLICK_ADMIN_ENV": "production", "COOKIE_SECURE": "0", "REQUIRE_2FA_ROLES": "",
           "RATELIMIT_ENABLED": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}",
         "--timeout", "60", "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        deadline = time.monotonic() + SECONDS
        workers = [Moderator(base, t, posts, students, deadline, seed=i) for i, t in enumerate(tokens)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=SECONDS + 60)
        assert not any(w.is_alive() for w in workers), "a moderator hung: deadlock or stuck request"
        assert [w.error for w in workers if w.error] == []
        statuses = sum((w.statuses for w in workers), Counter())
        assert sum(statuses.values()) > 50, statuses
        assert not [s for s in statuses if s >= 500], statuses
        assert set(statuses) <= {303, 409}, statuses
    finally:
        server.terminate()
        server.wait(timeout=30)

    # The trail tells exactly what happened, item by item.
    engine = sa.create_engine(scratch_database)
    with engine.connect() as conn:
        for post_id in posts:
            state = {"isBanned": False, "isShadowBanned": False}
            for before, after in conn.execute(
                    sa.select(Log.before, Log.after).where(Log.entity_type == "post", Log.entity_id == str(post_id))
                    .order_by(Log.occured_at, Log.id)):
                assert {k: state[k] for k in before} == before, (post_id, state, before)
                state.update(after)
            final = conn.execute(sa.select(Post.is_banned, Post.is_shadow_banned).where(Post.id == post_id)).one()
            assert (bool(final[0]), bool(final[1])) == (state["isBanned"], state["isShadowBanned"])
        for student in students:
            rows = conn.execute(sa.select(Log.action).where(Log.entity_type == "user", Log.entity_id == student)
                                .order_by(Log.occured_at, Log.id)).scalars().all()
            banned = conn.scalar(sa.select(Auth.banned).where(Auth.id == student))
            # Lifts and sanctions alternate; the last row decides the state.
            assert bool(banned) == (bool(rows) and rows[-1] != "admin:unbanned:user"), (student, rows)
    from flick_admin.audit import chain

    with orm.Session(engine) as s:
        verdict = chain.verify(s)
    assert verdict.intact, verdict.summary
    engine.dispose()
