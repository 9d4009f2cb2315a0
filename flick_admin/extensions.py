"""Extensions, created unbound here and bound to an app in ``create_app``."""

from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from flick_admin.db.extension import db
from flick_admin.request_facts import client_ip

__all__ = ["csrf", "db", "limiter", "login_manager", "migrate"]
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


def _client_key() -> str:
    return client_ip() or "unknown"


# Sign-in throttling: in memory by default, Redis with RATELIMIT_STORAGE_URI=redis://…
limiter = Limiter(key_func=_client_key, headers_enabled=False)
