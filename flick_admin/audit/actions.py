"""The closed vocabulary of audit actions, in Flick's ``scope:verb:object`` form.

Flick's own strings are kept where they exist (``admin:banned:user``,
``admin:shadow:banned:content`` …); actions Flick never had are added in the same form.
No code writes an action that is not listed here.
"""

from enum import StrEnum


class AuditAction(StrEnum):
    # Staff sign-in (Flick has admin:logged:out:self; the rest are Flick Admin's).
    STAFF_LOGGED_IN = "admin:logged:in:self"
    STAFF_LOGGED_OUT = "admin:logged:out:self"
    STAFF_LOGIN_FAILED = "admin:failed:login:self"
    # Staff accounts.
    STAFF_CREATED_BY_SYSTEM = "system:created:admin:account"

    # Content moderation (Flick's strings; entity_type says post or comment).
    CONTENT_BANNED = "admin:blocked:content"
    CONTENT_UNBANNED = "admin:unblocked:content"
    CONTENT_SHADOW_BANNED = "admin:shadow:banned:content"
    CONTENT_SHADOW_UNBANNED = "admin:shadow:unbanned:content"
    # Moderating as a team: holding an item, handing it on (entity_type: post or comment).
    CONTENT_CLAIMED = "admin:claimed:content"
    CONTENT_RELEASED = "admin:released:content"
    CONTENT_TAKEN_OVER = "admin:took-over:content"
    CONTENT_ASSIGNED = "admin:assigned:content"
    # Handing an item to senior staff ("Escalated" view), and ending that.
    CONTENT_ESCALATED = "admin:escalated:content"
    CONTENT_DEESCALATED = "admin:de-escalated:content"
    # Internal staff notes on a post, comment or user (the text stays in admin_notes).
    NOTE_ADDED = "admin:added:note"
    NOTE_EDITED = "admin:edited:note"
    NOTE_DELETED = "admin:deleted:note"
    # Four-eyes: a severe action proposed, then approved (and run) or rejected by another.
    PROPOSAL_CREATED = "admin:proposed:action"
    PROPOSAL_APPROVED = "admin:approved:proposal"
    PROPOSAL_REJECTED = "admin:rejected:proposal"
    # Saved views of the lists (personal or shared with all staff).
    SAVED_VIEW_CREATED = "admin:created:saved-view"
    SAVED_VIEW_DELETED = "admin:deleted:saved-view"
    # Reports (Flick's string for any status change).
    REPORT_STATUS_CHANGED = "admin:updated:report:status"
    # User sanctions (Flick's strings).
    USER_BANNED = "admin:banned:user"
    USER_SUSPENDED = "admin:suspended:user"
    USER_UNBANNED = "admin:unbanned:user"
    # Colleges (Flick's strings) and branches, college requests, banned words (new).
    COLLEGE_CREATED = "admin:created:college"
    COLLEGE_UPDATED = "admin:updated:college"
    COLLEGE_DELETED = "admin:deleted:college"
    BRANCH_CREATED = "admin:created:branch"
    BRANCH_UPDATED = "admin:updated:branch"
    BRANCH_DELETED = "admin:deleted:branch"
    REQUEST_APPROVED = "admin:approved:college-request"
    REQUEST_REJECTED = "admin:rejected:college-request"
    WORD_CREATED = "admin:created:banned-word"
    WORD_UPDATED = "admin:updated:banned-word"
    WORD_DELETED = "admin:deleted:banned-word"
    # The catalogue of removal reasons (new).
    REASON_CREATED = "admin:created:removal-reason"
    REASON_UPDATED = "admin:updated:removal-reason"
    REASON_RETIRED = "admin:retired:removal-reason"
    # Feedback (Flick's strings).
    FEEDBACK_STATUS_CHANGED = "admin:updated:feedback:status"
    FEEDBACK_DELETED = "admin:deleted:feedback"
    # The audit trail itself.
    AUDIT_EXPORTED = "admin:exported:audit-log"
    AUDIT_VERIFIED = "admin:verified:audit-log"
    AUDIT_PURGED = "admin:purged:audit-log"
    # Backups.
    BACKUP_CREATED = "system:created:backup"
    BACKUP_VERIFIED = "system:verified:backup"
    # Running tallies (pending reports per post, report colleges, students per college).
    TALLIES_REPAIRED = "admin:repaired:tallies"
    # Staff accounts (superadmins) and one's own account.
    STAFF_CREATED = "admin:created:admin:account"
    STAFF_ROLE_CHANGED = "admin:updated:admin:account"
    STAFF_SCOPE_CHANGED = "admin:updated:admin:scope"
    STAFF_DEACTIVATED = "admin:deactivated:admin:account"
    STAFF_REACTIVATED = "admin:reactivated:admin:account"
    STAFF_PASSWORD_RESET = "admin:reset:admin:password"
    STAFF_SESSIONS_ENDED = "admin:ended:admin:sessions"
    STAFF_TWO_FACTOR_RESET = "admin:reset:admin:two-factor"
    STAFF_PASSWORD_SET = "admin:set:own:password"
    OWN_PASSWORD_CHANGED = "admin:changed:own:password"
    OWN_SESSION_REVOKED = "admin:revoked:own:session"
    SIGNED_OUT_EVERYWHERE = "admin:logged:out:everywhere"
    TWO_FACTOR_ENABLED = "admin:enabled:two-factor"
    TWO_FACTOR_DISABLED = "admin:disabled:two-factor"
    REAUTHENTICATED = "admin:verified:otp"
    TWO_FACTOR_KEY_ROTATED = "system:rotated:two-factor-key"
    PREFERENCES_UPDATED = "admin:updated:own:preferences"
