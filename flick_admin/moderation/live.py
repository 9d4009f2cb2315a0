"""The live queue: a queue page asks every few seconds what became of its rows since it was
drawn — who holds each item now, and whether it was decided and by whom.

The answer is one statement in all: the rows' state rides along with the signed-in
member's session lookup (``flick_admin.auth.sessions.ride_along``), as one JSON text built
by the database, under the member's college scope (an item outside it is not answered,
exactly like one that does not exist). The poll draws no badges and does not count as
activity for the idle timeout. Gunicorn's sync workers answer it in about a millisecond,
and PgBouncer's transaction pooling sees one short transaction, so no long-lived
connection (server-sent events) is needed: see ``bench/live_poll.py`` for its cost.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import g, request
from werkzeug.datastructures import MultiDict

from flick_admin.auth.sessions import ride_along
from flick_admin.db import Auth, Comment, ContentReport, Log, PlatformUser, Post
from flick_admin.db.base import utcnow
from flick_admin.db.enums import EntityType, ReportStatus
from flick_admin.db.reports import about_post
from flick_admin.db.team import Claim, StaffScope
from flick_admin.extensions import db
from flick_admin.moderation import claims
from flick_admin.refusals import InvalidInput

ENDPOINT = "reports.changes"
MAX_ROWS = 200
STATUSES = tuple(s.value for s in ReportStatus)


@dataclass(frozen=True)
class Asked:
    status: str
    targets: tuple[tuple[str, uuid.UUID], ...]


def parse(args: MultiDict) -> Asked:
    """``ids=post:UUID,comment:UUID,…`` (at most MAX_ROWS) and the queue's ``status``."""
    status = args.get("status", ReportStatus.PENDING.value)
    if status not in STATUSES:
        raise InvalidInput("Unknown report status.")
    targets = []
    for part in (args.get("ids") or "").split(","):
        if not part:
            continue
        kind, _, ident = part.partition(":")
        try:
            if kind not in ("post", "comment"):
                raise ValueError(kind)
            targets.append((kind, uuid.UUID(ident)))
        except ValueError:
            raise InvalidInput("The rows are asked as post:ID or comment:ID, separated by commas.") from None
    if len(targets) > MAX_ROWS:
        raise InvalidInput(f"Ask for at most {MAX_ROWS} rows at once.")
    return Asked(status, tuple(dict.fromkeys(targets)))


def _uuid_text(column, dialect: str):
    """A uuid column as the text ``str(uuid)`` gives (how audit rows name their entity)."""
    if dialect == "postgresql":
        return sa.cast(column, sa.Text)
    hexed = sa.func.lower(sa.cast(column, sa.Text))
    return (sa.func.substr(hexed, 1, 8) + "-" + sa.func.substr(hexed, 9, 4) + "-" + sa.func.substr(hexed, 13, 4)
            + "-" + sa.func.substr(hexed, 17, 4) + "-" + sa.func.substr(hexed, 21, 12))


def _rows(me, kind: str, ids: list[uuid.UUID], status: str, dialect: str) -> sa.Select:
    """One select per kind: each asked item within the member's scope, with its holder,
    whether reports of the queue's status remain, and who moved its latest report out."""
    model, author = (Post, Post.posted_by_id) if kind == "post" else (Comment, Comment.commented_by_id)
    about = (sa.and_(about_post(ContentReport), ContentReport.post_id == model.id) if kind == "post"
             else ContentReport.comment_id == model.id)
    left = sa.exists().where(about, ContentReport.status == status)
    latest = (sa.select(ContentReport.id).where(about, ContentReport.status != status)
              .order_by(ContentReport.updated_at.desc(), ContentReport.id.desc()).limit(1).scalar_subquery())
    decider = sa.orm.aliased(Auth)
    by = (sa.select(sa.func.coalesce(sa.func.nullif(sa.func.trim(decider.name), ""), decider.email))
          .select_from(Log).outerjoin(decider, decider.id == Log.actor_id)
          .where(Log.entity_type == EntityType.CONTENT_REPORT.value, Log.entity_id == _uuid_text(latest, dialect))
          .order_by(Log.occured_at.desc()).limit(1).scalar_subquery())
    moved_to = (sa.select(ContentReport.status).where(about, ContentReport.status != status)
                .order_by(ContentReport.updated_at.desc(), ContentReport.id.desc()).limit(1).scalar_subquery())
    holder, assigner = sa.orm.aliased(Auth), sa.orm.aliased(Auth)
    limited = sa.exists().where(StaffScope.user_id == me)
    mine = sa.select(StaffScope.college_id).where(StaffScope.user_id == me)
    shadow = model.is_shadow_banned if kind == "post" else sa.false()
    return (sa.select(sa.literal(kind).label("kind"), model.id.label("id"), model.is_banned.label("banned"),
                      shadow.label("shadow"), left.label("left"),
                      sa.case((left, sa.null()), else_=moved_to).label("moved_to"),
                      sa.case((left, sa.null()), else_=by).label("by"),
                      Claim.holder_id, holder.name.label("holder_name"), holder.email.label("holder_email"),
                      Claim.claimed_at, Claim.expires_at, Claim.assigned_by_id,
                      assigner.name.label("assigner_name"), assigner.email.label("assigner_email"))
            .select_from(model)
            .outerjoin(PlatformUser, PlatformUser.id == author)
            .outerjoin(Claim, sa.and_(Claim.target_type == kind, Claim.target_id == model.id, claims.active()))
            .outerjoin(holder, holder.id == Claim.holder_id)
            .outerjoin(assigner, assigner.id == Claim.assigned_by_id)
            .where(model.id.in_(ids), sa.or_(~limited, PlatformUser.college_id.in_(mine))))


FIELDS = ("kind", "id", "banned", "shadow", "left", "moved_to", "by", "holder_id", "holder_name",
          "holder_email", "claimed_at", "expires_at", "assigned_by_id", "assigner_name", "assigner_email")


def column(me, asked: Asked | None = None):
    """The asked rows' state as one JSON text (an array of arrays in FIELDS order)."""
    if asked is None:
        try:
            asked = parse(request.args)
        except InvalidInput:
            return sa.null()  # the view says what is wrong
    dialect = db.session.get_bind().dialect.name
    selects = [_rows(me, kind, ids, asked.status, dialect) for kind in ("post", "comment")
               if (ids := [i for k, i in asked.targets if k == kind])]
    if not selects:
        return sa.literal("[]")
    rows = (selects[0] if len(selects) == 1 else sa.union_all(*selects)).subquery()
    cells = [rows.c[name] for name in FIELDS]
    if dialect == "postgresql":
        agg = sa.func.coalesce(sa.cast(sa.func.json_agg(sa.func.json_build_array(*cells)), sa.Text), "[]")
    else:
        agg = sa.func.coalesce(sa.func.json_group_array(sa.func.json_array(*cells)), "[]")
    return sa.select(agg).select_from(rows).scalar_subquery()


ride_along(ENDPOINT, column)


def _when(value) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "")).replace(tzinfo=None)


DONE_WORDS = {"ignored": "reports ignored", "pending": "reopened", "resolved": "decided"}


def _done(row: dict) -> str:
    if row["moved_to"] == ReportStatus.RESOLVED.value and row["banned"]:
        word = "banned"
    elif row["moved_to"] == ReportStatus.RESOLVED.value and row["shadow"]:
        word = "shadow-banned"
    else:
        word = DONE_WORDS.get(row["moved_to"] or "", "decided")
    return f"{word} by {row['by']}" if row["by"] else word


def answer(me_id: str, raw: str | None, asked: Asked) -> dict:
    """What the page's script reads: per asked row (``kind:id``) who holds it and whether
    it is done; rows gone (deleted, or outside the scope) are said to be gone."""
    now = utcnow()
    found = {}
    for cells in json.loads(raw or "[]"):
        row = dict(zip(FIELDS, cells))
        key = f"{row['kind']}:{uuid.UUID(str(row['id']))}"
        holder = None
        if row["holder_id"] is not None:
            holder = claims.Holder(
                row["holder_id"], claims.display_name(row["holder_name"], row["holder_email"]),
                _when(row["claimed_at"]), _when(row["expires_at"]),
                claims.display_name(row["assigner_name"], row["assigner_email"]) if row["assigned_by_id"] else None,
                None)
        found[key] = {
            "holder": holder.describe(now) if holder else None,
            "mine": bool(holder and holder.id == me_id),
            "done": None if row["left"] else _done(row),
        }
    rows = {}
    for kind, ident in asked.targets:
        key = f"{kind}:{ident}"
        rows[key] = found.get(key, {"holder": None, "mine": False, "done": "no longer exists"})
    return {"rows": rows, "every": POLL_SECONDS}


POLL_SECONDS = 3


def changes(me_id: str) -> dict:
    """The view's answer: the column read with the session, or (when the session was read
    without it) one statement of its own."""
    asked = parse(request.args)
    if "ride_along" in g:
        raw = g.ride_along
    else:
        raw = db.session.scalar(sa.select(column(sa.literal(me_id), asked)))
    return answer(me_id, raw, asked)
