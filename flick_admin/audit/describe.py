"""Audit rows read as sentences: "mod@college.edu banned post 'Title…' — spam"."""

from __future__ import annotations

from typing import Any

from flask import url_for
from werkzeug.routing import BuildError

VERBS = {
    "admin:blocked:content": "banned",
    "admin:unblocked:content": "unbanned",
    "admin:shadow:banned:content": "shadow-banned",
    "admin:shadow:unbanned:content": "lifted the shadow ban on",
    "admin:updated:report:status": "changed the status of",
    "admin:banned:user": "banned",
    "admin:suspended:user": "suspended",
    "admin:unbanned:user": "lifted the ban on",
    "admin:approved:college-request": "approved",
    "admin:rejected:college-request": "rejected",
    "admin:updated:feedback:status": "changed the status of",
    "admin:logged:in:self": "signed in",
    "admin:logged:out:self": "signed out",
    "admin:failed:login:self": "failed sign-in",
    "system:created:admin:account": "created",
    "admin:exported:audit-log": "exported the audit log",
    "admin:verified:audit-log": "verified the audit log",
    "admin:purged:audit-log": "purged the audit log",
    "system:rotated:two-factor-key": "re-encrypted the second-factor secrets",
    "admin:updated:own:preferences": "changed their display settings",
    "admin:claimed:content": "claimed",
    "admin:released:content": "released",
    "admin:took-over:content": "took over",
    "admin:assigned:content": "assigned",
    "admin:escalated:content": "escalated",
    "admin:de-escalated:content": "ended the escalation of",
    "admin:added:note": "left a note on",
    "admin:edited:note": "edited a note on",
    "admin:deleted:note": "deleted a note on",
    "admin:proposed:action": "proposed",
    "admin:approved:proposal": "approved",
    "admin:rejected:proposal": "rejected",
}
# Actions whose object is the actor's own session or the log itself: no target noun.
NO_OBJECT = {"admin:logged:in:self", "admin:logged:out:self", "admin:failed:login:self",
             "admin:exported:audit-log", "admin:verified:audit-log", "admin:purged:audit-log",
             "system:rotated:two-factor-key", "admin:updated:own:preferences"}
NOUNS = {"content-report": "report", "banned-word": "banned word", "college-request": "college request",
         "auth": "staff account", "audit-log": "audit log"}
ENDPOINTS = {
    "post": ("posts.detail", "post_id"),
    "comment": ("comments.detail", "comment_id"),
    "user": ("users.detail", "user_id"),
    "auth": ("users.detail", "user_id"),
    "college": ("colleges.detail", "college_id"),
    "branch": ("branches.detail", "branch_id"),
    "banned-word": ("banned_words.detail", "word_id"),
    "college-request": ("college_requests.detail", "request_id"),
}


def verb(action: str) -> str:
    if action in VERBS:
        return VERBS[action]
    parts = action.split(":")
    # Flick's "scope:verb:object" (and longer forms): read the middle as the verb.
    return " ".join(parts[1:-1]) if len(parts) > 2 else action


def noun(entity_type: str) -> str:
    return NOUNS.get(entity_type, entity_type)


def actor_label(row: Any) -> str:
    if getattr(row, "actor_email", None):
        return row.actor_email
    if row.actor_type == "user":
        return "a student"
    if row.actor_type == "system":
        return "the system"
    return row.actor_id or row.actor_type


def target_label(row: Any) -> str | None:
    meta = row.metadata_ if hasattr(row, "metadata_") else getattr(row, "metadata", None)
    if isinstance(meta, dict) and meta.get("label"):
        return str(meta["label"])
    return None


def target_url(entity_type: str, entity_id: str | None) -> str | None:
    if not entity_id or entity_type not in ENDPOINTS:
        return None
    endpoint, arg = ENDPOINTS[entity_type]
    try:
        return url_for(endpoint, **{arg: entity_id})
    except (BuildError, ValueError):
        return None


# Short phrases for the action picker, one per action Flick Admin writes.
ACTION_LABELS = {
    "admin:logged:in:self": "signed in", "admin:logged:out:self": "signed out",
    "admin:failed:login:self": "failed sign-in",
    "system:created:admin:account": "created a staff account (command line)",
    "admin:blocked:content": "banned content", "admin:unblocked:content": "unbanned content",
    "admin:shadow:banned:content": "shadow-banned content",
    "admin:shadow:unbanned:content": "lifted a shadow ban",
    "admin:updated:report:status": "changed a report's status",
    "admin:banned:user": "banned a user", "admin:suspended:user": "suspended a user",
    "admin:unbanned:user": "lifted a user's ban",
    "admin:created:college": "created a college", "admin:updated:college": "edited a college",
    "admin:deleted:college": "deleted a college",
    "admin:created:branch": "created a branch", "admin:updated:branch": "edited a branch",
    "admin:deleted:branch": "deleted a branch",
    "admin:approved:college-request": "approved a college request",
    "admin:rejected:college-request": "rejected a college request",
    "admin:created:banned-word": "added a banned word", "admin:updated:banned-word": "edited a banned word",
    "admin:deleted:banned-word": "deleted a banned word",
    "admin:updated:feedback:status": "changed feedback's status", "admin:deleted:feedback": "deleted feedback",
    "admin:exported:audit-log": "exported the audit log", "admin:verified:audit-log": "verified the audit log",
    "admin:purged:audit-log": "purged old audit rows",
    "system:created:backup": "made a backup", "system:verified:backup": "verified a backup",
    "admin:repaired:tallies": "repaired the running tallies",
    "admin:created:admin:account": "created a staff account",
    "admin:updated:admin:account": "changed a staff role",
    "admin:deactivated:admin:account": "deactivated a staff account",
    "admin:reactivated:admin:account": "reactivated a staff account",
    "admin:reset:admin:password": "reset a staff password",
    "admin:ended:admin:sessions": "ended a staff member's sessions",
    "admin:reset:admin:two-factor": "reset a staff member's second factor",
    "admin:set:own:password": "set their password (invite)",
    "admin:changed:own:password": "changed their password",
    "admin:revoked:own:session": "signed out one of their sessions",
    "admin:logged:out:everywhere": "signed out everywhere",
    "admin:enabled:two-factor": "turned on the second factor",
    "admin:disabled:two-factor": "turned off the second factor",
    "admin:verified:otp": "confirmed their second factor",
    "system:rotated:two-factor-key": "re-encrypted the second-factor secrets",
    "admin:updated:own:preferences": "changed their display settings",
    "admin:claimed:content": "claimed an item", "admin:released:content": "released an item",
    "admin:took-over:content": "took an item over", "admin:assigned:content": "assigned an item",
    "admin:escalated:content": "escalated an item", "admin:de-escalated:content": "ended an escalation",
    "admin:added:note": "left a note", "admin:edited:note": "edited a note",
    "admin:deleted:note": "deleted a note",
    "admin:proposed:action": "proposed a severe action", "admin:approved:proposal": "approved a proposal",
    "admin:rejected:proposal": "rejected a proposal",
    "admin:created:saved-view": "saved a view", "admin:deleted:saved-view": "deleted a saved view",
    "admin:updated:admin:scope": "limited a moderator to colleges",
}


def action_label(action: str) -> str:
    """An action as a short phrase for pickers: "banned content", "signed in"."""
    return ACTION_LABELS.get(action) or verb(action)


def row_label(row: Any, looked_up: dict | None = None) -> str:
    """The target's readable name: the stored label, a name looked up for the page, or
    what it is ("a post") — never a bare id as the main text."""
    label = target_label(row)
    if label:
        return label
    if looked_up and row.entity_id:
        kind = "user" if row.entity_type in ("user", "auth") else row.entity_type
        found = looked_up.get((kind, row.entity_id))
        if found:
            return found
    return "(no name recorded)"
