"""Routes of internal notes and escalations, and the navigation's "Escalated" link.

Writing a note and escalating need ``content:triage`` (triage, moderators, admins);
ending an escalation needs ``content:moderate`` (those who decide). Each POST is one
service call, a flash and a 303 back to the page the form came from.
"""

from __future__ import annotations

import uuid

from flask import flash, g, redirect, url_for
from flask_admin import expose
from flask_admin.menu import MenuLink
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length, Optional

from flick_admin.forms import validated
from flick_admin.moderation import escalations, notes
from flick_admin.permissions import Permission, has_permission, requires
from flick_admin.ui.shell import SecureView
from flick_admin.ui.web import back_to


class NoteForm(FlaskForm):
    body = TextAreaField("Note", validators=[Optional(), Length(max=notes.MAX_NOTE)])
    next = HiddenField()


class EscalationForm(FlaskForm):
    comment = TextAreaField("Comment", validators=[Optional(), Length(max=escalations.MAX_COMMENT)])
    next = HiddenField()


def _flash(outcome) -> None:
    flash(outcome.message, "success" if outcome.changed else "info")


def works_escalations() -> bool:
    """Admins work the Escalated view; moderators who opted in on their account page too."""
    if has_permission(Permission.ESCALATIONS_WORK):
        return True
    preferences = g.get("preferences")
    return bool(has_permission(Permission.CONTENT_MODERATE) and preferences is not None
                and getattr(preferences, "escalations", False))


class TeamView(SecureView):
    """Internal notes on posts, comments and users, and escalations (staff only)."""

    permission = Permission.CONTENT_READ

    def is_visible(self) -> bool:
        return False  # written from an item's page; "Escalated" has its own link

    @expose("/")
    @requires(Permission.CONTENT_READ)
    def index(self):
        return redirect(url_for("reports.index", escalated=1), code=303)

    @expose("/notes/<any(post,comment,user):kind>/<target>/add", methods=["POST"])
    @requires(Permission.CONTENT_TRIAGE)
    def add_note(self, kind: str, target: str):
        form = validated(NoteForm())
        _flash(notes.add(kind, target[:200], form.body.data))
        return back_to(url_for("reports.index"))

    @expose("/notes/<uuid:note_id>/edit", methods=["POST"])
    @requires(Permission.CONTENT_TRIAGE)
    def edit_note(self, note_id: uuid.UUID):
        form = validated(NoteForm())
        _flash(notes.edit(note_id, form.body.data))
        return back_to(url_for("reports.index"))

    @expose("/notes/<uuid:note_id>/delete", methods=["POST"])
    @requires(Permission.CONTENT_TRIAGE)
    def delete_note(self, note_id: uuid.UUID):
        validated(NoteForm())
        _flash(notes.delete(note_id))
        return back_to(url_for("reports.index"))

    @expose("/escalations/<any(post,comment):kind>/<uuid:target_id>/escalate", methods=["POST"])
    @requires(Permission.CONTENT_TRIAGE)
    def escalate(self, kind: str, target_id: uuid.UUID):
        form = validated(EscalationForm())
        _flash(escalations.escalate(kind, target_id, form.comment.data))
        return back_to(url_for("reports.index"))

    @expose("/escalations/<any(post,comment):kind>/<uuid:target_id>/de-escalate", methods=["POST"])
    @requires(Permission.CONTENT_MODERATE)
    def de_escalate(self, kind: str, target_id: uuid.UUID):
        form = validated(EscalationForm())
        _flash(escalations.de_escalate(kind, target_id, form.comment.data))
        return back_to(url_for("reports.index", escalated=1))


class EscalatedLink(MenuLink):
    """"Escalated" in the navigation, for those who work it (with its count)."""

    def get_url(self):
        return url_for("reports.index", escalated=1)

    def is_accessible(self) -> bool:
        return has_permission(Permission.CONTENT_READ)

    def is_visible(self) -> bool:
        return works_escalations()


def register(admin) -> None:
    # First under "Moderation" (the top bar has no room left for a superadmin's menu).
    admin.add_menu_item(EscalatedLink(name="Escalated"), target_category="Moderation")
    admin.add_view(TeamView(name="Notes and escalations", endpoint="team", url="/team"))
    admin.app.jinja_env.globals["works_escalations"] = works_escalations
    # Macros imported without the page's context (the history table) ask who is looking.
    admin.app.jinja_env.globals["my_staff_id"] = lambda: getattr(current_user, "id", None)
    admin.app.jinja_env.globals["note_form"] = NoteForm
    admin.app.jinja_env.globals["escalation_form"] = EscalationForm
