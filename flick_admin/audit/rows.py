"""The audit log's rows, drawn in Python (see :mod:`flick_admin.ui.rows`): one format string a
row instead of some forty Jinja look-ups, escapes and calls. The markup is the markup
``audit/list.html`` drew, character for character."""

from __future__ import annotations

from typing import Any, Callable

from markupsafe import Markup

from flick_admin.audit.describe import list_row
from flick_admin.ui.rows import escape, link_id
from flick_admin.ui.web import time_tags, url_prefix

_ROW = ('\n    \n    <tr data-testid="audit-row">'
        '\n      <td class="small text-nowrap">{age}</td>'
        '\n      <td>'
        '\n        {actor}'
        '\n        {what}'
        '\n        {object}'
        '\n        {reason}'
        '\n        {batch}'
        '\n      </td>'
        '\n      <td><a class="small" href="{entry}" title="{action}">details</a></td>'
        '\n    </tr>\n  ')
_BATCH = '<span class="badge badge-light" title="Part of one batch decision">batch</span>'


def _target(target: str | None, quoted: str) -> str:
    name = f'<span class="text-inert">{quoted}</span>'
    return f'<a href="{escape(target)}">{name}</a>' if target else name


def audit_rows(looked_up: dict | None = None) -> Callable[[Any], Markup]:
    """A painter for the audit log's rows; ``looked_up``: the page's names of targets."""
    user_url, entry_url = escape(url_prefix("users.detail", "user_id")), escape(url_prefix("audit.entry", "log_id"))
    stamp = time_tags()

    def paint(r: Any) -> Markup:
        d = list_row(r, looked_up)
        actor = escape(d.actor)
        if r.actor_id and r.actor_type != "user":
            actor = f'<a href="{user_url}{link_id(r.actor_id)}">{actor}</a>'
        quoted = escape(d.quoted)
        if d.undone:
            what = (f'reverted <span class="text-inert">{escape(d.undone)}</span> <span class="text-muted small">'
                    f'({escape(d.verb)} {escape(d.noun)} {_target(d.target, quoted)})</span>')
        else:
            what = escape(d.verb)
        obj = (f"\n          {escape(d.noun_of)}\n          {_target(d.target, quoted)}\n        "
               if d.has_object else "")
        reason = (f'<span class="text-muted">— <span class="text-inert">{escape(r.reason)}</span></span>'
                  if r.reason else "")
        # Flick's server writes rows too: metadata that is not an object has no batch.
        batch = _BATCH if isinstance(r.metadata_, dict) and r.metadata_.get("batch_id") else ""
        return Markup(_ROW.format(age=stamp(r.occured_at), actor=actor, what=what, object=obj,
                                  reason=reason, batch=batch, entry=f"{entry_url}{escape(r.id)}",
                                  action=escape(r.action)))

    return paint
