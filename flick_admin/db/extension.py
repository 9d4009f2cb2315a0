"""The Flask-SQLAlchemy extension over Flick's models (bound to the app in ``create_app``)."""

from flask_sqlalchemy import SQLAlchemy

from flick_admin.db.base import Base

db = SQLAlchemy(model_class=Base)
