"""Telling reporters what became of their report, in Flick's own ``notifications`` table.

When Flick Admin decides a report — the content is banned or shadow-banned (the report is
resolved) or the report is ignored — each student who reported that post or comment gets
one notification, written in the decision's own transaction, in the shape Flick's server
writes its own: ``type`` ``general`` (so Flick's app shows ``content`` as the message),
``receiverId`` the reporter's ``platform_user`` id (Flick's server compares it with the
signed-in student's profile id), ``actorUsernames`` empty (no student acted), and no
``postId``: a link would reveal a shadow-banned post to its reporter, and Flick's
``postId`` foreign key (ON DELETE NO ACTION) would stop the post from ever being deleted.

A shadow-ban reads exactly like a ban ("we took action"), so the reporter cannot tell the
two apart; so do reports ignored on an item Flick already hides (banned or shadow-banned
before): it was acted on, and "it does not break the rules" would be untrue. A reporter is
told once per report: a report reopened and decided again tells nobody a second time (its
earlier audit rows say it was told). ``NOTIFY_REPORTERS=0`` turns the notifications off.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from flick_admin.audit.actions import AuditAction
from flick_admin.db import Log, Notification
from flick_admin.db.base import utcnow_tz
from flick_admin.db.enums import EntityType, ReportStatus

MESSAGES = {
    ReportStatus.RESOLVED: ("Thanks for your report. We reviewed the {noun} you reported and "
                            "took action under Flick's community rules."),
    ReportStatus.IGNORED: ("Thanks for your report. We reviewed the {noun} you reported and "
                           "found that it does not break Flick's community rules."),
}


def enabled() -> bool:
    return bool(current_app.config.get("NOTIFY_REPORTERS", True)) if has_app_context() else True


def already_told(session: Session, report_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """The reports whose reporter was told of an earlier decision (by their audit rows)."""
    if not report_ids:
        return set()
    rows = session.execute(
        sa.select(Log.entity_id, Log.metadata_)
        .where(Log.entity_type == EntityType.CONTENT_REPORT.value,
               Log.entity_id.in_([str(i) for i in report_ids]),
               Log.action == AuditAction.REPORT_STATUS_CHANGED.value)).all()
    return {uuid.UUID(str(entity_id)) for entity_id, meta in rows
            if isinstance(meta, dict) and meta.get("reporter_notified")}


def tell_reporters(session: Session, *, noun: str, to_status: ReportStatus,
                   reports: Iterable[tuple[uuid.UUID, uuid.UUID, uuid.UUID]],
                   hidden: Iterable[uuid.UUID] = ()) -> dict[uuid.UUID, uuid.UUID]:
    """Notify each reporter once per item for these decided reports (report id, reporter's
    profile id, item id), leaving out reports whose reporter was told before; one INSERT
    for all of them. ``hidden``: the items Flick hides now (their reporters hear that action
    was taken, whatever the decision on the report). Returns, for each report whose reporter
    was told, the notification's id (its audit row keeps it, so that a revert of the
    decision can correct it)."""
    if MESSAGES.get(to_status) is None or not enabled():
        return {}
    reports = list(reports)
    before = already_told(session, [r for r, reporter, _ in reports if reporter is not None])
    hidden = set(hidden)
    told: dict[tuple[uuid.UUID, uuid.UUID], list[uuid.UUID]] = {}
    for report_id, reporter_id, target_id in reports:
        if reporter_id is not None and report_id not in before:
            told.setdefault((reporter_id, target_id), []).append(report_id)
    if not told:
        return {}
    ids = {key: uuid.uuid4() for key in told}

    def content(target_id: uuid.UUID) -> str:
        status = ReportStatus.RESOLVED if target_id in hidden else to_status
        return MESSAGES[status].format(noun=noun)

    _insert(session, [(ids[key], key[0], content(key[1])) for key in told])
    return {report_id: ids[key] for key, report_ids in told.items() for report_id in report_ids}


def _insert(session: Session, notes: list[tuple[uuid.UUID, uuid.UUID, str]]) -> None:
    now = utcnow_tz()
    session.execute(sa.insert(Notification), [
        {"id": note_id, "seen": False, "post_id": None, "receiver_id": str(reporter_id),
         "actor_usernames": [], "content": content, "type": "general", "created_at": now,
         "updated_at": now}
        for note_id, reporter_id, content in notes])


CORRECTION = ("An update on the {noun} you reported: we reversed our earlier decision on it, "
              "and your report is being reviewed again.")


def withdraw(session: Session, rows: Iterable, moves: Iterable) -> None:
    """A revert reopens decided reports: the "we decided" notifications their reporters got
    are corrected in the revert's unit. One the reporter has not seen yet (Flick's
    ``seen`` flag, which its server sets when the app shows it) is removed, so they never
    read a decision that no longer holds; one already seen stays (it was true when read)
    and is followed by a correction. Each move's audit row says which (``reporter_notice``:
    ``withdrawn`` or ``corrected``). Decisions recorded before notifications were named in
    their audit rows are not corrected."""
    noted: dict[uuid.UUID, Any] = {}
    for row, move in zip(rows, moves, strict=True):
        meta = row.metadata_ if isinstance(row.metadata_, dict) else {}
        if meta.get("notification_id") and move.to_status is ReportStatus.PENDING:
            noted.setdefault(uuid.UUID(meta["notification_id"]), []).append(
                (move, str(meta.get("target", "")).partition(":")[0] or "post"))
    if not noted:
        return
    removed = set(session.scalars(
        sa.delete(Notification).where(Notification.id.in_(list(noted)), Notification.seen.is_(False))
        .returning(Notification.id)))
    seen = session.execute(sa.select(Notification.id, Notification.receiver_id)
                           .where(Notification.id.in_([i for i in noted if i not in removed]))).all()
    for note_id, receiver in seen:
        noun = noted[note_id][0][1]
        _insert(session, [(uuid.uuid4(), receiver, CORRECTION.format(noun=noun))])
    corrected = {row.id for row in seen}
    for note_id, entries in noted.items():
        state = "withdrawn" if note_id in removed else "corrected" if note_id in corrected else None
        for move, _noun in entries:
            if state is not None and move.metadata is not None:
                move.metadata["reporter_notice"] = state
