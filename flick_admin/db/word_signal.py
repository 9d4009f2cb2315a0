"""Flick's server rebuilds its banned-word matcher only when ``max(banned_words.updated_at)``
changes (it looks every 30 s, comparing milliseconds). A delete of a word that is not the
newest leaves that maximum where it was, so Flick would keep blocking the deleted word.

So every flush that adds, changes or deletes a banned word moves the signal in the same
transaction, whatever code path made the change (the word services, an import, a revert):
the changed row — or, when words were only deleted, the newest remaining one — gets an
``updated_at`` at least one millisecond past the old maximum. On PostgreSQL an advisory
lock orders concurrent changes, so each commit moves the maximum past the one before.
The unit remembers what it did (:func:`take`), and the audit row says so.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from flick_admin.db import BannedWord
from flick_admin.db.base import utcnow

INFO_KEY = "flick_admin.word_signal"
_PENDING_KEY = "flick_admin.word_signal.pending"


def read(session: Session) -> datetime | None:
    """The signal as Flick reads it."""
    return session.scalar(sa.select(sa.func.max(BannedWord.updated_at)))


def as_flick_sees(value: datetime | None) -> int:
    """Flick compares ``Date.getTime()``: milliseconds, 0 for no word at all."""
    if value is None:
        return 0
    return int(value.replace(microsecond=value.microsecond // 1000 * 1000).timestamp() * 1000)


def next_value(old: datetime | None) -> datetime:
    now = utcnow()
    if old is None:
        return now
    floor = old.replace(microsecond=old.microsecond // 1000 * 1000)
    return max(now, floor + timedelta(milliseconds=1))


def _changes(session: Session):
    new = [o for o in session.new if isinstance(o, BannedWord)]
    dirty = [o for o in session.dirty if isinstance(o, BannedWord) and session.is_modified(o)]
    deleted = [o for o in session.deleted if isinstance(o, BannedWord)]
    return new, dirty, deleted


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.connection().execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                                     {"key": "flick_admin:banned_words:signal"})


def _before_flush(session: Session, _context, _instances) -> None:
    new, dirty, deleted = _changes(session)
    if not (new or dirty or deleted):
        return
    _lock(session)
    with session.no_autoflush:
        old = read(session)
    value = next_value(old)
    for row in new + dirty:
        row.updated_at = value
    touched = (new + dirty)[0].word if new or dirty else None
    session.info[_PENDING_KEY] = (old, value, touched, bool(deleted) and not (new or dirty))


def _after_flush(session: Session, _context) -> None:
    pending = session.info.pop(_PENDING_KEY, None)
    if pending is None:
        return
    old, value, touched, only_deleted = pending
    if only_deleted:
        table = BannedWord.__table__
        connection = session.connection()
        newest = connection.execute(
            sa.select(table.c.id, table.c.word)
            .order_by(table.c.updated_at.desc(), table.c.id).limit(1)).first()
        if newest is not None:
            connection.execute(sa.update(table).where(table.c.id == newest.id).values(updated_at=value))
            for obj in list(session.identity_map.values()):
                if isinstance(obj, BannedWord) and obj.id == newest.id:
                    session.expire(obj, ["updated_at"])
            touched = newest.word
        else:
            value = None
    session.info[INFO_KEY] = {"from": old.isoformat() if old else None,
                              "to": value.isoformat() if value else None,
                              "row": touched}


def move(session: Session) -> None:
    """Move the signal now, for a change the ORM did not see (a Core ``UPDATE`` or
    ``DELETE`` of ``banned_words``): call it in the same unit, after the statement."""
    session.flush()
    _lock(session)
    old = read(session)
    session.info[_PENDING_KEY] = (old, next_value(old), None, True)
    _after_flush(session, None)


def pending_changes(session: Session) -> bool:
    return any(_changes(session))


def take(session: Session) -> dict | None:
    """What the unit's last flush did to the signal, for the audit row."""
    moved = session.info.get(INFO_KEY)
    if moved is None:
        return None
    note = ("max(banned_words.updated_at) moved so Flick's server rebuilds its word list"
            + (f" (set on {moved['row']!r})" if moved["row"] else " (no word is left)"))
    return {**moved, "why": note}


def _forget(session: Session, *_args) -> None:
    session.info.pop(INFO_KEY, None)
    session.info.pop(_PENDING_KEY, None)


def install(session_class: type[Session]) -> None:
    for name, listener in (("before_flush", _before_flush), ("after_flush_postexec", _after_flush),
                           ("after_commit", _forget), ("after_rollback", _forget)):
        if not sa.event.contains(session_class, name, listener):
            sa.event.listen(session_class, name, listener)
