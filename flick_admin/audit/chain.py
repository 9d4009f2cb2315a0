"""The hash chain over the audit rows Flick Admin writes, and its verification.

Each ``logs`` row the dashboard writes gets a link in ``admin_audit_chain``: a gap-free
sequence number, the previous link's hash and ``sha256(prev_hash + canonical(row))``.
Links are added when the unit of work commits (``seal``), after every other lock the unit
takes, under one lock for the whole chain — so the order is strict and no deadlock can
form around it. Changing a chained row's content, deleting it, or reordering links breaks
the chain at that exact row, and ``verify`` names it.

A ``logs`` row that Flick Admin's own code writes without ``record()`` (an ORM object added
to the session, a bulk INSERT) is refused before it reaches the database (``install``, called
by the app factory). What no guard can stop — a script or a database shell inserting rows —
``verify`` still finds: a row that only Flick Admin writes (a Flick Admin action, or an actor
type Flick's server never uses) and that carries no chain link is reported by id.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from flick_admin.audit.actions import AuditAction
from flick_admin.db.audit import AuditChainLink, AuditCheckpoint, Log

GENESIS = "0" * 64
UNCHAINED_SHOWN = 20

# Every action Flick's own server writes (its ``log_action`` enum and its TypeScript list).
# Flick Admin writes some of these too; the rest of its vocabulary only Flick Admin writes.
FLICK_SERVER_ACTIONS = frozenset("""
user:upvoted:post user:upvoted:comment user:downvoted:post user:downvoted:comment
user:deleted:vote:on:comment user:deleted:vote:on:post user:switched:vote:on:comment
user:switched:vote:on:post user:created:post user:updated:post user:created:comment
user:updated:comment user:deleted:post user:deleted:comment user:reported:content
user:accepted:terms user:initialized:account auth:created:account auth:otp:verify:success
auth:otp:verify:failed auth:otp:send user:finished:onboarding user:logged:in:self
user:logged:out:self user:created:feedback user:updated:feedback user:deleted:feedback
user:forgot:password user:initialized:forgot-password admin:banned:user admin:unbanned:user
admin:suspended:user admin:created:college admin:deleted:college admin:updated:college
admin:blocked:content admin:unblocked:content admin:shadow:banned:content
admin:shadow:unbanned:content admin:updated:content admin:deleted:report
admin:bulk-deleted:reports admin:updated:report:status admin:updated:feedback:status
admin:deleted:feedback system:created:admin:account admin:logged:out:self
admin:initialized:account admin:verified:otp admin:removed:authorized:device
admin:reset:email:otp admin:deleted:admin:account admin:updated:admin:account
admin:fetched:all:admin:accounts system:logged:error system:logged:in system:logged:out
other:action user:session:terminated:all user:logged:in:new:device user:session:terminated:other
""".split())
OWN_ACTIONS = tuple(sorted(a.value for a in AuditAction if a.value not in FLICK_SERVER_ACTIONS))
# Roles only Flick Admin's staff have; Flick's server never writes them as an actor type.
OWN_ACTOR_TYPES = ("auditor", "moderator", "triage")
PENDING_KEY = "flick_admin.audit_pending"
CHAIN_LOCK = "flick_admin:audit-chain"
VERIFY_BATCH = 5000
# Set on a bulk INSERT of rows that stand for Flick's own server's rows (demo data only).
FLICK_SERVER_ROWS = "flick_admin_flick_server_rows"


class UnchainedWrite(RuntimeError):
    """An audit row was about to be written without ``record()``: it would carry no chain link."""


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return value.isoformat(timespec="microseconds")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def canonical(row: Any) -> str:
    """The row's fields as one JSON text with sorted keys — the same bytes whether they
    are read from the Python object being written or from the database later."""
    fields = {
        "id": _text(row.id),
        "occured_at": _iso(row.occured_at),
        "actor_id": row.actor_id,
        "actor_type": row.actor_type,
        "action": row.action,
        "entity_type": row.entity_type,
        "entity_id": row.entity_id,
        "before": row.before,
        "after": row.after,
        "reason": row.reason,
        "ip_address": _text(row.ip_address),
        "user_agent": row.user_agent,
        "request_id": _text(row.request_id),
        "metadata": row.metadata_,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link_hash(prev_hash: str, row: Any) -> str:
    return hashlib.sha256((prev_hash + canonical(row)).encode("utf-8")).hexdigest()


# Format 2 (PostgreSQL): the row as PostgreSQL prints a row value — every field quoted
# and escaped as needed, so the text is unambiguous, and with the time as epoch seconds,
# so no session setting (TimeZone, DateStyle) changes it. PostgreSQL can then recompute
# every link's hash itself, in parallel, without sending a row to Python.
FORMAT_JSON = 1
FORMAT_POSTGRES = 2


def postgres_canonical(log=Log) -> sa.ColumnElement:
    return sa.cast(sa.tuple_(
        log.id, sa.extract("epoch", log.occured_at), log.actor_id, log.actor_type, log.action,
        log.entity_type, log.entity_id, log.before, log.after, log.reason, log.ip_address,
        log.user_agent, log.request_id, log.metadata_), sa.Text)


def postgres_link_hash(prev_hash, log=Log) -> sa.ColumnElement:
    return sa.func.encode(sa.func.sha256(sa.func.convert_to(prev_hash + postgres_canonical(log), "UTF8")),
                          "hex")


def postgres_text_hash(prev_hash: str, text: str) -> str:
    """A format-2 link's hash: the previous hash and the row's text as PostgreSQL prints it
    (what ``postgres_link_hash`` computes inside PostgreSQL)."""
    return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def remember(session: Session, row: Log) -> None:
    """Called by ``record()``: this row is to be chained when the unit commits."""
    session.info.setdefault(PENDING_KEY, []).append(row)


def forget(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


def tip(session: Session) -> tuple[int, str]:
    """The last link (or the last purge checkpoint when every link was purged)."""
    last = session.execute(
        sa.select(AuditChainLink.seq, AuditChainLink.row_hash)
        .order_by(AuditChainLink.seq.desc()).limit(1)).first()
    checkpoint = session.execute(
        sa.select(AuditCheckpoint.last_seq, AuditCheckpoint.last_hash)
        .order_by(AuditCheckpoint.last_seq.desc()).limit(1)).first()
    candidates = [c for c in (last, checkpoint) if c is not None]
    if not candidates:
        return 0, GENESIS
    best = max(candidates, key=lambda c: c[0])
    return int(best[0]), best[1]


def lock_chain(session: Session) -> None:
    if _is_postgres(session):
        session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                        {"k": CHAIN_LOCK})


def seal(session: Session) -> int:
    """Chain the audit rows this unit wrote. Runs just before the unit commits."""
    pending = session.info.get(PENDING_KEY, [])
    if not pending:
        return 0
    session.flush()  # rows added with flush=False reach the database while still pending
    session.info.pop(PENDING_KEY, None)
    # Rows undone by a rolled-back savepoint are no longer persistent: skip them.
    rows = [r for r in pending if sa.inspect(r).persistent]
    if not rows:
        return 0
    lock_chain(session)
    seq, prev = tip(session)
    texts: dict[uuid.UUID, str] = {}
    if _is_postgres(session):
        # The rows as PostgreSQL prints them (as stored, e.g. jsonb normalised): one statement.
        texts = dict(session.execute(sa.select(Log.id, postgres_canonical())
                                     .where(Log.id.in_([r.id for r in rows]))).all())
    for row in rows:
        seq += 1
        if row.id in texts:
            digest, fmt = postgres_text_hash(prev, texts[row.id]), FORMAT_POSTGRES
        else:
            digest, fmt = link_hash(prev, row), FORMAT_JSON
        session.add(AuditChainLink(seq=seq, log_id=row.id, prev_hash=prev, row_hash=digest, format=fmt))
        prev = digest
    session.flush()
    return len(rows)


# --- the guard against rows written past record() ------------------------------------------

def _refuse_unrecorded_rows(session: Session, flush_context, instances) -> None:
    pending = {id(row) for row in session.info.get(PENDING_KEY, [])}
    for obj in session.new:
        if isinstance(obj, Log) and id(obj) not in pending:
            raise UnchainedWrite("A logs row was added to the session without record(); audit rows "
                                 "are written only by record(), inside transaction(), so that each "
                                 "gets its chain link.")


def _refuse_bulk_inserts(state) -> None:
    statement = state.statement
    if (state.is_insert and getattr(getattr(statement, "table", None), "name", None) == Log.__tablename__
            and not state.execution_options.get(FLICK_SERVER_ROWS)):
        raise UnchainedWrite("An INSERT into logs bypassed record(); audit rows are written only by "
                             "record(), inside transaction(), so that each gets its chain link.")


def install(session_class: type[Session]) -> None:
    """Refuse, on sessions of ``session_class`` (the app's), audit rows not written by record()."""
    for name, listener in (("before_flush", _refuse_unrecorded_rows),
                           ("do_orm_execute", _refuse_bulk_inserts)):
        if not sa.event.contains(session_class, name, listener):
            sa.event.listen(session_class, name, listener)


# --- verification ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    intact: bool
    checked: int
    problem: str | None = None
    seq: int | None = None
    log_id: uuid.UUID | None = None
    first_seq: int | None = None
    last_seq: int | None = None
    # Rows only Flick Admin writes that carry no chain link (the first few, and how many).
    unchained: tuple[uuid.UUID, ...] = ()
    unchained_total: int = 0
    # The chain's tip after the check (keep it outside the database) and where the walk
    # started when it resumed from an earlier verification.
    head: Anchor | None = None
    resumed_from: int | None = None

    @property
    def summary(self) -> str:
        if self.intact:
            span = f" (links {self.first_seq}–{self.last_seq})" if self.checked else ""
            if self.resumed_from:
                # Say plainly what was not re-hashed: an old row edited in place is only
                # found by a full verification.
                return (f"intact, {self.checked:,} rows{span} re-hashed, new since the verification "
                        f"through link {self.resumed_from}; links 1–{self.resumed_from} were not "
                        "re-hashed (verify everything to re-hash them)")
            return f"intact, {self.checked:,} rows{span}"
        parts = [f"at link {self.seq}: {self.problem}"] if self.seq is not None else []
        if self.unchained_total:
            more = self.unchained_total - len(self.unchained)
            parts.append(
                f"{self.unchained_total:,} Flick Admin audit row(s) carry no chain link (written past "
                f"record()): {', '.join(str(i) for i in self.unchained)}"
                + (f" and {more:,} more" if more > 0 else ""))
        return ("BROKEN " if self.seq is not None else "BROKEN: ") + "; ".join(parts)


LOG_COLUMNS = (Log.id, Log.occured_at, Log.actor_id, Log.actor_type, Log.action,
               Log.entity_type, Log.entity_id, Log.before, Log.after, Log.reason, Log.ip_address,
               Log.user_agent, Log.request_id, Log.metadata_.label("metadata_"))


def links_with_rows(session: Session, start_after: int, *, only_format: int | None = None) -> Iterator[Any]:
    """Links in order with their log row's columns (NULL when the row is gone), in batches
    along the primary key (plain rows: nothing piles up in the session however long the
    chain is); ``only_format`` keeps the links of one format."""
    last = start_after
    while True:
        stmt = (sa.select(AuditChainLink.seq, AuditChainLink.log_id, AuditChainLink.prev_hash,
                          AuditChainLink.row_hash, *LOG_COLUMNS)
                .outerjoin(Log, Log.id == AuditChainLink.log_id)
                .where(AuditChainLink.seq > last))
        if only_format is not None:
            stmt = stmt.where(AuditChainLink.format == only_format)
        batch = session.execute(stmt.order_by(AuditChainLink.seq).limit(VERIFY_BATCH)).all()
        if not batch:
            return
        yield from batch
        last = batch[-1].seq


def unchained_rows(session: Session, shown: int = UNCHAINED_SHOWN, *,
                   since: datetime | None = None) -> tuple[tuple[uuid.UUID, ...], int]:
    """Rows only Flick Admin writes that have no chain link (``since`` a time, or all):
    (the first ``shown`` ids, how many)."""
    own = sa.and_(
        sa.or_(Log.action.in_(OWN_ACTIONS), Log.actor_type.in_(OWN_ACTOR_TYPES)),
        ~sa.exists().where(AuditChainLink.log_id == Log.id))
    if since is not None:
        own = sa.and_(own, Log.occured_at >= since)
    ids = tuple(session.scalars(sa.select(Log.id).where(own).order_by(Log.occured_at, Log.id).limit(shown)))
    if len(ids) < shown:
        return ids, len(ids)
    return ids, int(session.scalar(sa.select(sa.func.count()).select_from(Log).where(own)))


@dataclass(frozen=True)
class Anchor:
    """A link of the chain as an operator keeps it outside the database: ``SEQ:SHA256``."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> Anchor:
        seq, _, digest = (text or "").strip().partition(":")
        if not seq.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError("an anchor is SEQ:SHA256, e.g. 1042:3f5a… (64 hex digits), as "
                             "`audit verify` prints it")
        return cls(int(seq), digest)


def head(session: Session) -> Anchor | None:
    seq, digest = tip(session)
    return Anchor(seq, digest) if seq else None


def _link_hash_at(session: Session, seq: int) -> str | None:
    return session.scalar(sa.select(AuditChainLink.row_hash).where(AuditChainLink.seq == seq))


def last_verified(session: Session) -> Anchor | None:
    """Where the newest intact verification reached — itself a chained audit row."""
    rows = session.execute(
        sa.select(Log.metadata_).join(AuditChainLink, AuditChainLink.log_id == Log.id)
        .where(Log.action == AuditAction.AUDIT_VERIFIED.value)
        .order_by(AuditChainLink.seq.desc()).limit(20)).scalars()
    for meta in rows:
        if isinstance(meta, dict) and meta.get("intact") and meta.get("through_seq") and meta.get("head_hash"):
            return Anchor(int(meta["through_seq"]), str(meta["head_hash"]))
    return None


def verify(session: Session, *, full: bool = True, expect: Anchor | None = None) -> Verdict:
    """Walk the chain to its tip and look for Flick Admin rows that carry no link.

    ``full`` walks from the latest purge checkpoint (or the start); otherwise the walk
    resumes after the newest intact verification, whose link must still carry the hash it
    had then. ``expect`` is an anchor kept outside the database: its link must still carry
    that hash, so a database rewritten from an earlier row onwards is caught even when the
    rewrite is self-consistent. An anchor implies ``full``: "intact" against an anchor means
    every link up to the tip was re-hashed, so a row edited in place is found too."""
    full = full or expect is not None
    start = None
    if not full:
        start = last_verified(session)
        if start is not None:
            now = _link_hash_at(session, start.seq)
            if now != start.hash:
                return Verdict(False, 0, f"link {start.seq} no longer carries the hash it had when it "
                               "was verified: the chain was rewritten; run a full verification",
                               seq=start.seq, head=head(session))
    verdict = _walk(session, start)
    swept = _is_postgres(session) and start is None
    if expect is not None and verdict.intact:
        found = _link_hash_at(session, expect.seq)
        if found != expect.hash:
            problem = (f"link {expect.seq} does not exist any more (the chain is shorter than the "
                       "anchor kept outside the database)" if found is None else
                       f"link {expect.seq} carries another hash than the anchor kept outside the "
                       "database: the history before it was rewritten")
            verdict = replace(verdict, intact=False, problem=problem, seq=expect.seq, log_id=None)
    if swept:  # the walk counted them in its pass over the log
        total = verdict.unchained_total
        ids = unchained_rows(session)[0] if total else ()
    else:
        ids, total = unchained_rows(session, since=_resumed_since(session, start))
    if not total:
        return verdict
    return replace(verdict, intact=False, unchained=ids, unchained_total=total)


RESUME_SWEEP_MARGIN = timedelta(days=1)


def _resumed_since(session: Session, start: Anchor | None) -> datetime | None:
    """Where an incremental check looks for rows without a link: from a day before the
    row it resumes after (a full check sweeps the whole log)."""
    if start is None:
        return None
    when = session.scalar(sa.select(Log.occured_at).join(AuditChainLink, AuditChainLink.log_id == Log.id)
                          .where(AuditChainLink.seq == start.seq))
    return None if when is None else when - RESUME_SWEEP_MARGIN


def _walk(session: Session, start: Anchor | None = None) -> Verdict:
    checkpoint = session.execute(
        sa.select(AuditCheckpoint.last_seq, AuditCheckpoint.last_hash)
        .order_by(AuditCheckpoint.last_seq.desc()).limit(1)).first()
    expected_seq, prev = (int(checkpoint[0]), checkpoint[1]) if checkpoint else (0, GENESIS)
    resumed = None
    if start is not None and start.seq > expected_seq:
        expected_seq, prev, resumed = start.seq, start.hash, start.seq
    if _is_postgres(session):
        from flick_admin.audit.chain_sql import walk_in_database

        return walk_in_database(session, expected_seq, prev, resumed, sweep=start is None)
    first = None
    checked = 0
    for link in links_with_rows(session, expected_seq):
        first = first if first is not None else link.seq
        expected_seq += 1
        where = {"seq": link.seq, "log_id": link.log_id, "resumed_from": resumed}
        if link.seq != expected_seq:
            return Verdict(False, checked, missing_link(expected_seq, link.seq), **where)
        if link.prev_hash != prev:
            return Verdict(False, checked, REORDERED, **where)
        if link.id is None:
            return Verdict(False, checked, row_gone(link.log_id), **where)
        if link_hash(prev, link) != link.row_hash:
            return Verdict(False, checked, row_edited(link.log_id), **where)
        prev = link.row_hash
        checked += 1
    tip_anchor = Anchor(expected_seq, prev) if expected_seq else None
    return Verdict(True, checked, first_seq=first, last_seq=expected_seq if checked else None,
                   head=tip_anchor, resumed_from=resumed)


REORDERED = ("its previous hash does not match the link before it: links were reordered, "
             "replaced or inserted")


def missing_link(expected: int, found: int) -> str:
    return (f"link {expected} is missing (the chain jumps from {expected - 1} to {found}); "
            "a link was deleted")


def row_gone(log_id) -> str:
    return f"its log row {log_id} is gone (deleted)"


def row_edited(log_id) -> str:
    return f"the content of log row {log_id} no longer matches its hash (edited)"
