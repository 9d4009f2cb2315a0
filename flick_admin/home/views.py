"""The home page: the overview of pending work and staff activity."""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask_admin import AdminIndexView, expose
from flask_login import current_user

from flick_admin import scope
from flick_admin.home import overview, search
from flick_admin.permissions import SIGNED_IN, Permission, has_permission, permissions_of, requires
from flick_admin.refusals import InvalidInput
from flick_admin.ui.shell import SecureView


class HomeView(AdminIndexView):
    permission = SIGNED_IN

    def is_accessible(self) -> bool:
        return has_permission(SIGNED_IN)

    _handle_view = SecureView._handle_view

    @expose("/")
    @requires(SIGNED_IN)
    def index(self):
        raw = request.args.get("period", "7")
        if raw not in {str(p) for p in overview.PERIODS}:
            raise InvalidInput(f"Unknown period {raw[:10]!r}; choose 1, 7, 30 or 90 days.")
        if scope.limited():
            # The overview's numbers cover every college; a scoped moderator sees theirs.
            return self.render("home_scoped.html", colleges=overview.college_names(scope.colleges()),
                               pending=overview.scoped_pending(scope.college_ids()))
        data = overview.cached(int(raw), current_app.config["OVERVIEW_CACHE_SECONDS"])
        return self.render("home.html", o=data, overview=overview,
                           permissions=sorted(p.value for p in permissions_of(current_user.role)))


class SearchView(SecureView):
    """The command palette's server side; without JavaScript, a plain search page."""

    permission = Permission.CONTENT_READ

    def is_visible(self) -> bool:
        return False  # the search box in the navigation bar leads here

    def _hits(self) -> tuple[str, list[search.Hit]]:
        q = (request.args.get("q") or "").strip()
        if len(q) > search.MAX_QUERY:
            raise InvalidInput(f"Search for at most {search.MAX_QUERY} characters.")
        if not q:
            return q, []
        return q, search.pages(self.admin, q) + search.search(q)

    @expose("/")
    @requires(Permission.CONTENT_READ)
    def index(self):
        q, hits = self._hits()
        return self.render("home/search.html", q=q, hits=hits)

    @expose("/suggest")
    @requires(Permission.CONTENT_READ)
    def suggest(self):
        _, hits = self._hits()
        return jsonify([{"kind": h.kind, "label": h.label, "detail": h.detail, "url": h.url, "more": h.more}
                        for h in hits])
