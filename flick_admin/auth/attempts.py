"""Throttling of the password and code checks a signed-in member faces: confirming who
they are, turning the second factor off or replacing it, changing their password.

A stolen session must not be a way to guess a password or a code without bound, so these
checks have the sign-in's limits (``LOGIN_LIMIT_PER_ACCOUNT`` per member,
``LOGIN_LIMIT_PER_ADDRESS`` per address), counted in the same storage as sign-in
(``RATELIMIT_STORAGE_URI``), shared by all of these checks, and only for wrong answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from limits import parse

from flick_admin.extensions import limiter
from flick_admin.refusals import ActionRefused, InvalidInput
from flick_admin.request_facts import client_ip


class WrongAnswer(InvalidInput):
    """A wrong password or code: counted against the limits."""


class TooManyAttempts(ActionRefused):
    status = 429
    title = "Too many requests"


def _buckets(user_id: str) -> list:
    cfg = current_app.config
    return [(parse(cfg["LOGIN_LIMIT_PER_ACCOUNT"]), "member:" + user_id, "recheck-member"),
            (parse(cfg["LOGIN_LIMIT_PER_ADDRESS"]), "address:" + (client_ip() or "unknown"), "recheck-address")]


@contextmanager
def counted(user_id: str) -> Iterator[None]:
    """Run one check: refused at once (429) when the member or the address has used up its
    wrong answers; a wrong answer (``WrongAnswer`` from the block) is counted."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        yield
        return
    buckets = _buckets(user_id)
    if not all(limiter.limiter.test(limit, key, scope) for limit, key, scope in buckets):
        raise TooManyAttempts("Too many wrong answers; wait a few minutes before trying again.")
    try:
        yield
    except WrongAnswer:
        for limit, key, scope in buckets:
            limiter.limiter.hit(limit, key, scope)
        raise
