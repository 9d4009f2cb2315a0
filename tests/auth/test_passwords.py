"""Flick's password format, checked against hashes that Flick's own auth library wrote."""

from __future__ import annotations

import hashlib
import unicodedata

import pytest

from flick_admin.auth.passwords import hash_password, verify_password

# Produced by better-auth 1.4.22 (the library Flick's server signs in with) through its
# `hashPassword` from "better-auth/crypto", run under Node.js; random salts.
BETTER_AUTH_VECTORS = [
    (
        "correct horse battery staple",
        "33a0b8ed1781f701ad06633fa52fe884:2cc5f0e46bd042689adf2880a54af32aae575825bf100c80"
        "297061b693fc9663c4063aeebd9e368d2aa92a3e0a65b7011d479c78483e4f8274a897fa8dc62269",
    ),
    (
        "Ｆｌｉｃｋ-ﬁ-パスワード",
        "111b282d26748d8251001d7a57041461:e923c6ddceec3ec7793df0f3fcef9f594e45f97d9c77e605"
        "75986076bd22690e82aafead0df244150eedb1aab22a6dd16747efa80c7a68982e30bbb5d58f318d",
    ),
]


@pytest.mark.parametrize(("password", "stored"), BETTER_AUTH_VECTORS)
def test_verifies_hashes_written_by_flick(password, stored):
    assert verify_password(password, stored)
    assert not verify_password(password + "x", stored)


def test_nfkc_equivalent_passwords_match():
    # Full-width letters and the "ﬁ" ligature normalise to plain ASCII under NFKC.
    stored = BETTER_AUTH_VECTORS[1][1]
    assert verify_password(unicodedata.normalize("NFKC", "Ｆｌｉｃｋ-ﬁ-パスワード"), stored)


def test_hash_format_and_derivation_match_the_specification():
    salt = "00112233445566778899aabbccddeeff"
    stored = hash_password("s3cret password", salt_hex=salt)
    prefix, key = stored.split(":")
    assert prefix == salt
    # Independent derivation: the salt is the hex *string*'s bytes, not the raw 16 bytes.
    expected = hashlib.scrypt(b"s3cret password", salt=salt.encode(), n=16384, r=16, p=1,
                              dklen=64, maxmem=64 * 1024 * 1024)
    assert key == expected.hex() and len(key) == 128


def test_new_hashes_use_fresh_salts_and_round_trip():
    first, second = hash_password("same password"), hash_password("same password")
    assert first != second
    assert verify_password("same password", first) and verify_password("same password", second)


@pytest.mark.parametrize("stored", [None, "", "nocolon", "zz:zz", "a:b:c", "00ff:abcd"])
def test_malformed_stored_values_never_match(stored):
    assert not verify_password("anything", stored)
