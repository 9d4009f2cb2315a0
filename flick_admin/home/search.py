"""Jump to anything: an email, a username, a post or comment id, a college name or domain,
or a page name. Every lookup rides an index the admin migrations add (prefix indexes on
usernames and lower-case emails, primary keys for ids) and the whole search is one
statement, capped per kind."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from flask import url_for

from flick_admin import scope
from flick_admin.db import Auth, College, Comment, PlatformUser, Post
from flick_admin.db import read_limit
from flick_admin.db.replica import reader
from flick_admin.listing import prefix_pattern

PER_KIND = 5
MAX_QUERY = 120


@dataclass(frozen=True)
class Hit:
    kind: str   # "page", "user", "post", "comment", "college"
    label: str
    detail: str
    url: str
    more: bool = False  # more of its kind match than are shown (the palette says "first N")


def _capped(stmt: sa.Select) -> sa.Select:
    """A branch of the union with its own LIMIT (wrapped, as SQLite requires): one row
    more than is shown, to know that more match."""
    sub = stmt.limit(PER_KIND + 1).subquery()
    return sa.select(*sub.c)


def _row(kind: str, key, label, detail) -> list:
    return [sa.literal(kind).label("kind"), sa.cast(key, sa.Text).label("key"),
            sa.cast(label, sa.Text).label("label"), sa.cast(detail, sa.Text).label("detail")]


def pages(admin, q: str) -> list[Hit]:
    """The navigation's pages the person may open whose name matches."""
    words = q.lower().split()
    hits = []
    for view in admin._views:  # noqa: SLF001 - Flask-Admin keeps its views here
        if not (view.is_accessible() and view.name) or view.endpoint == "search":
            continue
        name = view.name if not view.category else f"{view.category} › {view.name}"
        if all(w in name.lower() for w in words):
            hits.append(Hit("page", view.name, view.category or "page", url_for(f"{view.endpoint}.index")))
    return hits[:PER_KIND]


def _by_scope(stmt: sa.Select, author) -> sa.Select:
    """Only content by students of a college-scoped member's colleges."""
    if not scope.limited():
        return stmt
    return (stmt.join(PlatformUser, PlatformUser.id == author)
            .where(scope.students(PlatformUser.college_id)))


def _emails(pattern: str) -> sa.Select:
    stmt = (sa.select(*_row("user", Auth.id, Auth.email, sa.func.coalesce(Auth.role, "student")))
            .where(sa.func.lower(Auth.email).like(pattern, escape="\\"))
            .order_by(sa.func.lower(Auth.email)))
    if scope.limited():
        stmt = (stmt.join(PlatformUser, PlatformUser.auth_id == Auth.id)
                .where(scope.students(PlatformUser.college_id)))
    return stmt


def search(q: str) -> list[Hit]:
    q = " ".join((q or "").split())[:MAX_QUERY]
    if len(q) < 2:
        return []
    branches = []
    try:
        ident = uuid.UUID(q)
    except ValueError:
        ident = None
    if ident is not None:
        branches.append(_capped(_by_scope(sa.select(*_row("post", Post.id, Post.title, sa.literal("post")))
                                          .where(Post.id == ident), Post.posted_by_id)))
        branches.append(_capped(_by_scope(sa.select(*_row("comment", Comment.id, sa.func.substr(Comment.content, 1, 80),
                                                          sa.literal("comment"))).where(Comment.id == ident),
                                          Comment.commented_by_id)))
        branches.append(_capped(sa.select(*_row("college", College.id, College.name, College.email_domain))
                                .where(College.id == ident)))
    else:
        prefix = id_prefix(q)
        if prefix is not None:  # the start of a post's or comment's id, as lists show them
            low, high = prefix
            branches.append(_capped(_by_scope(
                sa.select(*_row("post", Post.id, Post.title, sa.literal("post"))).where(Post.id.between(low, high))
                .order_by(Post.id), Post.posted_by_id)))
            branches.append(_capped(_by_scope(
                sa.select(*_row("comment", Comment.id, sa.func.substr(Comment.content, 1, 80), sa.literal("comment")))
                .where(Comment.id.between(low, high)).order_by(Comment.id), Comment.commented_by_id)))
        pattern = prefix_pattern(q.lower())
        if "@" in q:
            branches.append(_capped(_emails(pattern)))
        else:
            branches.append(_capped(
                sa.select(*_row("user", PlatformUser.auth_id, PlatformUser.username, sa.literal("student")))
                .where(PlatformUser.username.like(pattern, escape="\\"), scope.students(PlatformUser.college_id))
                .order_by(PlatformUser.username)))
            branches.append(_capped(_emails(pattern)))
        branches.append(_capped(
            sa.select(*_row("college", College.id, College.name, College.email_domain))
            .where(sa.or_(College.name.ilike(prefix_pattern(q), escape="\\"),
                          College.email_domain.ilike(pattern, escape="\\")))
            .order_by(College.name)))
    numbered = [sa.select(*b.subquery().c, sa.literal(n).label("branch")) for n, b in enumerate(branches)]
    stmt = numbered[0] if len(numbered) == 1 else sa.union_all(*numbered)
    hits, seen, per_branch = [], set(), {}
    session = reader()
    with read_limit.bounded(session):
        rows = session.execute(stmt).all()
    for kind, key, label, detail, branch in rows:
        per_branch[branch] = per_branch.get(branch, 0) + 1
        if per_branch[branch] > PER_KIND:  # the row past the cap: say that more match
            hits = [Hit(h.kind, h.label, h.detail, h.url, True) if h.kind == kind else h for h in hits]
            continue
        if (kind, key) in seen or key is None:
            continue
        seen.add((kind, key))
        hits.append(Hit(kind, label or "(untitled)", detail or "", _url(kind, key)))
    return hits


def id_prefix(q: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """The lowest and highest ids starting with ``q`` when it is the start of an id (8 to
    31 hex digits, dashes allowed): a range walk of the primary key."""
    digits = q.lower().replace("-", "")
    if not 8 <= len(digits) < 32 or any(c not in "0123456789abcdef" for c in digits):
        return None
    return uuid.UUID(digits.ljust(32, "0")), uuid.UUID(digits.ljust(32, "f"))


def _url(kind: str, key: str) -> str:
    if kind == "user":
        return url_for("users.detail", user_id=key)
    ident = uuid.UUID(str(key))  # SQLite keeps uuids as plain hex
    if kind == "post":
        return url_for("posts.detail", post_id=ident)
    if kind == "comment":
        return url_for("comments.detail", comment_id=ident)
    return url_for("colleges.detail", college_id=ident)
