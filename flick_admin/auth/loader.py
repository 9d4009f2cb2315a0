"""Flask-Login wiring: the signed-in staff member comes from the session cookie."""

from __future__ import annotations

from flask import current_app, g, request

from flick_admin.permissions import STAFF_ROLES
from flick_admin.auth.sessions import RIDERS, find_live_session, touch
from flick_admin.extensions import login_manager


@login_manager.request_loader
def load_staff_from_cookie(_request):
    rider = RIDERS.get(request.endpoint or "")
    found = find_live_session(request.cookies.get(current_app.config["AUTH_COOKIE_NAME"]), rider)
    if found is None:
        return None
    row, pending, preferences, proposals, views, colleges, removal_reasons, escalated, riding = found
    user = row.user
    # Role and ban are read from the database on every request: a demotion or a ban
    # takes effect at once.
    if user.role not in STAFF_ROLES or user.ban_in_force():
        return None
    g.staff_session = row
    g.pending_reports = pending
    g.waiting_proposals = proposals
    g.escalated_items = escalated
    g.has_saved_views = views
    g.staff_scope = colleges
    g.removal_reasons = removal_reasons
    g.preferences = preferences
    if rider is None:
        touch(row)
    else:  # a background poll: no activity for the idle timeout, no badges
        g.ride_along = riding
    return user
