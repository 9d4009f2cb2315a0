"""Incremental verification: a daily check costs only the new rows, resuming after the last
intact verification; the head it prints, kept outside the database, catches a history that
was rewritten consistently from an earlier row onwards."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from flick_admin.audit import chain
from flick_admin.audit.services import verify_and_record
from flick_admin.db import Log
from flick_admin.db.audit import AuditChainLink
from flick_admin.extensions import db
from tests.audit.test_chain import _disable_guard, links, rehash, write_rows


def _verify(app, **kwargs):
    with app.test_request_context("/"):
        return verify_and_record(**kwargs)


def test_a_second_check_walks_only_the_new_rows(app, dbs):
    write_rows(app, 5)
    first = _verify(app)
    assert first.intact and first.checked == 5 and first.head.seq == 5
    write_rows(app, 2)
    second = _verify(app)
    # Resumes after link 5: the first verification's own row (link 6) and the two new ones.
    assert second.intact and second.resumed_from == 5 and second.checked == 3
    assert second.head.seq == 8 and second.head.hash == links(dbs)[-2].row_hash
    full = _verify(app, full=True)
    assert full.intact and full.resumed_from is None and full.checked == 9


def test_the_command_prints_the_head_to_keep(app, dbs):
    write_rows(app, 3)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0
    line = next(l for l in result.output.splitlines() if l.startswith("head: "))
    anchor = chain.Anchor.parse(line.split()[1])
    assert anchor.seq == 3 and anchor.hash == links(dbs)[2].row_hash
    again = app.test_cli_runner().invoke(args=["audit", "verify", "--expect", str(anchor)])
    assert again.exit_code == 0, again.output
    bad = app.test_cli_runner().invoke(args=["audit", "verify", "--expect", "3:nothex"])
    assert bad.exit_code == 2 and "SEQ:SHA256" in bad.output


def _rewrite_from(connection, dbs, seq: int) -> None:
    """What an attacker with the database would do: change a row, then recompute every link
    from there on so that the chain is consistent again (guards switched off)."""
    _disable_guard(connection)  # only DELETE in a purge passes the trigger; a superuser drops it
    chained = links(dbs)
    target = next(link for link in chained if link.seq == seq)
    connection.execute(sa.update(Log).where(Log.id == target.log_id).values(reason="rewritten"))
    dbs.expire_all()
    prev = next((l.row_hash for l in chained if l.seq == seq - 1), chain.GENESIS)
    for link in [l for l in links(dbs) if l.seq >= seq]:
        digest = rehash(dbs, prev, link)
        connection.execute(sa.update(AuditChainLink).where(AuditChainLink.seq == link.seq)
                           .values(prev_hash=prev, row_hash=digest))
        prev = digest
    dbs.expire_all()


def test_an_anchor_kept_outside_catches_a_consistent_rewrite(app, dbs, connection):
    write_rows(app, 4)
    kept = _verify(app).head  # the operator writes this down
    write_rows(app, 1)
    _rewrite_from(connection, dbs, 2)
    with app.app_context():
        rewritten = chain.verify(db.session(), full=True)
    assert rewritten.intact  # self-consistent: on its own the database cannot tell
    caught = _verify(app, full=True, expect=kept)
    assert not caught.intact and caught.seq == kept.seq and "anchor" in caught.summary
    # The incremental check sees that the link it resumed from changed.
    resumed = _verify(app)
    assert not resumed.intact and "rewritten" in resumed.summary


def test_an_anchor_past_the_tip_is_a_broken_verdict(app, dbs):
    write_rows(app, 2)
    verdict = _verify(app, full=True, expect=chain.Anchor(99, "0" * 64))
    assert not verdict.intact and "shorter" in verdict.summary


@pytest.mark.parametrize("text", ["", "12", "x:" + "0" * 64, "5:" + "0" * 63, "5:" + "G" * 64])
def test_malformed_anchors_are_refused(text):
    with pytest.raises(ValueError):
        chain.Anchor.parse(text)


def test_an_anchor_implies_a_full_rehash_so_an_old_row_edited_in_place_is_found(app, dbs, connection):
    """An old row edited in place keeps every link's stored hash: only re-hashing it finds
    it. A kept head (CLI --expect, or the web page) therefore re-hashes the whole chain;
    the incremental check says which links it did not re-hash."""
    write_rows(app, 4)
    kept = _verify(app).head
    write_rows(app, 1)
    target = links(dbs)[1]
    _disable_guard(connection)
    connection.execute(sa.update(Log).where(Log.id == target.log_id).values(reason="edited in place"))
    dbs.expire_all()
    daily = _verify(app)
    assert daily.intact and "links 1–4 were not re-hashed" in daily.summary, daily.summary
    cli = app.test_cli_runner().invoke(args=["audit", "verify", "--expect", str(kept)])
    assert cli.exit_code == 1 and "intact" not in cli.output, cli.output
    assert f"at link {target.seq}" in cli.output and "edited" in cli.output
    verdict = _verify(app, expect=kept)
    assert not verdict.intact and verdict.seq == target.seq


def test_the_verify_page_takes_a_kept_head_and_rehashes_everything(app, client, dbs, connection, login_as):
    login_as("auditor")
    write_rows(app, 3)
    kept = _verify(app).head
    target = links(dbs)[0]
    _disable_guard(connection)
    connection.execute(sa.update(Log).where(Log.id == target.log_id).values(reason="edited in place"))
    dbs.expire_all()
    page = client.post("/audit/verify", data={"scope": "new", "expect": str(kept)}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "BROKEN at link 1" in text and "Audit chain: intact" not in text
    assert client.post("/audit/verify", data={"scope": "new", "expect": "3:nothex"}).status_code == 400
    assert 'name="expect"' in client.get("/audit/verify").get_data(as_text=True)
