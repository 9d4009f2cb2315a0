"""The main navigation as plain rows, worked out once a page: which entries the signed-in
staff member sees, which is the open page, and which carries a waiting-work badge.

The ``_nav.html`` macros only draw these rows; asking Flask-Admin's menu objects from the
template cost each entry several permission checks and three ``url_for`` calls."""

from __future__ import annotations

from typing import Any, NamedTuple

from flask import g, url_for


class Entry(NamedTuple):
    name: str
    url: str | None
    active: bool
    # "pending", "escalated", "proposals" or None: the count the entry shows beside its name.
    badge: str | None
    # A category's visible entries (None for a plain entry).
    children: list["Entry"] | None = None
    # A category holding "Approvals" / "Escalated" also shows that count.
    has_approvals: bool = False
    has_escalated: bool = False


class _Badges:
    """Which count an entry's URL carries; the three URLs are built only if an entry asks."""

    def __init__(self) -> None:
        self._urls: tuple[tuple[str, str], ...] | None = None
        self._counts = {"pending": g.get("pending_reports"), "escalated": g.get("escalated_items"),
                        "proposals": g.get("waiting_proposals")}

    def __call__(self, url: str | None) -> str | None:
        if self._urls is None:
            self._urls = ((url_for("reports.index"), "pending"),
                          (url_for("reports.index", escalated=1), "escalated"),
                          (url_for("proposals.index"), "proposals"))
        for candidate, kind in self._urls:
            if url == candidate and self._counts[kind]:
                return kind
        return None


def navigation(admin_view: Any) -> list[Entry]:
    """The entries of the main menu the signed-in staff member may see, in menu order."""
    badge = _Badges()
    entries = []
    for item in admin_view.admin.menu():
        if item.is_category():
            children = item.get_children()
            if not children:
                continue
            shown = []
            for child in children:
                url = child.get_url()
                shown.append(Entry(child.name, url, child.is_active(admin_view), badge(url)))
            names = {child.name for child in children}
            entries.append(Entry(item.name, None, item.is_active(admin_view), None, shown,
                                 "Approvals" in names, "Escalated" in names))
        elif item.is_accessible() and item.is_visible():
            url = item.get_url()
            entries.append(Entry(item.name, url, item.is_active(admin_view), badge(url)))
    return entries
