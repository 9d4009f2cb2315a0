"""The frame every page sits in: Flask-Admin's layout and menu, secured by permission.

Every Flask-Admin view derives from :class:`SecureView`: it declares a ``permission``
(or marks single methods with ``@requires``) and is refused otherwise. The menu shows a
view only to staff who hold its permission.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_admin import Admin, AdminIndexView, BaseView
from flask_admin.theme import Bootstrap4Theme
from flask_login import current_user

from flick_admin.extensions import login_manager
from flick_admin.permissions import Requirement, has_permission, required_for

APP_NAME = "Flick Admin"


class SecureView(BaseView):
    """Deny by default: a view (or method) with no declared permission is refused."""

    permission: Requirement | None = None
    # Shown in the navigation only to those who hold this (default: ``permission``): an
    # area that is admin work stays out of a moderator's menu, though its pages can be read.
    menu_permission: Requirement | None = None

    def __init__(self, *args: Any, menu_permission: Requirement | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if menu_permission is not None:
            self.menu_permission = menu_permission

    def is_accessible(self) -> bool:
        return self.permission is not None and has_permission(self.permission)

    def is_visible(self) -> bool:
        return has_permission(self.menu_permission or self.permission) if self.permission else False

    def _handle_view(self, name: str, **kwargs: Any):
        method = getattr(self, name, None)
        needed = required_for(method) if method is not None else None
        if needed is None:
            return render_page("errors/generic.html", status=403, title="Forbidden",
                               message="This page declares no permission, so nobody may open it.")
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not has_permission(needed):
            return forbidden_page()
        return None


def build_admin(app, index_view: AdminIndexView) -> Admin:
    """The frame; ``index_view`` is the home page (a view of the ``home`` package)."""
    admin = Admin(
        app,
        name=APP_NAME,
        url="/",
        index_view=index_view,
        theme=Bootstrap4Theme(base_template="layout.html", swatch="default", fluid=True),
    )
    app.extensions["flick_admin.ui.shell"] = admin
    return admin


def render_page(template: str, *, status: int = 200, **context: Any):
    """Render any page (sign-in, errors) in the shell's layout, with the right status."""
    admin: Admin = current_app.extensions["flick_admin.ui.shell"]
    return admin.index_view.render(template, **context), status


def forbidden_page():
    return render_page(
        "errors/generic.html", status=403, title="Forbidden",
        message="Your role does not allow this page or action.",
    )

