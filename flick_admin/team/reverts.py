"""One-click revert: undo a recorded decision through the services.

A revert takes the whole decision the row belongs to — every row of its unit of work (a
ban and the reports it resolved, a whole batch), found by the id the server gave the unit
— and undoes it as a plan of ordinary service calls (unban, lift, reopen, rename back…),
in one transaction. Each call makes its own checks: uniqueness (a college's domain, a
banned word), claims (another moderator's item is a 409), scope, and four-eyes at the
commit point (undoing a severe decision is itself severe: the route proposes it).

It is refused, and nothing is written, when any later audit row touched an entity of the
decision (409 naming that action and who did it): undoing a decision someone acted on
since would silently undo their work too. Where the current state no longer equals the
row's after-state (a change made outside Flick Admin) it is a 409 as well. Reverting a
decision the reporters (or its authors) were told about corrects their notifications in the
same unit.
Each inverse row names the row it reverts (``reverts``); a row that was reverted once
cannot be reverted again, and a revert is not itself reverted (do the action again).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from flick_admin import scope
from flick_admin.audit import describe
from flick_admin.audit.actions import AuditAction
from flick_admin.audit.context import extra_metadata
from flick_admin.audit.queries import batch_expression
from flick_admin.colleges import services as colleges
from flick_admin.colleges import words
from flick_admin.colleges.services import _college_fields
from flick_admin.db import Auth, BannedWord, Branch, College, Comment, ContentReport, Log, Post
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType, ReportStatus
from flick_admin.db.transaction import transaction
from flick_admin.extensions import db
from flick_admin.moderation import authors, reporters, sanctions, services
from flick_admin.moderation.report_moves import ReportMove, move_reports
from flick_admin.moderation.services import ContentAction, Target, TargetKind
from flick_admin.outcomes import Outcome, clean_reason
from flick_admin.permissions import Permission, has_permission
from flick_admin.refusals import Conflict, InvalidInput, NotAllowed, NotFound, StaleState

A = AuditAction
MAX_GROUP = 500

CONTENT = {A.CONTENT_BANNED.value, A.CONTENT_UNBANNED.value, A.CONTENT_SHADOW_BANNED.value,
           A.CONTENT_SHADOW_UNBANNED.value}
USERS = {A.USER_BANNED.value, A.USER_SUSPENDED.value, A.USER_UNBANNED.value}
WORDS = {A.WORD_CREATED.value, A.WORD_UPDATED.value, A.WORD_DELETED.value}
REVERSIBLE = frozenset(CONTENT | USERS | WORDS | {A.REPORT_STATUS_CHANGED.value, A.COLLEGE_UPDATED.value,
                                                  A.BRANCH_UPDATED.value})
# Rows about who holds an item (or notes on it, its escalation), not about the item: they never make a revert unsafe. Nor
# do a student's own rows (Flick's "user:…" and "auth:…": a sign-in, an edit of their
# post): only staff decisions ("admin:…", "system:…") change what a revert puts back.
HOLDING = (A.CONTENT_CLAIMED.value, A.CONTENT_RELEASED.value, A.CONTENT_TAKEN_OVER.value,
           A.CONTENT_ASSIGNED.value, A.CONTENT_ESCALATED.value, A.CONTENT_DEESCALATED.value,
           A.NOTE_ADDED.value, A.NOTE_EDITED.value, A.NOTE_DELETED.value)


def reverts_expression(dialect: str):
    if dialect == "postgresql":
        # The exact expression of the ix_admin_logs_reverts index.
        return sa.literal_column("(logs.metadata ->> 'reverts')")
    return sa.func.json_extract(Log.metadata_, "$.reverts")


def unit_expression(dialect: str):
    if dialect == "postgresql":
        # The exact expression of the ix_admin_logs_unit index.
        return sa.literal_column("(logs.metadata ->> 'unit_id')")
    return sa.func.json_extract(Log.metadata_, "$.unit_id")


def _meta(log: Any) -> dict[str, Any]:
    meta = getattr(log, "metadata_", None)
    return meta if isinstance(meta, dict) else {}


# --- which rows a revert takes ----------------------------------------------------------------

@dataclass
class RevertPlan:
    entry: Log
    rows: list[Log]  # the reversible rows of the decision, oldest first
    reverted_by: Any  # (actor email, when) of an earlier revert, if any

    @property
    def batch(self) -> bool:
        return len(self.rows) > 1


def _group(session: Session, log: Log) -> list[Log]:
    """The decision's rows: its unit of work (the server's id). Rows written before units
    had ids are grouped by batch, else by request."""
    dialect = session.get_bind().dialect.name
    meta = _meta(log)
    if meta.get("unit_id"):
        where = unit_expression(dialect) == str(meta["unit_id"])
    elif meta.get("batch_id"):
        where = batch_expression(dialect) == str(meta["batch_id"])
    elif log.request_id is not None:
        where = Log.request_id == log.request_id
    else:
        return [log]
    rows = session.scalars(sa.select(Log).where(where, Log.action.in_(REVERSIBLE))
                           .order_by(Log.occured_at, Log.id).limit(MAX_GROUP + 1)).all()
    if len(rows) > MAX_GROUP:
        raise InvalidInput(f"This decision has more than {MAX_GROUP} changes; revert it in parts.")
    return [r for r in rows if not _is_revert(r)] or [log]


def _is_revert(log: Log) -> bool:
    return bool(_meta(log).get("reverts"))


def revertible(log: Any) -> bool:
    """Whether an audit row offers "Revert" (its kind can be undone; not itself a revert)."""
    return getattr(log, "action", None) in REVERSIBLE and not _meta(log).get("reverts")


def _check_scope(session: Session, rows: list[Log]) -> None:
    """A college-scoped moderator reverts only what is about their colleges' students."""
    if not scope.limited():
        return
    for row in rows:
        try:
            if row.entity_type in (EntityType.POST.value, EntityType.COMMENT.value):
                scope.check_targets(session, [(row.entity_type, uuid.UUID(row.entity_id or ""))])
            elif row.entity_type == EntityType.CONTENT_REPORT.value:
                scope.check_report(session, uuid.UUID(row.entity_id or ""))
            elif row.entity_type == EntityType.USER.value:
                scope.check_user(session, row.entity_id or "")
            else:
                raise NotFound("That audit entry does not exist.")
        except (NotFound, ValueError):
            raise NotFound("That audit entry does not exist.") from None


def plan(log_id: uuid.UUID) -> RevertPlan:
    session = db.session()
    log = session.get(Log, log_id)
    if log is None:
        raise NotFound("That audit entry does not exist.")
    _check_scope(session, [log])  # before anything else: outside the scope it does not exist
    if log.action not in REVERSIBLE:
        raise InvalidInput("This kind of action cannot be reverted from the audit log.")
    if _is_revert(log):
        raise InvalidInput("This entry is itself a revert; to undo it, do the action again.")
    rows = _group(session, log)
    _check_scope(session, rows)
    dialect = session.get_bind().dialect.name
    earlier = session.execute(
        sa.select(Auth.email, Log.actor_id, Log.occured_at).outerjoin(Auth, Auth.id == Log.actor_id)
        .where(reverts_expression(dialect).in_([str(r.id) for r in rows])).limit(1)).first()
    return RevertPlan(log, rows, earlier)


def summary(found: RevertPlan) -> str:
    """How a proposal names the decision to revert: "a ban of user 'ana'", "a batch of 60"."""
    entry = found.entry
    if found.batch:
        return f"a decision of {len(found.rows)} changes ({describe.verb(entry.action)} …)"
    label = _meta(entry).get("label")
    what = f"{describe.noun(entry.entity_type)} {label!r}" if label else describe.noun(entry.entity_type)
    return f"“{describe.verb(entry.action)} {what}”"


ADMIN_ENTITIES = {EntityType.BANNED_WORD.value, EntityType.COLLEGE.value, EntityType.BRANCH.value}


def permission_for(rows: list[Log]) -> Permission:
    """Reverting needs the permission the original action needed."""
    if any(r.entity_type in ADMIN_ENTITIES for r in rows):
        return Permission.COLLEGES_MANAGE
    return Permission.CONTENT_MODERATE


# --- refusing an unsafe revert ------------------------------------------------------------------

def _refuse_later_changes(session: Session, rows: list[Log]) -> None:
    """409 when any audit row after the decision touched one of its entities (A bans, B
    unbans and bans again: reverting A's ban would undo B's newer ban). The earliest such
    row is named."""
    oldest = min(r.occured_at for r in rows)
    ids = {r.id for r in rows}
    since = {(r.entity_type, r.entity_id): r.occured_at for r in rows}
    later = session.execute(
        sa.select(Log.id, Log.occured_at, Log.action, Log.entity_type, Log.entity_id, Log.actor_id,
                  Log.actor_type, Auth.email)
        .outerjoin(Auth, Auth.id == Log.actor_id)
        .where(sa.tuple_(Log.entity_type, Log.entity_id).in_(list(since)),
               Log.occured_at >= oldest, Log.action.not_in(HOLDING),
               sa.or_(Log.action.like("admin:%"), Log.action.like("system:%")))
        .order_by(Log.occured_at, Log.id)).all()
    for row in later:
        if row.id in ids or row.occured_at <= since[(row.entity_type, row.entity_id)]:
            continue
        who = row.email or row.actor_id or row.actor_type
        raise StaleState(
            f"The {describe.noun(row.entity_type)} was changed after this decision: {who} "
            f"{describe.verb(row.action)} it at "
            f"{row.occured_at:%Y-%m-%d %H:%M} UTC. Reverting would undo that too, so nothing was "
            "reverted; revert the later action first, or act on the item directly.")


def _changed_since(log: Log, field: str, now: Any) -> StaleState:
    noun = describe.noun(log.entity_type)
    return StaleState(f"The {noun} changed since this entry outside Flick Admin: {field} is now "
                      f"{now!r}. Nothing was reverted.")


def _compare(log: Log, current: dict[str, Any]) -> dict[str, Any]:
    """The row's before-state over the current state, when the current state still is the
    row's after-state (otherwise 409)."""
    after, before = log.after or {}, log.before or {}
    for key, value in after.items():
        if current.get(key) != value:
            raise _changed_since(log, key, current.get(key))
    return {**current, **{key: before.get(key) for key in after}}


# --- the plan: each row's inverse as an ordinary service call ------------------------------------

def _locked(session: Session, model, ident):
    return session.scalars(sa.select(model).where(model.id == ident).with_for_update()
                           .execution_options(populate_existing=True)).first()


def _missing(log: Log) -> NotFound:
    return NotFound(f"The {describe.noun(log.entity_type)} of this entry no longer "
                    "exists; nothing was reverted.")


def _undo_content(session: Session, log: Log, reason: str) -> None:
    kind = TargetKind(log.entity_type)
    model = Post if kind is TargetKind.POST else Comment
    row = _locked(session, model, uuid.UUID(log.entity_id))
    if row is None:
        raise _missing(log)
    current = {"isBanned": bool(row.is_banned)}
    if kind is TargetKind.POST:
        current["isShadowBanned"] = bool(row.is_shadow_banned)
    wanted = _compare(log, current)
    if wanted.get("isBanned") and wanted.get("isShadowBanned"):
        raise Conflict("This post was banned and shadow-banned at once (outside Flick Admin); "
                       "Flick Admin's actions cannot put that back. Nothing was reverted.")
    if wanted["isBanned"]:
        action = ContentAction.BAN
    elif wanted.get("isShadowBanned"):
        action = ContentAction.SHADOW_BAN
    else:
        action = ContentAction.UNBAN if current["isBanned"] else ContentAction.UNSHADOW_BAN
    services.moderate(Target(kind, row.id), action, reason)


def _undo_user(session: Session, log: Log, reason: str) -> None:
    user = _locked(session, Auth, log.entity_id)
    if user is None:
        raise _missing(log)
    wanted = _compare(log, sanctions.ban_fields(user))
    until = datetime.fromisoformat(wanted["ban_expires"]) if wanted.get("ban_expires") else None
    if until is not None and until.tzinfo is not None:
        until = until.replace(tzinfo=None)
    if not wanted.get("banned") or (until is not None and until <= utcnow()):
        sanctions.lift_sanction(user.id, reason)
    elif until is None:
        sanctions.sanction_user(user.id, sanctions.SanctionKind.BAN, reason)
    else:
        sanctions.sanction_user(user.id, sanctions.SanctionKind.SUSPEND, reason, until)


def _undo_word(session: Session, log: Log, reason: str) -> None:
    word_id = uuid.UUID(log.entity_id)
    row = _locked(session, BannedWord, word_id)
    if log.action == A.WORD_DELETED.value:
        before = log.before or {}
        if row is not None:
            raise Conflict(f"{before.get('word')!r} exists again since; nothing was reverted.")
        words.create_word(before.get("word"), before.get("severity"), bool(before.get("strict_mode")),
                          word_id=word_id)
        return
    if row is None:
        raise _missing(log)
    if log.action == A.WORD_CREATED.value:
        _compare(log, words.word_fields(row))
        words.delete_word(word_id)
        return
    wanted = _compare(log, words.word_fields(row))
    words.update_word(word_id, wanted["word"], wanted["severity"], bool(wanted["strict_mode"]))


def _undo_college(session: Session, log: Log, reason: str) -> None:
    college = _locked(session, College, uuid.UUID(log.entity_id))
    if college is None:
        raise _missing(log)
    wanted = _compare(log, _college_fields(session, college))
    names = list(wanted.get("branches") or [])
    ids = list(session.scalars(sa.select(Branch.id).where(Branch.name.in_(names)))) if names else []
    if len(ids) != len(names):
        raise StaleState("A branch this college had was deleted since; nothing was reverted.")
    colleges.update_college(college.id, colleges.CollegeInput.clean(
        name=wanted["name"], email_domain=wanted["emailDomain"], city=wanted["city"],
        state=wanted["state"], profile=wanted["profile"], branch_ids=ids))


def _undo_branch(session: Session, log: Log, reason: str) -> None:
    branch = _locked(session, Branch, uuid.UUID(log.entity_id))
    if branch is None:
        raise _missing(log)
    wanted = _compare(log, {"name": branch.name, "code": branch.code})
    colleges.update_branch(branch.id, wanted["name"], wanted["code"])


UNDO = {**dict.fromkeys(CONTENT, _undo_content), **dict.fromkeys(USERS, _undo_user),
        **dict.fromkeys(WORDS, _undo_word), A.COLLEGE_UPDATED.value: _undo_college,
        A.BRANCH_UPDATED.value: _undo_branch}


def _report_moves(session: Session, rows: list[Log]) -> list[ReportMove]:
    """The decision's report rows, each back to its before-status (and the reporters told
    of the decision get a correction: see ``reporters.withdraw``)."""
    found = {r.id: r for r in session.scalars(
        sa.select(ContentReport).where(ContentReport.id.in_([uuid.UUID(r.entity_id) for r in rows])))}
    moves = []
    for log in rows:
        report = found.get(uuid.UUID(log.entity_id))
        if report is None:
            raise _missing(log)
        _compare(log, {"status": report.status})
        moves.append(ReportMove(report.id, report.status, ReportStatus((log.before or {})["status"]),
                                {"reverts": str(log.id)}))
    return moves


def _what_is_reverted(session: Session, found: RevertPlan) -> str:
    """The decision in words for the revert's rows: "chen@…'s ban of post “Showcase…”"."""
    entry = found.entry
    named = next((r for r in [entry, *found.rows] if _meta(r).get("label")), entry)
    actor = session.scalar(sa.select(Auth.email).where(Auth.id == entry.actor_id)) if entry.actor_id else None
    return describe.decision(actor, named.action, named.entity_type, _meta(named).get("label"),
                             len(found.rows))


def revert(log_id: uuid.UUID, reason: str | None) -> Outcome:
    """Undo the decision ``log_id`` belongs to, all of it or nothing."""
    reason = clean_reason(reason)
    with transaction() as session:
        found = plan(log_id)
        if not has_permission(permission_for(found.rows)):
            raise NotAllowed("Your role may not make this change, so it may not revert it either.")
        if found.reverted_by is not None:
            who = found.reverted_by.email or found.reverted_by.actor_id or "someone"
            raise Conflict(f"This decision was already reverted by {who} at "
                           f"{found.reverted_by.occured_at:%Y-%m-%d %H:%M} UTC; nothing was written.")
        _refuse_later_changes(session, found.rows)
        with extra_metadata(revert_of=str(found.entry.id), reverted=_what_is_reverted(session, found)):
            reports = [r for r in found.rows if r.action == A.REPORT_STATUS_CHANGED.value]
            if reports:
                moves = _report_moves(session, reports)
                reporters.withdraw(session, reports, moves)
                move_reports(moves, reason)
            decisions = [r for r in found.rows if r.action != A.REPORT_STATUS_CHANGED.value]
            corrected = authors.correct(session, decisions)  # the authors told of it
            for row in reversed(decisions):
                with extra_metadata(reverts=str(row.id), **({"author_corrected": True} if row.id in corrected else {})):
                    UNDO[row.action](session, row, reason)
        session.flush()
    count = len(found.rows)
    return Outcome(True, "Reverted." if count == 1 else f"Reverted {count} changes.", count)
