"""Which banned words a text hits, the way Flick's server filters posts and comments.

Two normal forms of the text, as Flick's filter makes them:

* **normal** — Unicode NFKD, combining marks dropped, lower-case;
* **strict** — the normal form with spaces, dots, dashes and underscores removed, ``@``
  between letters dropped, and digits and symbols read as the letters they stand for
  (``4``/``@`` → a, ``3`` → e, ``1``/``!``/``|`` → i, ``0`` → o, ``$``/``5`` → s,
  ``7``/``+`` → t, ``8`` → b, ``6``/``9`` → g, ``2`` → z).

Normal words match whole words of the normal form. Strict-mode words (and normal words
whose strict form differs) also match the strict form, which catches "s p a m",
"s.p.a.m" and "5p4m" — but only where the match starts and ends on a word boundary of the
text, so "skyscraper" does not hit "kys". A token with ``*`` between letters ("f*ck") matches a
word whose letters fit around the stars.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

LEET = str.maketrans({"4": "a", "@": "a", "3": "e", "1": "i", "!": "i", "|": "i", "0": "o",
                      "$": "s", "5": "s", "7": "t", "+": "t", "8": "b", "6": "g", "9": "g",
                      "2": "z"})
STRIP = re.compile(r"[\s._\-]+")
AT_BETWEEN_LETTERS = re.compile(r"(?<=[a-z])@(?=[a-z])")


def normal_form(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def strict_form(text: str) -> str:
    normal = AT_BETWEEN_LETTERS.sub("", normal_form(text))
    return STRIP.sub("", normal).translate(LEET)


def _strict_with_positions(normal: str) -> tuple[str, list[int]]:
    """The strict form of an already normal text, and for each of its characters the
    position it came from in the normal text."""
    out: list[str] = []
    positions: list[int] = []
    for i, c in enumerate(normal):
        if c.isspace() or c in "._-":
            continue
        if (c == "@" and 0 < i < len(normal) - 1 and normal[i - 1].isalpha()
                and normal[i + 1].isalpha()):
            continue
        out.append(c.translate(LEET))
        positions.append(i)
    return "".join(out), positions


def _on_boundaries(normal: str, start: int, end: int) -> bool:
    return ((start == 0 or not normal[start - 1].isalnum())
            and (end == len(normal) - 1 or not normal[end + 1].isalnum()))


@dataclass(frozen=True)
class Word:
    word: str
    severity: str
    strict: bool


@dataclass(frozen=True)
class Hit:
    word: str
    severity: str
    how: str  # "word", "strict" or "wildcard"


def hits(text: str, words: Iterable[Word]) -> list[Hit]:
    normal = normal_form(text)
    strict, positions = _strict_with_positions(normal)
    tokens = re.findall(r"[^\s]+", normal)
    wildcard_tokens = [t for t in tokens if re.search(r"[a-z]\*+[a-z]?", t)]
    found: dict[str, Hit] = {}
    for w in words:
        target = normal_form(w.word).strip()
        if not target:
            continue
        if not w.strict and re.search(rf"(?<!\w){re.escape(target)}(?!\w)", normal):
            found.setdefault(w.word, Hit(w.word, w.severity, "word"))
            continue
        squeezed = strict_form(target)
        if (w.strict or squeezed != target) and squeezed and any(
            _on_boundaries(normal, positions[m.start()], positions[m.end() - 1])
            for m in re.finditer(re.escape(squeezed), strict)
        ):
            found.setdefault(w.word, Hit(w.word, w.severity, "strict"))
            continue
        for token in wildcard_tokens:
            pattern = "".join("[a-z]" if c == "*" else re.escape(c) for c in token.strip(".,!?;:"))
            if pattern and re.fullmatch(pattern, squeezed or target):
                found.setdefault(w.word, Hit(w.word, w.severity, "wildcard"))
                break
    order = {"severe": 0, "moderate": 1, "mild": 2}
    return sorted(found.values(), key=lambda h: (order.get(h.severity, 3), h.word))
