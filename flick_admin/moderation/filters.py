"""List filters read from the query string. Every value is checked here, so a bad value
is a clear 400 message and never reaches SQL as something unexpected."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any

from werkzeug.datastructures import MultiDict

from flick_admin.db.enums import TOPICS, ReportStatus
from flick_admin.refusals import InvalidInput

MAX_TEXT = 200
REPORT_REASONS = (
    "INAPPROPRIATE", "SPAM", "HARASSMENT", "VIOLENCE", "HATE_SPEECH", "TERRORISM",
    "SELF_HARM", "CHILD_ABUSE", "EXTREMISM", "OTHER",
)


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


def date_arg(args: MultiDict, name: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{raw[:40]!r} is not a date; use YYYY-MM-DD.") from None


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
    return datetime.combine(day + timedelta(days=1), time.min) if day else None


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


def cursor_args(args: MultiDict) -> dict[str, str | None]:
    return {"after": args.get("after") or None, "before": args.get("before") or None}


POST_STATES = ("", "visible", "banned", "shadow", "hidden")
POST_SORTS = ("newest", "oldest", "reported")


@dataclass(frozen=True)
class PostFilters(Filters):
    state: str = ""
    reported: bool = False
    topic: str = ""
    college: str = ""
    author: str = ""
    q: str = ""
    created_from: date | None = None
    created_to: date | None = None
    sort: str = "newest"

    @classmethod
    def parse(cls, args: MultiDict) -> PostFilters:
        created_from, created_to = date_arg(args, "created_from"), date_arg(args, "created_to")
        if created_from and created_to and created_from > created_to:
            raise InvalidInput("The start date is after the end date.")
        return cls(
            state=choice_arg(args, "state", POST_STATES),
            reported=choice_arg(args, "reported", ("", "1")) == "1",
            topic=choice_arg(args, "topic", ("",) + TOPICS),
            college=text_arg(args, "college"),
            author=text_arg(args, "author"),
            q=text_arg(args, "q"),
            created_from=created_from,
            created_to=created_to,
            sort=choice_arg(args, "sort", POST_SORTS, "newest"),
            **cursor_args(args),
        )

    def query(self, **changes: Any) -> dict[str, str]:
        out = super().query(**changes)
        if out.get("reported") == "True":
            out["reported"] = "1"
        return out


COMMENT_STATES = ("", "visible", "banned")


@dataclass(frozen=True)
class CommentFilters(Filters):
    state: str = ""
    reported: bool = False
    author: str = ""
    q: str = ""
    post: uuid.UUID | None = None

    @classmethod
    def parse(cls, args: MultiDict) -> CommentFilters:
        return cls(
            state=choice_arg(args, "state", COMMENT_STATES),
            reported=choice_arg(args, "reported", ("", "1")) == "1",
            author=text_arg(args, "author"),
            q=text_arg(args, "q"),
            post=uuid_arg(args, "post"),
            **cursor_args(args),
        )

    def query(self, **changes: Any) -> dict[str, str]:
        out = super().query(**changes)
        if out.get("reported") == "True":
            out["reported"] = "1"
        return out


REPORT_SORTS = ("oldest", "newest", "most")
REPORT_TYPES = ("", "post", "comment")


@dataclass(frozen=True)
class ReportFilters(Filters):
    status: str = ReportStatus.PENDING.value
    type: str = ""
    reason: str = ""
    college: str = ""
    sort: str = "oldest"

    @classmethod
    def parse(cls, args: MultiDict) -> ReportFilters:
        return cls(
            status=choice_arg(args, "status", tuple(s.value for s in ReportStatus), "pending"),
            type=choice_arg(args, "type", REPORT_TYPES),
            reason=choice_arg(args, "reason", ("",) + REPORT_REASONS),
            college=text_arg(args, "college"),
            sort=choice_arg(args, "sort", REPORT_SORTS, "oldest"),
            **cursor_args(args),
        )


USER_BAN_STATES = ("", "banned", "suspended", "expired", "free")
USER_STATUSES = ("", "ONBOARDING", "ACTIVE")
USER_KINDS = ("", "student", "staff")


@dataclass(frozen=True)
class UserFilters(Filters):
    q: str = ""
    college: str = ""
    ban: str = ""
    status: str = ""
    kind: str = ""

    @classmethod
    def parse(cls, args: MultiDict) -> UserFilters:
        return cls(
            q=text_arg(args, "q"),
            college=text_arg(args, "college"),
            ban=choice_arg(args, "ban", USER_BAN_STATES),
            status=choice_arg(args, "status", USER_STATUSES),
            kind=choice_arg(args, "kind", USER_KINDS),
            **cursor_args(args),
        )

