"""One permission vocabulary, one role → permissions table, deny by default."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

from flick_admin.db.enums import StaffRole


class Permission(StrEnum):
    CONTENT_READ = "content:read"
    CONTENT_MODERATE = "content:moderate"
    # Sorting the queue without deciding: claim and release, internal notes, escalate.
    CONTENT_TRIAGE = "content:triage"
    # Working the "Escalated" view by role (moderators opt in: a staff preference).
    ESCALATIONS_WORK = "escalations:work"
    COLLEGES_MANAGE = "colleges:manage"
    FEEDBACK_MANAGE = "feedback:manage"
    AUDIT_READ = "audit:read"
    # Sign-ins (with their addresses and user agents), failed sign-ins, staff management
    # and every row's client address: without it, one's own rows only.
    AUDIT_READ_PRIVATE = "audit:read-private"
    AUDIT_EXPORT = "audit:export"
    STAFF_MANAGE = "staff:manage"
    OPERATIONS_READ = "operations:read"
    SHARED_VIEWS_MANAGE = "shared-views:manage"


ROLE_PERMISSIONS: dict[StaffRole, frozenset[Permission]] = {
    StaffRole.MODERATOR: frozenset(
        {Permission.CONTENT_READ, Permission.CONTENT_MODERATE, Permission.CONTENT_TRIAGE,
         Permission.AUDIT_READ}
    ),
    StaffRole.ADMIN: frozenset(
        {
            Permission.CONTENT_READ, Permission.CONTENT_MODERATE, Permission.CONTENT_TRIAGE,
            Permission.ESCALATIONS_WORK, Permission.COLLEGES_MANAGE,
            Permission.FEEDBACK_MANAGE, Permission.AUDIT_READ, Permission.AUDIT_EXPORT,
            Permission.OPERATIONS_READ, Permission.SHARED_VIEWS_MANAGE,
        }
    ),
    StaffRole.SUPERADMIN: frozenset(Permission),
    StaffRole.AUDITOR: frozenset(
        {Permission.CONTENT_READ, Permission.AUDIT_READ, Permission.AUDIT_READ_PRIVATE,
         Permission.AUDIT_EXPORT}
    ),
    # Reads the queues and sorts them (claim, note, escalate); never bans, shadow-bans,
    # ignores or sanctions.
    StaffRole.TRIAGE: frozenset(
        {Permission.CONTENT_READ, Permission.CONTENT_TRIAGE, Permission.AUDIT_READ}
    ),
}

# Rank for "who may act on whom": higher may sanction lower, never the reverse.
ROLE_RANK: dict[str, int] = {
    StaffRole.AUDITOR: 1,
    StaffRole.MODERATOR: 1,
    StaffRole.TRIAGE: 1,
    StaffRole.ADMIN: 2,
    StaffRole.SUPERADMIN: 3,
}

STAFF_ROLES = frozenset(r.value for r in StaffRole)


_BY_ROLE: dict[str, frozenset[Permission]] = {role.value: held for role, held in ROLE_PERMISSIONS.items()}


def permissions_of(role: str | None) -> frozenset[Permission]:
    return _BY_ROLE.get(role, frozenset())  # type: ignore[arg-type]


def has_permission(permission: Requirement) -> bool:
    # One look through Flask-Login's proxy (the navigation asks this for every view).
    user = current_user._get_current_object()
    if not getattr(user, "is_authenticated", False):
        return False
    if permission == SIGNED_IN:
        return user.role in STAFF_ROLES
    return permission in _BY_ROLE.get(user.role, ())


F = TypeVar("F", bound=Callable[..., Any])

# Pseudo-permission for pages every signed-in staff member may open (home, sign out).
SIGNED_IN = "signed-in"
Requirement = Permission | str

# Marker read by the app-wide guard: a view with neither marker is refused.
PERMISSION_ATTR = "_flick_admin_permission"
PUBLIC_ATTR = "_flick_admin_public"


def requires(permission: Requirement) -> Callable[[F], F]:
    """Declare the permission a view needs (blueprint views and exposed admin methods)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not getattr(current_user, "is_authenticated", False):
                from flick_admin.extensions import login_manager

                return login_manager.unauthorized()
            if not has_permission(permission):
                abort(403)
            return view(*args, **kwargs)

        setattr(guarded, PERMISSION_ATTR, permission)
        return guarded  # type: ignore[return-value]

    return decorate


def required_for(view: Callable[..., Any]) -> Requirement | None:
    """What an endpoint's view function declares: its own marker, else the permission of
    the Flask-Admin view it belongs to; ``None`` when it declares nothing."""
    declared = getattr(view, PERMISSION_ATTR, None)
    if declared is not None:
        return declared
    owner = getattr(view, "__self__", None)
    return getattr(owner, "permission", None)


def public(view: F) -> F:
    """Mark a view that anyone may open (sign-in page, health probe)."""
    setattr(view, PUBLIC_ATTR, True)
    return view
