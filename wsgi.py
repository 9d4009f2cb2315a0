"""Entry point for gunicorn (``gunicorn wsgi:app``) and ``flask --app wsgi``."""

from flick_admin import create_app

app = create_app()
