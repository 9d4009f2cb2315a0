"""Checking a submitted form: the form, or a clear 400 that names what is wrong with it."""

from __future__ import annotations

from flask_wtf import FlaskForm

from flick_admin.refusals import InvalidInput


def validated(form: FlaskForm) -> FlaskForm:
    """The form, or a clear 400 naming what is wrong with it."""
    if form.validate_on_submit():
        return form
    if "csrf_token" in form.errors:
        raise InvalidInput("The form expired or came from elsewhere; reload the page and try again.")
    problems = "; ".join(f"{getattr(form, name).label.text}: {', '.join(errors)}"
                         for name, errors in form.errors.items())
    raise InvalidInput(problems or "The form was not filled in correctly.")
