"""Keyset (seek) pagination: a page costs the same at page 1 and page 5,000.

A page is ordered by a tuple of keys that ends in a unique column; the cursor carries the
key values of the edge row, and the next page is "keys after these". No OFFSET, no
COUNT(*) per page.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from sqlalchemy.orm import Session

from flick_admin.db import read_limit
from flick_admin.db.replica import reader


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_cursor: str | None
    prev_cursor: str | None


def _tag(value: Any) -> str:
    if isinstance(value, datetime):
        return "d" + value.isoformat()
    if isinstance(value, uuid.UUID):
        return "u" + str(value)
    if isinstance(value, bool):
        return "b" + str(int(value))
    if isinstance(value, int):
        return "i" + str(value)
    if value is None:
        raise BadCursor("keyset keys cannot be NULL")
    return "s" + str(value)


def _untag(item: Any) -> Any:
    if not isinstance(item, str) or not item:
        raise BadCursor("malformed cursor")
    kind, raw = item[0], item[1:]
    try:
        if kind == "d":
            return datetime.fromisoformat(raw)
        if kind == "u":
            return uuid.UUID(raw)
        if kind == "b":
            return raw == "1"
        if kind == "i":
            return int(raw)
        if kind == "s":
            return raw
    except ValueError as exc:
        raise BadCursor("malformed cursor") from exc
    raise BadCursor("malformed cursor")


def encode(values: tuple[Any, ...]) -> str:
    raw = json.dumps([_tag(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, size: int) -> list[Any]:
    if len(token) > 512:
        raise BadCursor("malformed cursor")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        items = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadCursor("malformed cursor") from exc
    if not isinstance(items, list) or len(items) != size:
        raise BadCursor("malformed cursor")
    return [_untag(item) for item in items]


def _typed(values: list[Any], keys: list[ColumnElement]) -> None:
    """A cursor's values must be of its keys' types: one of another list (or forged) is a
    400, not a database error."""
    for value, key in zip(values, keys, strict=True):
        try:
            expected = key.type.python_type
        except NotImplementedError:
            continue
        if expected in (float, Decimal):
            fits = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
        elif expected is int:
            fits = isinstance(value, int) and not isinstance(value, bool)
        else:
            fits = isinstance(value, expected)
        if not fits:
            raise BadCursor("malformed cursor")


def _seek(stmt: sa.Select, keys: list[ColumnElement], *, descending: bool, size: int,
          after: str | None, before: str | None) -> tuple[sa.Select, bool]:
    """``stmt`` with its keys labelled ``_k0``…, the cursor's condition, order and limit."""
    labelled = [key.label(f"_k{i}") for i, key in enumerate(keys)]
    stmt = stmt.add_columns(*labelled)
    backwards = before is not None and after is None
    token = before if backwards else after
    if token:
        values = decode(token, len(keys))
        _typed(values, keys)
        edge = sa.tuple_(*[sa.literal(v, type_=k.type) for v, k in zip(values, keys, strict=True)])
        row_keys = sa.tuple_(*keys)
        going_down = descending != backwards
        stmt = stmt.where(row_keys < edge if going_down else row_keys > edge)
    ascending_now = not descending if not backwards else descending
    stmt = stmt.order_by(*[k.asc() if ascending_now else k.desc() for k in keys]).limit(size + 1)
    return stmt, backwards


def keyset_walk(stmt: sa.Select, keys: list[ColumnElement], *, descending: bool, size: int,
                after: str | None = None, before: str | None = None) -> sa.Select:
    """``stmt`` limited to the rows of the page a cursor asks for (``size`` + 1, in the
    keys' order): to find a page's rows in a narrow statement before a wide one joins
    what it shows to them (``paginate`` it again with the same cursor)."""
    return _seek(stmt, keys, descending=descending, size=size, after=after, before=before)[0]


def merged_keys(parts: list[tuple[sa.Select, list[ColumnElement]]], *, descending: bool, size: int,
                after: str | None = None, before: str | None = None) -> sa.Subquery:
    """The keys (``k0``, ``k1``…) of one page over several disjoint key-only walks: each
    walk seeks and limits along its own index, their merge is limited to the page in the
    same statement, so what the page shows is joined to its ``size`` + 1 rows only."""
    walks = [keyset_walk(stmt.with_only_columns(*[k.label(f"k{i}") for i, k in enumerate(keys)]), keys,
                         descending=descending, size=size, after=after, before=before)
             for stmt, keys in parts]
    union = sa.union_all(*(sa.select(w.subquery()) for w in walks)).subquery("walks")
    columns = [union.c[f"k{i}"] for i in range(len(parts[0][1]))]
    return keyset_walk(sa.select(*columns), columns, descending=descending, size=size, after=after,
                       before=before).subquery("page_keys")


def _page(rows: list[Any], n_keys: int, *, size: int, after: str | None, backwards: bool) -> Page:
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()

    def cursor_of(row) -> str:
        return encode(tuple(getattr(row, f"_k{i}") for i in range(n_keys)))

    if not rows:
        return Page(rows, None, None)
    if backwards:
        next_cursor = cursor_of(rows[-1])
        prev_cursor = cursor_of(rows[0]) if more else None
    else:
        next_cursor = cursor_of(rows[-1]) if more else None
        prev_cursor = cursor_of(rows[0]) if after else None
    return Page(rows, next_cursor, prev_cursor)


_CAPTURED: ContextVar[list[sa.Select] | None] = ContextVar("flick_admin_captured_pages", default=None)


@contextmanager
def captured_pages() -> Iterator[list[sa.Select]]:
    """Inside this block a list function runs nothing: each page it would read is kept as
    its statement (filtered, ordered, limited to the page size + 1) and an empty page is
    answered. Saved views count their lists this way, all in one statement."""
    token = _CAPTURED.set([])
    try:
        yield _CAPTURED.get()
    finally:
        _CAPTURED.reset(token)


def capturing() -> bool:
    """Whether a list is only being counted (its order does not matter then)."""
    return _CAPTURED.get() is not None


def _capture(stmt: sa.Select) -> bool:
    kept = _CAPTURED.get()
    if kept is None:
        return False
    kept.append(stmt)
    return True


def paginate(
    stmt: sa.Select,
    keys: list[ColumnElement],
    *,
    descending: bool,
    size: int,
    after: str | None = None,
    before: str | None = None,
    session: Session | None = None,
) -> Page:
    """Run ``stmt`` for one page ordered by ``keys`` (all in one direction). List pages
    pass the replica reader as ``session``."""
    stmt, backwards = _seek(stmt, keys, descending=descending, size=size, after=after, before=before)
    if _capture(stmt):
        return Page([], None, None)
    session = session or reader()
    with read_limit.bounded(session):
        rows = session.execute(stmt).all()
    return _page(rows, len(keys), size=size, after=after, backwards=backwards)


def paginate_merged(
    parts: list[tuple[sa.Select, list[ColumnElement]]],
    *,
    descending: bool,
    size: int,
    after: str | None = None,
    before: str | None = None,
    overlapping: bool = False,
) -> Page:
    """One page over several disjoint sources with the same columns and key types, in one
    statement: each source runs its own ordered, limited seek (so each keeps its own
    index-ordered plan) and the page is the first ``size`` of their merge."""
    union, backwards = merged_statement(parts, descending=descending, size=size, after=after, before=before)
    if _capture(sa.select(union.subquery()).limit(size + 1)):
        return Page([], None, None)
    return run_merged(union, len(parts[0][1]), descending=descending, size=size, after=after,
                      backwards=backwards, overlapping=overlapping)


def merged_statement(parts: list[tuple[sa.Select, list[ColumnElement]]], *, descending: bool, size: int,
                     after: str | None = None, before: str | None = None) -> tuple[sa.CompoundSelect, bool]:
    """``paginate_merged``'s statement (and whether it reads backwards), to build once."""
    seeks = [_seek(stmt, keys, descending=descending, size=size, after=after, before=before)
             for stmt, keys in parts]
    return sa.union_all(*(sa.select(seek.subquery()) for seek, _ in seeks)), seeks[0][1]


def run_merged(union: sa.CompoundSelect, n_keys: int, *, descending: bool, size: int, after: str | None,
               backwards: bool, overlapping: bool = False, values: dict | None = None) -> Page:
    """Run a ``merged_statement`` (with ``values`` for its bound parameters): its page."""
    session = reader()
    with read_limit.bounded(session):
        rows = session.execute(union, values).all()
    ascending_now = not descending if not backwards else descending
    def key(row):
        return tuple(getattr(row, f"_k{i}") for i in range(n_keys))

    rows.sort(key=key, reverse=not ascending_now)
    if overlapping:
        # Sources that may share rows (``overlapping=True``): the keys are unique per row,
        # so a row seen twice is the same row. Each source's first page holds every row of
        # the merged first page that comes from it, so dropping repeats loses none.
        seen: set = set()
        rows = [r for r in rows if not (key(r) in seen or seen.add(key(r)))]
    return _page(rows[: size + 1], n_keys, size=size, after=after, backwards=backwards)
