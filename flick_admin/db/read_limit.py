"""A time limit on the list and search pages' reads (PostgreSQL).

Whatever a staff member types, a list page must never hold a worker and a connection for
seconds: its reads run under ``statement_timeout`` (``LIST_STATEMENT_TIMEOUT_MS``,
2,000 ms by default; 0 turns it off), and a read the database cancels becomes the
"search too broad" page (a 400 that says how to narrow it), never a long scan or a 500.

The limit is transaction-local (``set_config(…, true)``, i.e. ``SET LOCAL``): with
PgBouncer in transaction pooling, a session-level ``SET`` would stay on a server
connection another client gets next. It is set only on the GET requests of the list and
search pages (``LIST_ENDPOINTS``) and costs no statement of its own there: the session
lookup every page makes carries it (``lookup_setting``). A unit of work that opens in the
same transaction lifts it first (``lift``), so writes and decisions never run under it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from sqlalchemy.orm import Session

from flick_admin.refusals import InvalidInput

# The GET pages whose reads are bounded: the lists with their filters and search boxes,
# the command palette and the saved views' counts.
LIST_ENDPOINTS = frozenset({
    "posts.index", "comments.index", "users.index", "reports.index", "audit.index",
    "colleges.index", "banned_words.index", "college_requests.index", "feedback.index",
    "search.index", "search.suggest", "saved_views.counts",
})
DEFAULT_MS = 2000
_MARK = "flick_admin.read_limit"


class SearchTooBroad(InvalidInput):
    """The database gave up on a list read: the filters match too much to answer in time."""

    title = "Search too broad"

    def __init__(self) -> None:
        super().__init__(
            "This search or filter matches too much to answer in time, so it was stopped. "
            "Narrow it: use longer words (at least 3 letters or digits each), more words, "
            "or add a filter such as a college, a state or a date range.")


def limit_ms() -> int:
    return int(current_app.config.get("LIST_STATEMENT_TIMEOUT_MS", DEFAULT_MS) or 0)


def wanted(session: Session | None = None) -> bool:
    """Whether this request's reads run under the limit: a GET of a list or search page, on
    PostgreSQL, with a limit configured."""
    if not has_request_context() or request.method not in ("GET", "HEAD"):
        return False
    if request.endpoint not in LIST_ENDPOINTS or limit_ms() <= 0:
        return False
    if session is not None:
        return session.get_bind().dialect.name == "postgresql"
    return True


def _setting() -> str:
    return f"{limit_ms()}ms"


def lookup_setting(session: Session) -> str | None:
    """The limit for the session lookup (the page's first statement), which sets it for the
    rest of the transaction with ``set_config``; None when this request is not bounded."""
    if not wanted(session):
        return None
    return _setting()


def _current(session: Session):
    return session.get_transaction()


def mark(session: Session) -> None:
    """The lookup statement set the limit in the session's open transaction."""
    session.info[_MARK] = _current(session)


def _marked(session: Session) -> bool:
    current = _current(session)
    return current is not None and session.info.get(_MARK) is current


def ensure(session: Session) -> None:
    """Before a list read: set the limit unless this transaction has it (a replica's
    session, or a transaction begun after the lookup's, e.g. after the idle-time touch)."""
    if not wanted(session) or _marked(session):
        return
    session.execute(sa.select(sa.func.set_config("statement_timeout", _setting(), True)))
    mark(session)


def lift(session: Session) -> None:
    """A unit of work is opening on this transaction: writes never run under the limit."""
    if _marked(session):
        session.execute(sa.text("SET LOCAL statement_timeout TO DEFAULT"))
        session.info.pop(_MARK, None)


def is_cancel(exc: BaseException) -> bool:
    """The database cancelled the statement (``statement_timeout``, SQLSTATE 57014)."""
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) == "57014"


@contextmanager
def bounded(session: Session) -> Iterator[Session]:
    """Run a list read under the limit; a cancelled read rolls the session back (so the
    connection is clean for the rest of the request) and is refused as too broad."""
    ensure(session)
    try:
        yield session
    except sa.exc.OperationalError as exc:
        if not is_cancel(exc):
            raise
        session.rollback()
        session.info.pop(_MARK, None)
        raise SearchTooBroad() from exc
