"""Team pages: revert a recorded decision; approve or reject what waits for a second pair
of eyes."""

from __future__ import annotations

import uuid

from flask import flash, redirect, url_for
from flask_admin import expose
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from flick_admin import four_eyes
from flick_admin.forms import validated
from flick_admin.moderation.forms import ReasonMixin
from flick_admin.permissions import Permission, has_permission, requires
from flick_admin.team import proposals, reverts
from flick_admin.ui.shell import SecureView
from flick_admin.ui.web import back_to


class RevertForm(ReasonMixin, FlaskForm):
    pass


class RevertView(SecureView):
    permission = Permission.CONTENT_MODERATE

    def is_visible(self) -> bool:
        return False  # reached from an audit entry or an item's history

    @expose("/")
    @requires(Permission.CONTENT_MODERATE)
    def index(self):
        """Reverts start from an audit entry."""
        return redirect(url_for("audit.index"), code=303)

    @expose("/<uuid:log_id>")
    @requires(Permission.CONTENT_MODERATE)
    def confirm(self, log_id: uuid.UUID):
        found = reverts.plan(log_id)
        return self.render("team/revert.html", p=found, form=RevertForm(),
                           allowed=has_permission(reverts.permission_for(found.rows)))

    @expose("/<uuid:log_id>", methods=["POST"])
    @requires(Permission.CONTENT_MODERATE)
    def apply(self, log_id: uuid.UUID):
        form = validated(RevertForm())
        outcome = reverts.revert(log_id, form.reason())
        flash(outcome.message, "success")
        return back_to(url_for("audit.entry", log_id=log_id))


class DecisionForm(FlaskForm):
    note = TextAreaField("Note", validators=[Optional(), Length(max=1000)])


class ProposalsView(SecureView):
    """“Waiting for a second pair of eyes”: severe actions another staff member proposed."""

    permission = Permission.CONTENT_MODERATE

    @expose("/")
    @requires(Permission.CONTENT_MODERATE)
    def index(self):
        waiting, done = proposals.listing()
        return self.render("team/proposals.html", waiting=waiting, done=done, form=DecisionForm(),
                           may=lambda p: has_permission(Permission(p.permission)))

    @expose("/<uuid:proposal_id>/<any(approve,reject):decision>", methods=["POST"])
    @requires(Permission.CONTENT_MODERATE)
    def decide(self, proposal_id: uuid.UUID, decision: str):
        form = validated(DecisionForm())
        decide = proposals.approve if decision == "approve" else proposals.reject
        outcome = decide(proposal_id, form.note.data)
        flash(outcome.message, "success")
        return redirect(url_for(".index"), code=303)


def register(admin) -> None:
    admin.add_view(RevertView(name="Revert", endpoint="reverts", url="/revert"))
    admin.add_view(ProposalsView(name="Second pair of eyes", endpoint="proposals", url="/proposals",
                                 category="Moderation"))
    admin.app.jinja_env.globals["revertible"] = reverts.revertible
    admin.app.jinja_env.globals["has_permission"] = has_permission
    admin.app.jinja_env.globals["four_eyes"] = four_eyes.required
