"""Staff accounts, managed by superadmins: create (invite link or generated password), change
role, deactivate and reactivate, reset a password, end sessions; and the invite's
set-password step. Nobody changes their own role or deactivates themselves, and the last
active superadmin cannot be demoted or deactivated. Every change is audited.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy.orm import Session

from flick_admin.audit.actions import AuditAction
from flick_admin.audit.recorder import current_actor, record
from flick_admin.permissions import STAFF_ROLES
from flick_admin.auth.services import (
    clean_staff_identity,
    new_staff_account,
    set_password,
)
from flick_admin.auth import session_state, two_factor
from flick_admin.auth.invites import INVITE_HOURS, INVITE_PREFIX, invite_link
from flick_admin.auth.sessions import SESSION_ID_PREFIX, end_sessions_of, token_digest
from flick_admin.db import Auth, College, Log, Session as DbSession, Verification
from flick_admin.db.team import StaffScope
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType, StaffRole
from flick_admin.db.locks import lock_name
from flick_admin.db.transaction import transaction
from flick_admin.extensions import db
from flick_admin.outcomes import Outcome, clean_reason
from flick_admin.refusals import InvalidInput, NotAllowed, NotFound



@dataclass(frozen=True)
class Credential:
    """What to hand the new staff member, shown once: an invite link or a password."""

    kind: str  # "invite" or "password"
    value: str


def staff_list() -> list[Any]:
    now = utcnow()
    last_sign_in = (sa.select(sa.func.max(Log.occured_at))
                    .where(Log.actor_id == Auth.id, Log.action == AuditAction.STAFF_LOGGED_IN.value)
                    .correlate(Auth).scalar_subquery())
    sessions = (sa.select(sa.func.count()).select_from(DbSession)
                .where(DbSession.user_id == Auth.id, DbSession.expires_at > now,
                       DbSession.id.startswith(SESSION_ID_PREFIX))
                .correlate(Auth).scalar_subquery())
    colleges = (sa.select(sa.func.aggregate_strings(College.email_domain, ", "))
                .join(StaffScope, StaffScope.college_id == College.id)
                .where(StaffScope.user_id == Auth.id).correlate(Auth).scalar_subquery())
    return db.session.execute(
        sa.select(Auth.id, Auth.email, Auth.name, Auth.role, Auth.banned, Auth.ban_expires,
                  Auth.two_factor_enabled, Auth.created_at, last_sign_in.label("last_sign_in"),
                  sessions.label("sessions"), colleges.label("scope"))
        .where(Auth.role.in_(STAFF_ROLES)).order_by(Auth.role, Auth.email).limit(1000)).all()


def _end_invites(session: Session, user: Auth) -> int:
    return session.execute(sa.delete(Verification).where(
        Verification.identifier == INVITE_PREFIX + user.id)).rowcount or 0


def _credential(session: Session, user: Auth, kind: str) -> Credential:
    """Replace the user's password with a generated one, or open a one-time invite. What
    to hand over is kept for the acting superadmin's next page, on the server (shown once)."""
    now = utcnow()
    _end_invites(session, user)
    if kind == "password":
        password = secrets.token_urlsafe(15)
        set_password(session, user, password)
        credential = Credential("password", password)
    elif kind == "invite":
        token = secrets.token_urlsafe(32)
        session.add(Verification(id=secrets.token_urlsafe(16), identifier=INVITE_PREFIX + user.id,
                                 value=token_digest(token), expires_at=now + timedelta(hours=INVITE_HOURS),
                                 created_at=now, updated_at=now))
        credential = Credential("invite", invite_link(token))
    else:
        raise InvalidInput("Choose an invite link or a generated password.")
    if has_request_context() and "staff_session" in g:
        session_state.keep_handover(g.staff_session.id, user.email, credential.kind, credential.value)
    return credential


def create(email: str, role: str, name: str | None, kind: str) -> tuple[Auth, Credential]:
    email, role = clean_staff_identity(email, role)
    with transaction() as session:
        user = new_staff_account(session, email, role, name)
        credential = _credential(session, user, kind)
        record(AuditAction.STAFF_CREATED, entity_type=EntityType.AUTH, entity_id=user.id,
               after={"email": email, "role": role}, metadata={"label": email, "handover": credential.kind})
    return user, credential


def _target(session: Session, user_id: str) -> Auth:
    user = session.scalars(sa.select(Auth).where(Auth.id == user_id).with_for_update()
                           .execution_options(populate_existing=True)).first()
    if user is None or user.role not in STAFF_ROLES:
        raise NotFound("That staff account does not exist.")
    return user


def _not_self(user: Auth, what: str) -> None:
    if current_actor().id == user.id:
        raise NotAllowed(f"Nobody can {what} their own account.")


def _keep_a_superadmin(session: Session, user: Auth) -> None:
    """Refuse to leave Flick Admin without an active superadmin."""
    if user.role != StaffRole.SUPERADMIN:
        return
    now = utcnow()
    others = session.scalar(
        sa.select(sa.func.count()).select_from(Auth)
        .where(Auth.role == StaffRole.SUPERADMIN.value, Auth.id != user.id,
               sa.or_(Auth.banned.is_not(True),
                      sa.and_(Auth.ban_expires.is_not(None), Auth.ban_expires <= now))))
    if not others:
        raise NotAllowed("This is the last active superadmin; make another superadmin first.")


def change_role(user_id: str, role: str) -> Outcome:
    if role not in STAFF_ROLES:
        raise InvalidInput("Choose a staff role.")
    with transaction() as session:
        lock_name("superadmins", "all")  # two demotions at once cannot both pass the check
        user = _target(session, user_id)
        _not_self(user, "change the role of")
        if user.role == role:
            return Outcome(False, f"{user.email} is already {role}.")
        if role != StaffRole.SUPERADMIN:
            _keep_a_superadmin(session, user)
        before = user.role
        user.role, user.updated_at = role, utcnow()
        # The member signs in again under the new role: no session carries the old one on.
        ended = end_sessions_of(user.id)
        record(AuditAction.STAFF_ROLE_CHANGED, entity_type=EntityType.AUTH, entity_id=user.id,
               before={"role": before}, after={"role": role},
               metadata={"label": user.email, "sessions_ended": ended})
        return Outcome(True, f"{user.email} is now {role}; {ended} session(s) ended.")


def deactivate(user_id: str, reason: str | None) -> Outcome:
    reason = clean_reason(reason)
    with transaction() as session:
        lock_name("superadmins", "all")
        user = _target(session, user_id)
        _not_self(user, "deactivate")
        if user.ban_in_force():
            return Outcome(False, f"{user.email} is already deactivated.")
        _keep_a_superadmin(session, user)
        user.banned, user.ban_reason, user.ban_expires, user.updated_at = True, reason, None, utcnow()
        ended = end_sessions_of(user.id)
        invites = _end_invites(session, user)  # an open invite would still set a password
        record(AuditAction.STAFF_DEACTIVATED, entity_type=EntityType.AUTH, entity_id=user.id,
               before={"banned": False}, after={"banned": True}, reason=reason,
               metadata={"label": user.email, "sessions_ended": ended, "invites_ended": invites})
        return Outcome(True, f"{user.email} is deactivated; {ended} session(s) ended.")


def reactivate(user_id: str) -> Outcome:
    with transaction() as session:
        user = _target(session, user_id)
        if not user.ban_in_force():
            return Outcome(False, f"{user.email} is already active.")
        user.banned, user.ban_reason, user.ban_expires, user.updated_at = False, None, None, utcnow()
        record(AuditAction.STAFF_REACTIVATED, entity_type=EntityType.AUTH, entity_id=user.id,
               before={"banned": True}, after={"banned": False}, metadata={"label": user.email})
        return Outcome(True, f"{user.email} is active again.")


def reset_password(user_id: str, kind: str) -> tuple[Auth, Credential]:
    with transaction() as session:
        user = _target(session, user_id)
        _not_self(user, "reset the password of (use your account page for your own)")
        credential = _credential(session, user, kind)
        ended = end_sessions_of(user.id)
        record(AuditAction.STAFF_PASSWORD_RESET, entity_type=EntityType.AUTH, entity_id=user.id,
               metadata={"label": user.email, "handover": credential.kind, "sessions_ended": ended})
        return user, credential


def reset_two_factor(user_id: str) -> Outcome:
    """Remove a member's second factor (a lost phone, say) and end their sessions: they sign
    in with their password and, where their role needs one, enrol again."""
    with transaction() as session:
        user = _target(session, user_id)
        _not_self(user, "reset the second factor of (use your account page for your own)")
        if not two_factor.reset(session, user):
            return Outcome(False, f"{user.email} has no second factor; nothing was changed.")
        ended = end_sessions_of(user.id)
        record(AuditAction.STAFF_TWO_FACTOR_RESET, entity_type=EntityType.AUTH, entity_id=user.id,
               before={"two_factor_enabled": True}, after={"two_factor_enabled": False},
               metadata={"label": user.email, "sessions_ended": ended})
        return Outcome(True, f"The second factor of {user.email} is removed; {ended} session(s) ended.")


def end_sessions(user_id: str) -> Outcome:
    with transaction() as session:
        user = _target(session, user_id)
        ended = end_sessions_of(user.id)
        record(AuditAction.STAFF_SESSIONS_ENDED, entity_type=EntityType.AUTH, entity_id=user.id,
               metadata={"label": user.email, "sessions_ended": ended})
        return Outcome(bool(ended), f"{ended} session(s) of {user.email} ended.")


MAX_SCOPE = 50


def set_scope(user_id: str, domains: str | None) -> Outcome:
    """Limit a moderator to the students of these colleges (by domain, comma-separated;
    blank: every college). Takes effect on their next page."""
    wanted = sorted({d.strip().lower().lstrip("@") for d in (domains or "").replace(";", ",").split(",")
                     if d.strip()})
    if len(wanted) > MAX_SCOPE:
        raise InvalidInput(f"A moderator can be limited to at most {MAX_SCOPE} colleges.", field="colleges")
    with transaction() as session:
        user = _target(session, user_id)
        if wanted and user.role != StaffRole.MODERATOR:
            raise InvalidInput("Only moderators can be limited to colleges (a limit can be cleared "
                               "for anyone).")
        found = dict(session.execute(sa.select(sa.func.lower(College.email_domain), College.id)
                                     .where(sa.func.lower(College.email_domain).in_(wanted))).all())
        missing = [d for d in wanted if d not in found]
        if missing:
            raise InvalidInput(f"No college has the domain {missing[0]!r}.", field="colleges")
        current = dict(session.execute(
            sa.select(StaffScope.college_id, College.email_domain)
            .outerjoin(College, College.id == StaffScope.college_id)
            .where(StaffScope.user_id == user.id)).all())
        before = sorted((d or str(i)).lower() for i, d in current.items())
        if before == wanted:
            return Outcome(False, f"{user.email} is already limited to that; nothing was changed.")
        session.execute(sa.delete(StaffScope).where(StaffScope.user_id == user.id))
        for domain in wanted:
            session.add(StaffScope(user_id=user.id, college_id=found[domain]))
        session.flush()
        record(AuditAction.STAFF_SCOPE_CHANGED, entity_type=EntityType.AUTH, entity_id=user.id,
               before={"colleges": before}, after={"colleges": wanted},
               metadata={"label": user.email, "college_ids": [found[d] for d in wanted]})
    if not wanted:
        return Outcome(True, f"{user.email} now moderates every college.")
    return Outcome(True, f"{user.email} now moderates {', '.join(wanted)} only.")
