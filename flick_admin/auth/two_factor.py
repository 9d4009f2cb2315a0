"""TOTP second factor for staff, in Flick's ``two_factor`` table.

The secret is the base32 TOTP key; ``backup_codes`` holds a JSON list of SHA-256 hashes of
one-time backup codes (shown once, at enrolment). Both are stored encrypted
(``totp_keys``); a plain row from before encryption is encrypted on its first use. A code
is accepted in the current 30 s window or the one before or after it, and each window's
code only once (``admin_totp_steps`` keeps the last step used).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import secrets
import time
from dataclasses import dataclass

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup

from flick_admin.audit.actions import AuditAction
from flick_admin.audit.context import Actor
from flick_admin.audit.recorder import record
from flick_admin.auth import attempts, session_state, totp_keys
from flick_admin.db.auth import Auth, TotpStep, TwoFactor
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType
from flick_admin.db.transaction import transaction
from flick_admin.extensions import db
from flick_admin.refusals import InvalidInput

ISSUER = "Flick Admin"
BACKUP_CODES = 10


def new_secret() -> str:
    return pyotp.random_base32()


def valid_secret(secret: str | None) -> bool:
    """A base32 TOTP key of at least 128 bits (what ``new_secret`` makes)."""
    try:
        return bool(secret) and len(base64.b32decode(secret, casefold=True)) >= 16
    except (ValueError, TypeError):
        return False


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> Markup:
    """The enrolment QR code, drawn on the server as inline SVG."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False,
                                    svgns=True, title="Scan with an authenticator app")
    return Markup(out.getvalue().decode())


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().replace("-", "").lower().encode()).hexdigest()


def record_of(user_id: str) -> TwoFactor | None:
    return db.session.scalars(sa.select(TwoFactor).where(TwoFactor.user_id == user_id)).first()


def enrolled(user: Auth) -> bool:
    return bool(user.two_factor_enabled) and record_of(user.id) is not None


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The 30-second step (current, previous or next) whose code this is, if any."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    step = int(now // totp.interval)
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(totp.at(candidate * totp.interval), code):
            return candidate
    return None


def _use_step(user_id: str, step: int) -> bool:
    """Accept each time step once: a code seen already (or an older one) is refused."""
    row = db.session.scalars(sa.select(TotpStep).where(TotpStep.user_id == user_id)
                             .with_for_update()).first()
    if row is not None and step <= row.last_step:
        return False
    if row is None:
        db.session.add(TotpStep(user_id=user_id, last_step=step))
    else:
        row.last_step = step
    db.session.flush()
    return True


def _read(row: TwoFactor) -> tuple[str, list[str]] | None:
    """The row's secret and backup-code hashes, decrypted; a row stored in the clear or under
    an old key is written again under the current key (inside the caller's unit)."""
    keys = totp_keys.keys()
    try:
        secret, stale_secret = keys.open(row.secret)
        codes, stale_codes = keys.open(row.backup_codes)
    except totp_keys.KeyMismatch:
        current_app.logger.error("two-factor row of %s cannot be decrypted with the configured keys",
                                 row.user_id)
        return None
    hashes = json.loads(codes or "[]")
    if stale_secret or stale_codes:
        _write(row, secret, hashes)
    return secret, hashes


def _write(row: TwoFactor, secret: str, hashes: list[str]) -> None:
    keys = totp_keys.keys()
    row.secret, row.backup_codes = keys.seal(secret), keys.seal(json.dumps(hashes))


def check_code(user: Auth, code: str) -> str | None:
    """"totp" or "backup" when ``code`` is right (a backup code is used up), else None.
    Must run inside the unit that records the sign-in. The row is locked, so that two
    sign-ins racing with one backup code cannot both use it."""
    row = db.session.scalars(sa.select(TwoFactor).where(TwoFactor.user_id == user.id).with_for_update()
                             .execution_options(populate_existing=True)).first()
    if row is None:
        return None
    found = _read(row)
    if found is None:
        return None
    secret, hashes = found
    step = matching_step(secret, code)
    if step is not None:
        return "totp" if _use_step(user.id, step) else None
    digest = _hash(code or "")
    if digest in hashes:
        hashes.remove(digest)
        _write(row, secret, hashes)
        return "backup"
    return None


def enable(user: Auth, session_id: str, code: str, current_code: str | None = None) -> tuple[list[str], bool]:
    """Finish enrolment with the secret this dashboard session is enrolling (kept on the
    server, see ``session_state``): the code proves the app has it. Replacing a second
    factor needs a current code (or a backup code) of the present one. Returns the backup
    codes (shown once; only their hashes are kept) and whether the member's present factor
    was checked (only then does the session count as confirmed)."""
    with attempts.counted(user.id), transaction() as session:
        secret = session_state.take_enrolment(session_id)
        if not valid_secret(secret):
            raise InvalidInput("This enrolment has expired; open the page again to get a new QR code.")
        replacing = enrolled(user)
        if replacing and check_code(user, current_code or "") is None:
            raise attempts.WrongAnswer("To replace your second factor, enter a current code (or a backup code) "
                                       "of the one you have now.", field="current_code")
        step = matching_step(secret, code)
        if step is None:
            raise InvalidInput("That code does not match; check the time on your phone and try again.",
                               field="code")
        codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(BACKUP_CODES)]
        # The steps used so far were the old secret's; the new one starts from its enrolment code.
        session.execute(sa.delete(TotpStep).where(TotpStep.user_id == user.id))
        _use_step(user.id, step)
        session.execute(sa.delete(TwoFactor).where(TwoFactor.user_id == user.id))
        row = TwoFactor(id=secrets.token_urlsafe(16), user_id=user.id)
        _write(row, secret, [_hash(c) for c in codes])
        session.add(row)
        target = session.get(Auth, user.id)
        target.two_factor_enabled, target.updated_at = True, utcnow()
        if replacing:
            session_state.confirm(session_id)
        record(AuditAction.TWO_FACTOR_ENABLED, entity_type=EntityType.AUTH, entity_id=user.id,
               before={"two_factor_enabled": replacing}, after={"two_factor_enabled": True},
               actor=Actor(user.id, user.role), metadata={"label": user.email, "replaced": replacing})
    return codes, replacing


def disable(user: Auth, code: str) -> None:
    with attempts.counted(user.id), transaction() as session:
        if check_code(user, code) is None:
            raise attempts.WrongAnswer("That code is not right.")
        session.execute(sa.delete(TwoFactor).where(TwoFactor.user_id == user.id))
        target = session.get(Auth, user.id)
        target.two_factor_enabled, target.updated_at = False, utcnow()
        record(AuditAction.TWO_FACTOR_DISABLED, entity_type=EntityType.AUTH, entity_id=user.id,
               before={"two_factor_enabled": True}, after={"two_factor_enabled": False},
               actor=Actor(user.id, user.role), metadata={"label": user.email})


def reset(session, user: Auth) -> bool:
    """Remove a member's second factor (a superadmin's reset, inside their unit); whether
    there was one. They enrol again, from their next sign-in on."""
    had = bool(user.two_factor_enabled)
    session.execute(sa.delete(TwoFactor).where(TwoFactor.user_id == user.id))
    session.execute(sa.delete(TotpStep).where(TotpStep.user_id == user.id))
    user.two_factor_enabled, user.updated_at = False, utcnow()
    return had


@dataclass(frozen=True)
class Rotation:
    rows: int
    were_plain: int


def rotate_key() -> Rotation:
    """Re-encrypt every second-factor row with the current key (reading it with the current
    or an old key, or in the clear); all rows or none, with one audit row."""
    keys = totp_keys.keys()
    with transaction() as session:
        rows = session.scalars(sa.select(TwoFactor).order_by(TwoFactor.id).with_for_update()).all()
        plain = 0
        for row in rows:
            plain += not totp_keys.is_sealed(row.secret)
            secret, _ = keys.open(row.secret)  # KeyMismatch rolls the whole rotation back
            codes, _ = keys.open(row.backup_codes)
            _write(row, secret, json.loads(codes or "[]"))
        record(AuditAction.TWO_FACTOR_KEY_ROTATED, entity_type=EntityType.AUTH,
               metadata={"rows": len(rows), "were_plain": plain,
                         "label": f"{len(rows)} second-factor secret(s) re-encrypted"})
    return Rotation(len(rows), plain)
