"""The catalogue of removal reasons (``/removal-reasons/``): moderators read it (and choose
from it in every decision form); admins add, edit and retire reasons, each through one
service with its audit row. A refused change re-renders its form with the message and
the refusal's status, keeping what was typed."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_wtf import FlaskForm

from flick_admin.db.enums import REPORT_REASON_LABELS, EntityType
from flick_admin.forms import validated
from flick_admin.moderation.details import entity_history
from flick_admin.permissions import Permission, has_permission, requires
from flick_admin.reasons import catalogue
from flick_admin.refusals import ActionRefused
from flick_admin.ui.shell import SecureView

MANAGE = Permission.COLLEGES_MANAGE  # admins' permission, as for banned words


def _form() -> tuple[str | None, str | None, list[str]]:
    validated(FlaskForm())
    return request.form.get("title"), request.form.get("student_text"), request.form.getlist("fits")


class RemovalReasonsView(SecureView):
    permission = Permission.CONTENT_READ

    def _list(self, error=None, status=200):
        return self.render("moderation/removal_reasons.html", rows=catalogue.listing(),
                           can_manage=has_permission(MANAGE), labels=REPORT_REASON_LABELS,
                           error=error, values=request.form if error else {},
                           limits=(catalogue.MAX_TITLE, catalogue.MAX_TEXT)), status

    def _detail(self, reason_id: uuid.UUID, error=None, status=200):
        row = catalogue.get(reason_id)
        if row is None:
            abort(404, "That removal reason does not exist.")
        return self.render("moderation/removal_reason.html", row=row, can_manage=has_permission(MANAGE),
                           labels=REPORT_REASON_LABELS, error=error, values=request.form if error else {},
                           limits=(catalogue.MAX_TITLE, catalogue.MAX_TEXT),
                           history=entity_history(EntityType.REMOVAL_REASON, str(reason_id))), status

    @expose("/")
    @requires(Permission.CONTENT_READ)
    def index(self):
        return self._list()

    @expose("/new", methods=["POST"])
    @requires(MANAGE)
    def create(self):
        try:
            row = catalogue.create_reason(*_form())
        except ActionRefused as refused:
            return self._list(refused.message, refused.status)
        flash(f"Removal reason “{row.title}” added.", "success")
        return redirect(url_for(".index"), code=303)

    @expose("/<uuid:reason_id>")
    @requires(Permission.CONTENT_READ)
    def detail(self, reason_id: uuid.UUID):
        return self._detail(reason_id)

    @expose("/<uuid:reason_id>/edit", methods=["POST"])
    @requires(MANAGE)
    def edit(self, reason_id: uuid.UUID):
        try:
            changed = catalogue.update_reason(reason_id, *_form())
        except ActionRefused as refused:
            if refused.status == 404:
                raise
            return self._detail(reason_id, refused.message, refused.status)
        flash("Removal reason saved." if changed else "Nothing changed.", "success" if changed else "info")
        return redirect(url_for(".detail", reason_id=reason_id), code=303)

    @expose("/<uuid:reason_id>/retire", methods=["POST"])
    @requires(MANAGE)
    def retire(self, reason_id: uuid.UUID):
        validated(FlaskForm())
        retired = catalogue.retire_reason(reason_id)
        flash("Removal reason retired: decision forms no longer offer it." if retired
              else "This removal reason was already retired.", "success" if retired else "info")
        return redirect(url_for(".index"), code=303)


def register(admin) -> None:
    admin.add_view(RemovalReasonsView(name="Removal reasons", endpoint="removal_reasons",
                                      url="/removal-reasons", category="Moderation"))
    admin.app.add_template_global(catalogue.offered, "removal_reasons")
