"""One-click revert: undo a recorded action from its audit row's before-state.

A revert takes the whole decision the row belongs to — the rows of its batch, else the
rows of its request (a ban and the reports it resolved), else the row alone — and, in one
transaction, puts every changed field back to its before-state, only where the current
state still equals the row's after-state. Otherwise it answers 409 saying what changed
since and by whom, and writes nothing. Each inverse is recorded as its own audit row
whose metadata names the row it reverts (``reverts``); a row that was reverted once
cannot be reverted again, and a revert is not itself reverted (do the action again).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from flick_admin import scope, tallies
from flick_admin.audit.actions import AuditAction
from flick_admin.audit.queries import batch_expression
from flick_admin.audit.recorder import record
from flick_admin.auth.sessions import end_sessions_of
from flick_admin.colleges.services import _college_fields, _set_branches
from flick_admin.colleges.words import word_fields
from flick_admin.db import Auth, BannedWord, Branch, College, Comment, ContentReport, Log, Post
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType, ReportStatus
from flick_admin.db.transaction import transaction
from flick_admin.extensions import db
from flick_admin.moderation import claims
from flick_admin.moderation.sanctions import ban_fields, sanction_refusal
from flick_admin.moderation.services import _last_change
from flick_admin.outcomes import Outcome, clean_reason
from flick_admin.permissions import Permission, has_permission
from flick_admin.refusals import Conflict, InvalidInput, NotAllowed, NotFound, StaleState

A = AuditAction
MAX_GROUP = 500


def reverts_expression(dialect: str):
    if dialect == "postgresql":
        # The exact expression of the ix_admin_logs_reverts index.
        return sa.literal_column("(logs.metadata ->> 'reverts')")
    return sa.func.json_extract(Log.metadata_, "$.reverts")


# --- how each kind of row is undone --------------------------------------------------------

@dataclass(frozen=True)
class FieldSpec:
    """A row whose audit before/after are plain fields of one table."""

    model: Any
    entity: EntityType
    read: Callable[[Session, Any], dict[str, Any]]
    write: Callable[[Session, Any, dict[str, Any]], None]
    inverse: Callable[[Log, dict[str, Any]], AuditAction]
    noun: str


def _set_attrs(mapping: dict[str, str], touch: str = "updated_at"):
    def write(session: Session, row, values: dict[str, Any]) -> None:
        for key, value in values.items():
            setattr(row, mapping[key], value)
        setattr(row, touch, utcnow())
    return write


def _read_attrs(mapping: dict[str, str]):
    def read(session: Session, row) -> dict[str, Any]:
        return {key: getattr(row, attr) for key, attr in mapping.items()}
    return read


POST_FIELDS = {"isBanned": "is_banned", "isShadowBanned": "is_shadow_banned"}
CONTENT_INVERSE = {A.CONTENT_BANNED: A.CONTENT_UNBANNED, A.CONTENT_UNBANNED: A.CONTENT_BANNED,
                   A.CONTENT_SHADOW_BANNED: A.CONTENT_SHADOW_UNBANNED,
                   A.CONTENT_SHADOW_UNBANNED: A.CONTENT_SHADOW_BANNED}


def _content_read(session, row):
    return {k: bool(getattr(row, a)) for k, a in POST_FIELDS.items() if hasattr(row, a)}


def _user_write(session, user: Auth, values: dict[str, Any]) -> None:
    refusal = sanction_refusal(user)
    if refusal is not None:
        raise NotAllowed(refusal)
    for key, value in values.items():
        if key == "ban_expires":
            value = datetime.fromisoformat(value) if value else None
        setattr(user, key, value)
    user.updated_at = utcnow()
    if user.ban_in_force():
        end_sessions_of(user.id)


def _user_inverse(log: Log, restored: dict[str, Any]) -> AuditAction:
    if not restored.get("banned", True):
        return A.USER_UNBANNED
    return A.USER_SUSPENDED if restored.get("ban_expires") else A.USER_BANNED


def _report_write(session, report: ContentReport, values: dict[str, Any]) -> None:
    was_pending = report.status == ReportStatus.PENDING.value
    report.status, report.updated_at = values["status"], utcnow()
    into_pending = values["status"] == ReportStatus.PENDING.value
    if was_pending != into_pending:
        tallies.reports_moved(session, [tallies.MovedReport(report.post_id, report.created_at)],
                              into_pending=into_pending)


def _college_write(session, college: College, values: dict[str, Any]) -> None:
    mapping = {"name": "name", "emailDomain": "email_domain", "city": "city", "state": "state",
               "profile": "profile"}
    for key, value in values.items():
        if key == "branches":
            ids = tuple(session.scalars(sa.select(Branch.id).where(Branch.name.in_(value or []))))
            if len(ids) != len(value or []):
                raise StaleState("A branch this college had was deleted since; nothing was written.")
            _set_branches(session, college, ids)
        else:
            setattr(college, mapping[key], value)
    college.updated_at = utcnow()


SPECS: dict[str, FieldSpec] = {
    **{a.value: FieldSpec(Post, EntityType.POST, _content_read, _set_attrs(POST_FIELDS),
                          lambda log, _r: CONTENT_INVERSE[A(log.action)], "post")
       for a in CONTENT_INVERSE},
    A.REPORT_STATUS_CHANGED.value: FieldSpec(
        ContentReport, EntityType.CONTENT_REPORT, _read_attrs({"status": "status"}), _report_write,
        lambda log, _r: A.REPORT_STATUS_CHANGED, "report"),
    **{a.value: FieldSpec(Auth, EntityType.USER, lambda _s, user: ban_fields(user), _user_write,
                          _user_inverse, "user")
       for a in (A.USER_BANNED, A.USER_SUSPENDED, A.USER_UNBANNED)},
    A.WORD_UPDATED.value: FieldSpec(
        BannedWord, EntityType.BANNED_WORD, lambda _s, row: word_fields(row),
        _set_attrs({"word": "word", "severity": "severity", "strict_mode": "strict_mode"}),
        lambda log, _r: A.WORD_UPDATED, "banned word"),
    A.COLLEGE_UPDATED.value: FieldSpec(College, EntityType.COLLEGE, _college_fields, _college_write,
                                       lambda log, _r: A.COLLEGE_UPDATED, "college"),
    A.BRANCH_UPDATED.value: FieldSpec(
        Branch, EntityType.BRANCH, _read_attrs({"name": "name", "code": "code"}),
        _set_attrs({"name": "name", "code": "code"}), lambda log, _r: A.BRANCH_UPDATED, "branch"),
}
COMMENT_SPECS = {a.value: FieldSpec(Comment, EntityType.COMMENT, _content_read, _set_attrs(POST_FIELDS),
                                   lambda log, _r: CONTENT_INVERSE[A(log.action)], "comment")
                 for a in CONTENT_INVERSE}


def _spec(log: Log) -> FieldSpec:
    if log.entity_type == EntityType.COMMENT.value and log.action in COMMENT_SPECS:
        return COMMENT_SPECS[log.action]
    return SPECS[log.action]


# Banned words created or deleted: the inverse deletes or re-creates the row.
WHOLE_ROWS = {A.WORD_CREATED.value, A.WORD_DELETED.value}
REVERSIBLE = frozenset(SPECS) | WHOLE_ROWS


def _entity_id(model, raw: str):
    return raw if model is Auth else uuid.UUID(raw)


def _changed_since(session: Session, log: Log, noun: str, field: str, now: Any) -> StaleState:
    entity = EntityType(log.entity_type)
    return StaleState(
        f"The {noun} changed since this entry: {field} is now {now!r} "
        f"({_last_change(session, entity, log.entity_id)}). Nothing was reverted.")


def _undo_fields(session: Session, log: Log, spec: FieldSpec, meta: dict[str, Any]) -> None:
    model = spec.model
    row = session.scalars(sa.select(model).where(model.id == _entity_id(model, log.entity_id))
                          .with_for_update().execution_options(populate_existing=True)).first()
    if row is None:
        raise NotFound(f"The {spec.noun} of this entry no longer exists; nothing was reverted.")
    after, before = log.after or {}, log.before or {}
    current = spec.read(session, row)
    for key, value in after.items():
        if current.get(key) != value:
            raise _changed_since(session, log, spec.noun, key, current.get(key))
    restored = {key: before.get(key) for key in after}
    spec.write(session, row, restored)
    session.flush()
    record(spec.inverse(log, restored), entity_type=spec.entity, entity_id=log.entity_id,
           before=dict(after), after=restored, reason=meta["reason"],
           metadata={**meta["metadata"], "reverts": log.id,
                     **({"label": log.metadata_.get("label")} if isinstance(log.metadata_, dict) else {})},
           flush=False)


def _undo_word(session: Session, log: Log, meta: dict[str, Any]) -> None:
    word_id = uuid.UUID(log.entity_id)
    row = session.scalars(sa.select(BannedWord).where(BannedWord.id == word_id).with_for_update()).first()
    extra = {**meta["metadata"], "reverts": log.id}
    if log.action == A.WORD_CREATED.value:
        if row is None:
            raise StaleState("The banned word was deleted since; nothing was reverted.")
        current = word_fields(row)
        for key, value in (log.after or {}).items():
            if current.get(key) != value:
                raise _changed_since(session, log, "banned word", key, current.get(key))
        session.delete(row)
        session.flush()
        record(A.WORD_DELETED, entity_type=EntityType.BANNED_WORD, entity_id=word_id, before=current,
               reason=meta["reason"], metadata={**extra, "label": current["word"]}, flush=False)
        return
    before = log.before or {}
    if row is not None or session.scalar(sa.select(BannedWord.id).where(BannedWord.word == before.get("word"))):
        raise Conflict(f"{before.get('word')!r} is a banned word again since; nothing was reverted.")
    now = utcnow()
    session.add(BannedWord(id=word_id, word=before["word"], severity=before["severity"],
                           strict_mode=bool(before.get("strict_mode")), created_at=now, updated_at=now))
    session.flush()
    record(A.WORD_CREATED, entity_type=EntityType.BANNED_WORD, entity_id=word_id, after=before,
           reason=meta["reason"], metadata={**extra, "label": before["word"]}, flush=False)


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
    dialect = session.get_bind().dialect.name
    meta = log.metadata_ if isinstance(log.metadata_, dict) else {}
    if meta.get("batch_id"):
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
    return isinstance(log.metadata_, dict) and bool(log.metadata_.get("reverts"))


def revertible(log: Any) -> bool:
    """Whether an audit row offers "Revert" (its kind can be undone; not itself a revert)."""
    meta = getattr(log, "metadata_", None)
    return getattr(log, "action", None) in REVERSIBLE and not (isinstance(meta, dict) and meta.get("reverts"))


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


ADMIN_ENTITIES = {EntityType.BANNED_WORD.value, EntityType.COLLEGE.value, EntityType.BRANCH.value}


def permission_for(rows: list[Log]) -> Permission:
    """Reverting needs the permission the original action needed."""
    if any(r.entity_type in ADMIN_ENTITIES for r in rows):
        return Permission.COLLEGES_MANAGE
    return Permission.CONTENT_MODERATE


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
        # An item another moderator holds is theirs to decide, a revert included.
        claims.check_free(session, [(r.entity_type, uuid.UUID(r.entity_id)) for r in found.rows
                                    if r.entity_type in (EntityType.POST.value, EntityType.COMMENT.value)])
        meta = {"reason": reason, "metadata": {"revert_of": str(found.entry.id)}}
        for row in reversed(found.rows):
            if row.action in WHOLE_ROWS:
                _undo_word(session, row, meta)
            else:
                _undo_fields(session, row, _spec(row), meta)
        session.flush()
    count = len(found.rows)
    return Outcome(True, "Reverted." if count == 1 else f"Reverted {count} changes.", count)
