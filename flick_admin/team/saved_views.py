"""Saved views: a list's filter kept under a name, for oneself or shared with all staff.

The navigation lists them with a live count, capped at ``CAP`` ("50+"): each list is asked
for its first page of ``CAP`` rows *as a statement* (``pagination.captured_pages``), and
all the views' capped counts are read in one statement — each an index walk of at most
``CAP + 1`` rows, whatever the size of Flick's tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from flick_admin.audit.actions import AuditAction
from flick_admin.audit.queries import AuditFilters, log_list
from flick_admin.audit.recorder import current_actor, record
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType
from flick_admin.db.replica import reader
from flick_admin.db.team import SavedView
from flick_admin.db.transaction import transaction
from flick_admin.extensions import db
from flick_admin.listing import refuse_nul
from flick_admin.moderation import queries, report_queue, users_list
from flick_admin.moderation.filters import CommentFilters, PostFilters, ReportFilters, UserFilters
from flick_admin.pagination import captured_pages
from flick_admin.permissions import Permission, has_permission
from flick_admin.refusals import ActionRefused, Conflict, InvalidInput, NotAllowed, NotFound

CAP = 50
MAX_NAME = 60
MAX_VIEWS = 50  # shown in the navigation per staff member


@dataclass(frozen=True)
class ListPage:
    filters: Any
    read: Callable[[Any, int], Any]
    endpoint: str
    permission: Permission
    title: str


PAGES: dict[str, ListPage] = {
    "reports": ListPage(ReportFilters, report_queue.report_queue, "reports.index", Permission.CONTENT_READ,
                        "Reports"),
    "posts": ListPage(PostFilters, queries.post_queue, "posts.index", Permission.CONTENT_READ, "Posts"),
    "comments": ListPage(CommentFilters, queries.comment_queue, "comments.index", Permission.CONTENT_READ,
                         "Comments"),
    "users": ListPage(UserFilters, users_list.user_list, "users.index", Permission.CONTENT_READ, "Users"),
    "audit": ListPage(AuditFilters, log_list, "audit.index", Permission.AUDIT_READ, "Audit log"),
}
IGNORED_ARGS = ("after", "before")


def _page(name: str) -> ListPage:
    if name not in PAGES:
        raise InvalidInput(f"Views can be saved of {', '.join(PAGES)}, not {name[:40]!r}.")
    return PAGES[name]


def normalise(page: str, args: MultiDict) -> str:
    """The filter as a query string, checked by the list's own filter (400 if bad)."""
    spec = _page(page)
    kept = MultiDict([(k, v) for k, v in args.items(multi=True) if k not in IGNORED_ARGS and v != ""])
    filters = _parse(spec, kept)
    try:
        with captured_pages():  # the list builds its statement from it (nothing runs)
            spec.read(filters, CAP)
    except (ValueError, ArithmeticError):
        raise InvalidInput("The list cannot read this filter; change it and save again.") from None
    return urlencode(list(kept.items(multi=True)))


def _parse(spec: ListPage, args: MultiDict):
    """The filter as its list reads it: the app's check of every request, then the list's
    own parser."""
    refuse_nul(args)
    return spec.filters.parse(args)


def save(page: str, name: str | None, query: MultiDict, shared: bool) -> SavedView:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Give the view a name.", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"A view's name is at most {MAX_NAME} characters.", field="name")
    if not has_permission(_page(page).permission):
        raise NotAllowed("Your role may not read that list.")
    normalised = normalise(page, query)
    with transaction() as session:
        view = SavedView(owner_id=current_actor().id, page=page, name=name, query=normalised,
                         shared=bool(shared), created_at=utcnow())
        try:
            with session.begin_nested():
                session.add(view)
                session.flush()
        except IntegrityError:
            raise Conflict(f"You already have a {page} view called {name!r}.", field="name") from None
        record(AuditAction.SAVED_VIEW_CREATED, entity_type=EntityType.SAVED_VIEW, entity_id=view.id,
               after={"page": page, "name": name, "query": normalised, "shared": view.shared},
               metadata={"label": name})
    return view


def may_delete(view: SavedView) -> bool:
    """Its owner may delete a view; an admin any shared one (a broken or unwanted view
    shown to all staff need not wait for its owner)."""
    return view.owner_id == current_actor().id or (
        view.shared and has_permission(Permission.SHARED_VIEWS_MANAGE))


def delete(view_id: uuid.UUID) -> str:
    with transaction() as session:
        view = session.get(SavedView, view_id)
        me = current_actor().id
        if view is None or (view.owner_id != me and not view.shared):
            raise NotFound("That saved view does not exist.")
        if not may_delete(view):
            raise NotAllowed("Only the staff member who saved a shared view, or an admin, can delete it.")
        before = {"page": view.page, "name": view.name, "query": view.query, "shared": view.shared,
                  "owner": view.owner_id}
        session.delete(view)
        session.flush()
        record(AuditAction.SAVED_VIEW_DELETED, entity_type=EntityType.SAVED_VIEW, entity_id=view_id,
               before=before, metadata={"label": before["name"]})
        return before["name"]


@dataclass
class Shown:
    view: SavedView
    count: int | None  # None: the filter no longer reads (the view says so)

    @property
    def label(self) -> str:
        if self.count is None:
            return "?"
        return f"{CAP}+" if self.count > CAP else str(self.count)

    @property
    def url(self) -> str:
        from flask import url_for

        base = url_for(PAGES[self.view.page].endpoint)
        return f"{base}?{self.view.query}" if self.view.query else base


def visible() -> list[SavedView]:
    """One's own views and those shared by colleagues, of lists one's role may read."""
    me = current_actor().id
    rows = db.session.scalars(
        sa.select(SavedView).where(sa.or_(SavedView.owner_id == me, SavedView.shared.is_(True)))
        .order_by(SavedView.page, SavedView.name).limit(MAX_VIEWS)).all()
    return [v for v in rows if v.page in PAGES and has_permission(PAGES[v.page].permission)]


def capped_count_statement(views: list[SavedView]) -> tuple[sa.Select | None, dict[int, int]]:
    """One statement whose columns are the views' capped counts; and which column is
    whose (a view whose filter no longer parses has none)."""
    columns, where = [], {}
    for index, view in enumerate(views):
        spec = PAGES[view.page]
        try:
            filters = _parse(spec, MultiDict(parse_qsl(view.query)))
            with captured_pages() as kept:
                spec.read(filters, CAP)
        except ActionRefused:
            continue  # the filter no longer reads: "?"
        except Exception:  # noqa: BLE001 - one view's failure must not break the others
            current_app.logger.exception("saved view %s cannot be counted", view.id)
            continue
        if not kept:
            continue
        where[index] = len(columns)
        columns.append(sa.select(sa.func.count()).select_from(kept[0].subquery())
                       .scalar_subquery().label(f"v{len(columns)}"))
    return (sa.select(*columns) if columns else None), where


def with_counts() -> list[Shown]:
    """Every visible view with its capped count — all counted in one statement; if that
    fails, each alone, so a view whose count fails shows "?" and never breaks the others."""
    views = visible()
    stmt, where = capped_count_statement(views)
    if stmt is None:
        return [Shown(v, None) for v in views]
    session = reader()
    counts = _counted(session, stmt)
    if counts is None:
        columns = list(stmt.selected_columns)
        counts = [(_counted(session, sa.select(column)) or (None,))[0] for column in columns]
    return [Shown(v, counts[where[i]] if i in where else None) for i, v in enumerate(views)]


def _counted(session, stmt: sa.Select) -> tuple | None:
    """The statement's one row, or None when the database refuses it (in a savepoint, so
    the request's transaction goes on)."""
    try:
        with session.begin_nested():
            return tuple(session.execute(stmt).one())
    except sa.exc.SQLAlchemyError:
        return None
