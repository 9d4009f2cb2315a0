"""Staff sign-in, sign-out and account creation: each one unit of work with its audit row."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from flick_admin.audit.actions import AuditAction
from flick_admin.audit.context import Actor
from flick_admin.audit.recorder import record
from flick_admin.auth import session_state, two_factor
from flick_admin.auth.passwords import dummy_hash, hash_password, verify_password
from flick_admin.permissions import STAFF_ROLES
from flick_admin.auth.sessions import open_session
from flick_admin.db.auth import Account, Auth, Session
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType
from flick_admin.db.transaction import transaction
from flick_admin.extensions import db
from flick_admin.refusals import Conflict, InvalidInput

GENERIC_FAILURE = "Wrong email or password."
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 12
# better-auth's own limit: a longer password would be refused when signing in to Flick.
MAX_PASSWORD = 128


class SignInFailed(Exception):
    """Shown to the person signing in as it is; never says which part was wrong."""


@dataclass(frozen=True)
class SignedIn:
    user: Auth
    token: str
    session: Session
    second_factor: str | None = None


@dataclass(frozen=True)
class NeedsSecondFactor:
    """The password was right; the account also needs its TOTP (or a backup) code."""

    user_id: str


def _credential(user_id: str) -> Account | None:
    return db.session.scalars(
        sa.select(Account).where(Account.user_id == user_id, Account.provider_id == "credential")
    ).first()


def _find_by_email(email: str) -> Auth | None:
    return db.session.scalars(
        sa.select(Auth).where(sa.func.lower(Auth.email) == email.strip().lower())
    ).first()


def sign_in(email: str, password: str) -> SignedIn | NeedsSecondFactor:
    """Check a staff member's credentials and open a dashboard session.

    A failed attempt is itself audited (``admin:failed:login:self``) and committed;
    the caller only sees :class:`SignInFailed` with a generic message.
    """
    failure: str | None = None
    with transaction():
        user = _find_by_email(email) if email else None
        account = _credential(user.id) if user is not None else None
        stored = account.password if account is not None else None
        password_ok = verify_password(password, stored or dummy_hash())
        if user is None or user.role not in STAFF_ROLES or not stored or not password_ok:
            failure = GENERIC_FAILURE
        elif user.ban_in_force():
            failure = "This staff account is deactivated."
        if failure is not None:
            record(
                AuditAction.STAFF_LOGIN_FAILED,
                entity_type=EntityType.AUTH,
                entity_id=user.id if user is not None else None,
                actor=Actor.system(),
                metadata={"email": email.strip().lower()[:320] if email else None},
            )
        elif two_factor.enrolled(user):
            return NeedsSecondFactor(user.id)
        else:
            return _open(user, None)
    raise SignInFailed(failure)


def _open(user: Auth, second_factor: str | None) -> SignedIn:
    token, row = open_session(user)
    session_state.confirm(row.id)  # signing in is a confirmation of who one is
    record(
        AuditAction.STAFF_LOGGED_IN,
        entity_type=EntityType.SESSION,
        entity_id=row.id,
        actor=Actor(id=user.id, type=user.role),
        metadata={"label": user.email, **({"second_factor": second_factor} if second_factor else {})},
    )
    return SignedIn(user=user, token=token, session=row, second_factor=second_factor)


def complete_sign_in(user_id: str, code: str) -> SignedIn:
    """Second step: the TOTP or a backup code of an account whose password was right."""
    failure = None
    with transaction():
        user = db.session.get(Auth, user_id)
        if user is None or user.role not in STAFF_ROLES or user.ban_in_force():
            failure = GENERIC_FAILURE
        else:
            used = two_factor.check_code(user, code)
            if used is not None:
                return _open(user, used)
            failure = "That code is not right."
        record(AuditAction.STAFF_LOGIN_FAILED, entity_type=EntityType.AUTH, entity_id=user_id,
               actor=Actor.system(), metadata={"step": "second factor"})
    raise SignInFailed(failure)


def sign_out(user: Auth, session_row: Session) -> None:
    with transaction() as session:
        session.execute(sa.delete(Session).where(Session.id == session_row.id))
        record(
            AuditAction.STAFF_LOGGED_OUT,
            entity_type=EntityType.SESSION,
            entity_id=session_row.id,
            actor=Actor(id=user.id, type=user.role),
            metadata={"label": user.email},
        )


def clean_staff_identity(email: str | None, role: str | None) -> tuple[str, str]:
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 320:
        raise InvalidInput(f"{email[:80]!r} is not an email address.")
    if role not in STAFF_ROLES:
        raise InvalidInput(f"Unknown role {str(role)[:40]!r}; choose one of {', '.join(sorted(STAFF_ROLES))}.")
    return email, role


def new_staff_account(session, email: str, role: str, name: str | None) -> Auth:
    """Insert the ``auth`` row of a new staff member (inside the caller's unit)."""
    existing = session.scalars(sa.select(Auth).where(sa.func.lower(Auth.email) == email)).first()
    if existing is not None:
        raise Conflict(f"An account with the email {email} already exists"
                       + ("." if existing.role in STAFF_ROLES else " (a student's)."))
    now = utcnow()
    user = Auth(id=secrets.token_urlsafe(24), name=(name or "").strip()[:200] or email.split("@", 1)[0],
                email=email, email_verified=True, role=role, banned=False, created_at=now, updated_at=now)
    session.add(user)
    session.flush()
    return user


def check_new_password(password: str | None, repeated: str | None) -> str:
    """The strength rules of every password a staff member chooses (invite, own change)."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"The password needs at least {MIN_PASSWORD} characters.", field="password")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"The password can have at most {MAX_PASSWORD} characters.", field="password")
    if password != (repeated or ""):
        raise InvalidInput("The two passwords differ.", field="repeat")
    return password


def set_password(session, user: Auth, password: str) -> None:
    """Write the credential in Flick's format (creating the ``account`` row if needed)."""
    now = utcnow()
    account = session.scalars(sa.select(Account).where(
        Account.user_id == user.id, Account.provider_id == "credential")).first()
    if account is None:
        session.add(Account(id=secrets.token_urlsafe(24), account_id=user.id, provider_id="credential",
                            user_id=user.id, password=hash_password(password), created_at=now,
                            updated_at=now))
    else:
        account.password, account.updated_at = hash_password(password), now


def create_staff(email: str, role: str, password: str, *, name: str | None = None) -> Auth:
    """Create a staff account with a password (the ``staff create`` command)."""
    email, role = clean_staff_identity(email, role)
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"The password needs at least {MIN_PASSWORD} characters.")
    with transaction() as session:
        user = new_staff_account(session, email, role, name)
        set_password(session, user, password)
        record(AuditAction.STAFF_CREATED_BY_SYSTEM, entity_type=EntityType.AUTH, entity_id=user.id,
               after={"email": email, "role": role}, metadata={"label": email})
    return user
