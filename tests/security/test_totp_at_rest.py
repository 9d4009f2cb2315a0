"""TOTP secrets and backup codes are encrypted at rest: a copy of the database alone
yields no codes; plain rows are encrypted on first use; the key rotates."""

from __future__ import annotations

import json

import pyotp
import sqlalchemy as sa

from flick_admin.auth import totp_keys
from flick_admin.auth.two_factor import _hash
from flick_admin.db import TwoFactor
from tests import factories
from tests.auth.test_security import PASSWORD, enrol, next_code
from tests.conftest import audit_rows, make_app


def _keys(**config):
    return totp_keys.keys({"SECRET_KEY": "unused", **config})


def _staff_with_factor(secret: str, backup: list[str], *, sealed_with: dict | None = None):
    user = factories.StaffFactory(role="admin", two_factor_enabled=True)
    hashes = json.dumps([_hash(c) for c in backup])
    if sealed_with is not None:
        keys = _keys(**sealed_with)
        stored_secret, stored_codes = keys.seal(secret), keys.seal(hashes)
    else:
        stored_secret, stored_codes = secret, hashes
    factories.TwoFactorFactory(user=user, secret=stored_secret, backup_codes=stored_codes)
    return user


def _sign_in(app, user, code) -> int:
    visitor = app.test_client()
    first = visitor.post("/login", data={"email": user.email, "password": PASSWORD})
    assert first.status_code == 303 and first.headers["Location"] == "/login/code"
    return visitor.post("/login/code", data={"code": code}).status_code


def _row(dbs, user) -> TwoFactor:
    dbs.expire_all()
    return dbs.scalars(sa.select(TwoFactor).where(TwoFactor.user_id == user.id)).one()


def test_the_stored_row_reads_only_with_the_key(app, client, dbs, login_as):
    user = login_as("moderator")
    secret, codes = enrol(client)
    row = _row(dbs, user)
    keys = totp_keys.keys(app.config)
    assert keys.open(row.secret) == (secret, False)
    hashes = json.loads(keys.open(row.backup_codes)[0])
    assert _hash(codes[0]) in hashes and _hash(codes[0]) not in row.backup_codes


def test_a_database_copy_with_another_key_yields_no_sign_in(database_url, connection, dbs):
    secret = pyotp.random_base32()
    user = _staff_with_factor(secret, ["aaaaaa-bbbbbb"], sealed_with={"TOTP_ENCRYPTION_KEY": "the-real-key"})
    elsewhere = make_app(database_url, TOTP_ENCRYPTION_KEY="a-guessed-key")
    assert _sign_in(elsewhere, user, next_code(secret)) == 401
    assert _sign_in(elsewhere, user, "aaaaaa-bbbbbb") == 401
    here = make_app(database_url, TOTP_ENCRYPTION_KEY="the-real-key")
    assert _sign_in(here, user, next_code(secret)) == 303


def test_a_plain_row_is_encrypted_on_first_use(database_url, connection, dbs):
    secret = pyotp.random_base32()
    user = _staff_with_factor(secret, ["111111-222222", "333333-444444"])
    app = make_app(database_url, TOTP_ENCRYPTION_KEY="k1")
    assert _sign_in(app, user, "111111-222222") == 303
    row = _row(dbs, user)
    keys = _keys(TOTP_ENCRYPTION_KEY="k1")
    assert totp_keys.is_sealed(row.secret) and keys.open(row.secret) == (secret, False)
    assert json.loads(keys.open(row.backup_codes)[0]) == [_hash("333333-444444")]  # one used up
    assert _sign_in(app, user, next_code(secret)) == 303


def test_rotation_re_encrypts_every_row_under_the_new_key(database_url, connection, dbs):
    secret_a, secret_b = pyotp.random_base32(), pyotp.random_base32()
    old_user = _staff_with_factor(secret_a, ["555555-666666"], sealed_with={"TOTP_ENCRYPTION_KEY": "old-key"})
    plain_user = _staff_with_factor(secret_b, [])
    app = make_app(database_url, TOTP_ENCRYPTION_KEY="new-key", TOTP_ENCRYPTION_OLD_KEYS="old-key")
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["staff", "rotate-2fa-key"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 2" in result.output and "1 were stored in the clear" in result.output
    new_only = _keys(TOTP_ENCRYPTION_KEY="new-key")
    assert new_only.open(_row(dbs, old_user).secret) == (secret_a, False)
    assert new_only.open(_row(dbs, plain_user).secret) == (secret_b, False)
    [rotated] = audit_rows(dbs, action="system:rotated:two-factor-key")
    assert rotated.metadata_["rows"] == 2 and rotated.metadata_["were_plain"] == 1
    # The old key is no longer needed.
    after = make_app(database_url, TOTP_ENCRYPTION_KEY="new-key")
    assert _sign_in(after, old_user, "555555-666666") == 303


def test_rotation_without_the_old_key_changes_nothing(database_url, connection, dbs):
    user = _staff_with_factor(pyotp.random_base32(), [], sealed_with={"TOTP_ENCRYPTION_KEY": "lost-key"})
    before = _row(dbs, user).secret
    other = _staff_with_factor(pyotp.random_base32(), [])
    app = make_app(database_url, TOTP_ENCRYPTION_KEY="new-key")
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["staff", "rotate-2fa-key"])
    assert result.exit_code == 1 and "cannot be decrypted" in result.output
    assert "Nothing was changed" in result.output
    assert _row(dbs, user).secret == before
    assert not totp_keys.is_sealed(_row(dbs, other).secret)
    assert audit_rows(dbs, action="system:rotated:two-factor-key") == []
