"""The moderation lists' filters (posts, comments, reports, users), read with the shared
checks of ``flick_admin.listing``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from werkzeug.datastructures import MultiDict

from flick_admin.db.enums import REPORT_REASON_LABELS, TOPICS, ReportStatus
from flick_admin.listing import (
    Filters,
    choice_arg,
    cursor_args,
    date_arg,
    search_arg,
    text_arg,
    uuid_arg,
)
from flick_admin.refusals import InvalidInput

REPORT_REASONS = tuple(REPORT_REASON_LABELS)


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
            q=search_arg(args, "q"),
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
            q=search_arg(args, "q"),
            post=uuid_arg(args, "post"),
            **cursor_args(args),
        )

    def query(self, **changes: Any) -> dict[str, str]:
        out = super().query(**changes)
        if out.get("reported") == "True":
            out["reported"] = "1"
        return out


REPORT_SORTS = ("priority", "oldest", "newest", "most")


def default_report_order() -> str:
    """``REPORT_QUEUE_ORDER`` (priority unless configured otherwise; an unknown value is
    priority too)."""
    from flask import current_app, has_app_context

    order = current_app.config.get("REPORT_QUEUE_ORDER", "priority") if has_app_context() else "priority"
    return order if order in REPORT_SORTS else "priority"
REPORT_TYPES = ("", "post", "comment")


# Who holds the item: nobody, me (claimed or assigned), assigned to me by a colleague.
REPORT_CLAIMS = ("", "unclaimed", "mine", "assigned")


@dataclass(frozen=True)
class ReportFilters(Filters):
    status: str = ReportStatus.PENDING.value
    type: str = ""
    reason: str = ""
    college: str = ""
    claim: str = ""
    sort: str = "priority"
    # The "Escalated" view: items handed to senior staff (not in the ordinary queue).
    escalated: bool = False

    CHIPLESS = Filters.CHIPLESS | {"escalated"}

    @classmethod
    def parse(cls, args: MultiDict) -> ReportFilters:
        status = choice_arg(args, "status", tuple(s.value for s in ReportStatus), "pending")
        # Priority means something only for pending work: decided reports come newest first
        # (a bounded walk), unless another order is asked for.
        default = default_report_order() if status == ReportStatus.PENDING.value else "newest"
        return cls(
            escalated=choice_arg(args, "escalated", ("", "1")) == "1",
            status=status,
            claim=choice_arg(args, "claim", REPORT_CLAIMS),
            type=choice_arg(args, "type", REPORT_TYPES),
            reason=choice_arg(args, "reason", ("",) + REPORT_REASONS),
            college=text_arg(args, "college"),
            sort=choice_arg(args, "sort", REPORT_SORTS, default),
            **cursor_args(args),
        )

    def query(self, **changes: Any) -> dict[str, str]:
        out = super().query(**changes)
        if out.get("escalated") == "True":
            out["escalated"] = "1"
        return out


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

