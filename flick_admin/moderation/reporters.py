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
two apart. ``NOTIFY_REPORTERS=0`` turns the notifications off.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from flick_admin.db import Notification
from flick_admin.db.base import utcnow_tz
from flick_admin.db.enums import ReportStatus

MESSAGES = {
    ReportStatus.RESOLVED: ("Thanks for your report. We reviewed the {noun} you reported and "
                            "took action under Flick's community rules."),
    ReportStatus.IGNORED: ("Thanks for your report. We reviewed the {noun} you reported and "
                           "found that it does not break Flick's community rules."),
}


def enabled() -> bool:
    return bool(current_app.config.get("NOTIFY_REPORTERS", True)) if has_app_context() else True


def tell_reporters(session: Session, *, noun: str, to_status: ReportStatus,
                   reports: Iterable[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]) -> set[uuid.UUID]:
    """Notify each reporter once per item for these decided reports (report id, reporter's
    profile id, item id); one INSERT for all of them. Returns the reports whose reporter
    was told (for their audit rows)."""
    template = MESSAGES.get(to_status)
    if template is None or not enabled():
        return set()
    told: dict[tuple[uuid.UUID, uuid.UUID], list[uuid.UUID]] = {}
    for report_id, reporter_id, target_id in reports:
        if reporter_id is not None:
            told.setdefault((reporter_id, target_id), []).append(report_id)
    if not told:
        return set()
    now = utcnow_tz()
    content = template.format(noun=noun)
    session.execute(sa.insert(Notification), [
        {"id": uuid.uuid4(), "seen": False, "post_id": None, "receiver_id": str(reporter_id),
         "actor_usernames": [], "content": content, "type": "general", "created_at": now,
         "updated_at": now}
        for reporter_id, _target in told])
    return {report_id for ids in told.values() for report_id in ids}
