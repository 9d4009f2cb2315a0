"""Every change of the banned-word list moves Flick's recompile signal,
max(banned_words.updated_at), in the same transaction, as Flick's server reads it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from flick_admin.db import word_signal as signal
from flick_admin.db import BannedWord
from tests import factories
from tests.conftest import audit_rows

REASON = {"reason_choice": "Other", "reason_text": "decided in error"}


def flick_signal(dbs) -> int:
    """What Flick's server compares: getTime() of max(updated_at), 0 with no word."""
    dbs.expire_all()
    return signal.as_flick_sees(signal.read(dbs))


def _word(dbs, word: str, updated_at: datetime, strict=False) -> BannedWord:
    row = factories.BannedWordFactory(word=word, strict_mode=strict)
    dbs.flush()
    dbs.execute(sa.update(BannedWord).where(BannedWord.id == row.id).values(updated_at=updated_at))
    dbs.expire_all()
    return row


def _last(dbs, action):
    return audit_rows(dbs, action=action)[-1]


def test_every_kind_of_change_moves_the_signal(client, dbs, login_as):
    login_as("admin")
    old = _word(dbs, "oldword", datetime(2020, 1, 1))
    # Flick's own admin (or a clock ahead of ours) wrote the newest row in the future.
    _word(dbs, "newest", datetime(2030, 1, 1, 0, 0, 0, 400))
    seen = [flick_signal(dbs)]

    def moved():
        now = flick_signal(dbs)
        assert now != seen[-1]
        seen.append(now)

    assert client.post("/banned-words/new", data={"word": "added", "severity": "mild"}).status_code == 303
    moved()
    assert client.post(f"/banned-words/{old.id}/edit",
                       data={"word": "oldword", "severity": "severe"}).status_code == 303
    moved()
    assert client.post(f"/banned-words/{old.id}/delete", data={"confirm": "1"}).status_code == 303
    moved()
    assert client.post("/banned-words/import", data={"text": "fresh\nadded,severe,true",
                                                      "apply": "1"}).status_code == 303
    moved()
    client.post("/banned-words/new", data={"word": "brief", "severity": "mild"})
    moved()
    created = _last(dbs, "admin:created:banned-word")
    for row in (_last(dbs, "admin:deleted:banned-word"), _last(dbs, "admin:updated:banned-word"), created):
        assert client.post(f"/revert/{row.id}", data=REASON).status_code == 303, row.action
        moved()
    assert len(set(seen)) == len(seen) == 9


def test_deleting_the_last_word_empties_the_signal(client, dbs, login_as):
    login_as("admin")
    only = _word(dbs, "lonely", datetime(2024, 5, 1))
    before = flick_signal(dbs)
    client.post(f"/banned-words/{only.id}/delete", data={"confirm": "1"})
    assert before != 0 and flick_signal(dbs) == 0


def test_the_audit_row_explains_the_move(client, dbs, login_as):
    login_as("admin")
    old = _word(dbs, "quiet", datetime(2020, 1, 1))
    newest = _word(dbs, "loud", datetime(2030, 1, 1))
    client.post(f"/banned-words/{old.id}/delete", data={"confirm": "1"})
    row = _last(dbs, "admin:deleted:banned-word")
    moved = row.metadata_["flick_signal"]
    assert moved["from"].startswith("2030-01-01T00:00:00") and moved["row"] == "loud"
    assert "rebuilds its word list" in moved["why"]
    dbs.expire_all()
    assert dbs.get(BannedWord, newest.id).updated_at == datetime.fromisoformat(moved["to"])


def test_a_change_within_the_same_millisecond_still_moves_it():
    # Flick compares milliseconds: 400 µs past the last value is not a move; the next is.
    last = datetime(2031, 1, 1, 0, 0, 0, 400)
    nxt = signal.next_value(last)
    assert signal.as_flick_sees(nxt) != signal.as_flick_sees(last)
    assert signal.as_flick_sees(signal.next_value(None)) > 0


def test_an_import_that_changes_nothing_leaves_it(client, dbs, login_as):
    login_as("admin")
    _word(dbs, "same", datetime(2022, 1, 1))
    before = flick_signal(dbs)
    client.post("/banned-words/import", data={"text": "same,moderate,false", "apply": "1"})
    assert flick_signal(dbs) == before


def test_a_change_the_orm_did_not_see_moves_it_through_move(app, dbs, connection):
    from flick_admin.db.transaction import transaction
    from flick_admin.extensions import db

    _word(dbs, "first", datetime(2020, 1, 1))
    _word(dbs, "second", datetime(2030, 1, 1))
    before = flick_signal(dbs)
    with app.test_request_context():
        with transaction() as session:
            session.execute(sa.delete(BannedWord).where(BannedWord.word == "first"))
            signal.move(session)
        db.session.remove()
    assert flick_signal(dbs) != before
