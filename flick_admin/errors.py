"""Error pages in the dashboard's look, and the guarantee behind them: a failed request
rolls back whatever it had begun, and the person is told plainly what happened."""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from flick_admin.extensions import db
from flick_admin.refusals import ActionRefused
from flick_admin.pagination import BadCursor
from flick_admin.shell import render_page

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
        db.session.rollback()
        code = exc.code or 500
        if code >= 500:
            return _server_error()
        return render_page(
            "errors/generic.html", status=code,
            title=TITLES.get(code, exc.name), message=exc.description,
        )

    @app.errorhandler(ActionRefused)
    def refused(exc: ActionRefused):
        db.session.rollback()
        return render_page("errors/generic.html", status=exc.status, title=exc.title,
                           message=exc.message)

    @app.errorhandler(BadCursor)
    def bad_cursor(exc: BadCursor):
        return render_page("errors/generic.html", status=400, title="Bad request",
                           message="This page link is damaged or out of date; start again from "
                                   "the first page.")

    @app.errorhandler(SQLAlchemyError)
    def database_error(exc: SQLAlchemyError):
        db.session.rollback()
        log.exception("database error; the request's changes were rolled back")
        unavailable = isinstance(exc, DBAPIError) and exc.connection_invalidated
        return render_page(
            "errors/generic.html", status=503,
            title="Database unavailable" if unavailable else "Action not saved",
            message=(
                "The database could not be reached. Nothing was changed; try again shortly."
                if unavailable else
                "The database refused this action or its audit record, so nothing was "
                "changed. Try again; if it keeps failing, tell an administrator."
            ),
        )

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        log.exception("unexpected error; the request's changes were rolled back")
        return _server_error()


def _server_error():
    return render_page(
        "errors/generic.html", status=500, title="Something went wrong",
        message="The request failed and nothing was changed. The error has been logged.",
    )
