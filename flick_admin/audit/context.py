"""Who is acting: the actor of an audit row. Where from (address, user agent, request
id) lives in ``flick_admin.request_facts``, which needs nothing of the audit package."""

from __future__ import annotations

from dataclasses import dataclass

from flick_admin.request_facts import (  # noqa: F401  (the audit package's view of them)
    MAX_USER_AGENT,
    client_ip,
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
