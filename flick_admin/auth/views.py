"""Sign-in and sign-out pages."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, request, url_for
from flask_login import current_user

from flick_admin.auth import services
from flick_admin.auth.forms import ConfirmForm, LoginForm
from flick_admin.auth.permissions import SIGNED_IN, public, requires
from flick_admin.shell import render_page
from flick_admin.web import safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    form = LoginForm()
    error = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                signed = services.sign_in(form.email.data, form.password.data)
            except services.SignInFailed as failed:
                error, status = str(failed), 401
            else:
                response = redirect(safe_next(request.args.get("next"), url_for("admin.index")), code=303)
                set_session_cookie(response, signed.token)
                return response
        else:
            error, status = "Enter your email and password.", 400
    return render_page("auth/login.html", status=status, form=form, error=error)


@bp.route("/logout", methods=["POST"])
@requires(SIGNED_IN)
def logout():
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_page("errors/generic.html", status=400, title="Bad request",
                           message="The sign-out form expired; please try again.")
    services.sign_out(current_user._get_current_object(), g.staff_session)
    flash("You are signed out.", "info")
    response = redirect(url_for("auth.login"), code=303)
    clear_session_cookie(response)
    return response


def set_session_cookie(response, token: str) -> None:
    cfg = current_app.config
    response.set_cookie(
        cfg["AUTH_COOKIE_NAME"], token,
        max_age=int(cfg["SESSION_LIFETIME_HOURS"]) * 3600,
        httponly=True, samesite="Lax", secure=bool(cfg["COOKIE_SECURE"]), path="/",
    )


def clear_session_cookie(response) -> None:
    cfg = current_app.config
    response.delete_cookie(cfg["AUTH_COOKIE_NAME"], path="/", httponly=True, samesite="Lax",
                           secure=bool(cfg["COOKIE_SECURE"]))
