"""Pages: one's own account (every signed-in staff member) and staff management
(superadmins). Staff changes ask for a fresh second factor first."""

from __future__ import annotations

from functools import wraps

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm

from flick_admin.auth import account, preferences, two_factor
from flick_admin.permissions import SIGNED_IN, Permission, requires
from flick_admin.db.enums import StaffRole
from flick_admin.forms import validated
from flick_admin.moderation.forms import LiftForm
from flick_admin.refusals import ActionRefused
from flick_admin.ui.shell import SecureView
from flick_admin.staff import services
from flick_admin.ui.web import safe_next

ENROL_SECRET = "enrol_secret"


def fresh_factor(view):
    """Sensitive actions: re-check the second factor (or password) if it is not fresh."""

    @wraps(view)
    def checked(self, *args, **kwargs):
        if not account.is_fresh():
            flash("Confirm it is you before changing staff accounts.", "info")
            return redirect(url_for("account.reauth", next=request.referrer or url_for("staff.index")),
                            code=303)
        return view(self, *args, **kwargs)

    return checked


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
                           time_zone=g.preferences.time_zone, theme=g.preferences.theme)

    @expose("/preferences", methods=["POST"])
    @requires(SIGNED_IN)
    def preferences(self):
        validated(FlaskForm())
        outcome = preferences.update(_me(), request.form.get("time_zone"), request.form.get("theme"))
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

    @expose("/two-factor", methods=["GET", "POST"])
    @requires(SIGNED_IN)
    def two_factor(self):
        me, error, status, codes = _me(), None, 200, None
        if request.method == "POST":
            validated(FlaskForm())
            try:
                if request.form.get("action") == "disable":
                    if me.role in current_app.config["REQUIRE_2FA_ROLES"]:
                        raise ActionRefused("Your role must keep a second factor.")
                    two_factor.disable(me, request.form.get("code", "")[:64])
                    flash("Second factor turned off.", "info")
                    return redirect(url_for(".index"), code=303)
                codes = two_factor.enable(me, session.get(ENROL_SECRET, ""), request.form.get("code", "")[:64])
                session.pop(ENROL_SECRET, None)
                account.mark_fresh()
            except ActionRefused as refused:
                error, status = refused.message, refused.status
        enrolled = two_factor.enrolled(me)
        if not enrolled and not codes:
            session.setdefault(ENROL_SECRET, two_factor.new_secret())
        secret = session.get(ENROL_SECRET)
        uri = two_factor.provisioning_uri(secret, me.email) if secret and not enrolled else None
        return self.render("account/two_factor.html", enrolled=enrolled, codes=codes, secret=secret,
                           qr=two_factor.qr_svg(uri) if uri else None, error=error,
                           required=me.role in current_app.config["REQUIRE_2FA_ROLES"]), status

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
                error, status = refused.message, 401
            else:
                account.mark_fresh()
                return redirect(target, code=303)
        return self.render("account/reauth.html", error=error, enrolled=two_factor.enrolled(_me())), status


class StaffView(SecureView):
    permission = Permission.STAFF_MANAGE

    @expose("/")
    @requires(Permission.STAFF_MANAGE)
    def index(self):
        handover = session.pop("staff_handover", None)
        return self.render("staff/list.html", rows=services.staff_list(), roles=[r.value for r in StaffRole],
                           me=_me().id, handover=handover, reason_form=LiftForm())

    def _done(self, outcome):
        flash(outcome.message, "success" if outcome.changed else "info")
        return redirect(url_for(".index"), code=303)

    def _handover(self, user_email: str, credential) -> None:
        value = (url_for("auth.invite", token=credential.value, _external=True)
                 if credential.kind == "invite" else credential.value)
        # Shown once on the next page, then gone (the session cookie is signed).
        session["staff_handover"] = {"email": user_email, "kind": credential.kind, "value": value}

    @expose("/new", methods=["POST"])
    @requires(Permission.STAFF_MANAGE)
    @fresh_factor
    def create(self):
        validated(FlaskForm())
        user, credential = services.create(request.form.get("email", ""), request.form.get("role", ""),
                                           request.form.get("name"), request.form.get("handover", "invite"))
        self._handover(user.email, credential)
        flash(f"Staff account {user.email} created.", "success")
        return redirect(url_for(".index"), code=303)

    @expose("/<user_id>/role", methods=["POST"])
    @requires(Permission.STAFF_MANAGE)
    @fresh_factor
    def role(self, user_id: str):
        validated(FlaskForm())
        return self._done(services.change_role(user_id[:200], request.form.get("role", "")))

    @expose("/<user_id>/scope", methods=["POST"])
    @requires(Permission.STAFF_MANAGE)
    @fresh_factor
    def scope(self, user_id: str):
        validated(FlaskForm())
        return self._done(services.set_scope(user_id[:200], request.form.get("colleges", "")[:4000]))

    @expose("/<user_id>/deactivate", methods=["POST"])
    @requires(Permission.STAFF_MANAGE)
    @fresh_factor
    def deactivate(self, user_id: str):
        form = validated(LiftForm())
        return self._done(services.deactivate(user_id[:200], form.reason()))

    @expose("/<user_id>/reactivate", methods=["POST"])
    @requires(Permission.STAFF_MANAGE)
    @fresh_factor
    def reactivate(self, user_id: str):
        validated(FlaskForm())
        return self._done(services.reactivate(user_id[:200]))

    @expose("/<user_id>/reset", methods=["POST"])
    @requires(Permission.STAFF_MANAGE)
    @fresh_factor
    def reset(self, user_id: str):
        validated(FlaskForm())
        user, credential = services.reset_password(user_id[:200], request.form.get("handover", "invite"))
        self._handover(user.email, credential)
        flash("Password reset; the old one no longer works and their sessions ended.", "success")
        return redirect(url_for(".index"), code=303)

    @expose("/<user_id>/end-sessions", methods=["POST"])
    @requires(Permission.STAFF_MANAGE)
    @fresh_factor
    def end_sessions(self, user_id: str):
        validated(FlaskForm())
        return self._done(services.end_sessions(user_id[:200]))


def register(admin) -> None:
    admin.add_view(StaffView(name="Staff", endpoint="staff", url="/staff"))
    admin.add_view(AccountView(name="Account", endpoint="account", url="/account"))
