"""Settings read from the environment when the app is created (never at import)."""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_URL = f"sqlite:///{ROOT / 'instance' / 'flick-admin.sqlite3'}"


class ConfigError(RuntimeError):
    """The environment does not describe a usable configuration."""


# Settings that come from the environment (``create_app`` overrides may stand in for them).
ENV_KEYS = frozenset(
    {"FLICK_ADMIN_ENV", "SECRET_KEY", "DATABASE_URL", "DATABASE_REPLICA_URL", "TRUSTED_PROXY_COUNT",
     "SESSION_LIFETIME_HOURS", "AUTH_COOKIE_NAME", "COOKIE_SECURE", "PAGE_SIZE",
     "OVERVIEW_CACHE_SECONDS", "METRICS_TOKEN", "METRICS_ALLOW",
     "METRICS_CACHE_SECONDS", "SESSION_IDLE_MINUTES", "REQUIRE_2FA_ROLES", "FRESH_2FA_MINUTES",
     "RATELIMIT_STORAGE_URI", "RATELIMIT_ENABLED", "LOGIN_LIMIT_PER_ADDRESS", "LOGIN_LIMIT_PER_ACCOUNT",
     "TOTP_ENCRYPTION_KEY", "TOTP_ENCRYPTION_OLD_KEYS", "RATELIMIT_ALLOW_MEMORY", "PUBLIC_URL",
     "PGBOUNCER", "REPLICA_CONNECT_TIMEOUT", "REPLICA_RETRY_SECONDS",
     "FLICK_CACHE_REDIS_URL", "FLICK_CACHE_TTL_SECONDS",
     "LIST_STATEMENT_TIMEOUT_MS"}
)


def normalise_database_url(url: str) -> str:
    """Let operators paste a plain ``postgresql://`` URL; Flick Admin speaks psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from exc


def _networks(raw: str) -> tuple:
    networks = []
    for part in (raw or "").split(","):
        if part.strip():
            try:
                networks.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError as exc:
                raise ConfigError(f"METRICS_ALLOW has {part.strip()!r}, which is not an address or network") from exc
    return tuple(networks)


def _public_url(raw: str | None) -> str | None:
    """The dashboard's address as its staff reach it (``https://admin.flick.example``):
    invite links are built on it, never on the request's Host header."""
    if not raw or not raw.strip():
        return None
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/") \
            or parts.query or parts.fragment:
        raise ConfigError(f"PUBLIC_URL must be the dashboard's address such as https://admin.flick.example "
                          f"(a scheme and a host, no path), not {raw!r}")
    return f"{parts.scheme}://{parts.netloc}"


def load(env: dict[str, str] | None = None) -> dict[str, object]:
    """Build the Flask config mapping from environment variables."""
    env = dict(os.environ if env is None else env)
    flask_env = env.get("FLICK_ADMIN_ENV", "production").lower()
    development = flask_env in {"development", "dev", "test", "testing"}

    secret = env.get("SECRET_KEY")
    if not secret:
        if not development:
            raise ConfigError(
                "SECRET_KEY is not set. Flick Admin refuses to start in production without it; "
                "set SECRET_KEY, or FLICK_ADMIN_ENV=development for a local trial."
            )
        secret = secrets.token_hex(32)

    limiter_storage = env.get("RATELIMIT_STORAGE_URI") or "memory://"
    throttling = _bool(env.get("RATELIMIT_ENABLED"), True)
    if (not development and throttling and limiter_storage.startswith("memory")
            and not _bool(env.get("RATELIMIT_ALLOW_MEMORY"), False)):
        raise ConfigError(
            "RATELIMIT_STORAGE_URI is per-process memory: every gunicorn worker would count failed "
            "sign-ins on its own, so the limits would multiply by the number of workers. Set "
            "RATELIMIT_STORAGE_URI=redis://… (shared by every worker), or RATELIMIT_ALLOW_MEMORY=1 "
            "when Flick Admin really runs as a single process.")

    url = normalise_database_url(env.get("DATABASE_URL") or DEFAULT_SQLITE_URL)
    replica = env.get("DATABASE_REPLICA_URL")
    binds = {}
    if replica:
        from flick_admin.db.replica import binds_for

        binds = binds_for(normalise_database_url(replica),
                          connect_timeout=_int(env, "REPLICA_CONNECT_TIMEOUT", 2))
    return {
        "SQLALCHEMY_BINDS": binds,
        "FLICK_ADMIN_ENV": flask_env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Number of reverse proxies in front of the app whose X-Forwarded-For we trust.
        "TRUSTED_PROXY_COUNT": _int(env, "TRUSTED_PROXY_COUNT", 0),
        "PUBLIC_URL": _public_url(env.get("PUBLIC_URL")),
        "SESSION_LIFETIME_HOURS": _int(env, "SESSION_LIFETIME_HOURS", 12),
        "SESSION_IDLE_MINUTES": _int(env, "SESSION_IDLE_MINUTES", 30),
        # Roles that must use a second factor (TOTP); empty to require it of nobody.
        # (A local trial in development requires it of nobody; production of admins.)
        "REQUIRE_2FA_ROLES": frozenset(
            r.strip() for r in env.get("REQUIRE_2FA_ROLES", "" if development else "admin,superadmin")
            .split(",") if r.strip()),
        "FRESH_2FA_MINUTES": _int(env, "FRESH_2FA_MINUTES", 10),
        # Second-factor secrets are encrypted at rest with a key derived from this one
        # (SECRET_KEY when unset); old keys still decrypt until `staff rotate-2fa-key` ran.
        "TOTP_ENCRYPTION_KEY": env.get("TOTP_ENCRYPTION_KEY") or None,
        "TOTP_ENCRYPTION_OLD_KEYS": tuple(
            k.strip() for k in env.get("TOTP_ENCRYPTION_OLD_KEYS", "").split(",") if k.strip()),
        "RATELIMIT_STORAGE_URI": limiter_storage,
        # A Redis that does not answer fails the sign-in at once (auth/throttle_store.py)
        # instead of holding the worker.
        "RATELIMIT_STORAGE_OPTIONS": ({"socket_connect_timeout": 1, "socket_timeout": 1}
                                      if limiter_storage.startswith("redis") else {}),
        # DATABASE_URL goes through PgBouncer in transaction pooling (db/engine_setup.py).
        "PGBOUNCER": _bool(env.get("PGBOUNCER"), False),
        "REPLICA_RETRY_SECONDS": _int(env, "REPLICA_RETRY_SECONDS", 10),
        "RATELIMIT_ENABLED": throttling,
        "LOGIN_LIMIT_PER_ADDRESS": env.get("LOGIN_LIMIT_PER_ADDRESS", "20 per 10 minutes"),
        "LOGIN_LIMIT_PER_ACCOUNT": env.get("LOGIN_LIMIT_PER_ACCOUNT", "8 per 15 minutes"),
        "SESSION_COOKIE_NAME": "flick_admin_csrf",
        "AUTH_COOKIE_NAME": env.get("AUTH_COOKIE_NAME", "flick_admin_session"),
        "COOKIE_SECURE": _bool(env.get("COOKIE_SECURE"), not development),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("COOKIE_SECURE"), not development),
        "WTF_CSRF_TIME_LIMIT": None,
        "PAGE_SIZE": _int(env, "PAGE_SIZE", 50),
        "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
        "OVERVIEW_CACHE_SECONDS": _int(env, "OVERVIEW_CACHE_SECONDS", 60),
        "METRICS_TOKEN": env.get("METRICS_TOKEN") or None,
        "METRICS_CACHE_SECONDS": _int(env, "METRICS_CACHE_SECONDS", 15),
        "METRICS_ALLOW": _networks(env.get("METRICS_ALLOW", "127.0.0.1/32,::1/128")),
        # Running tallies: how far behind "now" a catch-up stops, so that rows Flick's server
        # is still writing (they carry their transaction's start time) are not passed over.
        "TALLY_MARGIN_SECONDS": _int(env, "TALLY_MARGIN_SECONDS", 300),
        # Tell reporters (in Flick's notifications) when their report is decided.
        "NOTIFY_REPORTERS": _bool(env.get("NOTIFY_REPORTERS"), True),
        # Tell the author (in Flick's notifications) when their post or comment is banned or
        # their account suspended or banned, and when such a decision is reverted.
        "NOTIFY_AUTHORS": _bool(env.get("NOTIFY_AUTHORS"), True),
        # The report queue's default order: priority (reporters' reliability, the author's
        # past sanctions, age), oldest, newest or most (reports).
        "REPORT_QUEUE_ORDER": env.get("REPORT_QUEUE_ORDER", "priority"),
        # Moderating as a team: how long opening an item holds it; which actions wait for a
        # second staff member (comma-separated, "none" for none) and for how long; how many
        # items make a batch severe; how many lines make a banned-word import severe.
        "CLAIM_MINUTES": _int(env, "CLAIM_MINUTES", 10),
        "FOUR_EYES": env.get("FOUR_EYES", "user-ban,batch,college-delete,word-import"),
        "FOUR_EYES_BATCH": _int(env, "FOUR_EYES_BATCH", 50),
        "FOUR_EYES_IMPORT_LINES": _int(env, "FOUR_EYES_IMPORT_LINES", 100),
        # A suspension ending further than this many days from now is as severe as a ban.
        "FOUR_EYES_SUSPENSION_DAYS": _int(env, "FOUR_EYES_SUSPENSION_DAYS", 30),
        "PROPOSAL_HOURS": _int(env, "PROPOSAL_HOURS", 48),
        # Flick's Redis cache (CACHE_DRIVER=redis or multi on Flick's side): after a content
        # decision commits, Flick Admin bumps Flick's post versions there so its feeds change
        # at once. Without it, the feeds change when Flick's cache entries expire (CACHE_TTL).
        "FLICK_CACHE_REDIS_URL": env.get("FLICK_CACHE_REDIS_URL") or None,
        "FLICK_CACHE_TTL_SECONDS": _int(env, "FLICK_CACHE_TTL_SECONDS", 60),
        # A list or search page's reads stop after this many milliseconds (PostgreSQL's
        # statement_timeout, transaction-local) and the page says "search too broad";
        # 0 for no limit. Writes and decisions never run under it (db/read_limit.py).
        "LIST_STATEMENT_TIMEOUT_MS": _int(env, "LIST_STATEMENT_TIMEOUT_MS", 2000),
        # PostgreSQL's JIT compilation costs more than the dashboard's short queries take.
        "POSTGRES_JIT": _bool(env.get("POSTGRES_JIT"), False),
    }
