"""What every bench script sets up the same way: Flick Admin on a database (testing mode,
CSRF off unless asked), its engines, a signed-in staff member's cookie or test client, and
the probe that counts statements and database time while a request runs."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Bench:
    """Flick Admin as the bench measures it in-process."""

    app: object
    engine: sa.Engine
    engines: list[sa.Engine]

    def cookie(self, user_id: str = "staff0") -> str:
        return sign_in(self.app, self.engine, user_id)

    def client(self, user_id: str = "staff0"):
        """A test client signed in as ``user_id`` (a fresh session row)."""
        client = self.app.test_client()
        client.set_cookie(self.app.config["AUTH_COOKIE_NAME"], self.cookie(user_id))
        return client


def open_app(database_url: str, csrf: bool = False, **overrides) -> Bench:
    from flick_admin import create_app
    from flick_admin.extensions import db

    settings = {"DATABASE_URL": database_url, "FLICK_ADMIN_ENV": "testing", "SECRET_KEY": "bench"}
    if not csrf:
        settings["WTF_CSRF_ENABLED"] = False
    app = create_app(settings | overrides)
    with app.app_context():
        return Bench(app, db.engine, list(db.engines.values()))


def sign_in(app, engine, user_id: str = "staff0") -> str:
    """A session row for ``user_id`` (4 hours), as sign-in would make it; returns the cookie."""
    from flick_admin.auth.sessions import SESSION_ID_PREFIX, token_digest

    raw = uuid.uuid4().hex
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO session (id, token, user_id, created_at, updated_at, expires_at) "
            "VALUES (:id, :token, :user, :now, :now, :exp)"),
            {"id": SESSION_ID_PREFIX + raw[:16], "token": token_digest(raw), "now": now,
             "exp": now + timedelta(hours=4), "user": user_id})
    return raw


class Probe:
    """Counts statements and database time on engines while a request runs."""

    def __init__(self, engines):
        self.statements = 0
        self.db_seconds = 0.0
        for engine in engines:
            sa.event.listen(engine, "before_cursor_execute", self._before)
            sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, params, context, many):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, params, context, many):
        self.statements += 1
        self.db_seconds += time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())

    def reset(self):
        self.statements, self.db_seconds = 0, 0.0
