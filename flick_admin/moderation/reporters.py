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
                   hidden: Iterable[uuid.UUID] = ()) -> set[uuid.UUID]:
    """Notify each reporter once per item for these decided reports (report id, reporter's
    profile id, item id), leaving out reports whose reporter was told before; one INSERT
    for all of them. ``hidden``: the items Flick hides now. Returns the reports whose
    reporter was told (for their audit rows)."""
    if MESSAGES.get(to_status) is None or not enabled():
        return set()
    reports = list(reports)
    before = already_told(session, [r for r, reporter, _ in reports if reporter is not None])
    hidden = set(hidden)
    told: dict[tuple[uuid.UUID, uuid.UUID], list[uuid.UUID]] = {}
    for report_id, reporter_id, target_id in reports:
        if reporter_id is not None and report_id not in before:
            told.setdefault((reporter_id, target_id), []).append(report_id)
    if not told:
        return set()
    now = utcnow_tz()

    def content(target_id: uuid.UUID) -> str:
        status = ReportStatus.RESOLVED if target_id in hidden else to_status
        return MESSAGES[status].format(noun=noun)

    session.execute(sa.insert(Notification), [
        {"id": uuid.uuid4(), "seen": False, "post_id": None, "receiver_id": str(reporter_id),
         "actor_usernames": [], "content": content(target), "type": "general", "created_at": now,
         "updated_at": now}
        for reporter_id, target in told])
    return {report_id for ids in told.values() for report_id in ids}
