"""A staff member's display preferences: the time zone times are shown in, and the theme
(follow the system, or always light, or always dark). Read with the session on every
request (no extra statement); changed by the member alone, audited."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

from flick_admin.audit.actions import AuditAction
from flick_admin.audit.context import Actor
from flick_admin.audit.recorder import record
from flick_admin.db.auth import DEFAULT_PREFERENCES, Auth, StaffPreferences
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType
from flick_admin.db.transaction import transaction
from flick_admin.outcomes import Outcome
from flick_admin.refusals import InvalidInput

THEMES = ("system", "light", "dark")


@lru_cache(maxsize=1)
def zones() -> tuple[str, ...]:
    return tuple(sorted(z for z in available_timezones() if "/" in z or z == "UTC"))


def update(user: Auth, time_zone: str | None, theme: str | None, escalations: bool = False) -> Outcome:
    """Save the display settings, and whether a moderator works the Escalated view."""
    time_zone, theme = (time_zone or "").strip(), (theme or "").strip()
    if time_zone not in zones():
        raise InvalidInput(f"Unknown time zone {time_zone[:60]!r}; pick one from the list, e.g. Asia/Kolkata.")
    if theme not in THEMES:
        raise InvalidInput("Choose a theme: follow the system, light or dark.")
    with transaction() as session:
        row = session.get(StaffPreferences, user.id, with_for_update=True)
        before = (row.display() if row is not None else DEFAULT_PREFERENCES)._asdict()
        after = {"time_zone": time_zone, "theme": theme, "escalations": bool(escalations)}
        if before == after:
            return Outcome(False, "Your settings are unchanged.")
        if row is None:
            row = StaffPreferences(user_id=user.id)
            session.add(row)
        row.time_zone, row.theme, row.escalations, row.updated_at = time_zone, theme, bool(escalations), utcnow()
        changed = {k for k in after if before[k] != after[k]}
        record(AuditAction.PREFERENCES_UPDATED, entity_type=EntityType.AUTH, entity_id=user.id,
               before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
               actor=Actor(user.id, user.role), metadata={"label": user.email})
    return Outcome(True, "Your settings are saved.")
