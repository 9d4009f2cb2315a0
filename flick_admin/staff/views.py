"""Pages: one's own account (every signed-in staff member) and staff management
(superadmins). Every staff change asks the superadmin to confirm who they are first when
their last confirmation is older than ``FRESH_2FA_MINUTES`` (``auth.sudo``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm

from flick_admin.auth import account, preferences, session_state, sudo, two_factor
from flick_admin.permissions import SIGNED_IN, Permission, requires
from flick_admin.db.enums import StaffRole
from flick_admin.forms import validated
from flick_admin.moderation.forms import LiftForm
from flick_admin.refusals import ActionRefused, Conflict, InvalidInput
from flick_admin.ui.shell import SecureView
from flick_admin.staff import services
from flick_admin.ui.web import safe_next


def _path(url: str) -> str:
    """The path and query of a same-site address (the Referer), for ``next``."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _me():
    return current_user._get_current_object()


class AccountView(SecureView):
    permission = SIGNED_IN

    def is_visible(self) -> bool:
        return False  # reached from the name in the navigation bar

    @expose("/")
    @requires(SIGNED_IN)
    def index(self):
        return self.render("account/index.html", sessions=account.own_sessions(_me()),
                           current_id=g.staff_session.id, enrolled=two_factor.enrolled(_me()),
                           zones=preferences.zones(), themes=preferences.THEMES,
                           time_zone=g.preferences.time_zone, theme=g.preferences.theme,
                           escalations=g.preferences.escalations)

    @expose("/preferences", methods=["POST"])
    @requires(SIGNED_IN)
    def preferences(self):
        validated(FlaskForm())
        outcome = preferences.update(_me(), request.form.get("time_zone"), request.form.get("theme"),
                                     escalations=request.form.get("escalations") == "y")
        flash(outcome.message, "success" if outcome.changed else "info")
        return redirect(url_for(".index"), code=303)

    @expose("/sessions/<session_id>/revoke", methods=["POST"])
    @requires(SIGNED_IN)
    def revoke(self, session_id: str):
        validated(FlaskForm())
        flash(account.revoke(_me(), session_id[:200]).message, "success")
        return redirect(url_for(".index"), code=303)

    @expose("/sign-out-everywhere", methods=["POST"])
    @requires(SIGNED_IN)
    def everywhere(self):
        validated(FlaskForm())
        ended = account.sign_out_everywhere(_me())
        session.clear()
        flash(f"Signed out of {ended} session(s), this one included.", "info")
        return redirect(url_for("auth.login"), code=303)

    @expose("/password", methods=["POST"])
    @requires(SIGNED_IN)
    def password(self):
        validated(FlaskForm())
        outcome = account.change_password(_me(), request.form.get("current", "")[:1024],
                                          request.form.get("password", "")[:1024],
                                          request.form.get("repeat", "")[:1024])
        flash(outcome.message, "success")
        return redirect(url_for(".index"), code=303)

    @expose("/two-factor", methods=["GET", "POST"])
    @requires(SIGNED_IN)
    def two_factor(self):
        me, error, status, codes = _me(), None, 200, None
        session_id = g.staff_session.id
        replace = request.values.get("replace") == "1"
        if request.method == "POST":
            validated(FlaskForm())
            try:
                if request.form.get("action") == "disable":
                    if me.role in current_app.config["REQUIRE_2FA_ROLES"]:
                        raise ActionRefused("Your role must keep a second factor (you can replace it).")
                    two_factor.disable(me, request.form.get("code", "")[:64])
                    flash("Second factor turned off.", "info")
                    return redirect(url_for(".index"), code=303)
                codes, _ = two_factor.enable(me, session_id, request.form.get("code", "")[:64],
                                             request.form.get("current_code", "")[:64])
            except ActionRefused as refused:
                error, status = refused.message, refused.status
        enrolled = two_factor.enrolled(me)
        secret = None
        if not codes and (not enrolled or replace):
            # Kept on the server for this session alone, never in the browser's cookie.
            secret = session_state.enrolment_secret(session_id, two_factor.new_secret)
        uri = two_factor.provisioning_uri(secret, me.email) if secret else None
        return self.render("account/two_factor.html", enrolled=enrolled, codes=codes, secret=secret,
                           replace=replace and enrolled, qr=two_factor.qr_svg(uri) if uri else None,
                           error=error, required=me.role in current_app.config["REQUIRE_2FA_ROLES"]), status

    @expose("/confirm", methods=["GET", "POST"])
    @requires(SIGNED_IN)
    def reauth(self):
        target = safe_next(request.args.get("next"), url_for("admin.index"))
        error, status = None, 200
        if request.method == "POST":
            validated(FlaskForm())
            try:
                account.reauthenticate(_me(), request.form.get("code", "")[:1024])
            except ActionRefused as refused:
                error, status = refused.message, 401 if refused.status == 400 else refused.status
            else:
                return redirect(target, code=303)
        return self.render("account/reauth.html", error=error, enrolled=two_factor.enrolled(_me()),
                           minutes=int(current_app.config["FRESH_2FA_MINUTES"])), status


class StaffView(SecureView):
    """Every change here (every POST) first asks for a recent confirmation; the same check
    stands behind the audit rows of staff changes (``auth.sudo``), for any other route."""

    permission = Permission.STAFF_MANAGE

    def _handle_view(self, name: str, **kwargs):
        refused = super()._handle_view(name, **kwargs)
        if refused is None and request.method == "POST" and not sudo.is_fresh():
            flash("Confirm it is you before changing staff accounts.", "info")
            return redirect(url_for("account.reauth", next=safe_next(request.referrer and _path(request.referrer),
                                                                     url_for("staff.index"))), code=303)
        return refused

    @expose("/")
    @requires(Permission.STAFF_MANAGE)
    def index(self):
        handover = session_state.take_handover(g.staff_session.id)
        return self.render("staff/list.html", rows=services.staff_list(), roles=[r.value for r in StaffRole],
                           me=_me().id, handover=handover, reason_form=LiftForm())

    def _done(self, outcome):
        flash(outcome.message, "success" if outcome.changed else "info")
        return redirect(url_for(".index"), code=303)

    @expose("/new", methods=["POST"])
    @requires(Permission.STAFF_MANAGE)
    def create(self):
        validated(FlaskForm())
        try:
            user, credential = services.create(request.form.get("email", ""), request.form.get("role", ""),
                                               request.form.get("name"), request.form.get("handover", "invite"))
        except (InvalidInput, Conflict) as refused:
            typed = {k: request.form.get(k, "")[:320] for k in ("email", "name", "role", "handover")}
            return self._again(create_error={"typed": typed, "message": refused.message}), refused.status
        flash(f"Staff account {user.email} created.", "success")
        return redirect(url_for(".index"), code=303)

    @expose("/<user_id>/role", methods=["POST"])
    @requires(Permission.STAFF_MANAGE)
    def role(self, user_id: str):
        validated(FlaskForm())
        return self._done(services.change_role(user_id[:200], request.form.get("role", "")))

    @expose("/<user_id>/scope", methods=["POST"])
    @requires(Permission.STAFF_MANAGE)
    def scope(self, user_id: str):
        validated(FlaskForm())
        typed = request.form.get("colleges", "")[:4000]
        try:
            return self._done(services.set_scope(user_id[:200], typed))
        except InvalidInput as refused:
            return self._again(scope_error={"user_id": user_id[:200], "value": typed,
                                            "message": refused.message}), 400

    def _again(self, **refused):
        """The list again after a refused form, with what was typed kept in its fields and
        the message beside them (no handover is taken)."""
        return self.render("staff/list.html", rows=services.staff_list(), roles=[r.value for r in StaffRole],
                           me=_me().id, handover=None, reason_form=LiftForm(), **refused)

    @expose("/<user_id>/deactivate", methods=["POST"])
    @requires(Permission.STAFF_MANAGE)
    def deactivate(self, user_id: str):
        form = validated(LiftForm())
        return self._done(services.deactivate(user_id[:200], form.reason()))

    @expose("/<user_id>/reactivate", methods=["POST"])
    @requires(Permission.STAFF_MANAGE)
    def reactivate(self, user_id: str):
        validated(FlaskForm())
        return self._done(services.reactivate(user_id[:200]))

    @expose("/<user_id>/reset", methods=["POST"])
    @requires(Permission.STAFF_MANAGE)
    def reset(self, user_id: str):
        validated(FlaskForm())
        user, credential = services.reset_password(user_id[:200], request.form.get("handover", "invite"))
        flash("Password reset; the old one no longer works and their sessions ended.", "success")
        return redirect(url_for(".index"), code=303)

    @expose("/<user_id>/reset-two-factor", methods=["POST"])
    @requires(Permission.STAFF_MANAGE)
    def reset_two_factor(self, user_id: str):
        validated(FlaskForm())
        return self._done(services.reset_two_factor(user_id[:200]))

    @expose("/<user_id>/end-sessions", methods=["POST"])
    @requires(Permission.STAFF_MANAGE)
    def end_sessions(self, user_id: str):
        validated(FlaskForm())
        return self._done(services.end_sessions(user_id[:200]))


def register(admin) -> None:
    admin.add_view(StaffView(name="Staff", endpoint="staff", url="/staff"))
    admin.add_view(AccountView(name="Account", endpoint="account", url="/account"))
