"""What a request's database work came to, for the page that reports a failure.

An error page may say "nothing was changed" only when that is true. So each request notes:

* ``saved``: a unit of work holding audit rows (a staff action) committed;
* ``in_doubt``: a COMMIT was sent and never confirmed (the connection died on it), so the
  action may or may not have been saved.

A unit without audit rows (a session's "last seen" refresh) does not count as an action.
"""

from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

from flick_admin.db.audit import Log

_AUDITED = "flick_admin.unit_has_audit_rows"
_SAVED = "flick_admin_action_saved"
_IN_DOUBT = "flick_admin_commit_in_doubt"


def saved() -> bool:
    return has_request_context() and g.get(_SAVED, False)


def in_doubt() -> bool:
    return has_request_context() and g.get(_IN_DOUBT, False)


def _note_audit_rows(session, _flush_context) -> None:
    if any(isinstance(obj, Log) for obj in session.new):
        session.info[_AUDITED] = True


def _commit_sent(_connection) -> None:
    if has_request_context():
        setattr(g, _IN_DOUBT, True)


def _committed(session) -> None:
    audited = session.info.pop(_AUDITED, False)
    if has_request_context():
        setattr(g, _IN_DOUBT, False)
        if audited:
            setattr(g, _SAVED, True)


def _rolled_back(session) -> None:
    session.info.pop(_AUDITED, None)


def install(session_class) -> None:
    """Called by the app factory: listen on the app's sessions and on every engine."""
    if not event.contains(session_class, "after_flush", _note_audit_rows):
        event.listen(session_class, "after_flush", _note_audit_rows)
        event.listen(session_class, "after_commit", _committed)
        event.listen(session_class, "after_rollback", _rolled_back)
    if not event.contains(Engine, "commit", _commit_sent):
        event.listen(Engine, "commit", _commit_sent)
