"""Verifying the audit chain inside PostgreSQL: set-based, in parallel, memory flat.

Each link carries its previous hash, so no check has to walk the chain in order: a link is
right when its sequence number follows the one before, its previous hash is the hash of
the link before, its log row exists and re-hashing that row gives its hash. PostgreSQL
checks all four over the whole range in two statements — the first two with a window over
the chain's primary key, the last two with a parallel join to ``logs`` that recomputes
every format-2 hash with ``sha256()`` — and returns only the first failure of each.
Format-1 links (hashed over a JSON text Python builds) are re-hashed in Python, streamed.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from flick_admin.audit.chain import (
    FORMAT_JSON, FORMAT_POSTGRES, OWN_ACTIONS, OWN_ACTOR_TYPES, REORDERED, Anchor, Verdict,
    link_hash, links_with_rows, missing_link, postgres_link_hash, row_edited, row_gone,
)
from flick_admin.db.audit import AuditChainLink, Log

# Memory for the join's hash table (per process, released at the end of the check); past
# it PostgreSQL spills to disk in batches rather than growing.
WORK_MEM = "128MB"


def _continuity(session: Session, after: int, prev: str) -> tuple[int, Any, str] | None:
    """The first link whose number or previous hash does not follow the one before: one
    walk of the chain's primary key with a window (faster than joining it to itself)."""
    c = AuditChainLink
    w = sa.select(c.seq, c.prev_hash,
                  sa.func.lag(c.row_hash).over(order_by=c.seq).label("before_hash"),
                  sa.func.lag(c.seq).over(order_by=c.seq).label("before_seq")
                  ).where(c.seq > after).subquery()
    before_seq = sa.func.coalesce(w.c.before_seq, after)
    bad = session.scalar(sa.select(sa.func.min(w.c.seq)).where(sa.or_(
        w.c.seq != before_seq + 1, w.c.prev_hash != sa.func.coalesce(w.c.before_hash, prev))))
    if bad is None:
        return None
    log_id = session.scalar(sa.select(c.log_id).where(c.seq == bad))
    below = session.scalar(sa.select(sa.func.max(c.seq)).where(c.seq < bad, c.seq > after))
    below = after if below is None else below
    return bad, log_id, missing_link(below + 1, bad) if bad != below + 1 else REORDERED


def own_rows(log=Log):
    """Rows only Flick Admin writes: its own actions, or an actor type Flick's server never uses."""
    return sa.or_(log.action.in_(OWN_ACTIONS), log.actor_type.in_(OWN_ACTOR_TYPES))


def _contents(session: Session, after: int, links: int, *, sweep: bool) -> tuple[tuple | None, int | None]:
    """The first link whose log row is gone or, for format 2, no longer hashes to it; with
    ``sweep``, also how many rows only Flick Admin writes carry no link — in the same
    parallel pass over ``logs`` (the chain hashed, every log row probed once)."""
    c = AuditChainLink
    mismatch = sa.and_(c.format == FORMAT_POSTGRES, postgres_link_hash(c.prev_hash) != c.row_hash)
    columns = [sa.func.count(c.seq), sa.func.min(c.seq).filter(mismatch)]
    if sweep:
        stmt = (sa.select(*columns, sa.func.count().filter(c.seq.is_(None), own_rows()))
                .select_from(Log).outerjoin(c, sa.and_(c.log_id == Log.id, c.seq > after)))
    else:
        stmt = (sa.select(*columns, sa.null()).select_from(c).join(Log, Log.id == c.log_id)
                .where(c.seq > after))
    found, edited, unchained = session.execute(stmt).one()
    failure = None
    if found != links:  # a link whose log row is gone: find the first (only on failure)
        gone = session.execute(
            sa.select(c.seq, c.log_id).where(c.seq > after, ~sa.exists().where(Log.id == c.log_id))
            .order_by(c.seq).limit(1)).first()
        failure = (gone.seq, gone.log_id, row_gone(gone.log_id))
    if edited is not None and (failure is None or edited < failure[0]):
        log_id = session.scalar(sa.select(c.log_id).where(c.seq == edited))
        failure = (edited, log_id, row_edited(log_id))
    return failure, unchained


def _json_links(session: Session, after: int) -> tuple[int, Any, str] | None:
    """Format-1 links, re-hashed in Python over their own previous hash (continuity and
    gone rows are checked apart)."""
    for link in links_with_rows(session, after, only_format=FORMAT_JSON):
        if link.id is not None and link_hash(link.prev_hash, link) != link.row_hash:
            return link.seq, link.log_id, row_edited(link.log_id)
    return None


def walk_in_database(session: Session, after: int, prev: str, resumed: int | None, *,
                     sweep: bool) -> Verdict:
    """Verify every link after ``after`` (whose hash is ``prev``). With ``sweep`` the same
    pass counts the Flick Admin rows that carry no link (``unchained_total``)."""
    c = AuditChainLink
    session.execute(sa.text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    count, first, last = session.execute(
        sa.select(sa.func.count(), sa.func.min(c.seq), sa.func.max(c.seq)).where(c.seq > after)).one()
    content, unchained = _contents(session, after, count, sweep=sweep) if (count or sweep) else (None, 0)
    extra = {"unchained_total": unchained or 0} if sweep else {}
    if not count:
        return Verdict(True, 0, head=Anchor(after, prev) if after else None, resumed_from=resumed, **extra)
    failures = [f for f in (_continuity(session, after, prev), content, _json_links(session, after))
                if f is not None]
    if failures:
        seq, log_id, problem = min(failures, key=lambda f: f[0])
        return Verdict(False, max(0, seq - first), problem, seq=seq, log_id=log_id,
                       resumed_from=resumed, **extra)
    tip_hash = session.scalar(sa.select(c.row_hash).where(c.seq == last))
    return Verdict(True, count, first_seq=first, last_seq=last, head=Anchor(last, tip_hash),
                   resumed_from=resumed, **extra)
