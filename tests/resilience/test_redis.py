"""Sign-in throttling shared through a real Redis by two gunicorn workers (each a server of
its own, so every other attempt lands on the other one): failed sign-ins are counted once.
Redis down: sign-in fails closed with a 503 that says why and a log line, signed-in staff
keep working; Redis back: throttling resumes."""

from __future__ import annotations

import pytest

from tests import factories
from tests.resilience.load import Client, gunicorn, seed, server_log

LIMIT = 4


@pytest.mark.postgres_only
def test_failed_sign_ins_are_counted_once_across_two_workers_and_redis_down_fails_closed(
        running_stack, stack_database):
    seeded = seed(stack_database)
    from sqlalchemy import orm

    from flick_admin.extensions import db
    from tests.conftest import make_app

    app = make_app(stack_database)
    with app.app_context(), orm.Session(db.engine) as s:
        factories.bind(s)
        try:
            emails = [factories.StaffFactory(role="moderator").email for _ in range(3)]
        finally:
            factories.bind(None)
        db.engine.dispose()
    throttled = {"RATELIMIT_ENABLED": "1", "RATELIMIT_STORAGE_URI": running_stack.redis_url(3),
                 "LOGIN_LIMIT_PER_ACCOUNT": f"{LIMIT} per 15 minutes",
                 "LOGIN_LIMIT_PER_ADDRESS": "100 per 10 minutes"}
    with gunicorn(stack_database, workers=1, threads=2, **throttled) as (one, server_one), \
            gunicorn(stack_database, workers=1, threads=2, **throttled) as (two, _server_two):
        clients = [Client(one), Client(two)]
        token = clients[0].csrf("/login")
        clients[0].freeze()
        clients[1].opener = clients[0].opener  # one browser, its requests spread over both workers

        def attempts(email, n, password="wrong password"):
            return [clients[i % 2].open("/login", {"csrf_token": token, "email": email,
                                                   "password": password})[0] for i in range(n)]

        # Counted once: the fifth failure is refused, though each worker saw at most three.
        assert attempts(emails[0], LIMIT + 1) == [401] * LIMIT + [429]
        assert attempts(emails[0], 1, factories.STAFF_PASSWORD) == [429]
        assert attempts(emails[1], 1, factories.STAFF_PASSWORD) == [303]

        running_stack.redis.stop()
        try:
            status, page, _ = clients[0].open("/login", {"csrf_token": token, "email": emails[2],
                                                         "password": "wrong password"})
            assert status == 503 and "Sign-in is paused" in page
            status, page, _ = clients[1].open("/login", {"csrf_token": token, "email": emails[2],
                                                         "password": factories.STAFF_PASSWORD})
            assert status == 503 and "Sign-in is paused" in page
            assert "Sign-in refused: the throttling store" in server_log(server_one)
            # Staff already signed in are not throttled and keep working.
            signed_in = Client(one, seeded.tokens[1])
            assert signed_in.open("/reports/")[0] == 200
        finally:
            running_stack.redis.start()

        # Redis back: throttling resumes, shared again.
        assert attempts(emails[2], LIMIT + 1) == [401] * LIMIT + [429]


def test_an_unreachable_throttling_store_refuses_sign_in_with_a_clear_page(app, dbs, caplog):
    """Outside CI too: a Redis nobody listens on (a free port), no servers started."""
    from tests.conftest import make_app
    from tests.resilience.servers import free_port

    user = factories.StaffFactory(role="moderator")
    throttled = make_app(app.config["SQLALCHEMY_DATABASE_URI"], RATELIMIT_ENABLED=True,
                         RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0")
    try:
        client = throttled.test_client()
        with caplog.at_level("ERROR"):
            response = client.post("/login", data={"email": user.email, "password": "wrong password"})
        assert response.status_code == 503
        assert b"Sign-in is paused" in response.data
        assert any("Sign-in refused: the throttling store" in r.getMessage() for r in caplog.records)
        assert client.get("/login").status_code == 200  # the page itself still opens
    finally:
        from flick_admin.extensions import db

        with throttled.app_context():
            db.engine.dispose()
        # The limiter is one object shared by every app: give it back its memory store.
        restored = make_app(app.config["SQLALCHEMY_DATABASE_URI"], RATELIMIT_ENABLED=True)
        with restored.app_context():
            db.engine.dispose()
