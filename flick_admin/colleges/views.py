"""Admin screens for colleges, branches, college requests, banned words and feedback.

Reads need ``content:read``; every change needs ``colleges:manage`` (feedback:
``feedback:manage``) and goes through one service. A refused change re-renders its form
with the message and the refusal's status, keeping what was typed.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_wtf import FlaskForm

from flick_admin import four_eyes
from flick_admin.outcomes import clean_reason
from flick_admin.permissions import Permission, has_permission, requires
from flick_admin.colleges import queries, services, words
from flick_admin.colleges.catch import preview as catch_preview
from flick_admin.colleges.wordcheck import Word, check
from flick_admin.db.enums import EntityType, Severity
from flick_admin.extensions import db
from flick_admin.feedback import services as feedback
from flick_admin.moderation.forms import LiftForm, validated
from flick_admin.moderation.details import entity_history
from flick_admin.refusals import ActionRefused, InvalidInput
from flick_admin.ui.shell import SecureView
from flick_admin.ui.web import page_size

MAX_UPLOAD = 1024 * 1024


def _manage() -> bool:
    return has_permission(Permission.COLLEGES_MANAGE)


def _college_input(form) -> services.CollegeInput:
    return services.CollegeInput.clean(
        name=form.get("name"), email_domain=form.get("email_domain"), city=form.get("city"),
        state=form.get("state"), profile=form.get("profile"), branch_ids=form.getlist("branches"))


def _saved(changed: bool, what: str) -> None:
    flash(f"{what} saved." if changed else "Nothing changed.", "success" if changed else "info")


def _checked() -> FlaskForm:
    """Check the CSRF token of a form that has no other declared fields."""
    return validated(FlaskForm())


class CollegesView(SecureView):
    permission = Permission.CONTENT_READ

    @expose("/")
    @requires(Permission.CONTENT_READ)
    def index(self):
        filters = queries.CollegeFilters.parse(request.args)
        return self.render("colleges/list.html", filters=filters,
                           page=queries.college_list(filters, page_size()), can_manage=_manage())

    def _form(self, *, status=200, error=None, values=None, college=None, selected=(), request_row=None,
              action=None, error_field=None):
        return self.render(
            "colleges/form.html", error=error, error_field=error_field, values=values or {}, college=college,
            branches=queries.all_branches(), selected={str(s) for s in selected},
            request_row=request_row, action=action or url_for(".create"),
        ), status

    @expose("/new", methods=["GET", "POST"])
    @requires(Permission.COLLEGES_MANAGE)
    def create(self):
        if request.method == "GET":
            return self._form()
        try:
            _checked()
            college = services.create_college(_college_input(request.form))
        except ActionRefused as refused:
            return self._form(status=refused.status, error=refused.message, values=request.form,
                              selected=request.form.getlist("branches"), error_field=refused.field)
        flash(f"College {college.name} created.", "success")
        return redirect(url_for(".detail", college_id=college.id), code=303)

    @expose("/<uuid:college_id>")
    @requires(Permission.CONTENT_READ)
    def detail(self, college_id: uuid.UUID):
        found = queries.college_detail(college_id)
        if found is None:
            abort(404, "That college does not exist.")
        return self.render("colleges/college.html", d=found, can_manage=_manage(),
                           branches=queries.all_branches(),
                           selected={str(b.id) for b in found.branches})

    @expose("/<uuid:college_id>/edit", methods=["POST"])
    @requires(Permission.COLLEGES_MANAGE)
    def edit(self, college_id: uuid.UUID):
        try:
            _checked()
            changed = services.update_college(college_id, _college_input(request.form))
        except ActionRefused as refused:
            found = queries.college_detail(college_id)
            if found is None:
                abort(404, "That college does not exist.")
            return self.render("colleges/college.html", d=found, can_manage=True, error=refused.message,
                               error_field=refused.field,
                               values=request.form, branches=queries.all_branches(),
                               selected=set(request.form.getlist("branches"))), refused.status
        _saved(changed, "College")
        return redirect(url_for(".detail", college_id=college_id), code=303)

    @expose("/<uuid:college_id>/delete", methods=["POST"])
    @requires(Permission.COLLEGES_MANAGE)
    def delete(self, college_id: uuid.UUID):
        _checked()
        confirmation = request.form.get("confirmation", "")
        if four_eyes.required(four_eyes.COLLEGE_DELETE):
            college = services.check_delete(college_id, confirmation)
            four_eyes.proposed(four_eyes.COLLEGE_DELETE,
                               {"college_id": str(college_id), "confirmation": confirmation},
                               f"Delete the college {college.name} ({college.email_domain})",
                               clean_reason(request.form.get("reason_text")))
            return redirect(url_for(".detail", college_id=college_id), code=303)
        name = services.delete_college(college_id, confirmation)
        flash(f"College {name} deleted.", "success")
        return redirect(url_for(".index"), code=303)


class BranchesView(SecureView):
    permission = Permission.CONTENT_READ

    def _list_page(self, error=None, status=200, error_field=None):
        return self.render("colleges/branches.html", rows=queries.branch_list(), can_manage=_manage(),
                           error=error, error_field=error_field, values=request.form if error else {}), status

    def _detail_page(self, branch_id: uuid.UUID, error=None, status=200):
        found = queries.branch_detail(branch_id)
        if found is None:
            abort(404, "That branch does not exist.")
        return self.render("colleges/branch.html", d=found, can_manage=_manage(), error=error,
                           values=request.form if error else {}), status

    @expose("/")
    @requires(Permission.CONTENT_READ)
    def index(self):
        return self._list_page()

    @expose("/new", methods=["POST"])
    @requires(Permission.COLLEGES_MANAGE)
    def create(self):
        try:
            _checked()
            branch = services.create_branch(request.form.get("name"), request.form.get("code"))
        except ActionRefused as refused:
            return self._list_page(error=refused.message, status=refused.status, error_field=refused.field)
        flash(f"Branch {branch.name} created.", "success")
        return redirect(url_for(".index"), code=303)

    @expose("/<uuid:branch_id>")
    @requires(Permission.CONTENT_READ)
    def detail(self, branch_id: uuid.UUID):
        return self._detail_page(branch_id)

    @expose("/<uuid:branch_id>/edit", methods=["POST"])
    @requires(Permission.COLLEGES_MANAGE)
    def edit(self, branch_id: uuid.UUID):
        try:
            _checked()
            changed = services.update_branch(branch_id, request.form.get("name"), request.form.get("code"))
        except ActionRefused as refused:
            if refused.status == 404:
                raise
            return self._detail_page(branch_id, error=refused.message, status=refused.status)
        _saved(changed, "Branch")
        return redirect(url_for(".detail", branch_id=branch_id), code=303)

    @expose("/<uuid:branch_id>/delete", methods=["POST"])
    @requires(Permission.COLLEGES_MANAGE)
    def delete(self, branch_id: uuid.UUID):
        _checked()
        name = services.delete_branch(branch_id, request.form.get("confirmation", ""))
        flash(f"Branch {name} deleted.", "success")
        return redirect(url_for(".index"), code=303)


class RequestsView(SecureView):
    permission = Permission.CONTENT_READ

    @expose("/")
    @requires(Permission.CONTENT_READ)
    def index(self):
        filters = queries.RequestFilters.parse(request.args)
        return self.render("colleges/requests.html", filters=filters,
                           page=queries.request_queue(filters, page_size()), can_manage=_manage(),
                           statuses=queries.REQUEST_STATUSES)

    def _approval_page(self, req, *, error=None, status=200, values=None, selected=(), error_field=None):
        existing = queries.college_by_domain(req.email_domain)
        values = values or {"name": req.name, "email_domain": req.email_domain, "city": req.city,
                            "state": req.state}
        return self.render(
            "colleges/request.html", req=req, existing=existing, error=error, values=values,
            error_field=error_field,
            branches=queries.all_branches(), selected={str(s) for s in selected},
            can_manage=_manage(), reject_form=LiftForm(),
            history=entity_history(EntityType.COLLEGE_REQUEST, str(req.id)),
        ), status

    @expose("/<uuid:request_id>")
    @requires(Permission.CONTENT_READ)
    def detail(self, request_id: uuid.UUID):
        req = queries.request_detail(request_id)
        if req is None:
            abort(404, "That college request does not exist.")
        return self._approval_page(req)

    @expose("/<uuid:request_id>/approve", methods=["POST"])
    @requires(Permission.COLLEGES_MANAGE)
    def approve(self, request_id: uuid.UUID):
        try:
            _checked()
            college = services.approve_request(request_id, _college_input(request.form))
        except ActionRefused as refused:
            req = queries.request_detail(request_id)
            if req is None or refused.status == 404:
                raise
            return self._approval_page(req, error=refused.message, status=refused.status, error_field=refused.field,
                                       values=request.form, selected=request.form.getlist("branches"))
        flash(f"Request approved: {college.name} is now on Flick.", "success")
        return redirect(url_for(".index"), code=303)

    @expose("/<uuid:request_id>/link", methods=["POST"])
    @requires(Permission.COLLEGES_MANAGE)
    def link(self, request_id: uuid.UUID):
        _checked()
        try:
            college_id = uuid.UUID(request.form.get("college_id", ""))
        except ValueError:
            raise InvalidInput("Pick the college to link this request to.") from None
        college = services.link_request(request_id, college_id)
        flash(f"Request approved and linked to {college.name}.", "success")
        return redirect(url_for(".index"), code=303)

    @expose("/<uuid:request_id>/reject", methods=["POST"])
    @requires(Permission.COLLEGES_MANAGE)
    def reject(self, request_id: uuid.UUID):
        form = validated(LiftForm())
        services.reject_request(request_id, form.reason())
        flash("Request rejected.", "success")
        return redirect(url_for(".index"), code=303)


class WordsView(SecureView):
    permission = Permission.CONTENT_READ

    def _page(self, *, error=None, status=200, values=None, catch=None):
        filters = queries.WordFilters.parse(request.args)
        sample = (request.args.get("sample") or "")[:5000]
        found = check(sample, queries.all_words()) if sample else None
        return self.render("colleges/words.html", filters=filters,
                           page=queries.word_list(filters, page_size()), can_manage=_manage(),
                           severities=[s.value for s in Severity], error=error,
                           values=values or {}, sample=sample, found=found, catch=catch), status

    @expose("/")
    @requires(Permission.CONTENT_READ)
    def index(self):
        return self._page()

    @expose("/new", methods=["POST"])
    @requires(Permission.COLLEGES_MANAGE)
    def create(self):
        try:
            _checked()
            row = words.create_word(request.form.get("word"), request.form.get("severity"),
                                    request.form.get("strict") == "1")
        except ActionRefused as refused:
            return self._page(error=refused.message, status=refused.status, values=request.form)
        flash(f"{row.word!r} added.", "success")
        return redirect(url_for(".index"), code=303)

    def _word_page(self, word_id: uuid.UUID, error=None, status=200, catch=None):
        row = queries.word(word_id)
        if row is None:
            abort(404, "That banned word does not exist.")
        return self.render("colleges/word.html", row=row, can_manage=_manage(), error=error,
                           values=request.form if (error or catch) else {}, catch=catch,
                           severities=[s.value for s in Severity],
                           history=entity_history(EntityType.BANNED_WORD, str(word_id))), status

    @expose("/catch", methods=["POST"])
    @requires(Permission.COLLEGES_MANAGE)
    def catch(self):
        """What adding, changing or deleting a word would block and release; nothing is saved."""
        _checked()
        raw_id = request.form.get("word_id") or ""
        try:
            word_id = uuid.UUID(raw_id) if raw_id else None
        except ValueError:
            raise InvalidInput("That is not a banned word's id.") from None
        old = queries.word(word_id) if word_id else None
        if word_id and old is None:
            abort(404, "That banned word does not exist.")
        try:
            added = [] if request.form.get("delete") == "1" else [Word(
                words.clean_word(request.form.get("word")), words.clean_severity(request.form.get("severity")),
                request.form.get("strict") == "1")]
        except ActionRefused as refused:
            if word_id:
                return self._word_page(word_id, error=refused.message, status=refused.status)
            return self._page(error=refused.message, status=refused.status, values=request.form)
        removed = [Word(old.word, old.severity, bool(old.strict_mode))] if old else []
        keep = [w for w in queries.all_words() if not old or w.word != old.word]
        result = catch_preview(db.session.connection(), keep, added, removed)
        if word_id:
            return self._word_page(word_id, catch=result)
        return self._page(values=request.form, catch=result)

    @expose("/<uuid:word_id>")
    @requires(Permission.CONTENT_READ)
    def detail(self, word_id: uuid.UUID):
        return self._word_page(word_id)

    @expose("/<uuid:word_id>/edit", methods=["POST"])
    @requires(Permission.COLLEGES_MANAGE)
    def edit(self, word_id: uuid.UUID):
        try:
            _checked()
            changed = words.update_word(word_id, request.form.get("word"), request.form.get("severity"),
                                        request.form.get("strict") == "1")
        except ActionRefused as refused:
            if refused.status == 404:
                raise
            return self._word_page(word_id, error=refused.message, status=refused.status)
        _saved(changed, "Banned word")
        return redirect(url_for(".index"), code=303)

    @expose("/<uuid:word_id>/delete", methods=["POST"])
    @requires(Permission.COLLEGES_MANAGE)
    def delete(self, word_id: uuid.UUID):
        _checked()
        if request.form.get("confirm") != "1":
            raise InvalidInput("Tick the confirmation box to delete the word.")
        word = words.delete_word(word_id)
        flash(f"{word!r} deleted.", "success")
        return redirect(url_for(".index"), code=303)

    @expose("/import", methods=["GET", "POST"])
    @requires(Permission.COLLEGES_MANAGE)
    def bulk_import(self):
        text, plan, error, status, catch = "", None, None, 200, None
        default = request.form.get("default_severity") or "moderate"
        if request.method == "POST":
            try:
                _checked()
                text = self._import_text()
                lines = words.parse_import(text, default_severity=default)
                if request.form.get("apply") == "1" and four_eyes.required(four_eyes.WORD_IMPORT, len(lines)):
                    snapshot = words.import_snapshot(lines)
                    four_eyes.proposed(
                        four_eyes.WORD_IMPORT, {"text": text, "default": default, "snapshot": snapshot},
                        f"Import {len(lines)} banned words ({len(snapshot['add'])} new, "
                        f"{len(snapshot['update'])} changed)", clean_reason(request.form.get("reason_text")))
                    return redirect(url_for(".index"), code=303)
                if request.form.get("apply") == "1":
                    batch_id, applied = words.apply_import(lines)
                    flash(f"Imported: {len(applied.add)} added, {len(applied.update)} updated, "
                          f"{len(applied.skip)} unchanged (batch {batch_id}).", "success")
                    return redirect(url_for(".index"), code=303)
                plan = words.plan_import(lines)
                catch = self._import_catch(plan)
            except ActionRefused as refused:
                error, status = refused.message, refused.status
        return self.render("colleges/words_import.html", text=text, plan=plan, error=error, catch=catch,
                           default=default, severities=[s.value for s in Severity]), status

    @staticmethod
    def _import_catch(plan):
        changed = {line.word for line, _old in plan.update}
        added = [Word(line.word, line.severity, line.strict) for line in plan.add]
        added += [Word(line.word, line.severity, line.strict) for line, _old in plan.update]
        removed = [Word(line.word, old["severity"], bool(old["strict_mode"])) for line, old in plan.update]
        keep = [w for w in queries.all_words() if w.word not in changed]
        return catch_preview(db.session.connection(), keep, added, removed) if added else None

    @staticmethod
    def _import_text() -> str:
        upload = request.files.get("file")
        if upload and upload.filename:
            raw = upload.read(MAX_UPLOAD + 1)
            if len(raw) > MAX_UPLOAD:
                raise InvalidInput("The file is larger than 1 MB.")
            try:
                return raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise InvalidInput("The file is not UTF-8 text.") from None
        return request.form.get("text", "")


class FeedbackView(SecureView):
    permission = Permission.CONTENT_READ

    @expose("/")
    @requires(Permission.CONTENT_READ)
    def index(self):
        filters = queries.FeedbackFilters.parse(request.args)
        return self.render("colleges/feedback.html", filters=filters,
                           page=queries.feedback_list(filters, page_size()),
                           can_manage=has_permission(Permission.FEEDBACK_MANAGE),
                           statuses=feedback.STATUSES, types=feedback.TYPES)

    @expose("/<uuid:feedback_id>/status", methods=["POST"])
    @requires(Permission.FEEDBACK_MANAGE)
    def status(self, feedback_id: uuid.UUID):
        _checked()
        outcome = feedback.set_status(feedback_id, request.form.get("status", ""))
        flash(outcome.message, "success" if outcome.changed else "info")
        return redirect(url_for(".index"), code=303)

    @expose("/<uuid:feedback_id>/delete", methods=["POST"])
    @requires(Permission.FEEDBACK_MANAGE)
    def delete(self, feedback_id: uuid.UUID):
        _checked()
        feedback.delete(feedback_id, request.form.get("confirm") == "1")
        flash("Feedback deleted.", "success")
        return redirect(url_for(".index"), code=303)


def register(admin) -> None:
    category = "Colleges"
    admin.add_view(CollegesView(name="Colleges", endpoint="colleges", url="/colleges",
                                category=category, menu_permission=Permission.COLLEGES_MANAGE))
    admin.add_view(BranchesView(name="Branches", endpoint="branches", url="/branches",
                                category=category, menu_permission=Permission.COLLEGES_MANAGE))
    admin.add_view(RequestsView(name="College requests", endpoint="college_requests",
                                url="/college-requests", category=category,
                                menu_permission=Permission.COLLEGES_MANAGE))
    admin.add_view(FeedbackView(name="Feedback", endpoint="feedback", url="/feedback",
                                menu_permission=Permission.FEEDBACK_MANAGE))


def register_words(admin) -> None:
    """Banned words sit with moderation: moderators read them, admins change them."""
    admin.add_view(WordsView(name="Banned words", endpoint="banned_words", url="/banned-words",
                             category="Moderation"))
