"""Before a word is added, changed or deleted: what it would block and release among the
newest visible posts and comments, with Flick's matcher."""

from __future__ import annotations

import sqlalchemy as sa
from click.testing import CliRunner

from flick_admin.db import BannedWord
from tests import factories
from tests.conftest import audit_rows


def _catch(client, **form):
    return client.post("/banned-words/catch", data=form)


def test_adding_shows_what_it_would_block_and_saves_nothing(client, dbs, login_as):
    login_as("admin")
    hit = factories.PostFactory(title="Exam tips", content="the scunthorpe bus is late")
    factories.CommentFactory(content="what a c.u.n.t move")  # a strict word reads through dots
    factories.PostFactory(title="hidden", content="cunt", is_banned=True)  # not visible: not counted
    factories.CommentFactory(content="cunts everywhere")  # not on a word boundary
    response = _catch(client, word="cunt", severity="severe", strict="1")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    panel = page.split('data-testid="catch"')[1]
    assert 'data-testid="catch-block">1<' in panel  # the dotted comment only; Scunthorpe is safe
    assert "<mark>c.u.n.t</mark>" in panel and "/comments/" in panel
    assert f"/posts/{hit.id}" not in panel
    assert dbs.scalar(sa.select(sa.func.count()).select_from(BannedWord)) == 0
    assert audit_rows(dbs) == []


def test_an_edit_shows_what_it_would_stop_blocking(client, dbs, login_as):
    login_as("admin")
    word = factories.BannedWordFactory(word="scam", severity="severe", strict_mode=True)
    factories.PostFactory(title="warning", content="this is a sc4m")
    factories.PostFactory(title="warning", content="a scam again")
    page = _catch(client, word_id=str(word.id), word="scam", severity="severe").get_data(as_text=True)
    panel = page.split('data-testid="catch"')[1]
    assert 'data-testid="catch-block">1<' in panel          # normal "scam" still blocks the plain one
    assert 'data-testid="catch-newly">0<' in panel
    assert 'data-testid="catch-release">1<' in panel        # but no longer "sc4m"
    assert "<mark>sc4m</mark>" in panel


def test_a_delete_shows_what_it_would_release(client, dbs, login_as):
    login_as("admin")
    word = factories.BannedWordFactory(word="idiot", severity="mild")
    factories.BannedWordFactory(word="stupid idiot", severity="mild")
    factories.CommentFactory(content="you idiot")
    factories.CommentFactory(content="stupid idiot")  # still blocked by the longer word
    page = _catch(client, word_id=str(word.id), delete="1").get_data(as_text=True)
    assert 'data-testid="catch-release">1<' in page.split('data-testid="catch"')[1]


def test_the_import_preview_shows_what_it_would_catch(client, dbs, login_as):
    login_as("admin")
    factories.PostFactory(title="deal", content="crypto pump tonight")
    page = client.post("/banned-words/import", data={"text": "pump,moderate,false"}).get_data(as_text=True)
    assert 'data-testid="catch-block">1<' in page.split('data-testid="catch"')[1]


def test_catch_refuses_bad_input(client, dbs, login_as):
    login_as("admin")
    assert _catch(client, word="", severity="mild").status_code == 400
    assert _catch(client, word="x", severity="mild", word_id="not-a-uuid").status_code == 400
    assert _catch(client, word="x", severity="mild",
                  word_id="00000000-0000-0000-0000-000000000000").status_code == 404
    login_as("moderator")
    assert _catch(client, word="x", severity="mild").status_code == 403


def test_words_scan_over_all_content(app, dbs, connection):
    factories.PostFactory(title="t", content="buy cheap pills")
    factories.CommentFactory(content="p.i.l.l.s for sale")
    factories.CommentFactory(content="a spill of milk")
    dbs.flush()
    result = app.test_cli_runner().invoke(args=["words", "scan", "pills", "--strict"])
    assert result.exit_code == 0, result.output
    assert "would block 2" in result.output and "(2 not blocked today)" in result.output
    assert "<<p.i.l.l.s>>" in result.output
