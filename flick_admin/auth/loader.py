"""Flask-Login wiring: the signed-in staff member comes from the session cookie."""

from __future__ import annotations

from flask import current_app, g, request

from flick_admin.permissions import STAFF_ROLES
from flick_admin.auth.sessions import find_live_session, touch
from flick_admin.db.auth import DEFAULT_PREFERENCES
from flick_admin.extensions import login_manager


@login_manager.request_loader
def load_staff_from_cookie(_request):
    found = find_live_session(request.cookies.get(current_app.config["AUTH_COOKIE_NAME"]))
    if found is None:
        return None
    row, pending, preferences, proposals, views, colleges, escalated = found
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
    g.preferences = preferences.display() if preferences is not None else DEFAULT_PREFERENCES
    touch(row)
    return user
