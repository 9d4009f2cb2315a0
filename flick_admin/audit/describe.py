"""Audit rows read as sentences: "mod@college.edu banned post 'Title…' — spam"."""

from __future__ import annotations

from typing import Any, NamedTuple

from urllib.parse import quote

from werkzeug.routing import BuildError

from flick_admin.ui.web import url_prefix

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
    "admin:retired:removal-reason": "retired",
    "admin:created:admin:account": "created", "admin:updated:admin:account": "changed the role of",
    "admin:deactivated:admin:account": "deactivated", "admin:reactivated:admin:account": "reactivated",
    "admin:reset:admin:password": "reset the password of", "admin:ended:admin:sessions": "ended the sessions of",
    "admin:reset:admin:two-factor": "reset the second factor of",
    "admin:updated:admin:scope": "changed the colleges of",
    "admin:set:own:password": "set the password of", "admin:changed:own:password": "changed the password of",
    "admin:revoked:own:session": "signed out a session of", "admin:logged:out:everywhere": "signed out everywhere",
    "admin:enabled:two-factor": "turned on the second factor of",
    "admin:disabled:two-factor": "turned off the second factor of",
    "admin:verified:otp": "confirmed the second factor of",
    "admin:repaired:tallies": "repaired the running tallies", "system:created:backup": "made a backup",
    "system:verified:backup": "verified a backup",
    "admin:created:saved-view": "saved", "admin:deleted:saved-view": "deleted",
}
# Actions whose target reads without its kind ("proposed “Ban ana permanently”").
NO_NOUN = {"admin:proposed:action", "admin:approved:proposal", "admin:rejected:proposal"}
# Actions whose object is the actor's own session or the log itself: no target noun.
NO_OBJECT = {"admin:logged:in:self", "admin:logged:out:self", "admin:failed:login:self",
             "admin:exported:audit-log", "admin:verified:audit-log", "admin:purged:audit-log",
             "system:rotated:two-factor-key", "admin:updated:own:preferences",
             "admin:logged:out:everywhere", "admin:repaired:tallies", "system:created:backup",
             "system:verified:backup"}
NOUNS = {"content-report": "report", "banned-word": "banned word", "college-request": "college request",
         "auth": "staff account", "audit-log": "audit log", "removal-reason": "removal reason"}
# What Werkzeug leaves unquoted in a path part (its converters' to_url).
PATH_SAFE = "!$&'()*+,/:;=@"

ENDPOINTS = {
    "post": ("posts.detail", "post_id"),
    "comment": ("comments.detail", "comment_id"),
    "user": ("users.detail", "user_id"),
    "auth": ("users.detail", "user_id"),
    "college": ("colleges.detail", "college_id"),
    "branch": ("branches.detail", "branch_id"),
    "banned-word": ("banned_words.detail", "word_id"),
    "college-request": ("college_requests.detail", "request_id"),
    "removal-reason": ("removal_reasons.detail", "reason_id"),
}


def verb(action: str) -> str:
    if action in VERBS:
        return VERBS[action]
    parts = action.split(":")
    # Flick's "scope:verb:object" (and longer forms): read the middle as the verb.
    return " ".join(parts[1:-1]) if len(parts) > 2 else action


def noun(entity_type: str) -> str:
    return NOUNS.get(entity_type, entity_type)


def noun_of(row: Any) -> str:
    """The kind of a row's target as its sentence says it ("" where the name says it all)."""
    return "" if getattr(row, "action", None) in NO_NOUN else noun(row.entity_type)


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
        # The page's URL up to the id, built once a request; the id quoted as url_for would.
        return url_prefix(endpoint, arg) + quote(str(entity_id), safe=PATH_SAFE)
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
    "admin:created:removal-reason": "added a removal reason",
    "admin:updated:removal-reason": "edited a removal reason",
    "admin:retired:removal-reason": "retired a removal reason",
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
    return NO_NAME


NO_NAME = "(no name recorded)"


def quoted(row: Any, label: str) -> str:
    """The target's name as the sentence shows it: quoted, except a report's looked-up
    description ("by student_00005 on post “Showcase…”"), which reads on its own."""
    if row.entity_type == "content-report" and label != NO_NAME and not target_label(row):
        return label
    return f"“{label}”"


# --- a row's change in plain words ("claimed by chen@…", "banned", "pending → resolved") ---------

def _meta(row: Any) -> dict:
    meta = row.metadata_ if hasattr(row, "metadata_") else getattr(row, "metadata", None)
    return meta if isinstance(meta, dict) else {}


def _field(key: str) -> str:
    """A stored field's name as words: ``emailDomain`` → "email domain"."""
    spaced = "".join(f" {c.lower()}" if c.isupper() else c for c in key).replace("_", " ")
    return " ".join(spaced.split())


def _value(value: Any) -> str:
    from flick_admin.labels import LABELS

    if value is None or value == "" or value == []:
        return "none"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value[:8]) + (" …" if len(value) > 8 else "")
    if isinstance(value, dict):
        return "…"
    text = str(value)
    text = next((t[text] for t in LABELS.values() if text in t), text)
    return f"“{text[:60]}{'…' if len(text) > 60 else ''}”"


def _day(value: Any) -> str:
    return str(value or "")[:16].replace("T", " ")


def _holders(row: Any, before: dict, after: dict) -> list[str]:
    """Who held the item before and after, by name (looked up with the row: never an id)."""
    meta = _meta(row)
    was = getattr(row, "before_holder", None) or meta.get("previous_holder") or "a colleague"
    now = getattr(row, "after_holder", None) or meta.get("assignee") or "a colleague"
    action = getattr(row, "action", "")
    parts = []
    if action == "admin:assigned:content":
        parts.append(f"assigned to {now}" + (f" (was held by {was})" if before.get("holder") else ""))
    elif before.get("holder") and after.get("holder"):
        parts.append(f"taken over from {was} by {now}")
    elif after.get("holder"):
        parts.append(f"claimed by {now}")
    elif before.get("holder"):
        parts.append(f"released by {was}")
    if after.get("minutes"):
        parts.append(f"for {after['minutes']} minutes")
    if after.get("note"):
        parts.append(f"note: “{str(after['note'])[:80]}”")
    return parts


def _sanction(after: dict) -> str:
    if not after.get("banned"):
        return "ban lifted"
    if after.get("ban_expires"):
        return f"suspended until {_day(after['ban_expires'])} UTC"
    return "banned permanently"


def change(row: Any) -> str:
    """What a row changed, in words staff read: "banned", "claimed by chen@…",
    "pending → resolved", "name: “Old” → “New”" — no ids, no stored field names."""
    from flick_admin.labels import label

    before = row.before if isinstance(getattr(row, "before", None), dict) else {}
    after = row.after if isinstance(getattr(row, "after", None), dict) else {}
    keys = list(dict.fromkeys([*before, *after]))
    done: set[str] = set()
    parts: list[str] = []
    if "holder" in keys:
        parts += _holders(row, before, after)
        done |= {"holder", "minutes", "note"}
    if "isBanned" in after:
        parts.append("banned" if after["isBanned"] else "ban lifted")
    if "isShadowBanned" in after:
        parts.append("shadow-banned" if after["isShadowBanned"] else "shadow ban lifted")
    done |= {"isBanned", "isShadowBanned"}
    if {"banned", "ban_expires"} & set(keys):
        parts.append(_sanction({**before, **after}))
        done |= {"banned", "ban_expires", "ban_reason"}
    if "status" in keys:
        parts.append(f"{label(before.get('status')) or 'new'} → {label(after.get('status')) or 'removed'}".lower())
        done.add("status")
    done.add("kind")  # a proposal's kind: its name already says what it is
    if "two_factor_enabled" in keys:
        parts.append("second factor " + ("on" if after.get("two_factor_enabled") else "off"))
        done.add("two_factor_enabled")
    for key in keys:
        if key in done:
            continue
        if key not in before:
            parts.append(f"{_field(key)}: {_value(after[key])}")
        elif key not in after:
            parts.append(f"{_field(key)} was {_value(before[key])}")
        else:
            parts.append(f"{_field(key)}: {_value(before[key])} → {_value(after[key])}")
    return "; ".join(parts)


# --- a revert names what it undid ("reverted chen@…'s ban of post 'Showcase…'") ------------------

DECISIONS = {
    "admin:blocked:content": "ban", "admin:unblocked:content": "unban",
    "admin:shadow:banned:content": "shadow ban", "admin:shadow:unbanned:content": "lifting of the shadow ban",
    "admin:updated:report:status": "decision", "admin:banned:user": "ban",
    "admin:suspended:user": "suspension", "admin:unbanned:user": "lifting of the ban",
    "admin:created:banned-word": "addition", "admin:updated:banned-word": "edit",
    "admin:deleted:banned-word": "deletion", "admin:updated:college": "edit",
    "admin:updated:branch": "edit",
}


def decision(actor: str | None, action: str, entity_type: str, label: str | None, count: int = 1) -> str:
    """A decision as the object of "reverted": "chen@…'s ban of post “Showcase…”"."""
    whose = f"{actor}'s" if actor else "an earlier"
    what = DECISIONS.get(action, action_label(action))
    target = f"{noun(entity_type)} “{label}”" if label else f"a {noun(entity_type)}"
    more = f" and {count - 1} more change{'s' if count > 2 else ''}" if count > 1 else ""
    return f"{whose} {what} of {target}{more}"


def reverted(row: Any) -> str | None:
    """For a revert's row: what it reverted ("chen@…'s ban of post “Showcase…”"), else None."""
    meta = _meta(row)
    if not (meta.get("reverts") or meta.get("revert_of")):
        return None
    return str(meta.get("reverted") or "an earlier decision")


def what(row: Any) -> str:
    """The What of an item's history row: "reverted chen@…'s ban of …" or the action's phrase."""
    undone = reverted(row)
    return f"reverted {undone}" if undone else action_label(row.action)


class ListRow(NamedTuple):
    """What the audit log's list shows of one row, worked out in one call (the page has 50)."""

    actor: str
    verb: str
    noun: str  # the kind of the target ("post")
    noun_of: str  # the same where the sentence names it, else ""
    target: str | None  # the target's page
    quoted: str  # the target's name as the sentence shows it
    undone: str | None  # for a revert: what it reverted
    has_object: bool  # the sentence names a target


def list_row(row: Any, looked_up: dict | None = None) -> ListRow:
    undone = reverted(row)
    return ListRow(actor_label(row), verb(row.action), noun(row.entity_type), noun_of(row),
                   target_url(row.entity_type, row.entity_id), quoted(row, row_label(row, looked_up)),
                   undone, row.action not in NO_OBJECT and not undone)
