"""Flick's PostgreSQL enum types, value for value, plus the values Flick Admin adds.

The baseline migration creates exactly Flick's lists; later admin migrations add the
``ADMIN_ADDED`` values. Models use the full lists.
"""

from __future__ import annotations

from enum import StrEnum

FLICK_ENUMS: dict[str, tuple[str, ...]] = {
    "authType": ("manual", "oauth"),
    "log_role": ("user", "admin", "superadmin", "system"),
    "log_action": (
        "user:upvoted:post", "user:upvoted:comment", "user:downvoted:post",
        "user:downvoted:comment", "user:deleted:vote:on:comment", "user:deleted:vote:on:post",
        "user:switched:vote:on:comment", "user:switched:vote:on:post", "user:created:post",
        "user:updated:post", "user:created:comment", "user:updated:comment", "user:deleted:post",
        "user:deleted:comment", "user:reported:content", "user:accepted:terms",
        "user:initialized:account", "auth:created:account", "auth:otp:verify:success",
        "auth:otp:verify:failed", "auth:otp:send", "user:finished:onboarding",
        "user:logged:in:self", "user:logged:out:self", "user:created:feedback",
        "user:updated:feedback", "user:deleted:feedback", "user:forgot:password",
        "user:initialized:forgot-password", "admin:banned:user", "admin:unbanned:user",
        "admin:suspended:user", "admin:created:college", "admin:deleted:college",
        "admin:updated:college", "admin:blocked:content", "admin:unblocked:content",
        "admin:shadow:banned:content", "admin:shadow:unbanned:content", "admin:updated:content",
        "admin:deleted:report", "admin:bulk-deleted:reports", "admin:updated:report:status",
        "admin:updated:feedback:status", "admin:deleted:feedback", "system:created:admin:account",
        "admin:logged:out:self", "admin:initialized:account", "admin:verified:otp",
        "admin:removed:authorized:device", "admin:reset:email:otp", "admin:deleted:admin:account",
        "admin:updated:admin:account", "admin:fetched:all:admin:accounts", "system:logged:error",
        "system:logged:in", "system:logged:out", "other:action",
    ),
    "log_status": ("success", "fail"),
    "topic_enum": (
        "Ask Flick", "Serious Discussion", "Career Advice", "Showcase", "Off-topic",
        "Community Event", "Rant / Vent", "Help / Support", "Feedback / Suggestion",
        "News / Update", "Guide / Resource",
    ),
    "report_type": ("Post", "Comment"),
    "user_status": ("ONBOARDING", "ACTIVE"),
    "log_platform": ("web", "mobile", "tv", "server", "other"),
    "vote_type_enum": ("upvote", "downvote"),
    "log_entity_type": (
        "post", "comment", "bookmark", "college", "content-report", "feedback",
        "notification", "user", "auth", "vote",
    ),
    "vote_entity_enum": ("post", "comment"),
    "notification_type": ("general", "upvoted_post", "upvoted_comment", "replied", "posted"),
    "moderation_severity_enum": ("mild", "moderate", "severe"),
}

# Values Flick Admin's own migrations append (never removes or renames Flick's).
ADMIN_ADDED: dict[str, tuple[str, ...]] = {
    "log_role": ("moderator", "auditor", "triage"),
    "log_entity_type": ("branch", "banned-word", "college-request", "session", "audit-log",
                        "backup", "tally", "proposal", "saved-view", "removal-reason"),
}


def values(name: str) -> tuple[str, ...]:
    """All values of an enum as the models see it (Flick's first, then the admin's)."""
    return FLICK_ENUMS[name] + ADMIN_ADDED.get(name, ())


class StaffRole(StrEnum):
    MODERATOR = "moderator"
    ADMIN = "admin"
    SUPERADMIN = "superadmin"
    AUDITOR = "auditor"
    # Sorts the queue: reads, claims, notes and escalates, but decides nothing.
    TRIAGE = "triage"


class ActorType(StrEnum):
    """``logs.actor_type`` (enum ``log_role``)."""

    USER = "user"
    ADMIN = "admin"
    SUPERADMIN = "superadmin"
    SYSTEM = "system"
    MODERATOR = "moderator"
    AUDITOR = "auditor"
    TRIAGE = "triage"


class EntityType(StrEnum):
    """``logs.entity_type`` (enum ``log_entity_type``)."""

    POST = "post"
    COMMENT = "comment"
    BOOKMARK = "bookmark"
    COLLEGE = "college"
    CONTENT_REPORT = "content-report"
    FEEDBACK = "feedback"
    NOTIFICATION = "notification"
    USER = "user"
    AUTH = "auth"
    VOTE = "vote"
    BRANCH = "branch"
    BANNED_WORD = "banned-word"
    COLLEGE_REQUEST = "college-request"
    SESSION = "session"
    AUDIT_LOG = "audit-log"
    BACKUP = "backup"
    TALLY = "tally"
    PROPOSAL = "proposal"
    SAVED_VIEW = "saved-view"
    REMOVAL_REASON = "removal-reason"


class ReportStatus(StrEnum):
    PENDING = "pending"
    RESOLVED = "resolved"
    IGNORED = "ignored"


class ReportType(StrEnum):
    POST = "Post"
    COMMENT = "Comment"


class UserStatus(StrEnum):
    ONBOARDING = "ONBOARDING"
    ACTIVE = "ACTIVE"


class Severity(StrEnum):
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class CollegeRequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


TOPICS: tuple[str, ...] = FLICK_ENUMS["topic_enum"]


# The reasons Flick's app offers a reporter (``content_reports.reason``), as staff read them.
REPORT_REASON_LABELS: dict[str, str] = {
    "INAPPROPRIATE": "Inappropriate",
    "SPAM": "Spam",
    "HARASSMENT": "Harassment",
    "VIOLENCE": "Violence",
    "HATE_SPEECH": "Hate speech",
    "TERRORISM": "Terrorism",
    "SELF_HARM": "Self-harm",
    "CHILD_ABUSE": "Child abuse",
    "EXTREMISM": "Extremism",
    "OTHER": "Other",
}


def reason_label(code: str | None) -> str:
    if not code:
        return ""
    return REPORT_REASON_LABELS.get(code) or code.replace("_", " ").strip().capitalize()
