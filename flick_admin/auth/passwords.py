"""Flick's password format, so one credential works in Flick and in Flick Admin.

``hex(salt16) + ":" + hex(scrypt(NFKC(password), salt=<the 32-char hex salt as bytes>,
N=16384, r=16, p=1, dklen=64))`` — what better-auth writes to ``account.password``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata

N, R, P, DKLEN = 16384, 16, 1, 64
# scrypt needs 128 * N * r bytes (32 MiB here); leave headroom.
MAXMEM = 128 * N * R * 2


def _derive(password: str, salt_hex: str) -> bytes:
    normalised = unicodedata.normalize("NFKC", password).encode("utf-8")
    return hashlib.scrypt(
        normalised, salt=salt_hex.encode("ascii"), n=N, r=R, p=P, dklen=DKLEN, maxmem=MAXMEM
    )


def hash_password(password: str, *, salt_hex: str | None = None) -> str:
    salt_hex = salt_hex or secrets.token_hex(16)
    return f"{salt_hex}:{_derive(password, salt_hex).hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    """Constant-time check; a malformed stored value never matches."""
    if not stored or stored.count(":") != 1:
        return False
    salt_hex, key_hex = stored.split(":")
    try:
        expected = bytes.fromhex(key_hex)
        salt_hex.encode("ascii")
    except (ValueError, UnicodeEncodeError):
        return False
    if len(expected) != DKLEN:
        return False
    return hmac.compare_digest(_derive(password, salt_hex), expected)


# A fixed hash to compare against when the email is unknown, so that a wrong email
# costs the same time as a wrong password.
_DUMMY = None


def dummy_hash() -> str:
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = hash_password(secrets.token_urlsafe(16))
    return _DUMMY
