"""One's own account: sessions, signing out everywhere, the second factor, re-checks."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g

from flick_admin.audit.actions import AuditAction
from flick_admin.audit.context import Actor
from flick_admin.audit.recorder import record
from flick_admin.auth import attempts, session_state, two_factor
from flick_admin.auth.passwords import dummy_hash, verify_password
from flick_admin.auth.services import check_new_password, set_password
from flick_admin.auth.sessions import SESSION_ID_PREFIX
from flick_admin.db import Account, Auth, Session
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType
from flick_admin.db.transaction import transaction
from flick_admin.extensions import db
from flick_admin.outcomes import Outcome
from flick_admin.refusals import InvalidInput, NotFound


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


def reauthenticate(user: Auth, code: str) -> None:
    """Check a fresh TOTP/backup code (or, without a second factor, the password); the
    session counts as confirmed from now on (for staff changes). Throttled like sign-in."""
    session_id = g.staff_session.id
    with attempts.counted(user.id), transaction():
        if two_factor.enrolled(user):
            used = two_factor.check_code(user, code)
            ok = used is not None
        else:
            used, ok = "password", _password_ok(user, code)
        if not ok:
            raise attempts.WrongAnswer("That is not right.")
        session_state.confirm(session_id)
        record(AuditAction.REAUTHENTICATED, entity_type=EntityType.SESSION, entity_id=session_id,
               actor=Actor(user.id, user.role), metadata={"label": user.email, "with": used})


def _password_ok(user: Auth, password: str | None) -> bool:
    stored = db.session.scalar(sa.select(Account.password).where(
        Account.user_id == user.id, Account.provider_id == "credential"))
    return verify_password(password or "", stored or dummy_hash())


def change_password(user: Auth, current: str | None, new: str | None, repeated: str | None) -> Outcome:
    """A member changes their own password: the current one first, then the new one twice
    (the invite's rules, better-auth's format, so it works on Flick too). Their other
    sessions (dashboard and Flick alike) end; this one goes on. Throttled like sign-in."""
    keep = g.staff_session.id
    with attempts.counted(user.id), transaction() as s:
        if not _password_ok(user, current):
            raise attempts.WrongAnswer("Your current password is not right.", field="current")
        new = check_new_password(new, repeated)
        if new == current:
            raise InvalidInput("The new password is the same as the current one.", field="password")
        set_password(s, user, new)
        ended = s.execute(sa.delete(Session).where(Session.user_id == user.id, Session.id != keep)).rowcount or 0
        record(AuditAction.OWN_PASSWORD_CHANGED, entity_type=EntityType.AUTH, entity_id=user.id,
               actor=Actor(user.id, user.role), metadata={"label": user.email, "sessions_ended": ended})
    return Outcome(True, f"Your password is changed; {ended} other session(s) ended.")
