"""TOTP secrets and backup-code hashes at rest, encrypted with Fernet (``cryptography``).

The key is derived (HKDF-SHA256) from ``TOTP_ENCRYPTION_KEY``, or from ``SECRET_KEY`` when
that is not set, so a copy of the database alone yields no codes. Stored values carry a
``fa1:`` prefix; a value without it is a plain secret from before encryption, and is
encrypted on its first use. For a key change, set the new key as ``TOTP_ENCRYPTION_KEY``
and the old ones in ``TOTP_ENCRYPTION_OLD_KEYS`` (comma-separated): both still read, and
``flask --app wsgi staff rotate-2fa-key`` re-encrypts every row with the new key, after
which the old keys can go.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

PREFIX = "fa1:"
_INFO = b"flick-admin two-factor secrets v1"


class KeyMismatch(RuntimeError):
    """A stored value cannot be decrypted with any configured key."""


@lru_cache(maxsize=16)
def _fernet(key: str) -> Fernet:
    """The Fernet of a configured key (derived once per key and process)."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(key.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(derived))


@dataclass(frozen=True)
class Keys:
    primary: Fernet
    all: MultiFernet

    def seal(self, plain: str) -> str:
        return PREFIX + self.primary.encrypt(plain.encode("utf-8")).decode("ascii")

    def open(self, stored: str | None) -> tuple[str | None, bool]:
        """(the plain value, whether it should be written again under the primary key)."""
        if stored is None or not stored.startswith(PREFIX):
            return stored, stored is not None
        token = stored[len(PREFIX):].encode("ascii")
        try:
            return self.primary.decrypt(token).decode("utf-8"), False
        except InvalidToken:
            pass
        try:
            return self.all.decrypt(token).decode("utf-8"), True
        except InvalidToken as exc:
            raise KeyMismatch("A second-factor secret cannot be decrypted with TOTP_ENCRYPTION_KEY "
                              "or TOTP_ENCRYPTION_OLD_KEYS; was the key changed without "
                              "keeping the old one?") from exc


def keys(config=None) -> Keys:
    config = config if config is not None else current_app.config
    primary = config.get("TOTP_ENCRYPTION_KEY") or config["SECRET_KEY"]
    old = [k for k in config.get("TOTP_ENCRYPTION_OLD_KEYS", ()) if k and k != primary]
    fernets = [_fernet(primary)] + [_fernet(k) for k in old]
    return Keys(primary=fernets[0], all=MultiFernet(fernets))


def is_sealed(stored: str | None) -> bool:
    return bool(stored) and stored.startswith(PREFIX)
