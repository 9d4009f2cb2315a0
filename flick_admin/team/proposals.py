"""Proposals waiting for a second pair of eyes: approve (run the action) or reject.

Approval runs the proposed action through its own service, in the approval's transaction,
with the approver as the actor and every audit row naming the proposal and the proposer;
the proposal's own row records the approval. If the target changed since the proposal,
the action refuses (409) and nothing is executed — the proposal keeps waiting, to be
rejected or to expire. The proposer can never approve or reject their own proposal.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from flick_admin import four_eyes, scope
from flick_admin.audit.actions import AuditAction
from flick_admin.audit.context import extra_metadata
from flick_admin.audit.recorder import current_actor, record
from flick_admin.colleges import services as college_services
from flick_admin.colleges import words
from flick_admin.db import Auth
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType
from flick_admin.db.team import Proposal
from flick_admin.db.transaction import transaction
from flick_admin.extensions import db
from flick_admin.moderation import sanctions, services
from flick_admin.moderation.forms import parse_targets
from flick_admin.outcomes import Outcome
from flick_admin.permissions import Permission, has_permission
from flick_admin.refusals import Conflict, InvalidInput, NotAllowed, NotFound, StaleState

MAX_NOTE = 1000


# --- what each kind of proposal runs ------------------------------------------------------

def _run_user_ban(payload: dict[str, Any], reason: str) -> str:
    until = payload.get("until")
    if until:  # a suspension longer than FOUR_EYES_SUSPENSION_DAYS
        return sanctions.sanction_user(payload["user_id"], sanctions.SanctionKind.SUSPEND, reason,
                                       datetime.fromisoformat(until), expected=payload.get("state"),
                                       removal_reason=payload.get("removal_reason")).message
    return sanctions.sanction_user(payload["user_id"], sanctions.SanctionKind.BAN, reason,
                                   expected=payload.get("state"),
                                   removal_reason=payload.get("removal_reason")).message


def _run_batch(payload: dict[str, Any], reason: str) -> str:
    return services.moderate_batch(parse_targets(payload["targets"]), payload["action"], reason,
                                   payload.get("removal_reason")).message


def _run_college_delete(payload: dict[str, Any], reason: str) -> str:
    return f"College {college_services.delete_college(uuid.UUID(payload['college_id']), payload['confirmation'])} deleted."


def _run_word_import(payload: dict[str, Any], reason: str) -> str:
    lines = words.parse_import(payload["text"], default_severity=payload.get("default", "moderate"))
    if words.import_snapshot(lines) != payload["snapshot"]:
        raise StaleState("The banned words changed since this import was proposed; nothing was "
                         "imported. Reject it and propose the import again.")
    _, plan = words.apply_import(lines)
    return f"Imported: {len(plan.add)} added, {len(plan.update)} updated."


def _run_revert(payload: dict[str, Any], reason: str) -> str:
    from flick_admin.team import reverts

    return reverts.revert(uuid.UUID(payload["log_id"]), reason).message


RUN: dict[str, Callable[[dict[str, Any], str], str]] = {
    four_eyes.USER_BAN: _run_user_ban, four_eyes.BATCH: _run_batch,
    four_eyes.COLLEGE_DELETE: _run_college_delete, four_eyes.WORD_IMPORT: _run_word_import,
    four_eyes.REVERT: _run_revert,
}


# --- deciding -------------------------------------------------------------------------------

def _locked(session, proposal_id: uuid.UUID) -> Proposal:
    proposal = session.scalars(sa.select(Proposal).where(Proposal.id == proposal_id).with_for_update()
                               .execution_options(populate_existing=True)).first()
    if proposal is None:
        raise NotFound("That proposal does not exist.")
    return proposal


def _check_may_decide(proposal: Proposal) -> None:
    if scope.limited() and proposal.proposer_id != current_actor().id:
        raise NotFound("That proposal does not exist.")
    if proposal.proposer_id is not None and proposal.proposer_id == current_actor().id:
        raise NotAllowed("You proposed this action: another staff member must approve or reject it.")
    if not has_permission(Permission(proposal.permission)):
        raise NotAllowed("Your role may not take this action, so it may not approve it either.")
    if proposal.status != four_eyes.WAITING:
        raise Conflict(f"This proposal was already {proposal.status}; nothing was done.")
    if proposal.expires_at <= utcnow():
        raise Conflict(f"This proposal expired at {proposal.expires_at:%Y-%m-%d %H:%M} UTC; "
                       "nothing was done. Propose it again if it is still needed.")


def _note(note: str | None) -> str | None:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"The note is at most {MAX_NOTE} characters.")
    return note or None


def _proposer_label(session, proposal: Proposal) -> str | None:
    if proposal.proposer_id is None:
        return None
    return session.scalar(sa.select(Auth.email).where(Auth.id == proposal.proposer_id))


def approve(proposal_id: uuid.UUID, note: str | None = None) -> Outcome:
    note = _note(note)
    with transaction() as session:
        proposal = _locked(session, proposal_id)
        _check_may_decide(proposal)
        approver = current_actor().id
        proposer = _proposer_label(session, proposal)
        # The commit point lets the action's severe effect through because this unit also
        # records the approval (by someone other than the proposer).
        with extra_metadata(proposal_id=str(proposal.id), proposed_by=proposal.proposer_id,
                            proposed_by_email=proposer, approved_by=approver):
            message = RUN[proposal.kind](proposal.payload, proposal.reason)
        proposal.status, proposal.decided_by_id = "approved", approver
        proposal.decided_at, proposal.decision_note = utcnow(), note
        record(AuditAction.PROPOSAL_APPROVED, entity_type=EntityType.PROPOSAL, entity_id=proposal.id,
               before={"status": four_eyes.WAITING}, after={"status": "approved"}, reason=note,
               metadata={"label": proposal.summary, "kind": proposal.kind,
                         "proposed_by": proposal.proposer_id, "proposed_by_email": proposer})
    return Outcome(True, f"Approved and done: {message}")


def reject(proposal_id: uuid.UUID, note: str | None = None) -> Outcome:
    note = _note(note)
    with transaction() as session:
        proposal = _locked(session, proposal_id)
        _check_may_decide(proposal)
        proposal.status, proposal.decided_by_id = "rejected", current_actor().id
        proposal.decided_at, proposal.decision_note = utcnow(), note
        record(AuditAction.PROPOSAL_REJECTED, entity_type=EntityType.PROPOSAL, entity_id=proposal.id,
               before={"status": four_eyes.WAITING}, after={"status": "rejected"}, reason=note,
               metadata={"label": proposal.summary, "kind": proposal.kind,
                         "proposed_by": proposal.proposer_id})
    return Outcome(True, "Rejected; nothing was done.")


# --- reading --------------------------------------------------------------------------------

@dataclass
class Listed:
    proposal: Proposal
    proposer: str | None
    decider: str | None


RECENT = 50


def listing() -> tuple[list[Listed], list[Listed]]:
    """Waiting proposals (oldest first), and the most recent decided or expired ones."""
    proposer, decider = sa.orm.aliased(Auth), sa.orm.aliased(Auth)
    base = (sa.select(Proposal, proposer.email, decider.email)
            .outerjoin(proposer, proposer.id == Proposal.proposer_id)
            .outerjoin(decider, decider.id == Proposal.decided_by_id))
    now = utcnow()
    if scope.limited():  # a college-scoped moderator sees the proposals they made
        base = base.where(Proposal.proposer_id == current_actor().id)
    waiting = db.session.execute(base.where(four_eyes.waiting_condition(now))
                                 .order_by(Proposal.created_at)).all()
    done = db.session.execute(base.where(~four_eyes.waiting_condition(now))
                              .order_by(Proposal.created_at.desc()).limit(RECENT)).all()
    return ([Listed(*r) for r in waiting], [Listed(*r) for r in done])
