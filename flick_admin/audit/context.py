"""Who is acting: the actor of an audit row. Where from (address, user agent, request
id) lives in ``flick_admin.request_facts``, which needs nothing of the audit package."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from flick_admin.request_facts import (  # noqa: F401  (the audit package's view of them)
    MAX_USER_AGENT,
    client_ip,
    client_request_id,
    parse_request_id,
    request_id,
    user_agent,
)


@dataclass(frozen=True)
class Actor:
    id: str | None
    type: str  # a value of log_role

    @classmethod
    def system(cls) -> Actor:
        return cls(id=None, type="system")


# Metadata every audit row written inside ``with extra_metadata(...)`` carries (an approved
# proposal's rows name the proposal and the proposer this way).
_EXTRA: ContextVar[dict[str, Any]] = ContextVar("flick_admin_audit_extra", default={})


@contextmanager
def extra_metadata(**values: Any) -> Iterator[None]:
    token = _EXTRA.set({**_EXTRA.get(), **values})
    try:
        yield
    finally:
        _EXTRA.reset(token)


def current_extra() -> dict[str, Any]:
    return _EXTRA.get()
