"""What every service shares: the outcome it reports and the reason it requires."""

from __future__ import annotations

from dataclasses import dataclass

from flick_admin.refusals import InvalidInput

MAX_REASON = 1000


@dataclass(frozen=True)
class Outcome:
    """``changed`` is False when the item was already in the asked-for state."""

    changed: bool
    message: str
    reports_changed: int = 0


def clean_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("A reason is required.")
    if len(text) > MAX_REASON:
        raise InvalidInput(f"The reason is too long ({len(text):,} characters; at most {MAX_REASON:,}).")
    return text


def excerpt(text: str | None, size: int = 80) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= size else text[: size - 1] + "…"
