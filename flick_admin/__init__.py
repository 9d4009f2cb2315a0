"""Flick Admin: the staff dashboard of Flick."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, abort, g, request
from flask_login import current_user

from flick_admin import config as config_module
from flick_admin.config import ROOT


# No inline script anywhere; inline style attributes are allowed (Bootstrap's markup uses them).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


HSTS = "max-age=31536000; includeSubDomains"


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    overrides = dict(overrides or {})
    env = dict(os.environ)
    env.update({k: str(v) for k, v in overrides.items() if k in config_module.ENV_KEYS})
    app.config.update(config_module.load(env))
    app.config.update({k: v for k, v in overrides.items() if k not in config_module.ENV_KEYS})
    if app.config["SQLALCHEMY_DATABASE_URI"] == config_module.DEFAULT_SQLITE_URL:
        os.makedirs(app.instance_path, exist_ok=True)

    _bind_extensions(app)
    _register_views(app)
    _install_guards(app)
    return app


def _bind_extensions(app: Flask) -> None:
    from flick_admin.db import engine_setup, replica
    from flick_admin.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    engine_setup.configure(app)
    replica.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    limiter.init_app(app)
    from flick_admin.auth import throttle_store

    throttle_store.init_app(app)

    import flick_admin.auth.loader  # noqa: F401  (registers the request loader)
    from flask_sqlalchemy.session import Session as AppSession

    from flick_admin import four_eyes
    from flick_admin.audit import recorder
    from flick_admin.auth import sudo
    from flick_admin.db import outcome, word_signal
    from flick_admin.moderation import flick_cache
    from flick_admin.ui.errors import guarded_teardown

    recorder.install(AppSession)
    outcome.install(AppSession)
    word_signal.install(AppSession)
    flick_cache.install(AppSession)
    flick_cache.init_app(app)
    four_eyes.install()  # severity is checked at the commit point, before the chain seals
    if sudo.require not in recorder.record_checks:
        recorder.record_checks.append(sudo.require)
    # Ending the session at teardown must not raise past the WSGI server (a dead connection).
    teardowns = app.teardown_appcontext_funcs
    teardowns[teardowns.index(db._teardown_session)] = guarded_teardown


def _register_views(app: Flask) -> None:
    from flick_admin import cli
    from flick_admin.auth.views import bp as auth_bp
    from flick_admin.home.views import HomeView, SearchView
    from flick_admin.ui import errors, rows, shell, web
    from flick_admin.audit import views as audit_views
    from flick_admin.colleges import views as college_views
    from flick_admin.moderation import views as moderation_views
    from flick_admin.ops import probes
    from flick_admin.ops import views as ops_views
    from flick_admin.staff import views as staff_views
    from flick_admin.team import views as team_views

    admin = shell.build_admin(app, HomeView(name="Home", url="/", endpoint="admin"))
    moderation_views.register(admin)
    college_views.register_words(admin)
    from flick_admin.moderation import catalogue_views

    catalogue_views.register(admin)
    college_views.register(admin)
    audit_views.register(admin)
    ops_views.register(admin)
    staff_views.register(admin)
    team_views.register(admin)
    admin.add_view(SearchView(name="Search", endpoint="search", url="/search"))
    probes.init_app(app)
    web.register_filters(app)
    rows.register(app)
    app.register_blueprint(auth_bp)
    errors.register(app)
    cli.register(app)


# Pages a staff member who still has to enrol a second factor may open.
ENROLMENT_ENDPOINTS = frozenset({"account.two_factor", "auth.logout", "account.everywhere"})


def second_factor_gate(endpoint: str):
    """Roles in REQUIRE_2FA_ROLES use the dashboard only once they have a second factor."""
    from flask import current_app, flash, redirect, url_for

    if current_user.role not in current_app.config["REQUIRE_2FA_ROLES"]:
        return None
    # The flag on the already-loaded user: no extra query on every page.
    if endpoint in ENROLMENT_ENDPOINTS or current_user.two_factor_enabled:
        return None
    flash("Your role needs a second factor: set it up to continue.", "warning")
    return redirect(url_for("account.two_factor"))


def _install_guards(app: Flask) -> None:
    from flick_admin.audit.context import request_id
    from flick_admin.permissions import PUBLIC_ATTR, has_permission, required_for
    from flick_admin.extensions import login_manager
    from flick_admin.ui.shell import forbidden_page

    @app.before_request
    def refuse_nul_characters():
        """PostgreSQL text cannot hold NUL; say so instead of failing in the database."""
        from flick_admin.listing import refuse_nul
        from flick_admin.refusals import InvalidInput

        for values in (request.args, request.form):
            try:
                refuse_nul(values)
            except InvalidInput as refused:
                abort(400, refused.message)
        if "\x00" in request.path:
            abort(400, "The address contains a NUL character.")

    @app.before_request
    def deny_by_default():
        request_id()  # fixed once per request, echoed in the response
        endpoint = request.endpoint
        if endpoint is None:
            return None  # no route: the 404/405 handlers answer
        if endpoint == "static" or endpoint.endswith(".static"):
            return None
        view = app.view_functions[endpoint]
        if getattr(view, PUBLIC_ATTR, False):
            return None
        needed = required_for(view)
        if needed is None:
            abort(403, "This page declares no permission, so nobody may open it.")
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not has_permission(needed):
            return forbidden_page()
        return second_factor_gate(endpoint)

    # Registered last, so it runs first of the after_request hooks: the 503 page it may put
    # in place still gets the headers below.
    from flick_admin.ui.errors import end_database_work

    @app.after_request
    def stamp_request(response):
        if "request_id" in g:
            response.headers["X-Request-Id"] = str(g.request_id)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if app.config["COOKIE_SECURE"]:
            # Cookies travel only over HTTPS: tell browsers to use nothing else here.
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if "staff_session" in g or (request.endpoint or "").startswith("auth."):
            # Signed-in pages, and sign-in and invite pages: no copy in any cache
            # (backup codes, a handover, names and reports stay out of the back button).
            response.headers["Cache-Control"] = "no-store"
        return response

    app.after_request(end_database_work)
