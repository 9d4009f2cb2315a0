"""Team pages: revert a recorded decision; approve or reject what waits for a second pair
of eyes; saved views of the lists."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl

from flask import flash, g, jsonify, redirect, url_for
from flask_admin import expose
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from flick_admin import four_eyes
from flick_admin.forms import validated
from flick_admin.moderation.forms import STANDARD_REASONS, ReasonMixin
from flick_admin.outcomes import clean_reason
from flick_admin.refusals import InvalidInput
from flick_admin.permissions import Permission, has_permission, requires
from flick_admin.team import proposals, reverts, saved_views
from flick_admin.ui.shell import SecureView
from flick_admin.ui.web import back_to


# Why a decision is undone — not why it was taken: a revert is not a violation.
REVERT_REASONS = (
    "A mistake: the decision was wrong",
    "Wrong item: meant for another post, comment or user",
    "Appeal accepted",
    "Policy changed",
    "New information since the decision",
    "Other",
)


class RevertForm(ReasonMixin, FlaskForm):
    reason_choices = [("", "Choose a reason…")] + [(r, r) for r in REVERT_REASONS]

    def reason(self) -> str:
        choice = (self.reason_choice.data or "").strip()
        # The form offers the revert reasons; a moderation reason posted by an older page
        # (or a script) is still understood.
        if choice and choice not in REVERT_REASONS and choice not in STANDARD_REASONS:
            raise InvalidInput(f"Unknown reason for a revert {choice[:40]!r}.")
        text = (self.reason_text.data or "").strip()
        if choice and choice != "Other" and text:
            return f"{choice}: {text}"
        return text or ("" if choice == "Other" else choice)


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
        try:
            outcome = reverts.revert(log_id, form.reason())
        except four_eyes.SevereEffect:
            # Undoing this decision is severe (a permanent ban put back, a large batch): the
            # commit point refused it, nothing was kept, and it waits for a second person.
            found = reverts.plan(log_id)
            four_eyes.proposed(four_eyes.REVERT, {"log_id": str(log_id)},
                               f"Revert {reverts.summary(found)}", clean_reason(form.reason()),
                               reverts.permission_for(found.rows))
            return back_to(url_for("audit.entry", log_id=log_id))
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


class SaveViewForm(FlaskForm):
    page = StringField("List", validators=[Optional(), Length(max=20)])
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    query = StringField("Filter", validators=[Optional(), Length(max=4000)])
    shared = BooleanField("Share with all staff")


class SavedViewsView(SecureView):
    """Saved views: one's own and those colleagues share, each with its live capped count."""

    permission = Permission.CONTENT_READ

    def is_visible(self) -> bool:
        return False  # the navigation's "Views" menu leads here

    @expose("/")
    @requires(Permission.CONTENT_READ)
    def index(self):
        return self.render("team/views.html", shown=saved_views.with_counts(), pages=saved_views.PAGES,
                           form=SaveViewForm(), may_delete=saved_views.may_delete)

    @expose("/counts")
    @requires(Permission.CONTENT_READ)
    def counts(self):
        """The navigation's saved views with their counts, fetched once the page is drawn
        (the views and one statement for all the counts): no page waits for them."""
        return jsonify([{"id": str(s.view.id), "name": s.view.name, "url": s.url, "count": s.label,
                         "shared": s.view.shared} for s in saved_views.with_counts()])

    @expose("/save", methods=["POST"])
    @requires(Permission.CONTENT_READ)
    def save(self):
        form = validated(SaveViewForm())
        page = form.page.data or ""
        view = saved_views.save(page, form.name.data, MultiDict(parse_qsl(form.query.data or "")),
                                bool(form.shared.data))
        flash(f"Saved the view {view.name!r}{' for all staff' if view.shared else ''}.", "success")
        return redirect(saved_views.Shown(view, None).url, code=303)

    @expose("/<uuid:view_id>/delete", methods=["POST"])
    @requires(Permission.CONTENT_READ)
    def delete(self, view_id: uuid.UUID):
        validated(SaveViewForm())
        flash(f"Deleted the view {saved_views.delete(view_id)!r}.", "success")
        return redirect(url_for(".index"), code=303)


def _has_navigation_views() -> bool:
    """Whether the navigation offers the Views menu (read with the session: no statement)."""
    return bool(getattr(g, "has_saved_views", False)) and has_permission(Permission.CONTENT_READ)


def register(admin) -> None:
    admin.add_view(SavedViewsView(name="Saved views", endpoint="saved_views", url="/views"))
    admin.app.jinja_env.globals["has_navigation_views"] = _has_navigation_views
    admin.add_view(RevertView(name="Revert", endpoint="reverts", url="/revert"))
    admin.add_view(ProposalsView(name="Approvals", endpoint="proposals", url="/proposals",
                                 category="Moderation"))
    admin.app.jinja_env.globals["revertible"] = reverts.revertible
    admin.app.jinja_env.globals["changes_item"] = reverts.changes_item
    admin.app.jinja_env.globals["has_permission"] = has_permission
    admin.app.jinja_env.globals["four_eyes"] = four_eyes.required
