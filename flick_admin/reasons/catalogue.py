"""The catalogue of removal reasons: create, edit and retire (one service each, one
transaction with its audit row), and what a decision form offers.

A reason has a title (what staff pick, and what fills the decision's audit reason), the
text the student reads in their Flick notification, and the report reasons of Flick it
fits. A decision form offers the active reasons, those fitting the item's report reasons
first. The active reasons are read with the signed-in member's session, in the same
statement (``g.removal_reasons``), so no page pays a statement for them.
"""

from __future__ import annotations

import json
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import g, has_request_context

from flick_admin.audit.actions import AuditAction
from flick_admin.audit.recorder import changed_fields, record
from flick_admin.db.base import utcnow
from flick_admin.db.enums import REPORT_REASON_LABELS, EntityType
from flick_admin.db.locks import lock_name
from flick_admin.db.reasons import RemovalReason
from flick_admin.db.transaction import transaction
from flick_admin.extensions import db
from flick_admin.refusals import Conflict, InvalidInput, NotFound

MAX_TITLE = 80
MAX_TEXT = 500
MAX_OFFERED = 100
CHOICE_PREFIX = "catalogue:"
FIELD, ROW = "\x1f", "\x1e"


# --- what a form offers -------------------------------------------------------------------

@dataclass(frozen=True)
class Offered:
    id: uuid.UUID
    title: str
    fits: frozenset[str]
    fitting: bool = False

    @property
    def value(self) -> str:
        return CHOICE_PREFIX + str(self.id)


def column_of_session() -> sa.ScalarSelect:
    """For the session statement: the active reasons as one text (id, fits, title)."""
    active = (sa.select(RemovalReason.id, RemovalReason.fits, RemovalReason.title)
              .where(RemovalReason.retired_at.is_(None)).order_by(RemovalReason.title)
              .limit(MAX_OFFERED).subquery())
    one = (sa.cast(active.c.id, sa.Text) + sa.literal(FIELD) + sa.cast(active.c.fits, sa.Text)
           + sa.literal(FIELD) + active.c.title)
    return sa.select(sa.func.aggregate_strings(one, ROW)).select_from(active).scalar_subquery()


def parse(raw: str | None) -> dict[uuid.UUID, Offered]:
    found: dict[uuid.UUID, Offered] = {}
    for part in (raw or "").split(ROW):
        if part:
            ident, fits, title = part.split(FIELD, 2)
            found[uuid.UUID(ident)] = Offered(uuid.UUID(ident), title, frozenset(json.loads(fits or "[]")))
    return found


def active() -> dict[uuid.UUID, Offered]:
    return (g.get("removal_reasons") or {}) if has_request_context() else {}


def offered(fits: Iterable[str] = ()) -> list[Offered]:
    """The active reasons for a form: those fitting any of ``fits`` (the item's report
    reasons) first, by how many they fit, then by title."""
    wanted = {f for f in fits if f}
    rows = [Offered(r.id, r.title, r.fits, bool(r.fits & wanted)) for r in active().values()]
    return sorted(rows, key=lambda r: (-len(r.fits & wanted), r.title.casefold()))


def chosen(value: str) -> Offered | None:
    """The catalogue reason a form's choice names (None: the choice is not one)."""
    if not value.startswith(CHOICE_PREFIX):
        return None
    try:
        ident = uuid.UUID(value[len(CHOICE_PREFIX):])
    except ValueError:
        raise InvalidInput("That removal reason does not exist; choose another.") from None
    found = active().get(ident)
    if found is None:
        raise InvalidInput("That removal reason was retired or does not exist; choose another.")
    return found


# --- the services ---------------------------------------------------------------------------

def _text(value: str | None, what: str, limit: int) -> str:
    text = " ".join((value or "").split()) if what == "title" else (value or "").strip()
    if not text:
        raise InvalidInput(f"The {what} is required.")
    if len(text) > limit:
        raise InvalidInput(f"The {what} is too long ({len(text):,} characters; at most {limit:,}).")
    if any(unicodedata.category(c) == "Cc" and c not in "\n\r\t" for c in text):
        raise InvalidInput(f"The {what} contains a control character.")
    return text


def clean(title: str | None, student_text: str | None, fits: Iterable[str]) -> tuple[str, str, list[str]]:
    fits = list(dict.fromkeys(f for f in fits if f))
    unknown = [f for f in fits if f not in REPORT_REASON_LABELS]
    if unknown:
        raise InvalidInput(f"Unknown report reason {unknown[0][:40]!r}.")
    return (_text(title, "title", MAX_TITLE), _text(student_text, "text the student reads", MAX_TEXT),
            sorted(fits, key=list(REPORT_REASON_LABELS).index))


def fields(row: RemovalReason) -> dict:
    """The reason as its audit rows record it."""
    return {"title": row.title, "student_text": row.student_text, "fits": list(row.fits or []),
            "retired": row.retired_at is not None}


def _refuse_taken(session, title: str, own: uuid.UUID | None = None) -> None:
    lock_name("removal-reason", title.casefold())
    taken = session.scalar(sa.select(RemovalReason.id).where(
        sa.func.lower(RemovalReason.title) == title.casefold(), RemovalReason.retired_at.is_(None),
        RemovalReason.id != (own or uuid.UUID(int=0))).limit(1))
    if taken is not None:
        raise Conflict(f"A removal reason called {title!r} exists already; edit it or choose another title.")


def _locked(session, reason_id: uuid.UUID) -> RemovalReason:
    row = session.scalars(sa.select(RemovalReason).where(RemovalReason.id == reason_id).with_for_update()
                          .execution_options(populate_existing=True)).first()
    if row is None:
        raise NotFound("That removal reason does not exist.")
    return row


def create_reason(title: str | None, student_text: str | None, fits: Iterable[str]) -> RemovalReason:
    title, text, fits = clean(title, student_text, fits)
    with transaction() as session:
        _refuse_taken(session, title)
        now = utcnow()
        row = RemovalReason(id=uuid.uuid4(), title=title, student_text=text, fits=fits,
                            created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        record(AuditAction.REASON_CREATED, entity_type=EntityType.REMOVAL_REASON, entity_id=row.id,
               after=fields(row), metadata={"label": title})
    return row


def update_reason(reason_id: uuid.UUID, title: str | None, student_text: str | None,
                  fits: Iterable[str]) -> bool:
    """Edit an active reason; False when nothing changed (no audit row)."""
    title, text, fits = clean(title, student_text, fits)
    with transaction() as session:
        row = _locked(session, reason_id)
        if row.retired_at is not None:
            raise Conflict("This removal reason is retired; it cannot be edited.")
        before = fields(row)
        if title.casefold() != row.title.casefold():
            _refuse_taken(session, title, own=row.id)
        row.title, row.student_text, row.fits = title, text, fits
        old, new = changed_fields(before, fields(row))
        if not new:
            return False
        row.updated_at = utcnow()
        record(AuditAction.REASON_UPDATED, entity_type=EntityType.REMOVAL_REASON, entity_id=row.id,
               before=old, after=new, metadata={"label": title})
    return True


def retire_reason(reason_id: uuid.UUID) -> bool:
    """Stop offering a reason (past decisions keep naming it); False when already retired."""
    with transaction() as session:
        row = _locked(session, reason_id)
        if row.retired_at is not None:
            return False
        row.retired_at = row.updated_at = utcnow()
        record(AuditAction.REASON_RETIRED, entity_type=EntityType.REMOVAL_REASON, entity_id=row.id,
               before={"retired": False}, after={"retired": True}, metadata={"label": row.title})
    return True


# --- reading --------------------------------------------------------------------------------

def listing() -> list[RemovalReason]:
    """Every reason, active first (by title), then the retired ones."""
    return list(db.session.scalars(sa.select(RemovalReason).order_by(
        RemovalReason.retired_at.is_not(None), sa.func.lower(RemovalReason.title))))


def get(reason_id: uuid.UUID) -> RemovalReason | None:
    return db.session.get(RemovalReason, reason_id)
