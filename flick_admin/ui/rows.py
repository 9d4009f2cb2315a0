"""The rows of the busiest list pages (posts, comments, students, colleges), drawn in Python.

A row drawn by Jinja costs every cell an attribute look-up, an escape and a ``Markup``
(and every helper a ``Context.call``): with 50 rows, that was most of the time of those
pages. Each painter here is made once a page (the URL prefixes, the staff member's zone and
the clock read once) and draws a row with one format string; every value that comes from
the database is escaped, exactly as the template escaped it. The markup is the template's
markup, character for character; the templates keep the table around the rows."""

from __future__ import annotations

from typing import Any, Callable
from urllib.parse import quote

from markupsafe import Markup

from flick_admin.ui.web import ban_badge, content_badges, time_tags, url_prefix

Painter = Callable[[Any], Markup]


# MarkupSafe's escapes, applied with one ``str.translate`` (no ``Markup`` a cell).
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})


def escape(value: Any) -> str:
    """``markupsafe.escape`` for the plain values of a database row (text, numbers, ids)."""
    return str(value).translate(_ESCAPES)


def link_id(value: Any) -> str:
    """A row's id at the end of a link, as Jinja's ``urlencode`` filter writes it."""
    return quote(str(value).encode("utf-8"), safe=b"/")


_PENDING = '<span class="badge badge-pill badge-dark">%s</span>'

_POST = ('\n    <tr class="kb-row" data-open="{url}" data-live-id="post:{id}">'
         '\n      <td style="max-width: 30rem"><a href="{url}"><strong>{title}</strong></a>'
         '\n        <div class="text-inert small text-muted">{excerpt}</div></td>'
         '\n      <td class="small">{author}</td>'
         '\n      <td class="small">{topic}</td>'
         '\n      <td class="small">{age}</td>'
         '\n      <td class="small">{views}</td>'
         '\n      <td>{pending}</td>'
         '\n      <td data-live-cell>{state}</td>'
         '\n    </tr>\n  ')


def post_rows() -> Painter:
    """A painter for the rows of the posts list (``moderation/posts.html``)."""
    post_url, user_url = escape(url_prefix("posts.detail", "post_id")), escape(url_prefix("users.detail", "user_id"))
    stamp = time_tags()

    def paint(p: Any) -> Markup:
        id_ = escape(p.id)
        author = (f'<a href="{user_url}{link_id(p.auth_id)}">{escape(p.username)}</a>'
                  f'<br><span class="text-muted">{escape(p.college)}</span>'
                  if p.auth_id else "<em>deleted</em>")
        return Markup(_POST.format(
            url=f"{post_url}{id_}", id=id_, title=escape(p.title), excerpt=escape(p.excerpt),
            author=author, topic=escape(p.topic), age=stamp(p.created_at),
            views=escape(p.views or 0), pending=_PENDING % escape(p.pending) if p.pending else "",
            state=content_badges(p.is_banned, p.is_shadow_banned, p.is_private)))

    return paint


_COMMENT = ('\n    <tr class="kb-row" data-open="{url}" data-live-id="comment:{id}">'
            '\n      <td class="small" style="max-width: 28rem"><a href="{url}" class="text-inert">{excerpt}</a></td>'
            '\n      <td class="small">{post}</td>'
            '\n      <td class="small">{author}</td>'
            '\n      <td class="small">{age}</td>'
            '\n      <td>{pending}</td>'
            '\n      <td data-live-cell>{state}</td>'
            '\n    </tr>\n  ')


def comment_rows() -> Painter:
    """A painter for the rows of the comments list (``moderation/comments.html``)."""
    comment_url = escape(url_prefix("comments.detail", "comment_id"))
    post_url, user_url = escape(url_prefix("posts.detail", "post_id")), escape(url_prefix("users.detail", "user_id"))
    stamp = time_tags()

    def paint(c: Any) -> Markup:
        id_ = escape(c.id)
        title = escape(c.post_title)
        post = (f'<span class="text-muted">{title}</span>' if c.post_outside
                else f'<a href="{post_url}{escape(c.post_id)}">{title}</a>')
        author = (f'<a href="{user_url}{link_id(c.auth_id)}">{escape(c.username)}</a>'
                  if c.auth_id else "")
        return Markup(_COMMENT.format(
            url=f"{comment_url}{id_}", id=id_, excerpt=escape(c.excerpt), post=post, author=author,
            age=stamp(c.created_at), pending=_PENDING % escape(c.pending) if c.pending else "",
            state=content_badges(c.is_banned)))

    return paint


_USER = ('\n    <tr class="kb-row" data-open="{url}">'
         '\n      <td><a href="{url}">{name}</a></td>'
         '\n      <td class="small">{email}</td>'
         '\n      <td class="small">{college}</td>'
         '\n      <td class="small">{role}</td>'
         '\n      <td class="small">{status}</td>'
         '\n      <td class="small">{karma}</td>'
         '\n      <td class="small">{age}</td>'
         '\n      <td>{ban}</td>'
         '\n    </tr>\n  ')


def user_rows() -> Painter:
    """A painter for the rows of the students list (``moderation/users.html``)."""
    user_url = escape(url_prefix("users.detail", "user_id"))
    stamp = time_tags()

    def paint(u: Any) -> Markup:
        return Markup(_USER.format(
            url=f"{user_url}{link_id(u.id)}", name=escape(u.username or u.name), email=escape(u.email),
            college=escape(u.college or "—"), role=escape(u.role or "—"),
            status=escape(u.status or "—"), karma=escape(u.karma if u.karma is not None else "—"),
            age=stamp(u.created_at), ban=ban_badge(u.banned, u.ban_expires)))

    return paint


_COLLEGE = ('\n    <tr><td><a href="{url}">{name}</a></td><td>{domain}</td>'
            '\n      <td>{city}</td><td>{state}</td><td>{students}</td><td>{branches}</td></tr>\n  ')


def college_rows() -> Painter:
    """A painter for the rows of the colleges list (``colleges/list.html``)."""
    college_url = escape(url_prefix("colleges.detail", "college_id"))

    def paint(c: Any) -> Markup:
        return Markup(_COLLEGE.format(
            url=f"{college_url}{escape(c.id)}", name=escape(c.name), domain=escape(c.email_domain),
            city=escape(c.city), state=escape(c.state), students=escape(c.students),
            branches=escape(c.branches)))

    return paint


def register(app: Any) -> None:
    app.jinja_env.globals.update(post_rows=post_rows, comment_rows=comment_rows,
                                 user_rows=user_rows, college_rows=college_rows)
