"""The audit trail for auditors: browse, read one entry, export, verify."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache

from flask import Response, abort, flash, redirect, request, stream_with_context, url_for
from flask_admin import expose
from flask_wtf import FlaskForm

from flick_admin.audit import describe, export, queries, services
from flick_admin.audit.actions import AuditAction
from flick_admin.audit.chain import Anchor
from flick_admin.audit.recorder import current_actor
from flick_admin.audit.rows import audit_rows
from flick_admin.audit.queries import AuditFilters
from flick_admin.permissions import Permission, has_permission, requires
from flick_admin.db.enums import ActorType, EntityType
from flick_admin.forms import validated
from flick_admin.refusals import InvalidInput
from flick_admin.ui.shell import SecureView
from flick_admin.ui.web import page_size


@lru_cache(maxsize=1)
def action_groups() -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """Actions grouped by area for the filter's picker, each with its label (the same for
    the whole process: worked out once, not twice an action a page)."""
    groups: dict[str, list[str]] = {}
    for action in AuditAction:
        parts = action.value.split(":")
        area = {"content": "Content", "report": "Reports", "user": "Users", "college": "Colleges",
                "branch": "Colleges", "college-request": "Colleges", "banned-word": "Colleges",
                "removal-reason": "Content",
                "feedback": "Feedback", "self": "Sign-in", "audit-log": "Audit log",
                "account": "Staff", "password": "Staff", "sessions": "Staff",
                "session": "Own account", "everywhere": "Own account", "two-factor": "Own account",
                "otp": "Own account", "two-factor-key": "Operations",
                "backup": "Operations"}.get(parts[-1], "Other")
        if parts[-2:] == ["report", "status"]:
            area = "Reports"
        if parts[-1] == "status" and "feedback" in parts:
            area = "Feedback"
        groups.setdefault(area, []).append(action.value)
    return tuple((area, tuple((a, describe.action_label(a)) for a in actions))
                 for area, actions in sorted(groups.items()))


class AuditView(SecureView):
    permission = Permission.AUDIT_READ

    @expose("/")
    @requires(Permission.AUDIT_READ)
    def index(self):
        filters = AuditFilters.parse(request.args)
        page = queries.log_list(filters, page_size())
        staff = queries.staff_for_picker()
        # An actor nobody is (no staff email, name or id, and no row by that id) is said so.
        unknown_actor = bool(filters.actor and not page.rows and not queries.actor_known(filters.actor, staff))
        return self.render(
            "audit/list.html", filters=filters, page=page, labels=queries.labels_for(page.rows),
            describe=describe, staff=staff, groups=action_groups(), unknown_actor=unknown_actor,
            actor_types=[a.value for a in ActorType], entity_types=[e.value for e in EntityType],
            can_export=has_permission(Permission.AUDIT_EXPORT),
        )

    @expose("/entry/<uuid:log_id>")
    @requires(Permission.AUDIT_READ)
    def entry(self, log_id: uuid.UUID):
        found = queries.entry(log_id)
        if found is None:
            abort(404, "That audit entry does not exist.")
        log = found.log
        before = log.before if isinstance(log.before, dict) else {}
        after = log.after if isinstance(log.after, dict) else {}
        keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
        return self.render("audit/entry.html", e=found, log=log, describe=describe, keys=keys,
                           before=before, after=after,
                           labels=queries.labels_for([log, *found.siblings, *found.batch]),
                           show_client=queries.reads_private() or log.actor_id == current_actor().id)

    @expose("/export.<any(csv,jsonl):fmt>")
    @requires(Permission.AUDIT_EXPORT)
    def export(self, fmt: str):
        filters = AuditFilters.parse(request.args)
        described = filters.describe()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        digest_of_filter = hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:10]
        filename = f"flick-audit-{stamp}-{digest_of_filter}.{fmt}"
        body = stream_with_context(self._stream(filters, described, fmt))
        mimetype = "text/csv" if fmt == "csv" else "application/x-ndjson"
        response = Response(body, mimetype=mimetype)
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        response.headers["X-Flick-Audit-Filter"] = json.dumps(described, sort_keys=True)
        return response

    @staticmethod
    def _stream(filters: AuditFilters, described: dict, fmt: str) -> Iterator[bytes]:
        sha = hashlib.sha256()
        counter = export.Counter()
        complete = False
        try:
            if fmt == "jsonl":
                head = json.dumps({"flick_audit_export": {"filter": described,
                                   "generated_at": datetime.now(UTC).isoformat()}}) + "\n"
                sha.update(head.encode("utf-8"))
                yield head.encode("utf-8")
            for chunk in export.rows(filters, fmt, counter):
                sha.update(chunk)
                yield chunk
            complete = True
        finally:
            # The export is itself on the record: who, which filter, how many rows, and the
            # SHA-256 of exactly the bytes sent.
            services.record_export(filters=described, fmt=fmt, rows=counter.rows,
                                   sha256=sha.hexdigest(), complete=complete)

    @expose("/verify", methods=["GET", "POST"])
    @requires(Permission.AUDIT_EXPORT)
    def verify(self):
        if request.method == "POST":
            validated(FlaskForm())
            raw = (request.form.get("expect") or "").strip()
            try:
                anchor = Anchor.parse(raw) if raw else None
            except ValueError as exc:
                raise InvalidInput(f"Kept head: {exc}.", field="expect") from None
            verdict = services.verify_and_record(full=request.form.get("scope") == "full", expect=anchor)
            head = f" Head: {verdict.head}." if verdict.head else ""
            flash(f"Audit chain: {verdict.summary}.{head}", "success" if verdict.intact else "danger")
            return redirect(url_for(".verify"), code=303)
        return self.render("audit/verify.html", history=queries.verifications())


def register(admin) -> None:
    admin.add_view(AuditView(name="Audit log", endpoint="audit", url="/audit"))
    # Timelines on every page name actions the way the audit log does.
    admin.app.jinja_env.filters["action_label"] = describe.action_label
    admin.app.jinja_env.globals["audit_rows"] = audit_rows
    admin.app.jinja_env.globals["describe"] = describe
