"""The baseline: a plain Flask-Admin setup over the same tables, as a developer would write
it — ``ModelView`` per table with searchable and filterable columns, a default sort and
50 rows a page. It lives only here, to be measured beside Flick Admin; it has no sign-in."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from flask_admin.theme import Bootstrap4Theme

from flick_admin.config import normalise_database_url
from flick_admin.db import Auth, College, Comment, ContentReport, Log, PlatformUser, Post
from flick_admin.extensions import db


class BaseModelView(ModelView):
    page_size = 50
    can_view_details = True
    can_export = True


class PostView(BaseModelView):
    # The fields a moderator edits (the stock form would also offer every relationship).
    form_columns = ("title", "content", "topic", "is_banned", "is_shadow_banned")
    column_list = ("title", "author", "topic", "views", "is_banned", "is_shadow_banned", "created_at")
    column_searchable_list = ("title", "content")
    column_filters = ("is_banned", "is_shadow_banned", "topic", "created_at")
    column_default_sort = ("created_at", True)


class CommentView(BaseModelView):
    column_list = ("content", "post", "author", "is_banned", "created_at")
    column_searchable_list = ("content",)
    column_filters = ("is_banned", "created_at")
    column_default_sort = ("created_at", True)


class ReportView(BaseModelView):
    column_list = ("type", "post", "comment", "reporter", "reason", "status", "created_at")
    column_searchable_list = ("reason", "message")
    column_filters = ("status", "type", "reason", "created_at")
    column_default_sort = ("created_at", False)


class UserView(BaseModelView):
    column_list = ("username", "college", "branch", "karma", "status", "created_at")
    column_searchable_list = ("username",)
    column_filters = ("status", "branch", "created_at")
    column_default_sort = ("created_at", True)


class CollegeView(BaseModelView):
    column_list = ("name", "email_domain", "city", "state")
    column_searchable_list = ("name", "email_domain", "city", "state")
    column_default_sort = ("name", False)


class LogView(BaseModelView):
    column_list = ("occured_at", "actor_id", "actor_type", "action", "entity_type", "entity_id", "reason")
    column_searchable_list = ("reason", "action")
    column_filters = ("actor_id", "actor_type", "action", "entity_type", "entity_id", "occured_at")
    column_default_sort = ("occured_at", True)
    can_edit = False
    can_create = False
    can_delete = False


class AuthView(BaseModelView):
    column_list = ("email", "name", "role", "banned", "created_at")
    column_searchable_list = ("email", "name")
    column_filters = ("role", "banned")
    column_default_sort = ("created_at", True)


VIEWS = {
    "post": (PostView, Post), "comment": (CommentView, Comment), "report": (ReportView, ContentReport),
    "user": (UserView, PlatformUser), "college": (CollegeView, College), "log": (LogView, Log),
    "auth": (AuthView, Auth),
}


def create_baseline(database_url: str) -> Flask:
    app = Flask("flick_baseline")
    app.config.update(SECRET_KEY="bench", SQLALCHEMY_DATABASE_URI=normalise_database_url(database_url))
    db.init_app(app)
    admin = Admin(app, name="Baseline", theme=Bootstrap4Theme())
    for endpoint, (view, model) in VIEWS.items():
        admin.add_view(view(model, db.session, endpoint=endpoint))
    app.extensions["baseline.views"] = {v.endpoint: v for v in admin._views if hasattr(v, "model")}
    return app


def filter_arg(app: Flask, endpoint: str, column_label: str, operation: str) -> str:
    """The URL argument name of a Flask-Admin filter (``flt0_<index>``)."""
    view = app.extensions["baseline.views"][endpoint]
    for index, flt in enumerate(view._filters):
        if str(flt.name) == column_label and str(flt.operation()) == operation:
            return f"flt0_{index}"
    names = [(str(f.name), str(f.operation())) for f in view._filters]
    raise LookupError(f"no filter {column_label!r} {operation!r} on {endpoint}: {names}")
