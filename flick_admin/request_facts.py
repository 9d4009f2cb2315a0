"""The request facts every audit row carries: who is acting and from where.

Every value is derived defensively: a missing or malformed header yields ``None`` (or a
fresh request id), never an exception, so a bad header can never drop a row.
"""

from __future__ import annotations

import ipaddress
import uuid

from flask import current_app, g, has_request_context, request

MAX_USER_AGENT = 512


def _valid_ip(value: str | None) -> str | None:
    if not value:
        return None
    candidate = value.strip()
    # "[::1]:443" and "1.2.3.4:80" forms from some proxies.
    if candidate.startswith("[") and "]" in candidate:
        candidate = candidate[1:candidate.index("]")]
    elif candidate.count(":") == 1:
        candidate = candidate.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def client_ip() -> str | None:
    """The client's address. ``X-Forwarded-For`` counts only behind trusted proxies:
    with N trusted proxies the client is the N-th address from the right."""
    if not has_request_context():
        return None
    trusted = int(current_app.config.get("TRUSTED_PROXY_COUNT", 0) or 0)
    if trusted > 0:
        forwarded = [p for p in request.headers.get("X-Forwarded-For", "").split(",") if p.strip()]
        if len(forwarded) >= trusted:
            found = _valid_ip(forwarded[-trusted])
            if found:
                return found
    return _valid_ip(request.remote_addr)


def user_agent() -> str | None:
    if not has_request_context():
        return None
    raw = request.headers.get("User-Agent")
    if not raw:
        return None
    return raw[:MAX_USER_AGENT]


def parse_request_id(raw: str | None) -> uuid.UUID | None:
    """An incoming ``X-Request-Id``, kept (as tracing metadata) only when it is a UUID."""
    if raw:
        try:
            return uuid.UUID(raw.strip())
        except ValueError:
            pass
    return None


def request_id() -> uuid.UUID | None:
    """The id the server gives this request (never the client's: a client could reuse an
    old id and so tie its rows to someone else's)."""
    if not has_request_context():
        return None
    if "request_id" not in g:
        g.request_id = uuid.uuid4()
        g.client_request_id = parse_request_id(request.headers.get("X-Request-Id"))
    return g.request_id


def client_request_id() -> uuid.UUID | None:
    """The client's own ``X-Request-Id`` (a UUID), kept only for tracing."""
    if not has_request_context():
        return None
    request_id()
    return g.get("client_request_id")
