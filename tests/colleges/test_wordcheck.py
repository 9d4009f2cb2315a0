"""Flick Admin's banned-word check gives Flick's server verdict, rule by rule."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flick_admin.colleges import wordcheck
from flick_admin.colleges.wordcheck import Word, check, compile_words, matches, normalize, to_units

S, N = True, False


def words(*specs):
    return compile_words(Word(w, sev, strict) for w, strict, sev in
                         sorted((s if len(s) == 3 else (*s, "moderate")) for s in specs))


# --- every case of Flick's own moderator.test.ts, with the outcome Flick's code gives ---------

def test_flick_normalize_cases():
    assert normalize("k.i-l_l", "strict") == ("kill", [0, 2, 4, 6])
    assert normalize("k1ll", "normal")[0] == "k1ll"


FLICK_SUITE = words(("kill", S, "moderate"), ("ass", N, "mild"))


@pytest.mark.parametrize("text", ["kill him", "k1ll him", "k.i.l.l him", "k i l l him"])
def test_flick_detects_strict_obfuscation(text):
    assert "kill" in {m.word for m in matches(text, FLICK_SUITE)}


@pytest.mark.parametrize("text", ["assistant", "passion", "skillful"])
def test_flick_no_false_positive(text):
    assert matches(text, FLICK_SUITE) == ()


# Flick's test expects all three blocked; Flick's code blocks only the first: "bitch" is a
# normal word whose strict form equals its normal form, so it gets no leet/separator variant.
@pytest.mark.parametrize(("text", "blocked"), [
    ("you are a bitch", True), ("you are a b1tch", False), ("you are a b.i.t.c.h", False)])
def test_flick_normal_mode_variants_as_flick_runs_them(text, blocked):
    assert bool(matches(text, words(("bitch", N, "mild")))) is blocked


# Flick's test expects f***k blocked; its code allows it (each * takes at least one letter).
@pytest.mark.parametrize(("text", "blocked"), [("f*ck", True), ("f***k", False), ("r*", False)])
def test_flick_wildcards_as_flick_runs_them(text, blocked):
    assert bool(matches(text, words(("fuck", S, "severe")))) is blocked


def test_the_three_checks_flick_fails_get_a_note():
    assert any("looks unintended" in n for n in check("you are a b1tch", [Word("bitch", "mild", False)]).notes)
    assert any("looks unintended" in n for n in check("you are a b.i.t.c.h", [Word("bitch", "mild", False)]).notes)
    assert any("at least one letter" in n for n in check("f***k", [Word("fuck", "severe", True)]).notes)


# --- a table of the rules --------------------------------------------------------------------

TABLE_WORDS = words(("kill", S), ("ass", N), ("tit", S), ("fuck", S), ("bitch", N), ("trash talk", N),
                    ("scam", S), ("idiot", N), ("shit", S), ("kys", S), ("b00b", N), ("रंडी", N),
                    ("🖕", N))

TABLE = [
    # word boundaries are read on the original text: letters and digits only
    ("kill", {"kill"}), ("kill™", {"kill"}), ("killer", set()), ("skill", set()), ("kill_", {"kill"}),
    ("_kill_", {"kill"}), ("kill2", set()), ("2kill", set()), ("killé", set()), ("kill!", {"kill"}),
    ("(kill)", {"kill"}), ("kill\u0301", {"kill"}), ("ｋｉｌｌ", {"kill"}), ("kill\u200b", {"kill"}),
    ("kill𝐚", {"kill"}), ("kill kill", {"kill"}),
    # '_' is not a word character
    ("dumb_ass", {"ass"}), ("ass_hat", {"ass"}), ("asshat", set()), ("my ass.", {"ass"}), ("ASS", {"ass"}),
    ("Äss", {"ass"}), ("passion", set()),
    # a plain normal word is read as written: no leet, no separators
    ("@ss", set()), ("a$$", set()), ("a s s", set()), ("b1tch", set()), ("b.i.t.c.h", set()),
    ("bitch", {"bitch"}), ("bitches", set()), ("1d10t", set()), ("idiot", {"idiot"}), ("idiotic", set()),
    ("Ídiot", {"idiot"}),
    # strict separators: space, tab, newline, CR, '.', '-', '_' and nothing else
    ("k i l l", {"kill"}), ("k\ti\nl\rl", {"kill"}), ("k.i.l.l", {"kill"}), ("k-i-l-l", {"kill"}),
    ("k_i_l_l", {"kill"}), ("k,i,l,l", set()), ("k/i/l/l", set()), ("k+i+l+l", set()),
    ("\u200bk\u200bi\u200bl\u200bl", set()),
    # leet in strict mode
    ("k1ll", {"kill"}), ("k!ll", {"kill"}), ("k|ll", {"kill"}), ("K1LL", {"kill"}), ("sc4m", {"scam"}),
    ("5c4m", {"scam"}), ("s c a m", {"scam"}), ("s.c.4.m", {"scam"}), ("scammer", set()), ("a scam!", {"scam"}),
    ("ky$", {"kys"}), ("kys", {"kys"}), ("skyscraper", set()), ("k.y.s", {"kys"}), ("kys!", {"kys"}),
    # '@' is dropped between two word characters, read as 'a' elsewhere
    ("ki@ll", {"kill"}), ("@kill", {"kill"}), ("kill@", {"kill"}), ("k@ll", set()), ("sc@m", set()),
    ("sc@@m", set()), ("s@c@m", set()),
    # overlapping occurrences
    ("ti.tit", {"tit"}), ("tit", {"tit"}), ("titi", set()), ("t.i.t", {"tit"}), ("t i t t i t", {"tit"}),
    # normal words with a strict spelling of their own
    ("trash talk", {"trash talk"}), ("trash-talk", {"trash talk"}), ("trashtalk", {"trash talk"}),
    ("tr4sh t4lk", {"trash talk"}), ("trash  talk", {"trash talk"}), ("trashtalker", set()),
    ("b00b", {"b00b"}), ("boob", {"b00b"}), ("b o o b", {"b00b"}),
    # stars
    ("f*ck", {"fuck"}), ("f**k", {"fuck"}), ("f***k", set()), ("(f*ck)", {"fuck"}), ("f*ck!", {"fuck"}),
    ("*uck", set()), ("fuc*", set()), ("f*", set()), ("k*l", {"kill"}), ("sh*7", {"shit"}), ("b*tch", set()),
    ("f*ck_you", {"fuck"}), ("f*ckyou", set()), ("f*k", {"fuck"}), ("f.*ck", set()), ("a*s", set()),
    ("t*t", {"tit"}), ("k*ll*", set()), ("b*0b", {"b00b"}),
    # Unicode: marks dropped, UTF-16 code units
    ("रोड", {"रंडी"}), ("रंडी", {"रंडी"}), ("𝐤𝐢𝐥𝐥", set()), ("I 🖕 you", set()), ("KİLL", {"kill"}),
    ("ǩill", {"kill"}), ("kⅰll", {"kill"}), ("k¹ll", {"kill"}), ("ſcam", {"scam"}),
    ("", set()), ("a lovely day", set()),
]


def test_the_table_is_big_enough():
    assert len(TABLE) >= 100


@pytest.mark.parametrize(("text", "expected"), TABLE)
def test_rule_table(text, expected):
    assert {m.word for m in matches(text, TABLE_WORDS)} == expected


@pytest.mark.parametrize(("text", "spans"), [
    ("ti.tit", [(3, 6)]), ("t i t t i t", [(0, 5), (6, 11)]), ("k.i.l.l him", [(0, 7)]),
    ("(f*ck)", [(1, 5)]), ("kill𝐚 kill", [(0, 4), (7, 11)]), ("dumb_ass", [(5, 8)]),
])
def test_spans_count_utf16_units(text, spans):
    assert [(m.start, m.end) for m in matches(text, TABLE_WORDS)] == spans


def test_a_match_inside_a_longer_one_is_not_listed():
    compiled = words(("sex", N), ("sex toy", N))
    assert [m.word for m in matches("a sex toy", compiled)] == ["sex toy"]
    assert [m.word for m in matches("sex", compiled)] == ["sex"]


def test_two_words_on_one_span_list_the_strict_one():
    compiled = words(("kill", S), ("k1ll", N))
    assert [(m.word, m.how) for m in matches("kill", compiled)] == [("kill", "strict")]


def test_unintended_verdicts_carry_a_note():
    assert check("रोड", [Word("रंडी", "severe", False)]).notes
    assert check("𝐤𝐢𝐥𝐥 him", [Word("kill", "severe", True)]).notes
    assert check("I 🖕 you", [Word("🖕", "severe", False)]).notes
    assert check("kill him", [Word("kill", "severe", True)]).notes == ()
    assert check("résumé", [Word("resume", "mild", False)]).notes == ()


# --- properties ------------------------------------------------------------------------------

ascii_word = st.text(string.ascii_lowercase, min_size=2, max_size=8)
texts = st.text(st.sampled_from(list("abcikls t.-_@*!1$0ı™é́𝐤रोड\u0301\n,")), max_size=40)


@settings(max_examples=300, deadline=None)
@given(ascii_word, st.lists(st.sampled_from(sorted(wordcheck.SEPARATORS)), max_size=8), st.data())
def test_separators_inside_a_strict_word_never_unblock_it(word, seps, data):
    chars = list(word)
    for sep in seps:
        chars.insert(data.draw(st.integers(1, len(chars) - 1)), sep)
    text = f"well {''.join(chars)} then"
    assert word in {m.word for m in matches(text, words((word, S)))}


@settings(max_examples=300, deadline=None)
@given(ascii_word, st.data())
def test_leet_inside_a_strict_word_never_unblocks_it(word, data):
    reverse = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7", "b": "8", "g": "6", "z": "2"}
    spelled = "".join(reverse[c] if c in reverse and data.draw(st.booleans()) else c for c in word)
    assert matches(f"({spelled})", words((word, S)))


@settings(max_examples=500, deadline=None)
@given(texts, st.lists(st.tuples(st.text("abcikls.t@$0 ", min_size=1, max_size=5), st.booleans()),
                       min_size=1, max_size=4, unique_by=lambda w: w[0]))
def test_matches_sit_on_word_boundaries_and_never_nest(text, specs):
    compiled = words(*[(w, strict) for w, strict in specs])
    units = to_units(text)
    found = matches(text, compiled)
    for m in found:
        assert wordcheck.is_boundary(units, m.start, m.end)
        assert 0 <= m.start < m.end <= len(units)
    assert all(a.start <= b.start and a.end < b.end for a, b in zip(found, found[1:]))


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(string.printable, max_size=60), texts, st.text(max_size=30)),
       st.lists(st.tuples(st.text("abcikls.t@$0 *ıé𝐤रोड", min_size=1, max_size=5), st.booleans()),
                min_size=1, max_size=4, unique_by=lambda w: w[0]))
def test_the_fast_path_gives_the_exact_answer(text, specs):
    compiled = words(*[(w, strict) for w, strict in specs])
    assert matches(text, compiled) == wordcheck._exact(text, compiled)


@settings(max_examples=300, deadline=None)
@given(ascii_word, st.text(" .,!?\n", min_size=1, max_size=3), st.booleans())
def test_a_word_standing_alone_is_blocked(word, around, strict):
    assert matches(f"x{around}{word}{around}y", words((word, strict)))
