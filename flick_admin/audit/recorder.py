"""``record()``: add one ``logs`` row to the open unit of work.

The row is flushed at once, so a failing audit insert fails the action it describes:
the unit rolls back and nothing of the action is kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from flask_login import current_user

from flick_admin.audit import chain
from flick_admin.audit.actions import AuditAction
from flick_admin.audit.context import (
    Actor,
    client_ip,
    client_request_id,
    current_extra,
    request_id,
    user_agent,
)
from flick_admin.db.audit import Log
from flick_admin.db.base import utcnow_tz
from flick_admin.db.enums import EntityType
from flick_admin.db.transaction import after_rollback_hooks, before_commit_hooks, require_unit, unit_id

MAX_REASON = 2000

# Rules every audit row's action must meet before it is written, registered by the app
# factory (confirming who one is before a staff change, ``auth.sudo``): each is called with
# the action and returns metadata for the row, or raises to refuse the action.
record_checks: list[Callable[[AuditAction], dict[str, Any]]] = []


def install(session_class) -> None:
    """Called by the app factory (never as a side effect of an import): every unit that
    recorded audit rows chains them as the last thing before it commits, and the app's
    sessions refuse audit rows that did not come through ``record()``."""
    if chain.seal not in before_commit_hooks:
        before_commit_hooks.append(chain.seal)
    if chain.forget not in after_rollback_hooks:
        after_rollback_hooks.append(chain.forget)
    chain.install(session_class)


def jsonable(value: Any) -> Any:
    """Make before/after/metadata values JSON-safe (datetimes, UUIDs, enums)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    return value


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Only the fields that changed, as (before, after) — what an audit row stores."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def current_actor() -> Actor:
    """The signed-in staff member, or the system (commands, sign-in attempts)."""
    try:
        user = current_user._get_current_object()  # noqa: SLF001 - Flask-Login proxy
    except (AttributeError, RuntimeError):
        return Actor.system()
    if user is None or not getattr(user, "is_authenticated", False):
        return Actor.system()
    return Actor(id=user.id, type=user.role)


def _with_word_signal(session, metadata: dict[str, Any] | None) -> dict[str, Any] | None:
    """A banned-word change says how it moved Flick's recompile signal (see db.word_signal)."""
    from flick_admin.db import word_signal as signal

    if signal.pending_changes(session):
        session.flush()
    moved = signal.take(session)
    return {**(metadata or {}), "flick_signal": moved} if moved else metadata


def record(
    action: AuditAction,
    *,
    entity_type: EntityType,
    entity_id: object | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    metadata: dict[str, Any] | None = None,
    actor: Actor | None = None,
    flush: bool = True,
) -> Log:
    """Add the row to the open unit. ``flush=False`` lets a batch add many rows and
    flush once; the rows are still written (or fail) before the unit commits."""
    session = require_unit()
    actor = actor or current_actor()
    extra = {}
    for check in record_checks:
        extra.update(check(action))
    extra.update(current_extra())
    if extra:
        metadata = {**(metadata or {}), **extra}
    # The server's id of the unit groups one decision's rows (revert, related rows); the
    # client's X-Request-Id is kept only to trace a request, never to group rows.
    metadata = {**(metadata or {}), "unit_id": unit_id(session)}
    traced = client_request_id()
    if traced is not None:
        metadata["client_request_id"] = traced
    if EntityType(entity_type) == EntityType.BANNED_WORD:
        metadata = _with_word_signal(session, metadata)
    row = Log(
        occured_at=utcnow_tz(),
        actor_id=actor.id,
        actor_type=actor.type,
        action=AuditAction(action).value,
        entity_type=EntityType(entity_type).value,
        entity_id=None if entity_id is None else str(entity_id),
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        reason=reason[:MAX_REASON] if reason else None,
        ip_address=client_ip(),
        user_agent=user_agent(),
        request_id=request_id(),
        metadata_=jsonable(metadata) if metadata else None,
    )
    session.add(row)
    chain.remember(session, row)
    if flush:
        session.flush()
    return row
