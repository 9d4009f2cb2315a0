"""One's own account: sessions, signing out everywhere, the second factor, re-checks."""

from __future__ import annotations

import time

import sqlalchemy as sa
from flask import current_app, g, session

from flick_admin.audit.actions import AuditAction
from flick_admin.audit.context import Actor
from flick_admin.audit.recorder import record
from flick_admin.auth import two_factor
from flick_admin.auth.passwords import verify_password
from flick_admin.auth.sessions import SESSION_ID_PREFIX
from flick_admin.db import Account, Auth, Session
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType
from flick_admin.db.transaction import transaction
from flick_admin.extensions import db
from flick_admin.outcomes import Outcome
from flick_admin.refusals import InvalidInput, NotFound

FRESH_AT, FRESH_SID = "fresh_at", "fresh_sid"


def own_sessions(user: Auth) -> list[Session]:
    return db.session.scalars(
        sa.select(Session).where(Session.user_id == user.id, Session.id.startswith(SESSION_ID_PREFIX),
                                 Session.expires_at > utcnow())
        .order_by(Session.updated_at.desc())).all()


def revoke(user: Auth, session_id: str) -> Outcome:
    with transaction() as s:
        row = s.scalars(sa.select(Session).where(Session.id == session_id, Session.user_id == user.id)).first()
        if row is None:
            raise NotFound("That session is not one of yours (or it already ended).")
        s.delete(row)
        record(AuditAction.OWN_SESSION_REVOKED, entity_type=EntityType.SESSION, entity_id=session_id,
               actor=Actor(user.id, user.role),
               metadata={"label": user.email, "user_agent": (row.user_agent or "")[:200], "ip": row.ip_address})
    return Outcome(True, "That session is signed out.")


def sign_out_everywhere(user: Auth) -> int:
    with transaction() as s:
        ended = s.execute(sa.delete(Session).where(
            Session.user_id == user.id, Session.id.startswith(SESSION_ID_PREFIX))).rowcount or 0
        record(AuditAction.SIGNED_OUT_EVERYWHERE, entity_type=EntityType.AUTH, entity_id=user.id,
               actor=Actor(user.id, user.role), metadata={"label": user.email, "sessions_ended": ended})
    return ended


def mark_fresh() -> None:
    session[FRESH_AT] = time.time()
    session[FRESH_SID] = g.staff_session.id if "staff_session" in g else session.get(FRESH_SID)


def is_fresh() -> bool:
    """Did this session prove its second factor (or password) within the last minutes?"""
    window = int(current_app.config["FRESH_2FA_MINUTES"]) * 60
    return ("staff_session" in g and session.get(FRESH_SID) == g.staff_session.id
            and time.time() - float(session.get(FRESH_AT, 0)) < window)


def reauthenticate(user: Auth, code: str) -> None:
    """Check a fresh TOTP/backup code (or, without a second factor, the password)."""
    with transaction():
        if two_factor.enrolled(user):
            used = two_factor.check_code(user, code)
            ok = used is not None
        else:
            stored = db.session.scalar(sa.select(Account.password).where(
                Account.user_id == user.id, Account.provider_id == "credential"))
            used, ok = "password", verify_password(code or "", stored or "")
        if not ok:
            raise InvalidInput("That is not right.")
        record(AuditAction.REAUTHENTICATED, entity_type=EntityType.SESSION,
               entity_id=g.staff_session.id if "staff_session" in g else None,
               actor=Actor(user.id, user.role), metadata={"label": user.email, "with": used})
