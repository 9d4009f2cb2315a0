"""The invite link a new staff member sets their password with (made on the staff page)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, url_for

from flick_admin.audit.actions import AuditAction
from flick_admin.audit.context import Actor
from flick_admin.audit.recorder import record
from flick_admin.auth.services import check_new_password, set_password
from flick_admin.auth.sessions import token_digest
from flick_admin.db import Auth, Verification
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType
from flick_admin.db.transaction import transaction
from flick_admin.extensions import db
from flick_admin.permissions import STAFF_ROLES
from flick_admin.refusals import NotFound

INVITE_HOURS = 48
INVITE_PREFIX = "flick-admin-invite:"


def invite_user(token: str) -> Auth | None:
    """The staff member an unexpired invite token belongs to."""
    if not token or len(token) > 200:
        return None
    row = db.session.scalars(sa.select(Verification).where(
        Verification.identifier.startswith(INVITE_PREFIX), Verification.value == token_digest(token),
        Verification.expires_at > utcnow())).first()
    if row is None:
        return None
    user = db.session.get(Auth, row.identifier[len(INVITE_PREFIX):])
    return None if user is None or user.ban_in_force() else user


def invite_link(token: str) -> str:
    """The link to hand over: on the configured public address (``PUBLIC_URL``, else
    ``SERVER_NAME``), never on the address the request came in with, which its sender
    chooses. Without either setting, the path alone."""
    path = url_for("auth.invite", token=token)
    base = current_app.config.get("PUBLIC_URL")
    if not base and current_app.config.get("SERVER_NAME"):
        base = f"{current_app.config.get('PREFERRED_URL_SCHEME') or 'https'}://{current_app.config['SERVER_NAME']}"
    return (base.rstrip("/") + path) if base else path


def accept_invite(token: str, password: str, repeated: str) -> Auth:
    password = check_new_password(password, repeated)
    with transaction() as session:
        user = invite_user(token)
        # A deactivated member's invites end with the deactivation; refuse one left over.
        if user is None or user.role not in STAFF_ROLES or user.ban_in_force():
            raise NotFound("This invite link is not valid any more; ask a superadmin for a new one.")
        set_password(session, user, password)
        session.execute(sa.delete(Verification).where(Verification.identifier == INVITE_PREFIX + user.id))
        record(AuditAction.STAFF_PASSWORD_SET, entity_type=EntityType.AUTH, entity_id=user.id,
               actor=Actor(user.id, user.role), metadata={"label": user.email})
        return user
