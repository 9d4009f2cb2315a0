"""Which banned words a text hits: exactly the verdict of Flick's server.

Flick's server checks ``title + "\\n" + content`` of a post (and a comment's content)
against every banned word and refuses the text on any match. This module gives the same
verdict and the same list of matches, rule for rule:

* Text is read in **UTF-16 code units**, as JavaScript strings are. A letter outside the
  Basic Multilingual Plane (math-bold 𝐤, most emoji) is two units, neither a letter.
* Each unit is normalised on its own: Unicode NFKD, lower-case, and **every combining mark
  dropped** (``\\p{M}``, vowel signs of Indic scripts included).
* The **normal** form keeps everything else. The **strict** form also drops space, tab,
  newline, CR, ``.``, ``-`` and ``_``, drops ``@`` between two word characters of the
  original text, and reads ``2→z @→a 4→a 3→e 1→i |→i !→i 0→o $→s 5→s +→t 7→t 8→b 6→g 9→g``.
* A strict word is looked for in the strict form; a normal word in the normal form and, when
  its strict form differs (``trash talk``, ``a$$``), that strict form in the strict form too.
  Every occurrence counts, overlapping ones included.
* A match counts only on **word boundaries of the original text**: the units just before
  and after it are not letters or digits (``\\p{L}\\p{N}``; ``_`` is not a word character).
* **Stars**: the text is split into tokens of letters, digits and ``*``; a token with a star
  between two letters and at least two letters (after strict reading, so ``sh*7`` is
  ``sh*t``) matches a strict word, or a normal word whose strict form differs, when each
  ``*`` stands for one or more characters of the word.
* Where one match lies inside another (or inside the ones before it), only the first,
  longer one is kept — Flick lists what is left.

Where Flick's rule gives a verdict that looks unintended, :func:`check` adds a note with the
reason; the verdict stays Flick's, since that is what will happen to the student's text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

LEET = {"2": "z", "@": "a", "4": "a", "3": "e", "1": "i", "|": "i", "!": "i", "0": "o",
        "$": "s", "5": "s", "+": "t", "7": "t", "8": "b", "6": "g", "9": "g"}
SEPARATORS = frozenset(" \t\n\r.-_")
_ASCII_STRICT = str.maketrans({**LEET, **{c: None for c in SEPARATORS}})
# The combining diacritics of Latin, Greek and Cyrillic: dropping them is Flick's intent.
_ACCENTS = range(0x0300, 0x0370)


@dataclass(frozen=True)
class Word:
    word: str
    severity: str
    strict: bool


@dataclass(frozen=True)
class Match:
    """One match as Flick reports it: ``start``/``end`` count UTF-16 code units."""
    word: str
    severity: str
    start: int
    end: int
    how: str  # "strict", "word", "variant" or "wildcard"


@dataclass(frozen=True)
class Verdict:
    text: str
    matches: tuple[Match, ...]
    notes: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return not self.matches

    @property
    def words(self) -> list[str]:
        """Flick's reason lists each matched word once, in the order of the matches."""
        return list(dict.fromkeys(m.word for m in self.matches))

    def span(self, match: Match) -> tuple[str, str, str]:
        """The text before, inside and after a match, as Python text."""
        units = to_units(self.text)
        return (from_units(units[:match.start]), from_units(units[match.start:match.end]),
                from_units(units[match.end:]))


# --- UTF-16 ---------------------------------------------------------------------------------

def to_units(text: str) -> str:
    """The text with each character outside the BMP written as its two surrogates, so that
    indexing and ``len`` count UTF-16 code units, as JavaScript does."""
    if text.isascii() or all(ord(c) < 0x10000 for c in text):
        return text
    out = []
    for c in text:
        n = ord(c)
        if n < 0x10000:
            out.append(c)
        else:
            n -= 0x10000
            out.append(chr(0xD800 + (n >> 10)) + chr(0xDC00 + (n & 0x3FF)))
    return "".join(out)


def from_units(units: str) -> str:
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


@lru_cache(maxsize=65536)
def is_word_char(unit: str) -> bool:
    """Flick's ``/[\\p{L}\\p{N}]/u`` on one code unit (a lone surrogate is neither)."""
    return unicodedata.category(unit)[0] in "LN"


@lru_cache(maxsize=65536)
def _decompose(unit: str) -> str:
    return "".join(d for d in unicodedata.normalize("NFKD", unit).lower()
                   if unicodedata.category(d)[0] != "M")


def normalize(units: str, mode: str) -> tuple[str, list[int]]:
    """Flick's ``normalizeText``: the normal or strict form of a text given in code units,
    and for each unit of the form the index of the original unit it came from."""
    chars: list[str] = []
    index_map: list[int] = []
    strict = mode == "strict"
    last = len(units) - 1
    for i, unit in enumerate(units):
        for d in _decompose(unit):
            if strict:
                if d == "@" and 0 < i < last and is_word_char(units[i - 1]) and is_word_char(units[i + 1]):
                    continue
                if d in SEPARATORS:
                    continue
                d = LEET.get(d, d)
            chars.append(d)
            index_map.append(i)
    return "".join(chars), index_map


def normal_form(text: str) -> str:
    return normalize(to_units(text), "normal")[0]


def strict_form(text: str) -> str:
    return normalize(to_units(text), "strict")[0]


def is_boundary(units: str, start: int, end: int) -> bool:
    return ((start == 0 or not is_word_char(units[start - 1]))
            and (end >= len(units) or not is_word_char(units[end])))


# --- compiling the word list -----------------------------------------------------------------

@dataclass(frozen=True)
class _Pattern:
    word: Word
    pattern: str  # code units


def _has_surrogate(units: str) -> bool:
    return any(0xD800 <= ord(u) <= 0xDFFF for u in units)


@dataclass
class Compiled:
    """Flick's ``compileWords``. ``words`` must come in Flick's order (by ``word``), which
    only decides which of two words on the very same span is listed."""
    strict: list[_Pattern] = field(default_factory=list)
    normal: list[_Pattern] = field(default_factory=list)
    variants: list[_Pattern] = field(default_factory=list)

    @property
    def wildcard(self) -> list[_Pattern]:
        return self.strict + self.variants

    @property
    def empty(self) -> bool:
        return not (self.strict or self.normal)


def compile_words(words: Iterable[Word]) -> Compiled:
    compiled = Compiled()
    for w in words:
        units = to_units(w.word)
        strict = normalize(units, "strict")[0]
        if w.strict:
            if strict:
                compiled.strict.append(_Pattern(w, strict))
            continue
        normal = normalize(units, "normal")[0]
        if normal:
            compiled.normal.append(_Pattern(w, normal))
            if strict and strict != normal:
                compiled.variants.append(_Pattern(w, strict))
    return compiled


def unmatchable(word: Word) -> bool:
    """A word whose form holds a character outside the BMP (an emoji, a math letter):
    Flick's matcher walks the text by code unit but its word tree by character, so the
    word is never found (only a star token can still reach it)."""
    units = to_units(word.word)
    return _has_surrogate(normalize(units, "strict" if word.strict else "normal")[0])


# --- matching -------------------------------------------------------------------------------

def _occurrences(haystack: str, pattern: str):
    start = haystack.find(pattern)
    while start >= 0:
        yield start
        start = haystack.find(pattern, start + 1)


def _search(found: list[Match], patterns: Sequence[_Pattern], form: tuple[str, list[int]],
            units: str, how: str) -> None:
    text, index_map = form
    for p in patterns:
        if _has_surrogate(p.pattern) or p.pattern not in text:
            continue
        for start in _occurrences(text, p.pattern):
            first, last = index_map[start], index_map[start + len(p.pattern) - 1] + 1
            if is_boundary(units, first, last):
                found.append(Match(p.word.word, p.word.severity, first, last, how))


def _star_tokens(units: str):
    """Flick's wildcard candidates: runs of word characters and ``*`` holding a star
    between two letters and at least two letters, in their strict form."""
    start = -1
    for i in range(len(units) + 1):
        unit = units[i] if i < len(units) else ""
        if unit and (unit == "*" or is_word_char(unit)):
            if start < 0:
                start = i
            continue
        if start >= 0:
            token = units[start:i]
            if "*" in token:
                form = normalize(token, "strict")[0]
                literals = sum(1 for c in form if c != "*")
                if literals >= 2 and _has_star_bridge(form) and is_boundary(units, start, i):
                    yield start, i, form
            start = -1


def _has_star_bridge(form: str) -> bool:
    for i, c in enumerate(form):
        if c == "*" and i > 0 and unicodedata.category(form[i - 1])[0] == "L":
            j = i
            while j < len(form) and form[j] == "*":
                j += 1
            if j < len(form) and unicodedata.category(form[j])[0] == "L":
                return True
    return False


def star_matches(token: str, pattern: str, *, minimum: int = 1) -> bool:
    """Each ``*`` of the token stands for ``minimum`` or more units of the pattern; every
    other unit must be equal."""
    if len(token) > len(pattern):  # every unit of the token takes at least one
        return False
    n, m = len(token), len(pattern)
    # after[j]: token[i:] matches pattern[j:], filled from the end of the token backwards.
    after = [j == m for j in range(m + 1)]
    for i in range(n - 1, -1, -1):
        now = [False] * (m + 1)
        if token[i] == "*":
            reach = False  # any after[k] with k >= j + minimum
            for j in range(m, -1, -1):
                if j + minimum <= m and after[j + minimum]:
                    reach = True
                now[j] = reach
        else:
            for j in range(m):
                now[j] = token[i] == pattern[j] and after[j + 1]
        after = now
    return after[0]


def _keep_longest(found: list[Match]) -> tuple[Match, ...]:
    seen: set[tuple[str, int, int]] = set()
    unique = []
    for m in found:
        if (m.word, m.start, m.end) not in seen:
            seen.add((m.word, m.start, m.end))
            unique.append(m)
    unique.sort(key=lambda m: (m.start, -m.end))
    kept: list[Match] = []
    last_end = -1
    for m in unique:
        if kept and m.end <= last_end:
            continue
        kept.append(m)
        last_end = max(last_end, m.end)
    return tuple(kept)


class _Table(dict):
    """``str.translate`` table of each character's normal (or strict) form, filled as
    characters are met. A character outside the BMP stays as it is: Flick leaves each of
    its two code units unchanged."""

    def __init__(self, strict: bool):
        super().__init__()
        self.strict = strict

    def __missing__(self, code: int) -> str:
        char = chr(code)
        out = char if code > 0xFFFF else _decompose(char)
        if self.strict and code <= 0xFFFF:
            out = "".join(LEET.get(d, d) for d in out if d not in SEPARATORS)
        self[code] = out
        return out


_NORMAL_TABLE, _STRICT_TABLE = _Table(strict=False), _Table(strict=True)


def _fast_forms(text: str) -> tuple[str, str] | None:
    """The normal and strict forms of a text, computed in C, when no '@' is involved
    (its rule looks at the neighbours); ``None`` when only the exact walk gives them."""
    if text.isascii():
        if "@" in text:
            return None
        lower = text.lower()
        return lower, lower.translate(_ASCII_STRICT)
    normal = text.translate(_NORMAL_TABLE)
    if "@" in normal:
        return None
    return normal, text.translate(_STRICT_TABLE)


def _exact(text: str, compiled: Compiled) -> tuple[Match, ...]:
    units = to_units(text)
    strict, normal = normalize(units, "strict"), normalize(units, "normal")
    found: list[Match] = []
    _search(found, compiled.strict, strict, units, "strict")
    _search(found, compiled.normal, normal, units, "word")
    _search(found, compiled.variants, strict, units, "variant")
    if "*" in units:
        patterns = compiled.wildcard
        for start, end, token in _star_tokens(units):
            for p in patterns:
                if star_matches(token, p.pattern):
                    found.append(Match(p.word.word, p.word.severity, start, end, "wildcard"))
    return _keep_longest(found)


def matches(text: str, compiled: Compiled) -> tuple[Match, ...]:
    """Flick's ``moderateTextWithCompiled``: the matches it reports (none: allowed)."""
    text = text or ""
    if compiled.empty:
        return ()
    fast = _fast_forms(text)
    if fast is not None and "*" not in text:
        normal, strict = fast
        if not (any(p.pattern in strict for p in compiled.strict)
                or any(p.pattern in normal for p in compiled.normal)
                or any(p.pattern in strict for p in compiled.variants)):
            return ()
    return _exact(text, compiled)


def check(text: str, words: Iterable[Word]) -> Verdict:
    """Flick's verdict on a text, with notes where it looks unintended."""
    words = list(words)
    compiled = compile_words(words)
    found = matches(text, compiled)
    return Verdict(text, found, tuple(_notes(text, words, compiled, found)))


def hits(text: str, words: Iterable[Word]) -> tuple[Match, ...]:
    return matches(text, compile_words(words))


# --- where Flick's verdict looks unintended --------------------------------------------------

def _notes(text: str, words: list[Word], compiled: Compiled, found: tuple[Match, ...]):
    units = to_units(text)
    for m in found:
        marks = [c for c in units[m.start:m.end] for d in unicodedata.normalize("NFD", c)
                 if unicodedata.category(d)[0] == "M" and ord(d) not in _ACCENTS]
        if marks:
            yield (f"{from_units(units[m.start:m.end])!r} matches {m.word!r} only because Flick drops "
                   "every combining mark, vowel signs included; this block looks unintended.")
    if found:
        return
    if any(ord(c) > 0xFFFF and unicodedata.category(c)[0] in "LN" for c in text):
        plain = "".join(unicodedata.normalize("NFKD", c) if ord(c) > 0xFFFF else c for c in text)
        caught = matches(plain, compiled)
        if caught:
            yield (f"Flick allows this text, but read as plain letters it holds {caught[0].word!r}: "
                   "Flick reads text by UTF-16 code unit, so letters outside the basic plane "
                   "(such as math-bold) slip through. This looks unintended.")
    for w in words:
        if unmatchable(w) and w.word in text:
            yield (f"{w.word!r} is never found by Flick's matcher: it holds a character outside "
                   "the basic plane. This looks unintended.")
    plain_normals = [p for p in compiled.normal
                     if p.pattern == normalize(to_units(p.word.word), "strict")[0]]
    if plain_normals:
        as_variants = Compiled(variants=list(plain_normals))
        units_strict = normalize(units, "strict")
        extra: list[Match] = []
        _search(extra, as_variants.variants, units_strict, units, "variant")
        for start, end, token in _star_tokens(units) if "*" in units else ():
            extra += [Match(p.word.word, p.word.severity, start, end, "wildcard")
                      for p in plain_normals if star_matches(token, p.pattern)]
        if extra:
            yield (f"Flick allows this text, though it spells {extra[0].word!r} with digits, "
                   "separators or stars: Flick reads those only for strict words and for normal "
                   "words with a digit or separator of their own (Flick's own tests expect this "
                   "block). Make the word strict to catch it. This looks unintended.")
    if "*" in units:
        for start, end, token in _star_tokens(units):
            for p in compiled.wildcard:
                if not star_matches(token, p.pattern) and star_matches(_one_star_per_run(token), p.pattern):
                    yield (f"Flick allows {from_units(units[start:end])!r} although it reads as "
                           f"{p.word.word!r}: each star must stand for at least one letter, so more "
                           "stars than hidden letters slip through. This looks unintended.")
                    return


def _one_star_per_run(token: str) -> str:
    out = []
    for c in token:
        if not (c == "*" and out and out[-1] == "*"):
            out.append(c)
    return "".join(out)
