"""What every list page shares: reading filter values from the query string (every value
checked, so a bad one is a clear 400 and never reaches SQL as something unexpected), the
keyset cursor, and LIKE patterns that treat the user's text as text."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any

from werkzeug.datastructures import MultiDict

from flick_admin.refusals import InvalidInput

MAX_TEXT = 200
MIN_RUN = 3  # letters or digits in a row a search word needs (what a trigram index can use)
MAX_WORDS = 8
_RUN = re.compile(r"[^\W_]{%d}" % MIN_RUN)


def refuse_nul(args: MultiDict) -> None:
    """PostgreSQL text cannot hold NUL: a filter (or any input) carrying one is a 400, never
    a database error. The app checks every request with this, and a saved view's filter
    with the same check before it is kept."""
    for key, value in args.items(multi=True):
        if "\x00" in key or "\x00" in value:
            raise InvalidInput("The input contains a NUL character, which Flick Admin does not accept.")


def choice_arg(args: MultiDict, name: str, allowed: tuple[str, ...], default: str = "") -> str:
    value = args.get(name, default) or default
    if value and value not in allowed:
        raise InvalidInput(f"Unknown {name.replace('_', ' ')} {value[:40]!r}; "
                           f"choose one of: {', '.join(a for a in allowed if a)}.")
    return value


def text_arg(args: MultiDict, name: str) -> str:
    value = (args.get(name) or "").strip()
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"The {name} filter is too long (at most {MAX_TEXT} characters).")
    return value


def search_arg(args: MultiDict, name: str = "q", what: str = "search") -> str:
    """A "contains" search box: refused at once when no word of it can be looked up."""
    value = text_arg(args, name)
    search_words(value, what)
    return value


def date_arg(args: MultiDict, name: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{raw[:40]!r} is not a date; use YYYY-MM-DD.") from None
    if day >= date.max:
        # "Up to and including" a day ends at the next midnight: the calendar's last day
        # has none.
        raise InvalidInput(f"{raw[:40]!r} is past the last date the filter can take.")
    return day


def uuid_arg(args: MultiDict, name: str) -> uuid.UUID | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise InvalidInput(f"{raw[:40]!r} is not a valid id.") from None


def start_of(day: date | None) -> datetime | None:
    return datetime.combine(day, time.min) if day else None


def end_of(day: date | None) -> datetime | None:
    if not day:
        return None
    if day == date.max:  # no next day to start: the last instant of this one
        return datetime.combine(day, time.max)
    return datetime.combine(day + timedelta(days=1), time.min)


@dataclass(frozen=True)
class Filters:
    """Common to the lists: the keyset cursor and what the URL keeps."""

    after: str | None = None
    before: str | None = None

    def query(self, **changes: Any) -> dict[str, str]:
        """The filter as URL arguments (for links that keep it)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        out = {}
        for key, value in values.items():
            if value in (None, "", False):
                continue
            out[key] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    # Filters that are the page itself rather than a narrowing (the queue's status tab).
    CHIPLESS = frozenset({"after", "before", "status", "sort"})

    def chips(self) -> list[tuple[str, str, dict[str, Any]]]:
        """The active filters as (name, value shown, URL arguments without it): each one a
        removable chip above the list."""
        out = []
        for f in fields(self):
            if f.name in self.CHIPLESS:
                continue
            value = getattr(self, f.name)
            if value in (None, "", False, ()) or value == f.default:
                continue
            if isinstance(value, tuple):
                for item in value:
                    rest = tuple(v for v in value if v != item)
                    out.append((f.name, str(item), self.query(**{f.name: rest or None}, after=None, before=None)))
                continue
            shown = "yes" if value is True else (value.isoformat() if isinstance(value, date) else str(value))
            out.append((f.name, shown, self.query(**{f.name: None}, after=None, before=None)))
        return out


def cursor_args(args: MultiDict) -> dict[str, str | None]:
    return {"after": args.get("after") or None, "before": args.get("before") or None}


def contains_pattern(text: str) -> str:
    """``%text%`` with the user's own % and _ taken literally (use with escape="\\")."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def prefix_pattern(text: str) -> str:
    return contains_pattern(text)[1:]


def searchable(word: str) -> bool:
    """Whether a word has 3 letters or digits in a row (any script): what the trigram
    indexes can look up. Shorter words and punctuation (``%``, ``_``, ``--``) cannot be
    looked up, only found by reading every row."""
    return bool(_RUN.search(word))


def search_words(text: str, what: str = "search") -> list[str]:
    """The words of a "contains" search the indexes can serve (at most 8). Shorter words
    beside a usable one are left out; a search with none is a 400 that says what to type,
    never a scan of millions of rows."""
    words = text.split()
    # Each word once (case aside): "abc abc abc" is one condition, not eight.
    usable: list[str] = []
    for word in words:
        if searchable(word) and word.casefold() not in (u.casefold() for u in usable):
            usable.append(word)
    usable = usable[:MAX_WORDS]
    if words and not usable:
        raise InvalidInput(f"Type at least {MIN_RUN} letters or digits in a row to {what} "
                           f"(a shorter word, or one of only punctuation such as % or _, would have "
                           f"to read every row).", field="q")
    return usable
