"""``transaction()``: the outermost call owns the unit, nested calls join, a savepoint
isolates a step that fails alone, and nothing else in the package commits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from flick_admin.db import BannedWord
from flick_admin.db.transaction import NoUnitOfWork, in_unit, require_unit, transaction
from flick_admin.extensions import db
from tests import factories


class Boom(Exception):
    pass


def _add_word(word: str) -> None:
    db.session.add(BannedWord(word=word, severity="mild", strict_mode=False))
    db.session.flush()


def _words(dbs) -> set[str]:
    dbs.expire_all()
    return set(dbs.scalars(sa.select(BannedWord.word)))


def test_outermost_commits_on_success(app, dbs):
    with app.app_context():
        with transaction():
            _add_word("alpha")
        assert not in_unit()
        # A fresh session (another request) sees it: it was committed.
        db.session.remove()
        assert db.session.scalar(sa.select(BannedWord.word).where(BannedWord.word == "alpha"))
    assert "alpha" in _words(dbs)


def test_outermost_rolls_back_on_exception(app, dbs):
    with app.app_context(), pytest.raises(Boom):
        with transaction():
            _add_word("beta")
            raise Boom
    assert "beta" not in _words(dbs)


def test_rolls_back_even_when_the_session_had_auto_begun(app, dbs):
    user = factories.StaffFactory()
    with app.app_context():
        # Loading the signed-in user begins a transaction before any unit exists.
        db.session.get(type(user), user.id)
        assert db.session().in_transaction()
        assert not in_unit()
        with pytest.raises(Boom), transaction():
            _add_word("gamma")
            raise Boom
        assert "gamma" not in set(db.session.scalars(sa.select(BannedWord.word)))
    assert "gamma" not in _words(dbs)


def test_auto_begun_reads_become_part_of_the_unit_and_commit(app, dbs):
    with app.app_context():
        db.session.scalar(sa.select(sa.func.count()).select_from(BannedWord))
        with transaction():
            _add_word("delta")
        assert not in_unit()
    assert "delta" in _words(dbs)


def test_nested_call_joins_and_an_inner_failure_undoes_the_whole_unit(app, dbs):
    with app.app_context(), pytest.raises(Boom):
        with transaction():
            _add_word("outer")
            with transaction() as inner:
                assert inner is db.session()
                _add_word("inner")
                raise Boom
    assert not {"outer", "inner"} & _words(dbs)


def test_nested_call_does_not_commit_on_its_own(app, dbs):
    with app.app_context():
        with pytest.raises(Boom), transaction():
            with transaction():
                _add_word("joined")
            # The inner block ended, but the unit is still open: nothing committed yet.
            assert in_unit()
            raise Boom
    assert "joined" not in _words(dbs)


def test_savepoint_isolates_a_failing_step(app, dbs):
    with app.app_context():
        with transaction():
            _add_word("kept")
            with pytest.raises(sa.exc.IntegrityError), transaction(savepoint=True):
                _add_word("kept")  # duplicate word: unique violation
            _add_word("after")
    assert {"kept", "after"} <= _words(dbs)


def test_writes_outside_a_unit_are_refused(app):
    with app.app_context(), pytest.raises(NoUnitOfWork):
        require_unit()


PACKAGE = Path(__file__).resolve().parents[2] / "flick_admin"


def test_nothing_but_the_helper_commits():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "transaction.py" and path.parent.name == "db":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\.commit\(", line):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    assert offenders == []
