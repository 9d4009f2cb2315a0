"""Small helpers shared by the views: safe redirects, page size, template filters."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Callable
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, has_request_context, redirect, request
from markupsafe import Markup

from flick_admin.db.auth import DEFAULT_PREFERENCES, DisplayPreferences
from flick_admin.db.base import utcnow
from flick_admin import labels
from flick_admin.db.enums import reason_label

MAX_NEXT = 2000


def _local_path(value: str) -> bool:
    r"""A path on this site as a browser reads it: one leading slash, then no second slash or
    backslash (browsers read ``/\\host`` as ``//host``), and no control, format or blank
    character but the plain space anywhere (browsers drop tabs and newlines, so ``/\t/host`` is ``//host``)."""
    if not value.startswith("/") or value[1:2] in ("/", "\\"):
        return False
    return not any(ch == "\\" or (unicodedata.category(ch)[0] in "CZ" and ch != " ") for ch in value)


def safe_next(target: str | None, default: str) -> str:
    """Follow only same-site paths: never another host, never a scheme.

    The raw value and its percent-decoded path (decoded until it stops changing, so
    ``/%2F%2Fhost`` and ``/%252F…`` count as what they decode to) must both be a local
    path, and the raw value must parse to no scheme and no host."""
    if not target or len(target) > MAX_NEXT:
        return default
    path = re.split(r"[?#]", target, maxsplit=1)[0]
    decoded = path
    for _ in range(4):
        once = unquote(decoded)
        if once == decoded:
            break
        decoded = once
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not _local_path(target) or not _local_path(decoded):
        return default
    return target


def back_to(default: str):
    """303 to the page the form came from (its ``next`` field) or ``default``."""
    return redirect(safe_next(request.form.get("next"), default), code=303)


def page_size() -> int:
    return int(current_app.config["PAGE_SIZE"])


AGE_UNITS = (("y", 31536000), ("mo", 2592000), ("d", 86400), ("h", 3600), ("min", 60))


def _seconds_since(value: datetime, now: datetime | None) -> int:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    now = now or datetime.now(UTC).replace(tzinfo=None)
    return int((now - value).total_seconds())


def _age_of(seconds: int, compact: bool) -> str:
    if seconds < 0:
        return "in the future"
    for unit, size in AGE_UNITS:
        if seconds >= size:
            count = seconds // size
            return f"{count}{'m' if unit == 'min' else unit}" if compact else f"{count} {unit} ago"
    return "now" if compact else "just now"


def _age(value: datetime | None, now: datetime | None, compact: bool) -> str:
    if value is None:
        return ""
    return _age_of(_seconds_since(value, now), compact)


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """A compact age for dense places: "3h", "2d", "now"."""
    return _age(value, now, compact=True)


def age(value: datetime | None, now: datetime | None = None) -> str:
    """A readable age: "3 h ago", "2 d ago", "just now" (the exact time goes on hover)."""
    return _age(value, now, compact=False)


def iso(value: datetime | None) -> str:
    if value is None:
        return ""
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return value.isoformat(timespec="seconds")


def _preferences() -> DisplayPreferences:
    """The signed-in staff member's display preferences (the defaults when signed out)."""
    return g.get("preferences", DEFAULT_PREFERENCES) if has_request_context() else DEFAULT_PREFERENCES


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return ZoneInfo(DEFAULT_PREFERENCES.time_zone)


def staff_zone() -> ZoneInfo:
    """The signed-in staff member's time zone (UTC until they choose one)."""
    return zone(_preferences().time_zone)


def local(value: datetime) -> datetime:
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(staff_zone())


def when(value: datetime | None) -> str:
    """The exact time in the staff member's time zone."""
    if value is None:
        return ""
    return local(value).strftime("%Y-%m-%d %H:%M")


def when_utc(value: datetime | None) -> str:
    """The exact time in UTC, whatever the staff member's own zone (where a page promises UTC)."""
    if value is None:
        return ""
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S")


def zone_label(value: datetime | None = None) -> str:
    """"UTC", or the zone's abbreviation at that moment ("IST", "CET")."""
    tz = staff_zone()
    if tz.key == "UTC":
        return "UTC"
    moment = local(value) if value is not None else datetime.now(tz)
    return moment.tzname() or tz.key


def _time_tag(value: datetime, tz: ZoneInfo, now: datetime) -> Markup:
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if tz.key == "UTC":
        moment, zone_name = utc, "UTC"
    else:
        moment = utc.astimezone(tz)
        zone_name = moment.tzname() or tz.key
    # Every part is our own digits, letters and signs (no markup character), so none is escaped.
    return Markup(f'<time datetime="{utc.isoformat(timespec="seconds")}" '
                  f'title="{moment.strftime("%Y-%m-%d %H:%M")} {zone_name}">'
                  f'{_age_of(int((now - utc).total_seconds()), False)}</time>')


def time_tag(value: datetime | None) -> Markup:
    """``<time>`` with the age, the exact local time and zone on hover (the ``time`` macro)."""
    return _time_tag(value, staff_zone(), datetime.now(UTC)) if value else Markup("")


def time_tags() -> Callable[[datetime | None], Markup]:
    """:func:`time_tag` for a list page's rows: the staff member's zone and the clock are
    read once a page, not once a row."""
    tz, now = staff_zone(), datetime.now(UTC)
    return lambda value: _time_tag(value, tz, now) if value else Markup("")


_BADGE = '<span class="badge badge-%s">%s</span>'


def content_badges(banned: bool, shadow: bool = False, private: bool = False) -> Markup:
    """A post's or comment's state as badges (the ``content_badges`` macro's markup)."""
    return Markup("\n  ".join((
        _BADGE % ("danger", "banned") if banned else "",
        _BADGE % ("warning", "shadow-banned") if shadow else "",
        _BADGE % ("secondary", "private") if private else "",
        _BADGE % ("success", "visible") if not banned and not shadow else "")))


def ban_badge(banned: bool, expires: datetime | None) -> Markup:
    """A student's ban or suspension as a badge (the ``ban_badge`` macro's markup)."""
    if not banned:
        return Markup("")
    if not expires:
        return Markup(_BADGE % ("danger", "banned") + "\n  ")
    if expires > utcnow():
        return Markup(_BADGE % ("warning", "suspended until %s") + "\n  ") % when(expires)
    return Markup(_BADGE % ("light", "suspension expired %s") + "\n  ") % when(expires)


def theme() -> str:
    return _preferences().theme


_MARK = "00000000-0000-4000-8000-0000f1c4ad31"  # a valid UUID, never a real id in a link


def url_prefix(endpoint: str, arg: str) -> str:
    """The URL of ``endpoint`` up to its last argument, built once per request: list pages
    append each row's id to it instead of building 100 URLs a page with ``url_for``
    (a tenth of a list page's time). Only for routes whose last part is that argument."""
    from flask import url_for

    cache = g.setdefault("url_prefixes", {})
    key = (request.blueprint, endpoint, arg)
    if key not in cache:
        built = url_for(endpoint, **{arg: _MARK})
        if not built.endswith(_MARK):
            raise ValueError(f"{endpoint} does not end in its {arg}")
        cache[key] = built[: -len(_MARK)]
    return cache[key]


def url_parts(endpoint: str, arg: str, **values: Any) -> tuple[str, str]:
    """The URL of ``endpoint`` around its argument ``arg`` (the other ``values`` fixed), built
    once per request: a row's URL is ``head ~ id ~ tail``, for routes where ``arg`` is not
    the last part (``/reports/post/<id>/claim``)."""
    from flask import url_for

    cache = g.setdefault("url_parts", {})
    key = (request.blueprint, endpoint, arg, tuple(sorted(values.items())))
    if key not in cache:
        head, mark, tail = url_for(endpoint, **values, **{arg: _MARK}).partition(_MARK)
        if not mark:
            raise ValueError(f"{endpoint} has no {arg} in its path")
        cache[key] = (head, tail)
    return cache[key]


# The frame's fixed addresses: the same on every page of a process (for one script root).
_FRAME_URLS: dict[str, tuple[str, dict[str, str]]] = {
    "favicon": ("static", {"filename": "favicon.svg"}),
    "bootstrap_css": ("admin.static", {"filename": "bootstrap/bootstrap4/css/bootstrap.min.css",
                                       "v": "4.6.2"}),
    "css": ("static", {"filename": "flick-admin.css"}),
    "dark_css": ("static", {"filename": "flick-admin-dark.css"}),
    "jquery": ("admin.static", {"filename": "vendor/jquery.min.js", "v": "3.5.1"}),
    "popper": ("admin.static", {"filename": "bootstrap/bootstrap4/js/popper.min.js"}),
    "bootstrap_js": ("admin.static", {"filename": "bootstrap/bootstrap4/js/bootstrap.min.js",
                                      "v": "4.6.2"}),
    "palette_js": ("static", {"filename": "palette.js"}),
    "views_js": ("static", {"filename": "views.js"}),
    "home": ("admin.index", {}),
    "search": ("search.index", {}),
    "suggest": ("search.suggest", {}),
    "account": ("account.index", {}),
    "logout": ("auth.logout", {}),
    "views": ("saved_views.index", {}),
    "view_counts": ("saved_views.counts", {}),
}


def frame_urls() -> dict[str, str]:
    """The addresses every page's frame links to (stylesheets, scripts, brand, search,
    account, sign out), built once per script root for the process instead of sixteen
    ``url_for`` calls a page."""
    from flask import url_for

    cache = current_app.extensions.setdefault("flick_admin.frame_urls", {})
    root = request.script_root
    urls = cache.get(root)
    if urls is None:
        urls = cache[root] = {name: url_for(endpoint, **values)
                              for name, (endpoint, values) in _FRAME_URLS.items()}
    return urls


def register_filters(app: Flask) -> None:
    from flick_admin.ui.menu import navigation

    app.jinja_env.globals["navigation"] = navigation
    app.jinja_env.globals["url_prefix"] = url_prefix
    app.jinja_env.globals["url_parts"] = url_parts
    app.jinja_env.globals["frame_urls"] = frame_urls
    app.jinja_env.globals["time_tag"] = time_tag
    app.jinja_env.globals["time_tags"] = time_tags
    app.jinja_env.globals["state_badges"] = content_badges
    app.jinja_env.globals["ban_state_badge"] = ban_badge
    app.jinja_env.filters["ago"] = ago
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["when_utc"] = when_utc
    app.jinja_env.filters["age"] = age
    app.jinja_env.filters["iso"] = iso
    app.jinja_env.filters["reason_label"] = reason_label
    app.jinja_env.filters["label"] = labels.label
    app.jinja_env.globals["standing"] = labels.standing
    app.jinja_env.filters["zone_label"] = zone_label
    app.jinja_env.globals["staff_theme"] = theme

    app.jinja_env.globals["now_naive"] = utcnow
