"""One table of the words staff read for the codes Flick stores: a report's reason
(``HATE_SPEECH`` → "Hate speech"), its status and type, a student's onboarding status, a
staff role. Templates read it through the ``label`` filter (``{{ r.reason|label('reason') }}``);
Python through :func:`label`. No page shows a bare code."""

from __future__ import annotations

from typing import Any

from flick_admin.db.enums import REPORT_REASON_LABELS

LABELS: dict[str, dict[str, str]] = {
    "reason": REPORT_REASON_LABELS,
    "report_status": {"pending": "Pending", "resolved": "Resolved", "ignored": "Ignored"},
    "report_type": {"Post": "post", "Comment": "comment"},
    "user_status": {"ONBOARDING": "Onboarding", "ACTIVE": "Active"},
    "role": {"user": "student", "moderator": "moderator", "admin": "admin",
             "superadmin": "superadmin", "auditor": "auditor", "triage": "triage",
             "system": "the system"},
    "severity": {"mild": "mild", "moderate": "moderate", "severe": "severe"},
    "request_status": {"pending": "pending", "approved": "approved", "rejected": "rejected"},
    "feedback_status": {"new": "new", "reviewed": "reviewed", "dismissed": "dismissed"},
    # What a permission lets one do, for "needs the right to …" (the values of permissions.Permission).
    "permission": {"content:read": "read content", "content:moderate": "moderate content",
                   "content:triage": "claim, note and escalate",
                   "escalations:work": "work the escalated items",
                   "colleges:manage": "manage colleges", "feedback:manage": "manage feedback",
                   "audit:read": "read the audit log",
                   "audit:read-private": "read sign-ins and staff management",
                   "audit:export": "export the audit log", "staff:manage": "manage staff",
                   "operations:read": "read database health",
                   "shared-views:manage": "manage shared views"},
}


def label(code: Any, kind: str | None = None) -> str:
    """The word for ``code`` (of ``kind`` when given, else of whichever kind knows it); an
    unknown upper-case code is read as words ("SOME_CODE" → "Some code"), never shown raw;
    other text is shown as it is."""
    if code is None or code == "":
        return ""
    code = str(getattr(code, "value", code))
    tables = [LABELS[kind]] if kind else LABELS.values()
    for table in tables:
        if code in table:
            return table[code]
    if code.isupper():
        return code.replace("_", " ").strip().capitalize()
    return code


def standing(status: Any, banned: Any = False, ban_expires: Any = None, now: Any = None) -> str:
    """A student's standing in one word: a ban or a suspension in force wins over the
    onboarding status Flick keeps beside it ("ACTIVE" for a banned student)."""
    if banned and ban_expires is None:
        return "Banned"
    if banned and (now is None or ban_expires > now):
        return "Suspended"
    return label(status, "user_status") or "—"


def codes() -> set[str]:
    """Every code the table knows that reads differently from its word (for tests)."""
    return {code for table in LABELS.values() for code, word in table.items() if code != word}
