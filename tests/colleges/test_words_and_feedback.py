"""Banned words (single, bulk import with preview, try a text) and feedback."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from flick_admin.colleges.wordcheck import Word, hits, strict_form
from flick_admin.db import BannedWord, Feedback
from tests import factories
from tests.conftest import audit_rows


def words_in(dbs) -> dict[str, tuple[str, bool]]:
    dbs.expire_all()
    return {w.word: (w.severity, w.strict_mode) for w in dbs.scalars(sa.select(BannedWord))}


def test_add_edit_delete_a_word(client, dbs, login_as):
    login_as("admin")
    assert client.post("/banned-words/new", data={"word": "  ScamLink ", "severity": "severe",
                                                  "strict": "1"}).status_code == 303
    assert words_in(dbs) == {"scamlink": ("severe", True)}
    row = dbs.scalars(sa.select(BannedWord)).one()
    client.post(f"/banned-words/{row.id}/edit", data={"word": "scamlink", "severity": "mild"})
    assert words_in(dbs) == {"scamlink": ("mild", False)}
    assert client.post(f"/banned-words/{row.id}/delete", data={}).status_code == 400
    row_id = row.id
    assert client.post(f"/banned-words/{row_id}/delete", data={"confirm": "1"}).status_code == 303
    assert words_in(dbs) == {}
    actions = [r.action for r in audit_rows(dbs)]
    assert actions == ["admin:created:banned-word", "admin:updated:banned-word", "admin:deleted:banned-word"]
    updated = audit_rows(dbs, action="admin:updated:banned-word")[0]
    assert updated.before == {"severity": "severe", "strict_mode": True}


def test_duplicate_word_is_a_409_form_error(client, dbs, login_as):
    login_as("admin")
    factories.BannedWordFactory(word="spam")
    response = client.post("/banned-words/new", data={"word": "SPAM", "severity": "mild"})
    assert response.status_code == 409 and "already a banned word" in response.get_data(as_text=True)
    other = factories.BannedWordFactory(word="eggs")
    clash = client.post(f"/banned-words/{other.id}/edit", data={"word": "Spam", "severity": "mild"})
    assert clash.status_code == 409
    assert set(words_in(dbs)) == {"spam", "eggs"}


@pytest.mark.parametrize("data", [{"word": "", "severity": "mild"}, {"word": "x" * 129, "severity": "mild"},
                                  {"word": "ok", "severity": "apocalyptic"}])
def test_bad_words_are_400(client, dbs, login_as, data):
    login_as("admin")
    assert client.post("/banned-words/new", data=data).status_code == 400
    assert words_in(dbs) == {}


def test_bulk_import_previews_then_applies_as_one_batch(client, dbs, login_as):
    login_as("admin")
    factories.BannedWordFactory(word="same", severity="mild", strict_mode=False)
    factories.BannedWordFactory(word="changed", severity="mild", strict_mode=False)
    text = "word,severity,strict\nnewone,severe,true\nsame,mild,false\nchanged,severe,yes\nplain\n"
    preview = client.post("/banned-words/import", data={"text": text})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "<strong>2</strong> to add · <strong>1</strong> to update · <strong>1</strong> unchanged" in page
    assert words_in(dbs) == {"same": ("mild", False), "changed": ("mild", False)}  # nothing yet
    applied = client.post("/banned-words/import", data={"text": text, "apply": "1"})
    assert applied.status_code == 303
    assert words_in(dbs) == {"same": ("mild", False), "changed": ("severe", True),
                             "newone": ("severe", True), "plain": ("moderate", False)}
    rows = audit_rows(dbs)
    assert sorted(r.action for r in rows) == ["admin:created:banned-word"] * 2 + ["admin:updated:banned-word"]
    assert len({r.metadata_["batch_id"] for r in rows}) == 1


def test_bulk_import_from_an_uploaded_csv(client, dbs, login_as):
    login_as("admin")
    upload = (io.BytesIO(b"\xef\xbb\xbfalpha,mild,false\nbeta,severe,true\n"), "words.csv")
    response = client.post("/banned-words/import", data={"file": upload, "apply": "1"},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    assert words_in(dbs) == {"alpha": ("mild", False), "beta": ("severe", True)}


@pytest.mark.parametrize(("text", "message"), [
    ("good,mild,false\nbad,catastrophic,false\n", "line 2: Unknown severity"),
    ("good\ngood\n", "already appears on line 1"),
    ("a,mild,perhaps\n", "strict must be true or false"),
    ("a,mild,false,extra\n", "expected word,severity,strict"),
    ("\n\n", "There is no word to import"),
])
def test_a_bad_line_refuses_the_whole_import(client, dbs, login_as, text, message):
    login_as("admin")
    response = client.post("/banned-words/import", data={"text": text, "apply": "1"})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert words_in(dbs) == {} and audit_rows(dbs) == []


def test_try_a_text_shows_the_hits(client, dbs, login_as):
    login_as("moderator")
    factories.BannedWordFactory(word="scam", severity="severe", strict_mode=True)
    factories.BannedWordFactory(word="idiot", severity="mild")
    page = client.get("/banned-words/", query_string={"sample": "what an 1d10t, total s.c.4.m"}).get_data(as_text=True)
    hits_html = page.split('data-testid="hits"')[1]
    assert "scam" in hits_html and "strict match" in hits_html
    clean = client.get("/banned-words/", query_string={"sample": "a lovely day"}).get_data(as_text=True)
    assert "No banned word in this text." in clean


@pytest.mark.parametrize(("text", "expected"), [
    ("this is s p a m", {"spam"}), ("5p4m!", {"spam"}), ("S.P.A.M", {"spam"}),
    ("spammer", set()),                     # a strict match must sit on word boundaries
    ("you idiot", {"idiot"}), ("idiotic", set()), ("Ídiot", {"idiot"}),
    # a star reads a word only for strict words and normal words with a strict spelling
    ("what the f*ck", set()), ("trash-talk again", {"trash talk"}),
    ("skyscraper", set()), ("kys now", {"kys"}),
])
def test_word_matching_catches_flicks_evasions(text, expected):
    words = [Word("spam", "moderate", True), Word("idiot", "mild", False), Word("fuck", "severe", False),
             Word("trash talk", "mild", False), Word("kys", "severe", True)]
    assert {h.word for h in hits(text, words)} == expected


def test_strict_form():
    # Flick drops an @ between letters (an e-mail-like joiner) and reads other @ as "a".
    assert strict_form("H3ll0 W@rld. F-o_o") == "hellowrldfoo"
    assert strict_form("@ss") == "ass"
    assert strict_form("a@b") == "ab"


def test_feedback_review_dismiss_delete(client, dbs, login_as):
    login_as("admin")
    author = factories.StudentFactory(username="feedback_author", auth=factories.AuthFactory(name="Asha K"))
    item = factories.FeedbackFactory(user=author, title="Dark mode please")
    page = client.get("/feedback/").get_data(as_text=True)
    assert "feedback_author" in page and "Asha K" in page and "[object Object]" not in page
    client.post(f"/feedback/{item.id}/status", data={"status": "reviewed"})
    client.post(f"/feedback/{item.id}/status", data={"status": "reviewed"})
    (row,) = audit_rows(dbs, action="admin:updated:feedback:status")
    assert (row.before, row.after) == ({"status": "new"}, {"status": "reviewed"})
    assert client.post(f"/feedback/{item.id}/status", data={"status": "burned"}).status_code == 400
    assert client.post(f"/feedback/{item.id}/delete", data={}).status_code == 400
    item_id = item.id
    assert client.post(f"/feedback/{item_id}/delete", data={"confirm": "1"}).status_code == 303
    dbs.expunge_all()
    assert dbs.get(Feedback, item_id) is None
    (deleted,) = audit_rows(dbs, action="admin:deleted:feedback")
    assert deleted.before["title"] == "Dark mode please"


def test_feedback_filters(client, dbs, login_as):
    login_as("auditor")
    factories.FeedbackFactory(type="bug", title="Crash on upload", status="new")
    factories.FeedbackFactory(type="feature", title="Polls", status="reviewed")
    page = client.get("/feedback/", query_string={"type": "bug"}).get_data(as_text=True)
    assert "Crash on upload" in page and "Polls" not in page
    page = client.get("/feedback/", query_string={"status": "reviewed"}).get_data(as_text=True)
    assert "Polls" in page and "Crash on upload" not in page
    assert client.get("/feedback/", query_string={"status": "lost"}).status_code == 400
    assert "Delete" not in page  # auditors cannot change feedback


@pytest.mark.parametrize(("content", "message"), [
    (b"alpha,mild,false\nbe\x00ta,severe,true\n", "line 2: the line contains a NUL character"),
    (b"alpha,mild,false\ngamma\n\"" + b"x" * (128 * 1024 + 1) + b"\",mild,false\n",
     "line 3: a field is longer than 128 KiB"),
], ids=["nul-byte", "oversized-quoted-field"])
def test_an_uploaded_file_with_a_nul_or_an_oversized_field_is_a_400_naming_the_line(
        client, dbs, login_as, content, message):
    login_as("admin")
    for apply in ("", "1"):  # the preview and the import itself
        upload = (io.BytesIO(content), "words.csv")
        response = client.post("/banned-words/import", data={"file": upload, "apply": apply},
                               content_type="multipart/form-data")
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    assert words_in(dbs) == {} and audit_rows(dbs) == []
