"""Error pages in the dashboard's look, and the guarantee behind them: a failed request
rolls back whatever it had begun, and the person is told plainly what happened."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, Response, current_app, g, jsonify, request, url_for
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from flick_admin.db import outcome, read_limit
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
                           message=exc.message, held=_held_item(exc))

    @app.errorhandler(BadCursor)
    def bad_cursor(exc: BadCursor):
        return render_page("errors/generic.html", status=400, title="Bad request",
                           message="This page link is damaged or out of date; start again from "
                                   "the first page.")

    @app.errorhandler(SQLAlchemyError)
    def database_error(exc: SQLAlchemyError):
        _rollback_quietly()
        if read_limit.is_cancel(exc) and read_limit.wanted():
            # A list page's read stopped by its time limit outside the list itself.
            return refused(read_limit.SearchTooBroad())
        log.exception("database error; the request's changes were rolled back")
        if _unreachable(exc):
            # Not even the signed-in user can be read now: a page that needs nothing.
            return _bare_unavailable_page()
        told = what_happened()
        if told.kind == NOTHING_CHANGED:
            told = Told(NOTHING_CHANGED, "Action not saved",
                        "The database refused this action or its audit record, so nothing was "
                        "changed. Try again; if it keeps failing, tell an administrator.", False)
        return _safe_page("errors/generic.html", status=503, title=told.title,
                          message=told.message, recent_actions=told.recent_actions)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        _rollback_quietly()
        log.exception("unexpected error; the request's changes were rolled back")
        return _server_error()


def _held_item(exc: ActionRefused) -> dict | None:
    """For a 409 about an item someone else holds: where it is, and how to take it over."""
    if not exc.held:
        return None
    kind, target_id = exc.held
    item = (url_for("posts.detail", post_id=target_id) if kind == "post"
            else url_for("comments.detail", comment_id=target_id))
    return {"kind": kind, "item": item,
            "take_over": url_for("reports.hold", kind=kind, target_id=target_id, step="take-over")}


def wants_json() -> bool:
    """A script asked (``Accept: application/json``, as the item page's claim does)."""
    return request.accept_mimetypes.best == "application/json"


# What a failed request may say about the data (see ``flick_admin.db.outcome``).
NOTHING_CHANGED, SAVED, IN_DOUBT, PAGE_LOAD = "nothing-changed", "saved", "in-doubt", "page-load"
READING = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Told:
    kind: str
    title: str
    message: str
    recent_actions: bool  # link to the member's own recent actions in the audit log


def what_happened() -> Told:
    """The honest sentence about the data for a request that failed: a page load cannot
    know whether the action before it was saved, and a COMMIT cut off may have landed."""
    if outcome.in_doubt():
        return Told(IN_DOUBT, "Not known whether it was saved",
                    "The connection to the database was lost while your action was being saved, "
                    "so it may or may not have been saved. Check your recent actions before you "
                    "try again.", True)
    if outcome.saved():
        return Told(SAVED, "Saved, but the page could not be shown",
                    "Your action was saved, but the page that follows could not be loaded.", True)
    if request.method in READING:
        return Told(PAGE_LOAD, "Page not loaded",
                    "This page could not be loaded. If you just took an action, it may have been "
                    "saved: check your recent actions before you repeat it.", True)
    return Told(NOTHING_CHANGED, "Something went wrong",
                "The request failed and nothing was changed. The error has been logged.", False)


def _bare_unavailable_page():
    """Rendered straight from the template, past Flask's context processors: loading the
    signed-in user (one of them) needs the database that is not there."""
    page = current_app.jinja_env.get_template("errors/unavailable.html").render(
        told=what_happened())
    return page, 503


def end_database_work(response: Response) -> Response:
    """End the request's database work before the response leaves (an ``after_request``
    hook). Left to the app context's teardown, a rollback on a connection that died after
    the page was built (a database restart) raises past every error handler, and the WSGI
    server answers a bare "Internal Server Error"; here its failure is logged and answered
    with the 503 page. A streamed response still reads, so its session ends at teardown."""
    if response.is_streamed:
        return response
    try:
        db.session.close()
        replica_session = g.pop("replica_session", None)
        if replica_session is not None:
            replica_session.close()
    except SQLAlchemyError:
        log.exception("the database connection was lost at the end of the request; "
                      "answering with the 503 page")
        _discard_session()
        page, status = _bare_unavailable_page()
        return current_app.response_class(page, status=status, mimetype="text/html")
    return response


def guarded_teardown(_exc: BaseException | None = None) -> None:
    """Flask-SQLAlchemy's end of the app context, which must not raise: log and discard."""
    try:
        db.session.remove()
    except SQLAlchemyError:
        log.exception("the database connection was lost at the end of the request")
        _discard_session()


def _discard_session() -> None:
    """Forget the session whose connection died (its connection is invalidated already)."""
    try:
        db.session.remove()
    except SQLAlchemyError:
        db.session.registry.clear()


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
    told = what_happened()
    if told.kind != NOTHING_CHANGED:
        told = Told(told.kind, "Something went wrong", told.message + " The error has been logged.",
                    told.recent_actions)
    return _safe_page("errors/generic.html", status=500, title=told.title, message=told.message,
                      recent_actions=told.recent_actions)
