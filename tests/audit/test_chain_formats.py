"""Chain link formats: on PostgreSQL new links hash the row as PostgreSQL prints it (format
2) and are re-hashed inside PostgreSQL; links written before (format 1, Python's JSON text)
keep verifying in Python, in the same chain. Tampering is found at its row either way."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from flick_admin.audit import chain
from flick_admin.db import Log
from flick_admin.db.audit import AuditChainLink
from flick_admin.extensions import db
from tests.audit.test_chain import _disable_guard, links, rehash, verdict, write_rows

pytestmark = pytest.mark.postgres_only


def _as_format_one(connection, dbs, upto: int) -> None:
    """Re-link the first ``upto`` links as an older Flick Admin wrote them (format 1), and
    every later link after them, so that the chain is whole again."""
    _disable_guard(connection)
    prev = chain.GENESIS
    for link in links(dbs):
        if link.seq <= upto:
            digest = chain.link_hash(prev, dbs.get(Log, link.log_id))
            values = {"prev_hash": prev, "row_hash": digest, "format": chain.FORMAT_JSON}
        else:
            digest = rehash(dbs, prev, link)
            values = {"prev_hash": prev, "row_hash": digest}
        connection.execute(sa.update(AuditChainLink).where(AuditChainLink.seq == link.seq).values(**values))
        prev = digest
    dbs.expire_all()


def test_new_links_on_postgresql_hash_the_row_as_postgresql_prints_it(app, dbs):
    write_rows(app, 3)
    chained = links(dbs)
    assert {link.format for link in chained} == {chain.FORMAT_POSTGRES}
    first = chained[0]
    text = dbs.scalar(sa.select(chain.postgres_canonical()).where(Log.id == first.log_id))
    assert first.row_hash == hashlib.sha256((chain.GENESIS + text).encode()).hexdigest()
    assert chain.postgres_text_hash(chain.GENESIS, text) == first.row_hash
    # PostgreSQL computes the same hash itself.
    assert dbs.scalar(sa.select(chain.postgres_link_hash(AuditChainLink.prev_hash))
                      .select_from(AuditChainLink).join(Log, Log.id == AuditChainLink.log_id)
                      .where(AuditChainLink.seq == 1)) == first.row_hash
    assert verdict(app).intact


def test_a_chain_of_both_formats_verifies_and_tampering_is_found_in_either(app, dbs, connection):
    write_rows(app, 6)
    _as_format_one(connection, dbs, upto=3)
    assert [link.format for link in links(dbs)] == [1, 1, 1, 2, 2, 2]
    whole = verdict(app)
    assert whole.intact and whole.checked == 6, whole.summary
    old, new = links(dbs)[1], links(dbs)[4]
    savepoint = connection.begin_nested()
    connection.execute(sa.update(Log).where(Log.id == old.log_id).values(reason="edited"))
    found = verdict(app)
    assert not found.intact and found.seq == 2 and "no longer matches its hash" in found.summary
    savepoint.rollback()
    connection.execute(sa.update(Log).where(Log.id == new.log_id).values(after={"n": 99}))
    found = verdict(app)
    assert not found.intact and found.seq == 5 and str(new.log_id) in found.summary


def test_a_swapped_pair_of_links_and_a_gap_are_named(app, dbs, connection):
    write_rows(app, 5)
    _disable_guard(connection)
    chained = links(dbs)
    # Swap the hashes of links 2 and 3 (as if their rows had been reordered).
    for seq, other in ((2, chained[2]), (3, chained[1])):
        connection.execute(sa.update(AuditChainLink).where(AuditChainLink.seq == seq).values(
            prev_hash=other.prev_hash, row_hash=other.row_hash))
    found = verdict(app)
    assert not found.intact and found.seq == 2 and "previous hash" in found.summary
    connection.execute(sa.delete(AuditChainLink).where(AuditChainLink.seq.in_([2, 3])))
    found = verdict(app)
    assert not found.intact and found.seq == 4 and "link 2 is missing" in found.summary


def test_postgresql_connections_run_without_jit(app):
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
