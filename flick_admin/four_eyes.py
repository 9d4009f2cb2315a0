"""Four-eyes: severe actions wait for a second staff member.

Which actions are severe is configuration (``FOUR_EYES``: ``user-ban``, ``batch`` larger
than ``FOUR_EYES_BATCH`` items, ``college-delete``, ``word-import`` over
``FOUR_EYES_IMPORT_LINES`` lines). A severe action asked for by a view becomes a
*proposal* — the full intended action, the proposer and the reason — and nothing else
changes. The services themselves refuse a severe action that does not come from an
approved proposal (``guard``), so no route can skip the second pair of eyes.
Approving runs the action inside ``approving(...)`` (in ``flick_admin.team.proposals``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context

from flick_admin.audit.actions import AuditAction
from flick_admin.audit.recorder import current_actor, record
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType
from flick_admin.db.team import Proposal
from flick_admin.db.transaction import transaction
from flick_admin.permissions import Permission
from flick_admin.refusals import NotAllowed

USER_BAN, BATCH, COLLEGE_DELETE, WORD_IMPORT = "user-ban", "batch", "college-delete", "word-import"
KINDS = {USER_BAN: Permission.CONTENT_MODERATE, BATCH: Permission.CONTENT_MODERATE,
         COLLEGE_DELETE: Permission.COLLEGES_MANAGE, WORD_IMPORT: Permission.COLLEGES_MANAGE}
DEFAULTS = {"FOUR_EYES": ",".join(KINDS), "FOUR_EYES_BATCH": 50, "FOUR_EYES_IMPORT_LINES": 100,
            "PROPOSAL_HOURS": 48}
WAITING = "waiting"

_APPROVING: ContextVar[str | None] = ContextVar("flick_admin_four_eyes", default=None)


def _setting(name: str) -> Any:
    if has_app_context():
        return current_app.config.get(name, DEFAULTS[name])
    return DEFAULTS[name]


def enabled_kinds() -> frozenset[str]:
    raw = str(_setting("FOUR_EYES") or "")
    return frozenset(k.strip() for k in raw.split(",") if k.strip() in KINDS)


def required(kind: str, size: int = 1) -> bool:
    """Whether this action needs a second staff member."""
    if kind not in enabled_kinds():
        return False
    if kind == BATCH:
        return size > int(_setting("FOUR_EYES_BATCH"))
    if kind == WORD_IMPORT:
        return size > int(_setting("FOUR_EYES_IMPORT_LINES"))
    return True


def guard(kind: str, size: int = 1) -> None:
    """Called by the services: a severe action runs only from an approved proposal."""
    if required(kind, size) and _APPROVING.get() != kind:
        raise NotAllowed("This action needs a second staff member: propose it, and another "
                         "staff member approves it from Approvals (“Waiting for a second pair of eyes”).")


@contextmanager
def approving(kind: str) -> Iterator[None]:
    token = _APPROVING.set(kind)
    try:
        yield
    finally:
        _APPROVING.reset(token)


def propose(kind: str, payload: dict[str, Any], summary: str, reason: str) -> Proposal:
    """Record the intended action; nothing else changes."""
    now = utcnow()
    with transaction() as session:
        proposal = Proposal(kind=kind, payload=payload, summary=summary[:500],
                            permission=KINDS[kind].value, proposer_id=current_actor().id,
                            reason=reason, created_at=now, status=WAITING,
                            expires_at=now + timedelta(hours=int(_setting("PROPOSAL_HOURS"))))
        session.add(proposal)
        session.flush()
        record(AuditAction.PROPOSAL_CREATED, entity_type=EntityType.PROPOSAL, entity_id=proposal.id,
               after={"status": WAITING, "kind": kind}, reason=reason,
               metadata={"label": proposal.summary, "kind": kind})
    return proposal


SENT = ("Sent for a second pair of eyes: nothing changes until another staff member approves "
        "it under Approvals (“Waiting for a second pair of eyes”).")


def proposed(kind: str, payload: dict[str, Any], summary: str, reason: str):
    """A view's answer to a severe action: the proposal, a flash, a 303 back."""
    from flask import flash

    propose(kind, payload, summary, reason)
    flash(SENT, "info")


def waiting_condition(now=None):
    return sa.and_(Proposal.status == WAITING, Proposal.expires_at > (now or utcnow()))
