"""Sign-in (with the second factor), sign-out, and the invite's set-password page."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user

from flick_admin.auth import invites, services
from flick_admin.auth.forms import ConfirmForm, LoginForm
from flick_admin.permissions import SIGNED_IN, public, requires
from flick_admin.extensions import limiter
from flick_admin.refusals import ActionRefused, InvalidInput
from flick_admin.ui.shell import render_page
from flick_admin.ui.web import safe_next

bp = Blueprint("auth", __name__)
PENDING = "pending_2fa"
PENDING_SECONDS = 300


def _failed(response) -> bool:
    """Only failed attempts count against the limits."""
    return response.status_code in (400, 401)


def _account_key() -> str:
    return "account:" + (request.form.get("email") or "").strip().lower()[:320]


def _pending_key() -> str:
    return "account:" + str((session.get(PENDING) or {}).get("user", ""))


def _limit(name: str):
    return lambda: current_app.config[name]


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_limit("LOGIN_LIMIT_PER_ADDRESS"), methods=["POST"], deduct_when=_failed,
               scope="login-address")
@limiter.limit(_limit("LOGIN_LIMIT_PER_ACCOUNT"), methods=["POST"], deduct_when=_failed,
               key_func=_account_key, scope="login-account")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    form = LoginForm()
    error, status = None, 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                outcome = services.sign_in(form.email.data, form.password.data)
            except services.SignInFailed as failed:
                error, status = str(failed), 401
            else:
                target = safe_next(request.args.get("next"), url_for("admin.index"))
                if isinstance(outcome, services.NeedsSecondFactor):
                    # A new client session for the half-signed-in state: nothing planted
                    # before the password (a CSRF token, a pending state) survives it.
                    session.clear()
                    session[PENDING] = {"user": outcome.user_id, "until": time.time() + PENDING_SECONDS,
                                        "next": target}
                    return redirect(url_for("auth.second_factor"), code=303)
                return _signed_in(outcome, target)
        else:
            error, status = "Enter your email and password.", 400
    return render_page("auth/login.html", status=status, form=form, error=error)


@bp.route("/login/code", methods=["GET", "POST"])
@public
@limiter.limit(_limit("LOGIN_LIMIT_PER_ADDRESS"), methods=["POST"], deduct_when=_failed,
               scope="login-address")
@limiter.limit(_limit("LOGIN_LIMIT_PER_ACCOUNT"), methods=["POST"], deduct_when=_failed,
               key_func=_pending_key, scope="login-account")
def second_factor():
    pending = session.get(PENDING) or {}
    if not pending or time.time() > float(pending.get("until", 0)):
        session.pop(PENDING, None)
        flash("Sign in again.", "info")
        return redirect(url_for("auth.login"), code=303)
    form = ConfirmForm()
    error, status = None, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            error, status = "The form expired; enter the code again.", 400
        else:
            try:
                signed = services.complete_sign_in(pending["user"], request.form.get("code", "")[:64])
            except services.SignInFailed as failed:
                error, status = str(failed), 401
            else:
                session.pop(PENDING, None)
                target = pending.get("next") or url_for("admin.index")
                notice = ("You signed in with a backup code; it cannot be used again."
                          if signed.second_factor == "backup" else None)
                return _signed_in(signed, target, notice=notice)
    return render_page("auth/code.html", status=status, form=form, error=error)


def _signed_in(signed, target: str, *, notice: str | None = None):
    """Sign-in issues new identifiers: a new dashboard session (its token fresh from
    ``open_session``) and a new client session, so no CSRF token or state from before the
    sign-in is still valid after it (no session fixation)."""
    session.clear()
    if notice:
        flash(notice, "warning")
    response = redirect(target, code=303)
    set_session_cookie(response, signed.token)
    return response


@bp.route("/logout", methods=["POST"])
@requires(SIGNED_IN)
def logout():
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_page("errors/generic.html", status=400, title="Bad request",
                           message="The sign-out form expired; please try again.")
    services.sign_out(current_user._get_current_object(), g.staff_session)
    session.clear()
    flash("You are signed out.", "info")
    response = redirect(url_for("auth.login"), code=303)
    clear_session_cookie(response)
    return response


@bp.route("/invite/<token>", methods=["GET", "POST"])
@public
@limiter.limit(_limit("LOGIN_LIMIT_PER_ADDRESS"), methods=["POST"], deduct_when=_failed,
               scope="login-address")
def invite(token: str):
    user = invites.invite_user(token)
    if user is None:
        return render_page("errors/generic.html", status=404, title="Invite not valid",
                           message="This invite link is not valid any more; ask a superadmin for a new one.")
    form = ConfirmForm()
    error, status = None, 200
    if request.method == "POST":
        try:
            if not form.validate_on_submit():
                raise InvalidInput("The form expired; try again.")
            invites.accept_invite(token, request.form.get("password", ""), request.form.get("repeat", ""))
        except ActionRefused as refused:
            error, status = refused.message, refused.status
        else:
            flash("Your password is set. Sign in.", "success")
            return redirect(url_for("auth.login"), code=303)
    return render_page("auth/invite.html", status=status, form=form, error=error, user=user)


def set_session_cookie(response, token: str) -> None:
    cfg = current_app.config
    response.set_cookie(
        cfg["AUTH_COOKIE_NAME"], token,
        max_age=int(cfg["SESSION_LIFETIME_HOURS"]) * 3600,
        httponly=True, samesite="Lax", secure=bool(cfg["COOKIE_SECURE"]) or request.is_secure, path="/",
    )


def clear_session_cookie(response) -> None:
    cfg = current_app.config
    response.delete_cookie(cfg["AUTH_COOKIE_NAME"], path="/", httponly=True, samesite="Lax",
                           secure=bool(cfg["COOKIE_SECURE"]) or request.is_secure)
