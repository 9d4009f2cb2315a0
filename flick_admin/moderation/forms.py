"""Moderation forms. A reason is always required: pick one from the catalogue of removal
reasons or a standard one, type one, or both."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from flick_admin.db.base import utcnow
from flick_admin.refusals import InvalidInput
from flick_admin.moderation.services import MAX_BATCH, Target, TargetKind
from flick_admin.forms import validated  # noqa: F401  (moderation's forms are checked with it)
from flick_admin.outcomes import MAX_REASON
from flick_admin.reasons import catalogue

STANDARD_REASONS = (
    "Spam or scam",
    "Harassment or bullying",
    "Hate speech",
    "Violence or threats",
    "Sexual or inappropriate content",
    "Self-harm",
    "Misinformation",
    "Personal information shared",
    "Off-topic or low quality",
    "Ban evasion",
    "Report reviewed: no violation",
    "Other",
)
REASON_CHOICES = [("", "Choose a reason…")] + [(r, r) for r in STANDARD_REASONS]


class ReasonMixin:
    # Options are drawn from REASON_CHOICES by the templates; reason() checks the value.
    reason_choice = StringField("Reason", validators=[Optional(), Length(max=200)])
    reason_choices = REASON_CHOICES
    reason_text = TextAreaField("Details", validators=[Optional(), Length(max=MAX_REASON * 100)])

    def reason(self) -> str:
        """The chosen reason (a catalogue reason's title, or a standard one), the typed one,
        or "chosen: typed"; empty when neither. Length is checked by the service, which
        says how long is too long."""
        choice = (self.reason_choice.data or "").strip()
        picked = catalogue.chosen(choice)
        if picked is not None:
            choice = picked.title
        elif choice and choice not in STANDARD_REASONS:
            raise InvalidInput(f"Unknown standard reason {choice[:40]!r}.")
        text = (self.reason_text.data or "").strip()
        if choice and choice != "Other" and text:
            return f"{choice}: {text}"
        return text or ("" if choice == "Other" else choice)

    def removal_reason(self) -> uuid.UUID | None:
        """The catalogue reason chosen, if any (its text is what the author reads)."""
        picked = catalogue.chosen((self.reason_choice.data or "").strip())
        return picked.id if picked is not None else None


class ActionForm(ReasonMixin, FlaskForm):
    action = HiddenField()
    state = HiddenField()
    next = HiddenField()


class BulkForm(ReasonMixin, FlaskForm):
    action = StringField("Action", validators=[Optional(), Length(max=40)])
    actions = (("", "Choose an action…"), ("ban", "Ban"), ("shadow_ban", "Shadow-ban (posts)"),
               ("ignore", "Ignore the reports"), ("reopen", "Reopen the reports"))
    next = HiddenField()


def parse_targets(values: list[str]) -> list[Target]:
    """Checkbox values ``kind:uuid:state`` from the queue."""
    if len(values) > MAX_BATCH:
        raise InvalidInput(f"A batch takes at most {MAX_BATCH} items ({len(values)} selected).")
    targets = []
    for value in values:
        parts = value.split(":")
        if len(parts) != 3:
            raise InvalidInput(f"Malformed selection {value[:60]!r}.")
        kind, raw_id, state = parts
        try:
            targets.append(Target(TargetKind(kind), uuid.UUID(raw_id), state or None))
        except ValueError:
            raise InvalidInput(f"Malformed selection {value[:60]!r}.") from None
    return targets


def parse_reports(values: list[str]) -> list[tuple[uuid.UUID, str]]:
    """Checkbox values ``report-uuid:status`` (the status the report was drawn in)."""
    if len(values) > MAX_BATCH:
        raise InvalidInput(f"A batch takes at most {MAX_BATCH} items ({len(values)} selected).")
    out = []
    for value in values:
        raw_id, _, status = value.partition(":")
        try:
            out.append((uuid.UUID(raw_id), status))
        except ValueError:
            raise InvalidInput(f"Malformed selection {value[:60]!r}.") from None
        if status not in ("pending", "resolved", "ignored"):
            raise InvalidInput(f"Malformed selection {value[:60]!r}.")
    return out


class SanctionForm(ReasonMixin, FlaskForm):
    kind = StringField("Sanction", validators=[Optional(), Length(max=20)])
    days = IntegerField("For days", validators=[Optional(), NumberRange(min=1, max=3650)])
    until = DateField("Or until", validators=[Optional()])
    state = HiddenField()

    def end(self) -> datetime | None:
        if self.kind.data == "ban":
            return None
        if self.kind.data != "suspend":
            raise InvalidInput(f"Unknown sanction {str(self.kind.data)[:40]!r}.")
        if self.days.data and self.until.data:
            raise InvalidInput("Give either a number of days or an end date, not both.")
        if self.days.data:
            return utcnow().replace(microsecond=0) + timedelta(days=self.days.data)
        if self.until.data:
            return datetime.combine(self.until.data, time.min)
        raise InvalidInput("A suspension needs a number of days or an end date.")


class ClaimForm(FlaskForm):
    """Claim, release, take over or assign: who (for an assignment) and a note."""

    assignee = StringField("Assign to", validators=[Optional(), Length(max=200)])
    note = TextAreaField("Note", validators=[Optional(), Length(max=1000)])
    next = HiddenField()


class LiftForm(ReasonMixin, FlaskForm):
    state = HiddenField()
