"""Tell Flick's running servers about a content decision, through Flick's own cache.

Flick caches post lists and post pages under versioned keys, and reads the versions from
its cache with the in-process tier bypassed (``post.cache-keys.ts``): ``posts:list:version``
and ``post:version:<post id>``, no prefix, a missing version read as 1. With Flick's Redis
cache (``CACHE_DRIVER=redis`` or ``multi``) those versions live in Redis; when Flick Admin is
given that Redis (``FLICK_CACHE_REDIS_URL``) it bumps them after every unit that banned,
shadow-banned or lifted a post or comment, or banned or lifted a user, has committed — so
Flick's next read misses the stale entry.

A missing version counts as 1 on Flick's side and a plain ``INCR`` would make it 1 too (no
change), so a bump first sets a missing version to 1 and then increments it.

The bump runs after the commit, so it can never undo or hold up the decision: a Redis error
is logged, remembered for the health page, and the staff member is told when Flick's
feeds will show the change instead.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, flash, g, has_request_context
from sqlalchemy.orm import Session

from flick_admin.db import Auth, Comment, Post

log = logging.getLogger(__name__)

LIST_KEY = "posts:list:version"
_PENDING = "flick_admin.flick_cache.pending"
_TIMEOUT_SECONDS = 1.0


def post_key(post_id: object) -> str:
    return f"post:version:{post_id}"


@dataclass
class Status:
    """The last bump of this process, for the health page."""
    last_ok_at: float | None = None
    last_error_at: float | None = None
    last_error: str | None = None
    failures: int = 0


STATUS = Status()
_LOCK = threading.Lock()
_CLIENTS: dict[str, object] = {}


def _client(url: str):
    import redis

    with _LOCK:
        client = _CLIENTS.get(url)
        if client is None:
            client = redis.Redis.from_url(url, socket_timeout=_TIMEOUT_SECONDS,
                                          socket_connect_timeout=_TIMEOUT_SECONDS)
            _CLIENTS[url] = client
        return client


def bump(url: str, post_ids: set[str], *, lists: bool = True) -> None:
    """Move the versions Flick reads; raises on a Redis error."""
    keys = [post_key(pid) for pid in sorted(post_ids)] + ([LIST_KEY] if lists else [])
    pipe = _client(url).pipeline(transaction=True)
    for key in keys:
        pipe.set(key, 1, nx=True)
        pipe.incr(key)
    pipe.execute()


# --- which units need a bump ----------------------------------------------------------------

def _changed(obj, *names: str) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _collect(session: Session, _context, _instances) -> None:
    pending = session.info.setdefault(_PENDING, {"posts": set(), "lists": False})
    for obj in session.dirty:
        if isinstance(obj, Post) and _changed(obj, "is_banned", "is_shadow_banned"):
            pending["posts"].add(str(obj.id))
        elif isinstance(obj, Comment) and _changed(obj, "is_banned"):
            pending["posts"].add(str(obj.post_id))
        elif isinstance(obj, Auth) and _changed(obj, "banned"):
            pending["lists"] = True
        else:
            continue
        pending["lists"] = True


def _after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending or not pending["lists"]:
        return
    try:
        app = current_app._get_current_object()
    except RuntimeError:
        return
    url = app.config.get("FLICK_CACHE_REDIS_URL")
    ttl = app.config.get("FLICK_CACHE_TTL_SECONDS", 60)
    later = (f"Flick's feeds show this change within Flick's cache time (CACHE_TTL on Flick's "
             f"server, {ttl} s here).")
    if not url:
        _tell(later)
        return
    try:
        bump(url, pending["posts"])
    except Exception as exc:  # a Redis error never undoes or blocks the decision
        with _LOCK:
            STATUS.last_error_at, STATUS.last_error = time.time(), f"{type(exc).__name__}: {exc}"[:300]
            STATUS.failures += 1
        log.warning("could not bump Flick's cache versions in Redis: %s", exc)
        _tell(f"The decision is saved, but Flick's cache could not be told ({type(exc).__name__}). {later}")
        return
    with _LOCK:
        STATUS.last_ok_at = time.time()


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _tell(message: str) -> None:
    """Said after the action's own result (flashed once the view has returned)."""
    if has_request_context() and message not in g.setdefault("flick_cache_notes", []):
        g.flick_cache_notes.append(message)


def _flash_notes(response):
    for message in g.pop("flick_cache_notes", []):
        flash(message, "info")
    return response


def init_app(app) -> None:
    app.after_request(_flash_notes)


def install(session_class: type[Session]) -> None:
    for name, listener in (("before_flush", _collect), ("after_commit", _after_commit),
                           ("after_rollback", _after_rollback)):
        if not sa.event.contains(session_class, name, listener):
            sa.event.listen(session_class, name, listener)


def status() -> Status:
    with _LOCK:
        return Status(STATUS.last_ok_at, STATUS.last_error_at, STATUS.last_error, STATUS.failures)

