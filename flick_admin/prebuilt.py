"""Statements built once and run many times with bound values.

Building a statement with SQLAlchemy (its aliases above all) can cost more than
PostgreSQL takes to plan and run it: an item page rebuilt its four statements for about
6 ms of Python a request (issue 25). ``once`` keeps what ``build(dialect, *args)`` returns
per (scope, dialect, args): the member's colleges are the only thing such a statement may
take from the request, and every other value is a bound parameter given when it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flick_admin import scope
from flick_admin.extensions import db

MAX_KEPT = 512  # many scoped members' statements, or many actors': start again

_KEPT: dict[tuple, Any] = {}


def once(build: Callable[..., Any]) -> Callable[..., Any]:
    def built(*args) -> Any:
        key = (build.__module__, build.__qualname__, scope.colleges(),
               db.session.get_bind().dialect.name, *args)
        stmt = _KEPT.get(key)
        if stmt is None:
            if len(_KEPT) >= MAX_KEPT:
                _KEPT.clear()
            stmt = _KEPT[key] = build(key[3], *args)
        return stmt
    built.__doc__ = build.__doc__
    return built
