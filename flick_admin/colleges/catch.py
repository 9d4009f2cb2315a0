"""What a change of the word list would block, before it is made: the Scunthorpe problem
made visible. The newest visible posts and comments (a post as Flick checks it: title,
newline, content) go through Flick's matcher (:mod:`wordcheck`) with the list before and
after the change.

* **would block**: texts an added (or changed) word matches; **newly** those the list
  before the change lets through;
* **no longer blocks**: texts a removed (or changed) word matched that the list after the
  change lets through.

Only texts a changed word matches are checked against the whole list, so a scan costs one
pass of the changed words over the texts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from flick_admin.colleges.wordcheck import Compiled, Match, Word, compile_words, from_units, matches, to_units
from flick_admin.db import Comment, Post

NEWEST = 100_000
EXAMPLES = 10


@dataclass(frozen=True)
class Text:
    kind: str  # "post" or "comment"
    id: str
    text: str


@dataclass(frozen=True)
class Example:
    kind: str
    id: str
    word: str
    before: str
    inside: str
    after: str


@dataclass
class Preview:
    scanned: int = 0
    would_block: int = 0
    newly: int = 0
    no_longer: int = 0
    block_examples: list[Example] = field(default_factory=list)
    release_examples: list[Example] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return (f"Of {self.scanned:,} visible posts and comments: would block {self.would_block:,} "
                f"({self.newly:,} not blocked today); would no longer block {self.no_longer:,}.")


def _example(item: Text, match: Match) -> Example:
    units = to_units(item.text)
    return Example(item.kind, item.id, match.word, from_units(units[max(0, match.start - 40):match.start]),
                   from_units(units[match.start:match.end]), from_units(units[match.end:match.end + 40]))


def _first_of(found: tuple[Match, ...], words: set[str]) -> Match | None:
    return next((m for m in found if m.word in words), None)


class Scanner:
    def __init__(self, keep: Iterable[Word], added: Iterable[Word] = (), removed: Iterable[Word] = ()):
        keep, added, removed = list(keep), list(added), list(removed)
        self.added, self.removed = compile_words(added), compile_words(removed)
        self.before: Compiled = compile_words(sorted(keep + removed, key=lambda w: w.word))
        self.after: Compiled = compile_words(sorted(keep + added, key=lambda w: w.word))
        self.added_words = {w.word for w in added}
        self.removed_words = {w.word for w in removed}
        self.preview = Preview()

    def feed(self, item: Text) -> None:
        p = self.preview
        p.scanned += 1
        caught = matches(item.text, self.added) if not self.added.empty else ()
        if caught:
            p.would_block += 1
            if not matches(item.text, self.before):
                p.newly += 1
            if len(p.block_examples) < EXAMPLES:
                # The span Flick would list: the added word's match unless a longer one holds it.
                hit = _first_of(matches(item.text, self.after), self.added_words) or caught[0]
                p.block_examples.append(_example(item, hit))
        if not self.removed.empty:
            gone = matches(item.text, self.removed)
            if gone and not matches(item.text, self.after):
                p.no_longer += 1
                if len(p.release_examples) < EXAMPLES:
                    p.release_examples.append(_example(item, gone[0]))


# --- the texts --------------------------------------------------------------------------------

def _visible_posts():
    return (sa.select(sa.literal("post"), Post.id, Post.title + "\n" + Post.content, Post.created_at)
            .where(sa.func.coalesce(Post.is_banned, False).is_(False),
                   sa.func.coalesce(Post.is_shadow_banned, False).is_(False)))


def _visible_comments():
    return (sa.select(sa.literal("comment"), Comment.id, Comment.content, Comment.created_at)
            .where(sa.func.coalesce(Comment.is_banned, False).is_(False)))


def newest_texts(conn: Connection, limit: int = NEWEST) -> Iterator[Text]:
    """The newest ``limit`` visible posts and comments, newest first (each side read by
    its created-at index, at most ``limit`` rows of each)."""
    posts = _visible_posts().order_by(Post.created_at.desc()).limit(limit).subquery()
    comments = _visible_comments().order_by(Comment.created_at.desc()).limit(limit).subquery()
    both = sa.union_all(sa.select(posts), sa.select(comments)).subquery()
    stmt = sa.select(both).order_by(both.c[3].desc()).limit(limit)
    for kind, ident, text, _at in conn.execute(stmt):
        yield Text(kind, str(ident), text or "")


def all_texts(conn: Connection, batch: int = 5000) -> Iterator[Text]:
    for stmt in (_visible_posts(), _visible_comments()):
        # Per statement: Connection.execution_options() would change the connection itself.
        result = conn.execute(stmt.execution_options(stream_results=True, yield_per=batch))
        for kind, ident, text, _at in result:
            yield Text(kind, str(ident), text or "")


def count_all(conn: Connection) -> int:
    return sum(conn.execute(sa.select(sa.func.count()).select_from(s.subquery())).scalar_one()
               for s in (_visible_posts(), _visible_comments()))


def preview(conn: Connection, keep: Iterable[Word], added: Iterable[Word] = (),
            removed: Iterable[Word] = (), *, texts: Iterable[Text] | None = None,
            progress: Callable[[int], object] | None = None) -> Preview:
    scanner = Scanner(keep, added, removed)
    for n, item in enumerate(newest_texts(conn) if texts is None else texts, 1):
        scanner.feed(item)
        if progress and n % 1000 == 0:
            progress(1000)
    return scanner.preview
