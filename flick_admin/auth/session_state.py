"""What a dashboard session keeps on the server (``admin_session_state``), never in the
browser: when its member last confirmed who they are, the second-factor secret being
enrolled, and a one-time handover (a generated password or an invite link) waiting to be
shown once.

Flask's own cookie is signed but readable, so nothing secret goes there. A row belongs to
one dashboard session, which belongs to one member: a secret cannot be carried to another
session or account. The secrets are encrypted with the second-factor key (``totp_keys``);
ending the session deletes its row (foreign key ``ON DELETE CASCADE``).
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from flick_admin.auth import totp_keys
from flick_admin.db.auth import SessionState
from flick_admin.db.base import utcnow
from flick_admin.db.transaction import require_unit, transaction
from flick_admin.extensions import db


def _locked_row(session_id: str) -> SessionState:
    """The session's row, created if missing, locked for the rest of the unit."""
    s = require_unit()
    insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
    s.execute(insert(SessionState).values(session_id=session_id, updated_at=utcnow())
              .on_conflict_do_nothing(index_elements=["session_id"]))
    return s.scalars(sa.select(SessionState).where(SessionState.session_id == session_id)
                     .with_for_update().execution_options(populate_existing=True)).one()


def _open(sealed: str | None) -> str | None:
    if not sealed:
        return None
    try:
        return totp_keys.keys().open(sealed)[0]
    except totp_keys.KeyMismatch:
        return None  # sealed under a key since removed: as if nothing were kept


# --- confirmation ("sudo mode") ------------------------------------------------------------

def confirm(session_id: str) -> datetime:
    """The member of this session proved who they are just now (inside the caller's unit,
    the one that checked the password or code and recorded it)."""
    row = _locked_row(session_id)
    row.confirmed_at = row.updated_at = utcnow()
    return row.confirmed_at


def confirmed_at(session_id: str) -> datetime | None:
    return db.session.scalar(sa.select(SessionState.confirmed_at)
                             .where(SessionState.session_id == session_id)
                             .execution_options(populate_existing=True))


# --- enrolment secret ----------------------------------------------------------------------

def enrolment_secret(session_id: str, new_secret) -> str:
    """The secret this session is enrolling (made with ``new_secret()`` on first use).
    Session bookkeeping like the session's own "last seen": no audit row until the
    enrolment is finished."""
    with transaction():
        row = _locked_row(session_id)
        secret = _open(row.enrolment)
        if secret is None:
            secret = new_secret()
            row.enrolment, row.updated_at = totp_keys.keys().seal(secret), utcnow()
        return secret


def take_enrolment(session_id: str) -> str | None:
    """The secret this session is enrolling, removed (inside the unit that enables it)."""
    row = _locked_row(session_id)
    secret = _open(row.enrolment)
    row.enrolment, row.updated_at = None, utcnow()
    return secret


# --- one-time handover ---------------------------------------------------------------------

def keep_handover(session_id: str, email: str, kind: str, value: str) -> None:
    """Keep what a new or reset staff member is to be given, for this session's next page
    (inside the unit that made it)."""
    row = _locked_row(session_id)
    row.handover = totp_keys.keys().seal(json.dumps({"email": email, "kind": kind, "value": value}))
    row.updated_at = utcnow()


def take_handover(session_id: str) -> dict | None:
    """The waiting handover, removed as it is read: shown once."""
    if not db.session.scalar(sa.select(SessionState.handover.is_not(None))
                             .where(SessionState.session_id == session_id)):
        return None
    with transaction():
        row = _locked_row(session_id)
        plain = _open(row.handover)
        row.handover, row.updated_at = None, utcnow()
    return json.loads(plain) if plain else None
