"""Confirm it is you before changing staff accounts (the "sudo mode" of GitHub and PyPI).

A change to a staff account made in a signed-in session needs that session's member to
have confirmed who they are (signing in, or the password or code again on
``/account/confirm``) within the last ``FRESH_2FA_MINUTES`` (10). The rule holds where
every such change passes: the app factory registers ``require()`` with ``record()``, which
calls it for every audit row, and it refuses the actions listed in ``STAFF_CHANGES``, so a route that forgets to ask is refused all the same, and the audit row
of the change names the confirmation it ran under. The staff pages ask first (a redirect
to the confirmation page), so the refusal is the last line, not the usual path.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, g, has_request_context

from flick_admin.audit.actions import AuditAction
from flick_admin.auth import session_state
from flick_admin.db.base import utcnow
from flick_admin.refusals import NotAllowed

STAFF_CHANGES = frozenset({
    AuditAction.STAFF_CREATED, AuditAction.STAFF_ROLE_CHANGED, AuditAction.STAFF_SCOPE_CHANGED,
    AuditAction.STAFF_DEACTIVATED, AuditAction.STAFF_REACTIVATED, AuditAction.STAFF_PASSWORD_RESET,
    AuditAction.STAFF_SESSIONS_ENDED, AuditAction.STAFF_TWO_FACTOR_RESET,
})


class ConfirmationNeeded(NotAllowed):
    """The session's last confirmation is too old for a staff change."""


def window() -> timedelta:
    return timedelta(minutes=int(current_app.config["FRESH_2FA_MINUTES"]))


def _session_id() -> str | None:
    return g.staff_session.id if has_request_context() and "staff_session" in g else None


def fresh_since() -> datetime | None:
    """When this session's member last confirmed who they are, if within the window."""
    session_id = _session_id()
    if session_id is None:
        return None
    confirmed = session_state.confirmed_at(session_id)
    return confirmed if confirmed is not None and utcnow() - confirmed < window() else None


def is_fresh() -> bool:
    return fresh_since() is not None


def require(action: AuditAction) -> dict:
    """Refuse a staff change in a session whose confirmation is stale; the metadata the
    change's audit row carries. Commands (no signed-in session) are not asked."""
    if AuditAction(action) not in STAFF_CHANGES or _session_id() is None:
        return {}
    since = fresh_since()
    if since is None:
        minutes = int(current_app.config["FRESH_2FA_MINUTES"])
        raise ConfirmationNeeded(f"Confirm it is you (your password or a code) before changing staff "
                                 f"accounts: your last confirmation is older than {minutes} minutes.")
    return {"confirmed_at": since}
