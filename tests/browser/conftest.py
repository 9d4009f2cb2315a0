"""What the browser tests share: Flick Admin served on loopback over demo data in a scratch
PostgreSQL database, Debian's Chromium driven by Playwright, sign-in helpers and
screenshots into test-artifacts/browser/."""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import orm
from werkzeug.serving import make_server

from flick_admin.db import Auth, TwoFactor
from flick_admin.db.quoting import ident
from flick_admin.ops.demo import DEMO_PASSWORD
from flick_admin.extensions import db
from tests.conftest import make_app

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
ADMIN_SECRET = pyotp.random_base32()
SUPERADMIN_SECRET = pyotp.random_base32()


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    reason = "Chromium is not installed (apt-get install chromium); .ci/run installs it"
    if os.environ.get("FLICK_REQUIRE_BROWSER"):
        raise pytest.UsageError(reason)
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="module")
def server(request):
    database_url = request.getfixturevalue("browser_database")
    app = make_app(database_url, WTF_CSRF_ENABLED=True, REQUIRE_2FA_ROLES="admin,superadmin")
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve", "--size", "12"])
    assert result.exit_code == 0, result.output
    with app.app_context(), orm.Session(db.engine) as s:
        for email, secret in (("admin@flick.demo", ADMIN_SECRET), ("superadmin@flick.demo", SUPERADMIN_SECRET)):
            staff = s.scalars(sa.select(Auth).where(Auth.email == email)).one()
            s.add(TwoFactor(id=secrets.token_urlsafe(12), user_id=staff.id, secret=secret, backup_codes="[]"))
            staff.two_factor_enabled = True
        s.commit()
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser_database():
    import uuid

    from tests.conftest import PG_ADMIN_URL

    name = f"flick_admin_browser_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {ident(name)}")
    yield admin.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {ident(name)} WITH (FORCE)")
    admin.dispose()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield page
    context.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


_USED_WINDOWS = [0]


def _fresh_code(secret: str) -> str:
    """Each 30-second window's code signs in once: the second sign-in takes the next one."""
    offset = 30 * _USED_WINDOWS[0]
    _USED_WINDOWS[0] += 1
    return pyotp.TOTP(secret).at(time.time() + offset)


def sign_in(page, base: str, email: str, secret: str | None = None) -> None:
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    if secret:
        page.wait_for_url(re.compile(r".*/login/code$"))
        page.fill("#code", _fresh_code(secret))
        page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def flash(page) -> str:
    return page.inner_text(".alert")




def open_session_cookie(app, base: str, email: str) -> dict:
    """A signed-in browser cookie for a demo account, made directly (no sign-in form, so
    no second-factor window is used up)."""
    from flick_admin.auth.sessions import open_session
    from flick_admin.db.transaction import transaction

    with app.test_request_context("/"):
        with transaction() as session:
            user = session.scalars(sa.select(Auth).where(Auth.email == email)).one()
            token, _ = open_session(user)
    return {"name": app.config["AUTH_COOKIE_NAME"], "value": token, "url": base}
