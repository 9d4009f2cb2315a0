"""User sanctions: ban (permanent) and suspend (until a date), and lifting them. Each one
unit of work that locks the account, checks the state the moderator saw, ends the user's
sessions and records the audit row. Staff accounts are never sanctioned here (they are
deactivated and reactivated on the staff pages, with staff-management rights)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from flick_admin import scope, tallies
from flick_admin.audit.actions import AuditAction
from flick_admin.audit.recorder import changed_fields, current_actor, record
from flick_admin.auth.sessions import end_sessions_of
from flick_admin.db import Auth, PlatformUser
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType
from flick_admin.db.transaction import transaction
from flick_admin.extensions import db
from flick_admin.moderation import authors
from flick_admin.moderation.services import _last_change, _locked, user_state
from flick_admin.outcomes import Outcome, clean_reason
from flick_admin.permissions import STAFF_ROLES
from flick_admin.refusals import InvalidInput, NotAllowed, NotFound, StaleState


# A suspension ends within ten years; anything longer is a permanent ban. (One longer than
# FOUR_EYES_SUSPENSION_DAYS needs a second staff member, like a permanent ban.)
MAX_SUSPENSION_DAYS = 3650


class SanctionKind(StrEnum):
    BAN = "ban"
    SUSPEND = "suspend"


def sanction_refusal(target: Auth) -> str | None:
    """Why the signed-in staff member may not sanction ``target`` (None: they may). The
    user page asks this to decide whether to offer the forms; the services enforce it."""
    actor = current_actor()
    if actor.id is not None and actor.id == target.id:
        return "Nobody can sanction their own account."
    if target.role in STAFF_ROLES:
        # A staff account's ban flag is its deactivation: lifting or shortening it here
        # would undo a superadmin's decision without staff-management rights.
        return ("This is a staff account: staff are deactivated and reactivated on the staff "
                "pages, not with user sanctions.")
    return None


def _sanctionable(session: Session, auth_id: str, *, lock: bool) -> Auth:
    """The account, if it exists (for the member's scope) and they may sanction it."""
    user = _locked(session, Auth, auth_id) if lock else session.get(Auth, auth_id)
    if user is None:
        raise NotFound("That user does not exist.")
    scope.check_user(session, user.id)
    refusal = sanction_refusal(user)
    if refusal is not None:
        raise NotAllowed(refusal)
    return user


def ban_label(auth_id: str) -> str:
    """Who a permanent ban would be of, checked as the ban itself will check it (a view
    proposing the ban asks this first; nothing is locked or changed)."""
    session = db.session()
    return _user_metadata(session, _sanctionable(session, auth_id, lock=False))["label"]


def ban_fields(user: Auth) -> dict[str, Any]:
    """The ban as its audit rows record it (a revert compares and restores the same)."""
    return {"banned": bool(user.banned), "ban_reason": user.ban_reason,
            "ban_expires": user.ban_expires.isoformat(timespec="seconds") if user.ban_expires else None}


def _user_metadata(session: Session, user: Auth) -> dict[str, Any]:
    profile = session.execute(
        sa.select(PlatformUser.id, PlatformUser.username).where(PlatformUser.auth_id == user.id)
    ).first()
    return {"label": profile.username if profile else user.email, "email": user.email,
            "platform_user_id": profile.id if profile else None}


def sanction_user(auth_id: str, kind: SanctionKind, reason: str | None,
                  until: datetime | None = None, expected: str | None = None,
                  removal_reason: uuid.UUID | str | None = None) -> Outcome:
    """Ban (permanent) or suspend (until a date). Ends the user's sessions at once, and
    tells the student (``moderation.authors``; ``removal_reason``: the catalogue reason)."""
    reason = clean_reason(reason)
    kind = SanctionKind(kind)
    now = utcnow()
    if kind is SanctionKind.SUSPEND:
        if until is None:
            raise InvalidInput("A suspension needs an end date.")
        if until <= now:
            raise InvalidInput("A suspension must end in the future.")
        if until > now + timedelta(days=MAX_SUSPENSION_DAYS):
            raise InvalidInput(f"A suspension ends within {MAX_SUSPENSION_DAYS} days (ten years); "
                               "for longer, ban the user permanently.")
    else:
        until = None
    with transaction() as session:
        user = _sanctionable(session, auth_id, lock=True)
        told = authors.notice(session, removal_reason)
        if user.ban_in_force() and user.ban_expires == until:
            word = "banned" if until is None else f"suspended until {until:%Y-%m-%d %H:%M}"
            return Outcome(False, f"This user is already {word}; nothing was changed.")
        current = user_state(user)
        if expected is not None and expected != current:
            raise StaleState(
                "This user's ban changed after you opened the page "
                f"({_last_change(session, EntityType.USER, user.id)}). Nothing was written."
            )
        before = ban_fields(user)
        user.banned, user.ban_reason, user.ban_expires = True, reason, until
        user.updated_at = now
        old, new = changed_fields(before, ban_fields(user))
        ended = end_sessions_of(user.id)
        metadata = {**_user_metadata(session, user), "sessions_ended": ended, **told.metadata()}
        metadata.update(authors.tell_user(session, metadata["platform_user_id"], until, told))
        record(AuditAction.USER_BANNED if until is None else AuditAction.USER_SUSPENDED,
               entity_type=EntityType.USER, entity_id=user.id, before=old, after=new,
               reason=reason, metadata=metadata)
        tallies.author_sanctioned(session, metadata["platform_user_id"])
    what = "banned" if until is None else f"suspended until {until:%Y-%m-%d %H:%M} UTC"
    return Outcome(True, f"User {what}; {ended} session(s) ended. {FLICK_COOKIE_NOTE}")


# Flick's better-auth answers from a signed session cookie cache (7 days, refreshed without
# the database), so ending the session rows does not sign the student out of Flick's app.
FLICK_COOKIE_NOTE = ("Flick's app may keep an existing sign-in for up to 7 days; new sign-ins "
                     "are refused.")


def lift_sanction(auth_id: str, reason: str | None, expected: str | None = None) -> Outcome:
    reason = clean_reason(reason)
    with transaction() as session:
        user = _sanctionable(session, auth_id, lock=True)
        if not user.ban_in_force():
            return Outcome(False, "This user has no ban in force; nothing was changed.")
        if expected is not None and expected != user_state(user):
            raise StaleState(
                "This user's ban changed after you opened the page "
                f"({_last_change(session, EntityType.USER, user.id)}). Nothing was written."
            )
        before = ban_fields(user)
        user.banned, user.ban_reason, user.ban_expires = False, None, None
        user.updated_at = utcnow()
        old, new = changed_fields(before, ban_fields(user))
        record(AuditAction.USER_UNBANNED, entity_type=EntityType.USER, entity_id=user.id,
               before=old, after=new, reason=reason, metadata=_user_metadata(session, user))
    return Outcome(True, "Ban lifted.")

