"""Least-privilege PostgreSQL roles for Flick Admin.

* The **migration role** runs ``flask db upgrade``: it owns Flick Admin's own tables and,
  to add indexes and enum values to Flick's objects, is made a member of the role that owns
  them (PostgreSQL lets only an owner do that).
* The **application role** runs the web workers with exactly what the dashboard does: read
  Flick's tables; update only the columns moderation, colleges and staff work change;
  insert audit rows and chain links; delete only sessions and the admin-managed rows an
  admin may delete. A college is deleted only through ``admin_delete_college()`` (owned by
  the migration role, SECURITY DEFINER), which refuses while the college has students:
  with DELETE on ``colleges`` the role could reach every student and post through Flick's
  cascade. It may never UPDATE or DELETE ``logs`` (and the append-only trigger
  stands behind that), so the audit trail cannot be rewritten from the application.
"""

from __future__ import annotations

import re

from flick_admin.db.quoting import ident, idents

READ_ALL = "SELECT"
INSERT_ON = ("logs", "admin_audit_chain", "session", "auth", "account", "colleges", "branches",
             "college_branches", "banned_words", "two_factor", "verification", "admin_totp_steps",
             "admin_staff_preferences", "admin_session_state", "notifications", "admin_post_pending", "admin_comment_pending",
             "admin_report_colleges",
             "admin_college_students", "admin_claims", "admin_proposals", "admin_saved_views",
             "admin_staff_scopes", "admin_post_colleges", "admin_comment_colleges", "admin_removal_reasons",
             "admin_reporter_reliability", "admin_notes", "admin_escalations", "admin_item_priority",
             "admin_item_reason_priority")
UPDATE_COLUMNS = {
    "posts": ("isBanned", "isShadowBanned", "updatedAt"),
    "comments": ("isBanned", "updatedAt"),
    "content_reports": ("status", "updated_at"),
    "auth": ("banned", "ban_reason", "ban_expires", "updated_at", "role", "name", "two_factor_enabled"),
    "session": ("updated_at", "expires_at"),
    "colleges": ("name", "emailDomain", "city", "state", "profile", "updatedAt"),
    "branches": ("name", "code", "updatedAt"),
    "college_requests": ("status", "resolvedCollegeId", "resolvedAt", "updatedAt"),
    "banned_words": ("word", "severity", "strict_mode", "updated_at"),
    "feedbacks": ("status", "updated_at"),
    "account": ("password", "updated_at"),
    "two_factor": ("secret", "backup_codes"),
    "admin_totp_steps": ("last_step",),
    "admin_staff_preferences": ("time_zone", "theme", "escalations", "updated_at"),
    "admin_session_state": ("confirmed_at", "enrolment", "handover", "updated_at"),
    # The running tallies (``tallies catch-up`` and decisions; a repair rebuilds them).
    "admin_tally_watermarks": ("through", "updated_at"),
    "admin_post_pending": ("pending",),
    "admin_comment_pending": ("pending",),
    "admin_college_students": ("students",),
    "admin_reporter_reliability": ("decided", "acted"),
    "admin_item_priority": ("type", "key", "author_id", "college_id"),
    "admin_item_reason_priority": ("type", "key", "college_id"),
    "admin_claims": ("holder_id", "claimed_at", "expires_at", "assigned_by_id", "note"),
    "admin_proposals": ("status", "decided_by_id", "decided_at", "decision_note"),
    "admin_saved_views": ("name", "query", "shared"),
    "admin_removal_reasons": ("title", "student_text", "fits", "updated_at", "retired_at"),
    "admin_notes": ("body", "edited_at"),
}
# Not colleges: Flick's schema cascades a college's deletion to its students and all they
# wrote (as the table owner, whatever the deleting role may do). The application role
# deletes a college only through admin_delete_college(), which refuses while it has students.
DELETE_ON = ("session", "branches", "college_branches", "banned_words", "feedbacks",
             "two_factor", "admin_totp_steps", "verification", "admin_session_state", "admin_post_pending",
             "admin_comment_pending", "admin_report_colleges", "admin_college_students", "admin_claims", "admin_saved_views", "admin_staff_scopes",
             "admin_post_colleges", "admin_comment_colleges", "admin_reporter_reliability", "admin_notes",
             "admin_escalations", "admin_item_priority", "admin_item_reason_priority",
             # A revert withdraws the "we decided" notification a reporter has not seen yet.
             "notifications")
ADMIN_TABLES = ("admin_audit_chain", "admin_audit_checkpoints", "admin_totp_steps",
                "admin_staff_preferences", "admin_session_state", "admin_tally_watermarks", "admin_post_pending",
                "admin_comment_pending", "admin_report_colleges", "admin_college_students", "admin_claims", "admin_proposals",
                "admin_saved_views", "admin_staff_scopes", "admin_post_colleges", "admin_comment_colleges",
                "admin_removal_reasons", "admin_reporter_reliability", "admin_notes", "admin_escalations",
                "admin_item_priority", "admin_item_reason_priority", "alembic_version")
TRAIL = ("logs", "admin_audit_chain", "admin_audit_checkpoints")
COLLEGE_DELETE = "admin_delete_college(uuid)"
NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _role(name: str) -> str:
    """A role or database name: plain names only (a-z, 0-9, _), quoted by psycopg."""
    if not NAME.match(name):
        raise ValueError(f"{name!r} is not a plain role or database name (a-z, 0-9, _)")
    return ident(name)


def statements(database: str, app_role: str, migrator_role: str, flick_owner: str) -> list[str]:
    db, app, mig, owner = (_role(x) for x in (database, app_role, migrator_role, flick_owner))
    out = [
        "-- Roles (LOGIN; set their passwords with ALTER ROLE … PASSWORD, or use certificates)",
        f"DO $$ BEGIN CREATE ROLE {mig} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
        f"DO $$ BEGIN CREATE ROLE {app} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
        f"GRANT CONNECT ON DATABASE {db} TO {app}, {mig}",
        "-- Migration role: owns Flick Admin's objects; alters Flick's through membership",
        f"GRANT USAGE, CREATE ON SCHEMA public TO {mig}",
        f"GRANT {owner} TO {mig}",
    ]
    out += [f"ALTER TABLE IF EXISTS {ident(t)} OWNER TO {mig}" for t in ADMIN_TABLES]
    out += [
        "-- Application role: exactly what the dashboard does",
        f"GRANT USAGE ON SCHEMA public TO {app}",
        f"GRANT {READ_ALL} ON ALL TABLES IN SCHEMA public TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {mig} IN SCHEMA public GRANT SELECT ON TABLES TO {app}",
        f"GRANT INSERT ON {idents(INSERT_ON)} TO {app}",
    ]
    out += [f"GRANT UPDATE ({idents(cols)}) ON {ident(table)} TO {app}" for table, cols in UPDATE_COLUMNS.items()]
    out += [
        f"GRANT DELETE ON {idents(DELETE_ON)} TO {app}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {idents(TRAIL)} FROM {app}",
        f"REVOKE DELETE, TRUNCATE ON {ident('colleges')} FROM {app}",
        "-- Colleges are deleted through a function the migration role owns (run after `db upgrade`)",
        f"DO $$ BEGIN ALTER FUNCTION {COLLEGE_DELETE} OWNER TO {mig}; "
        f"REVOKE ALL ON FUNCTION {COLLEGE_DELETE} FROM PUBLIC; "
        f"GRANT EXECUTE ON FUNCTION {COLLEGE_DELETE} TO {app}; "
        "EXCEPTION WHEN undefined_function THEN RAISE WARNING "
        "'admin_delete_college does not exist yet: run flask db upgrade, then this script again'; END $$",
        "-- Optional, for the health page to see other sessions' queries:",
        f"-- GRANT pg_read_all_stats TO {app}",
    ]
    return out


def script(*args, **kwargs) -> str:
    lines = []
    for statement in statements(*args, **kwargs):
        lines.append(("\n" + statement) if statement.startswith("--") else statement + ";")
    return "\n".join(lines).lstrip() + "\n"
