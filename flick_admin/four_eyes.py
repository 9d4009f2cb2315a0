"""Four-eyes: a severe effect needs a second staff member.

Severity is decided from what a unit of work actually changes, at the one place every
unit's audit rows pass before it commits (``check_unit``, a before-commit hook of
``transaction()``), not from which route or service asked for it:

- ``user-ban``: a student ends up banned with no end, or suspended past
  ``FOUR_EYES_SUSPENSION_DAYS`` from now;
- ``batch``: more than ``FOUR_EYES_BATCH`` posts, comments or users decided in one unit;
- ``college-delete``: a college deleted;
- ``word-import``: more than ``FOUR_EYES_IMPORT_LINES`` banned words changed in one unit.

A unit with a severe effect that is not the run of an approved proposal (its own audit
rows include the approval, by someone other than the proposer) is refused with
``SevereEffect`` and rolled back — so a revert, an import, a batch or any future route
cannot skip the second pair of eyes. Routes that can produce such a unit turn it into a
*proposal* (the intended action, the proposer and the reason; nothing else changes);
approving runs it (``flick_admin.team.proposals``). ``FOUR_EYES`` lists which effects
are severe (``none`` for none).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from flick_admin.audit import chain
from flick_admin.audit.actions import AuditAction
from flick_admin.audit.recorder import current_actor, record
from flick_admin.db import Auth
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType
from flick_admin.db.team import Proposal
from flick_admin.db.transaction import before_commit_hooks, transaction
from flick_admin.permissions import Permission
from flick_admin.refusals import NotAllowed

USER_BAN, BATCH, COLLEGE_DELETE, WORD_IMPORT = "user-ban", "batch", "college-delete", "word-import"
KINDS = {USER_BAN: Permission.CONTENT_MODERATE, BATCH: Permission.CONTENT_MODERATE,
         COLLEGE_DELETE: Permission.COLLEGES_MANAGE, WORD_IMPORT: Permission.COLLEGES_MANAGE}
# A proposal to revert a decision whose undoing is severe (its permission is the one the
# decision needed, stored with the proposal).
REVERT = "revert"
PROPOSAL_KINDS = (*KINDS, REVERT)
DEFAULTS = {"FOUR_EYES": ",".join(KINDS), "FOUR_EYES_BATCH": 50, "FOUR_EYES_IMPORT_LINES": 100,
            "FOUR_EYES_SUSPENSION_DAYS": 30, "PROPOSAL_HOURS": 48}
WAITING = "waiting"

A = AuditAction
SANCTIONS = {A.USER_BANNED.value, A.USER_SUSPENDED.value}
CONTENT_DECISIONS = {A.CONTENT_BANNED.value, A.CONTENT_UNBANNED.value, A.CONTENT_SHADOW_BANNED.value,
                     A.CONTENT_SHADOW_UNBANNED.value}
WORD_CHANGES = {A.WORD_CREATED.value, A.WORD_UPDATED.value, A.WORD_DELETED.value}


class SevereEffect(NotAllowed):
    """The unit would have a severe effect without an approved proposal: nothing is kept."""

    def __init__(self, kind: str, what: str):
        super().__init__(f"This needs a second staff member ({what}): propose it, and another "
                         "staff member approves it from Approvals (“Waiting for a second pair "
                         "of eyes”). Nothing was changed.")
        self.kind = kind


def _setting(name: str) -> Any:
    if has_app_context():
        return current_app.config.get(name, DEFAULTS[name])
    return DEFAULTS[name]


def enabled_kinds() -> frozenset[str]:
    raw = str(_setting("FOUR_EYES") or "")
    return frozenset(k.strip() for k in raw.split(",") if k.strip() in KINDS)


def required(kind: str, size: int = 1) -> bool:
    """Whether a route should propose rather than run (the commit point decides anyway)."""
    if kind not in enabled_kinds():
        return False
    if kind == BATCH:
        return size > int(_setting("FOUR_EYES_BATCH"))
    if kind == WORD_IMPORT:
        return size > int(_setting("FOUR_EYES_IMPORT_LINES"))
    return True


def suspension_days() -> int:
    return int(_setting("FOUR_EYES_SUSPENSION_DAYS"))


# --- the commit point -------------------------------------------------------------------------

def _unit_rows(session: Session) -> list[Any]:
    """The unit's audit rows. The demo's made-up month of history (``demo_history``) is
    not an effect of the unit that loads it."""
    pending = session.info.get(chain.PENDING_KEY) or []
    if not pending:
        return []
    session.flush()  # rows recorded with flush=False
    return [r for r in pending if sa.inspect(r).persistent
            and not (isinstance(r.metadata_, dict) and r.metadata_.get("demo_history"))]


def _items(rows: list[Any]) -> set[tuple[str, str]]:
    """The posts, comments and users a unit decided (a report counts as its item)."""
    items: set[tuple[str, str]] = set()
    for row in rows:
        if row.action in CONTENT_DECISIONS or row.action in SANCTIONS or row.action == A.USER_UNBANNED.value:
            items.add((row.entity_type, row.entity_id))
        elif row.action == A.REPORT_STATUS_CHANGED.value:
            target = (row.metadata_ or {}).get("target") if isinstance(row.metadata_, dict) else None
            kind, _, ident = str(target or "").partition(":")
            items.add((kind, ident) if ident else (row.entity_type, row.entity_id))
    return items


def _severely_banned(session: Session, rows: list[Any]) -> list[str]:
    users = {r.entity_id for r in rows if r.entity_type == EntityType.USER.value and r.action in SANCTIONS}
    if not users:
        return []
    now = utcnow()
    limit = now + timedelta(days=suspension_days())
    found = session.execute(sa.select(Auth.id, Auth.banned, Auth.ban_expires)
                            .where(Auth.id.in_(users))).all()
    return [r.id for r in found
            if r.banned and (r.ban_expires is None or r.ban_expires > limit)]


def effects(session: Session, rows: list[Any]) -> list[tuple[str, str]]:
    """The severe effects of a unit's audit rows: (kind, what) for each."""
    kinds = enabled_kinds()
    found: list[tuple[str, str]] = []
    if USER_BAN in kinds and _severely_banned(session, rows):
        found.append((USER_BAN, f"a ban with no end or longer than {suspension_days()} days"))
    if BATCH in kinds:
        count = len(_items(rows))
        if count > int(_setting("FOUR_EYES_BATCH")):
            found.append((BATCH, f"{count} items at once, more than {_setting('FOUR_EYES_BATCH')}"))
    if COLLEGE_DELETE in kinds and any(r.action == A.COLLEGE_DELETED.value for r in rows):
        found.append((COLLEGE_DELETE, "a college deleted"))
    if WORD_IMPORT in kinds:
        words = {r.entity_id for r in rows if r.action in WORD_CHANGES}
        if len(words) > int(_setting("FOUR_EYES_IMPORT_LINES")):
            found.append((WORD_IMPORT, f"{len(words)} banned words changed, more than "
                                       f"{_setting('FOUR_EYES_IMPORT_LINES')}"))
    return found


def _approved_kinds(session: Session, rows: list[Any]) -> set[str]:
    """Kinds of the proposals this unit approved (approved by someone other than the
    proposer, as the proposal row says)."""
    ids = [uuid.UUID(r.entity_id) for r in rows
           if r.action == A.PROPOSAL_APPROVED.value and r.entity_id]
    if not ids:
        return set()
    found = session.execute(sa.select(Proposal.kind, Proposal.proposer_id, Proposal.decided_by_id)
                            .where(Proposal.id.in_(ids), Proposal.status == "approved")).all()
    return {p.kind for p in found if p.decided_by_id is not None and p.decided_by_id != p.proposer_id}


def check_unit(session: Session) -> None:
    """Before-commit hook: refuse (and so roll back) a unit with a severe effect that is
    not the run of an approved proposal."""
    rows = _unit_rows(session)
    if not rows:
        return
    severe = effects(session, rows)
    if not severe:
        return
    approved = _approved_kinds(session, rows)
    for kind, what in severe:
        if kind not in approved and REVERT not in approved:
            raise SevereEffect(kind, what)


def install() -> None:
    """Called by the app factory: the check runs first among the before-commit hooks (the
    audit chain seals the unit's rows after it)."""
    if check_unit not in before_commit_hooks:
        before_commit_hooks.insert(0, check_unit)


# --- proposals --------------------------------------------------------------------------------

def propose(kind: str, payload: dict[str, Any], summary: str, reason: str,
            permission: Permission | None = None) -> Proposal:
    """Record the intended action; nothing else changes."""
    now = utcnow()
    permission = permission or KINDS[kind]
    with transaction() as session:
        proposal = Proposal(kind=kind, payload=payload, summary=summary[:500],
                            permission=permission.value, proposer_id=current_actor().id,
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


def proposed(kind: str, payload: dict[str, Any], summary: str, reason: str,
             permission: Permission | None = None):
    """A view's answer to a severe action: the proposal and a flash (the view redirects)."""
    from flask import flash

    propose(kind, payload, summary, reason, permission)
    flash(SENT, "info")


def waiting_condition(now=None):
    return sa.and_(Proposal.status == WAITING, Proposal.expires_at > (now or utcnow()))
