"""``transaction()``: the one place where Flick Admin commits.

The Python form of Flick's ``runTransaction``. The outermost call owns the unit of work:
it commits when the block ends and rolls back on any exception. Nested calls join the
open unit; ``savepoint=True`` runs the block in a SAVEPOINT so that it can fail alone.

Flask-SQLAlchemy's session begins by itself on first use (loading ``current_user``
already does), so "is a unit open" is tracked here, in ``session.info``, and never read
from ``session.in_transaction()``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from flick_admin.db import read_limit
from flick_admin.db.extension import db

_DEPTH = "flick_admin.unit_depth"
_UNIT_ID = "flick_admin.unit_id"

# Called with the session just before the owning unit commits (the audit chain seals
# the unit's audit rows here, as the last thing the unit does).
before_commit_hooks: list[Callable[[Session], object]] = []
after_rollback_hooks: list[Callable[[Session], object]] = []
# Called with the session once the owning unit has committed (the read replica notes the
# commit's WAL position here); they must not raise.
after_commit_hooks: list[Callable[[Session], object]] = []


class NoUnitOfWork(RuntimeError):
    """A write helper was called outside ``transaction()``."""


def in_unit(session: Session | None = None) -> bool:
    session = session or db.session()
    return session.info.get(_DEPTH, 0) > 0


def unit_id(session: Session | None = None) -> uuid.UUID | None:
    """The id the server gave the open unit of work: every audit row of the unit carries
    it, so that one decision's rows are found together (never from a client's header)."""
    session = session or db.session()
    return session.info.get(_UNIT_ID) if in_unit(session) else None


def require_unit() -> Session:
    """Return the session of the open unit, or fail loudly: writes need a unit."""
    session = db.session()
    if not in_unit(session):
        raise NoUnitOfWork("this write must run inside transaction()")
    return session


@contextmanager
def transaction(*, savepoint: bool = False) -> Iterator[Session]:
    session = db.session()
    depth = session.info.get(_DEPTH, 0)
    session.info[_DEPTH] = depth + 1
    try:
        if depth == 0:
            # Owner of the unit. Whatever the session had auto-begun (a read of
            # current_user, say) becomes part of this unit and ends with it.
            session.info[_UNIT_ID] = uuid.uuid4()
            # A list page's read limit never applies to a write (db/read_limit.py).
            read_limit.lift(session)
            try:
                if savepoint:
                    with session.begin_nested():
                        yield session
                else:
                    yield session
                for hook in before_commit_hooks:
                    hook(session)
                session.commit()
            except BaseException:
                session.rollback()
                for hook in after_rollback_hooks:
                    hook(session)
                raise
            for hook in after_commit_hooks:
                hook(session)
        elif savepoint:
            with session.begin_nested():
                yield session
        else:
            yield session
    finally:
        session.info[_DEPTH] = depth
        if depth == 0:
            session.info.pop(_UNIT_ID, None)
