"""Error pages in the dashboard's look, and the guarantee behind them: a failed request
rolls back whatever it had begun, and the person is told plainly what happened."""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, request
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from flick_admin.extensions import db
from flick_admin.refusals import ActionRefused
from flick_admin.pagination import BadCursor
from flick_admin.ui.shell import render_page

log = logging.getLogger(__name__)

TITLES = {
    400: "Bad request",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    429: "Too many requests",
}


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        _rollback_quietly()
        code = exc.code or 500
        if code >= 500:
            return _server_error()
        return _safe_page(
            "errors/generic.html", status=code,
            title=TITLES.get(code, exc.name), message=exc.description,
        )

    @app.errorhandler(ActionRefused)
    def refused(exc: ActionRefused):
        _rollback_quietly()
        if wants_json():
            return jsonify(title=exc.title, message=exc.message), exc.status
        return _safe_page("errors/generic.html", status=exc.status, title=exc.title,
                           message=exc.message)

    @app.errorhandler(BadCursor)
    def bad_cursor(exc: BadCursor):
        return render_page("errors/generic.html", status=400, title="Bad request",
                           message="This page link is damaged or out of date; start again from "
                                   "the first page.")

    @app.errorhandler(SQLAlchemyError)
    def database_error(exc: SQLAlchemyError):
        _rollback_quietly()
        log.exception("database error; the request's changes were rolled back")
        if _unreachable(exc):
            # Not even the signed-in user can be read now: a page that needs nothing.
            return _bare_unavailable_page()
        return _safe_page(
            "errors/generic.html", status=503, title="Action not saved",
            message=("The database refused this action or its audit record, so nothing was "
                     "changed. Try again; if it keeps failing, tell an administrator."),
        )

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        _rollback_quietly()
        log.exception("unexpected error; the request's changes were rolled back")
        return _server_error()


def wants_json() -> bool:
    """A script asked (``Accept: application/json``, as the item page's claim does)."""
    return request.accept_mimetypes.best == "application/json"


def _bare_unavailable_page():
    """Rendered straight from the template, past Flask's context processors: loading the
    signed-in user (one of them) needs the database that is not there."""
    return current_app.jinja_env.get_template("errors/unavailable.html").render(), 503


def _unreachable(exc: SQLAlchemyError) -> bool:
    return isinstance(exc, OperationalError | InterfaceError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated)


def _rollback_quietly() -> None:
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.remove()


def _safe_page(template: str, *, status: int, **context):
    """The page in the dashboard's layout, or the bare one when even that fails."""
    try:
        return render_page(template, status=status, **context)
    except Exception:  # rendering needs the database (menu, signed-in user): degrade
        log.exception("could not render the error page in the layout")
        _rollback_quietly()
        return _bare_unavailable_page()


def _server_error():
    return _safe_page(
        "errors/generic.html", status=500, title="Something went wrong",
        message="The request failed and nothing was changed. The error has been logged.",
    )
