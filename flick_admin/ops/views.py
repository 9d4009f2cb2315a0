"""The database health page (admins and superadmins; read-only)."""

from __future__ import annotations

from flask import request
from flask_admin import expose

from flick_admin.permissions import Permission, requires
from flick_admin.ops import health
from flick_admin.ui.shell import SecureView


class HealthView(SecureView):
    permission = Permission.OPERATIONS_READ

    @expose("/")
    @requires(Permission.OPERATIONS_READ)
    def index(self):
        report = health.read(fresh=request.args.get("fresh") == "1")
        return self.render("ops/health.html", report=report, cache_seconds=health.CACHE_SECONDS)


def register(admin) -> None:
    admin.add_view(HealthView(name="Database", endpoint="health", url="/health"))
