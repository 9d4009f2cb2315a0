"""Banned words: add, edit, delete, and bulk import with a preview — each one unit of
work with its audit rows. Words are stored trimmed and lower-case, as Flick stores them,
so "unique case-insensitively" is the table's own unique constraint."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from flick_admin.audit.actions import AuditAction
from flick_admin.audit.recorder import changed_fields, record
from flick_admin.db import BannedWord
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType, Severity
from flick_admin.db.transaction import transaction
from flick_admin.refusals import Conflict, InvalidInput, NotFound

MAX_WORD = 128
MAX_IMPORT_LINES = 5000
SEVERITIES = tuple(s.value for s in Severity)
TRUE_WORDS = {"1", "true", "yes", "y", "strict"}
FALSE_WORDS = {"0", "false", "no", "n", "", "normal"}


def clean_word(raw: str | None) -> str:
    word = " ".join((raw or "").split()).lower()
    if not word:
        raise InvalidInput("The word is empty.")
    if len(word) > MAX_WORD:
        raise InvalidInput(f"The word is too long (at most {MAX_WORD} characters).")
    return word


def clean_severity(raw: str | None) -> str:
    value = (raw or "").strip().lower()
    if value not in SEVERITIES:
        raise InvalidInput(f"Unknown severity {value[:20]!r}; use mild, moderate or severe.")
    return value


def word_fields(word: BannedWord) -> dict:
    """A banned word as its audit rows record it."""
    return {"word": word.word, "severity": word.severity, "strict_mode": bool(word.strict_mode)}


def _taken(session, word: str, except_id: uuid.UUID | None = None) -> bool:
    stmt = sa.select(BannedWord.id).where(sa.func.lower(BannedWord.word) == word)
    if except_id:
        stmt = stmt.where(BannedWord.id != except_id)
    return session.scalar(stmt.limit(1)) is not None


def _insert(session, word: str, severity: str, strict: bool, word_id: uuid.UUID | None = None) -> BannedWord:
    """Insert in a savepoint, so that a duplicate saved by someone else a moment ago is a
    clear conflict rather than a failed unit."""
    now = utcnow()
    row = BannedWord(id=word_id or uuid.uuid4(), word=word, severity=severity, strict_mode=strict,
                     created_at=now, updated_at=now)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(f"{word!r} is already a banned word.") from None
    return row


def create_word(word: str | None, severity: str | None, strict: bool, *,
                word_id: uuid.UUID | None = None) -> BannedWord:
    """Add a banned word (``word_id``: re-create a deleted word under its old id)."""
    word, severity = clean_word(word), clean_severity(severity)
    with transaction() as session:
        if _taken(session, word) or (word_id is not None and session.get(BannedWord, word_id)):
            raise Conflict(f"{word!r} is already a banned word.")
        row = _insert(session, word, severity, bool(strict), word_id)
        record(AuditAction.WORD_CREATED, entity_type=EntityType.BANNED_WORD, entity_id=row.id,
               after=word_fields(row), metadata={"label": word})
        return row


def update_word(word_id: uuid.UUID, word: str | None, severity: str | None, strict: bool) -> bool:
    word, severity = clean_word(word), clean_severity(severity)
    with transaction() as session:
        row = session.scalars(sa.select(BannedWord).where(BannedWord.id == word_id)
                              .with_for_update()).first()
        if row is None:
            raise NotFound("That banned word does not exist.")
        if word != row.word and _taken(session, word, except_id=row.id):
            raise Conflict(f"{word!r} is already a banned word.")
        old, new = changed_fields(word_fields(row), {"word": word, "severity": severity,
                                                 "strict_mode": bool(strict)})
        if not new:
            return False
        row.word, row.severity, row.strict_mode, row.updated_at = word, severity, bool(strict), utcnow()
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:
            raise Conflict(f"{word!r} is already a banned word.") from None
        record(AuditAction.WORD_UPDATED, entity_type=EntityType.BANNED_WORD, entity_id=row.id,
               before=old, after=new, metadata={"label": word})
        return True


def delete_word(word_id: uuid.UUID) -> str:
    with transaction() as session:
        row = session.scalars(sa.select(BannedWord).where(BannedWord.id == word_id)
                              .with_for_update()).first()
        if row is None:
            raise NotFound("That banned word does not exist.")
        before = word_fields(row)
        session.delete(row)
        session.flush()
        record(AuditAction.WORD_DELETED, entity_type=EntityType.BANNED_WORD, entity_id=word_id,
               before=before, metadata={"label": before["word"]})
        return before["word"]


# --- bulk import ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportLine:
    line: int
    word: str
    severity: str
    strict: bool


@dataclass
class ImportPlan:
    add: list[ImportLine] = field(default_factory=list)
    update: list[tuple[ImportLine, dict]] = field(default_factory=list)
    skip: list[ImportLine] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return len(self.add) + len(self.update)


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """The CSV records, numbered; a record the csv module cannot read (a quoted field over
    its 128 KiB limit) refuses the import, naming its line."""
    reader = csv.reader(io.StringIO(text))
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field limit" in str(exc):
                raise InvalidInput(f"Nothing was imported. line {number}: a field is longer than "
                                   f"{csv.field_size_limit() // 1024} KiB.") from None
            raise InvalidInput(f"Nothing was imported. line {number}: {exc}.") from None
        yield number, cells


def parse_import(text: str, *, default_severity: str = "moderate") -> list[ImportLine]:
    """Lines of ``word`` or ``word,severity,strict`` (a CSV header line is allowed).
    Every problem is collected, with its line number; any problem refuses the whole text."""
    default_severity = clean_severity(default_severity)
    lines: list[ImportLine] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, cells in _records(text or ""):
        if number > MAX_IMPORT_LINES:
            raise InvalidInput(f"At most {MAX_IMPORT_LINES:,} lines at a time.")
        if any("\x00" in c for c in cells):
            problems.append(f"line {number}: the line contains a NUL character, which a word cannot hold")
            continue
        cells = [c.strip() for c in cells]
        if not cells or not any(cells) or cells[0].startswith("#"):
            continue
        if number == 1 and [c.lower() for c in cells[:3]] == ["word", "severity", "strict"][: len(cells)]:
            continue
        if len(cells) > 3:
            problems.append(f"line {number}: expected word,severity,strict but found {len(cells)} fields")
            continue
        try:
            word = clean_word(cells[0])
            severity = clean_severity(cells[1]) if len(cells) > 1 and cells[1] else default_severity
            raw_strict = cells[2].lower() if len(cells) > 2 else ""
            if raw_strict not in TRUE_WORDS | FALSE_WORDS:
                raise InvalidInput(f"strict must be true or false, not {raw_strict[:20]!r}")
        except InvalidInput as exc:
            problems.append(f"line {number}: {exc.message}")
            continue
        if word in seen:
            problems.append(f"line {number}: {word!r} already appears on line {seen[word]}")
            continue
        seen[word] = number
        lines.append(ImportLine(number, word, severity, raw_strict in TRUE_WORDS))
    if problems:
        shown = "; ".join(problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise InvalidInput(f"Nothing was imported. {shown}{more}.")
    if not lines:
        raise InvalidInput("There is no word to import.")
    return lines


def plan_import(lines: list[ImportLine]) -> ImportPlan:
    from flick_admin.extensions import db

    existing = {
        row.word: row for row in db.session.scalars(
            sa.select(BannedWord).where(BannedWord.word.in_([line.word for line in lines])))
    }
    plan = ImportPlan()
    for line in lines:
        row = existing.get(line.word)
        if row is None:
            plan.add.append(line)
        elif (row.severity, bool(row.strict_mode)) == (line.severity, line.strict):
            plan.skip.append(line)
        else:
            plan.update.append((line, word_fields(row)))
    return plan


def import_snapshot(lines: list[ImportLine]) -> dict[str, list[str]]:
    """What an import would do now: a proposed import compares it at approval, so a word
    list changed in between is a 409."""
    plan = plan_import(lines)
    return {"add": sorted(line.word for line in plan.add),
            "update": sorted(line.word for line, _ in plan.update)}


def apply_import(lines: list[ImportLine]) -> tuple[uuid.UUID, ImportPlan]:
    """Apply what the preview showed, in one unit; every audit row carries the batch id."""
    batch_id = uuid.uuid4()
    with transaction() as session:
        plan = plan_import(lines)
        for line in plan.add:
            row = _insert(session, line.word, line.severity, line.strict)
            record(AuditAction.WORD_CREATED, entity_type=EntityType.BANNED_WORD, entity_id=row.id,
                   after=word_fields(row), metadata={"label": line.word, "batch_id": batch_id},
                   flush=False)
        for line, _before in plan.update:
            row = session.scalars(sa.select(BannedWord).where(BannedWord.word == line.word)
                                  .with_for_update()).one()
            old, new = changed_fields(word_fields(row), {"word": line.word, "severity": line.severity,
                                                     "strict_mode": line.strict})
            row.severity, row.strict_mode, row.updated_at = line.severity, line.strict, utcnow()
            record(AuditAction.WORD_UPDATED, entity_type=EntityType.BANNED_WORD, entity_id=row.id,
                   before=old, after=new, metadata={"label": line.word, "batch_id": batch_id},
                   flush=False)
        session.flush()
    return batch_id, plan
