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
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import g, request
from werkzeug.datastructures import MultiDict

from flick_admin.auth.sessions import ride_along
from flick_admin.db import Auth, Comment, ContentReport, Log, PlatformUser, Post
from flick_admin.db import Session as StaffSession
from flick_admin.db.base import utcnow, uuid_text
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
    since: datetime | None = None  # a list (posts, comments): what was decided since it was drawn


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
    since = None
    if args.get("since"):
        try:
            since = datetime.fromisoformat(args["since"][:40])
            if since.tzinfo is not None:  # a time with an offset is that instant, kept in UTC
                since = since.astimezone(UTC)
            since = since.replace(tzinfo=None)
        except (ValueError, OverflowError):
            raise InvalidInput("'since' is the time the page was drawn, as YYYY-MM-DDTHH:MM:SS.") from None
    return Asked(status, tuple(dict.fromkeys(targets)), since)


# A list's rows say what was done to them since the page was drawn (their latest decision).
CHANGES = {"admin:blocked:content": "banned", "admin:unblocked:content": "unbanned",
           "admin:shadow:banned:content": "shadow-banned", "admin:shadow:unbanned:content": "shadow-ban lifted"}


def _changed(kind: str, model, dialect: str):
    """The latest ban, unban, shadow-ban or lift of the item since ``live_since``, as
    "action name" (one probe of the audit log's entity index)."""
    actor = sa.orm.aliased(Auth)
    name = sa.func.coalesce(sa.func.nullif(sa.func.trim(actor.name), ""), actor.email, "")
    return (sa.select(Log.action + " " + name).select_from(Log).outerjoin(actor, actor.id == Log.actor_id)
            .where(Log.entity_type == kind, Log.entity_id == uuid_text(model.id, dialect),
                   Log.occured_at > sa.bindparam("live_since", type_=Log.occured_at.type),
                   Log.action.in_(list(CHANGES)))
            .order_by(Log.occured_at.desc()).limit(1).correlate(model).scalar_subquery())


def _rows(me, kind: str, dialect: str, listing: bool) -> sa.Select:
    """One select per kind: each asked item within the member's scope, with its holder,
    whether reports of the queue's status remain, and where its latest report went and who
    moved it there (its latest audit row): two index probes per row."""
    model, author = (Post, Post.posted_by_id) if kind == "post" else (Comment, Comment.commented_by_id)
    report = sa.orm.aliased(ContentReport)
    about = (sa.and_(about_post(report), report.post_id == model.id) if kind == "post"
             else report.comment_id == model.id)
    status = sa.bindparam("live_status", type_=sa.String)
    # A probe of the report index per row (LIMIT 1 keeps the planner from hashing every
    # report of the status instead).
    left = (sa.select(sa.literal(1)).where(about, report.status == status).limit(1)
            .correlate(model).scalar_subquery().is_not(None))
    decider = sa.orm.aliased(Auth)
    by = (sa.select(sa.func.coalesce(sa.func.nullif(sa.func.trim(decider.name), ""), decider.email))
          .select_from(Log).outerjoin(decider, decider.id == Log.actor_id)
          .where(Log.entity_type == EntityType.CONTENT_REPORT.value, Log.entity_id == uuid_text(report.id, dialect))
          .order_by(Log.occured_at.desc()).limit(1).correlate(report).scalar_subquery())
    # "status name": where the item's latest report went, and who sent it there.
    moved = (sa.select(report.status + " " + sa.func.coalesce(by, ""))
             .where(about, report.status != status)
             .order_by(report.updated_at.desc(), report.id.desc()).limit(1).correlate(model).scalar_subquery())
    shadow = model.is_shadow_banned if kind == "post" else sa.false()
    return (sa.select(sa.literal(kind).label("kind"), model.id.label("id"), model.is_banned.label("banned"),
                      shadow.label("shadow"), left.label("left"), moved.label("moved"),
                      (_changed(kind, model, dialect) if listing else sa.null()).label("changed"),
                      PlatformUser.college_id.label("college_id"))
            .select_from(model)
            .outerjoin(PlatformUser, PlatformUser.id == author)
            .where(model.id.in_(sa.bindparam(f"live_{kind}s", expanding=True))))


FIELDS = ("kind", "id", "banned", "shadow", "left", "moved", "changed", "holder_id", "holder_name",
          "holder_email", "claimed_at", "expires_at")


def _column(me, kinds: tuple[str, ...], dialect: str, listing: bool = False):
    """The asked rows' state as one JSON text (an array of arrays in FIELDS order), with
    bind parameters only: built once per shape, so a poll costs no statement building."""
    selects = [_rows(me, kind, dialect, listing) for kind in kinds]
    items = (selects[0] if len(selects) == 1 else sa.union_all(*selects)).subquery()
    holder = sa.orm.aliased(Auth)
    limited = sa.exists().where(StaffScope.user_id == me)
    mine = sa.select(StaffScope.college_id).where(StaffScope.user_id == me)
    rows = (sa.select(items, Claim.holder_id, holder.name.label("holder_name"), holder.email.label("holder_email"),
                      Claim.claimed_at, Claim.expires_at)
            .outerjoin(Claim, sa.and_(Claim.target_type == items.c.kind, Claim.target_id == items.c.id,
                                      sa.or_(Claim.expires_at.is_(None), Claim.expires_at > sa.bindparam("live_now"))))
            .outerjoin(holder, holder.id == Claim.holder_id)
            .where(sa.or_(~limited, items.c.college_id.in_(mine)))).subquery()
    cells = [rows.c[name] for name in FIELDS]
    if dialect == "postgresql":
        agg = sa.func.coalesce(sa.cast(sa.func.json_agg(sa.func.json_build_array(*cells)), sa.Text), "[]")
    else:
        agg = sa.func.coalesce(sa.func.json_group_array(sa.func.json_array(*cells)), "[]")
    return sa.select(agg).select_from(rows).scalar_subquery()


_BUILT: dict = {}
# The answers without rows, as fixed columns: the session lookup builds its statement once per column.
_NOTHING, _NO_ROWS = sa.null(), sa.literal("[]")


def _params(asked: Asked) -> tuple[tuple[str, ...], dict]:
    kinds = tuple(kind for kind in ("post", "comment") if any(k == kind for k, _ in asked.targets))
    params = {"live_status": asked.status, "live_now": utcnow()}
    if asked.since is not None:
        params["live_since"] = asked.since.replace(tzinfo=UTC)
    for kind in kinds:
        params[f"live_{kind}s"] = [i for k, i in asked.targets if k == kind]
    return kinds, params


def column(token_digest: str):
    """For the session statement (``ride_along``): the column and its parameters."""
    try:
        asked = parse(request.args)
    except InvalidInput:
        return _NOTHING, {}  # the view says what is wrong
    kinds, params = _params(asked)
    if not kinds:
        return _NO_ROWS, {}
    dialect = db.session.get_bind().dialect.name
    listing = asked.since is not None
    key = (dialect, kinds, listing)
    if key not in _BUILT:
        viewer = sa.orm.aliased(StaffSession)
        me = sa.select(viewer.user_id).where(viewer.token == sa.bindparam("live_token")).scalar_subquery()
        _BUILT[key] = _column(me, kinds, dialect, listing)
    return _BUILT[key], {**params, "live_token": token_digest}


ride_along(ENDPOINT, column)


def _when(value) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "")).replace(tzinfo=None)


DONE_WORDS = {"ignored": "reports ignored", "pending": "reopened", "resolved": "decided"}


def _done(row: dict) -> str:
    moved_to, _, by = (row["moved"] or "").partition(" ")
    if moved_to == ReportStatus.RESOLVED.value and row["banned"]:
        word = "banned"
    elif moved_to == ReportStatus.RESOLVED.value and row["shadow"]:
        word = "shadow-banned"
    else:
        word = DONE_WORDS.get(moved_to, "decided")
    return f"{word} by {by}" if by else word


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
                _when(row["claimed_at"]), _when(row["expires_at"]), None, None)
        found[key] = {
            "holder": holder.describe(now) if holder else None,
            "mine": bool(holder and holder.id == me_id),
            "done": None if row["left"] else _done(row),
        }
        if asked.since is not None:
            action, _, by = (row["changed"] or "").partition(" ")
            found[key]["now"] = (f"{CHANGES[action]} by {by}" if by else CHANGES[action]) if action else None
    rows = {}
    for kind, ident in asked.targets:
        key = f"{kind}:{ident}"
        gone = {"holder": None, "mine": False, "done": "no longer exists"}
        rows[key] = found.get(key, gone | ({"now": "no longer exists"} if asked.since is not None else {}))
    return {"rows": rows, "every": POLL_SECONDS}


POLL_SECONDS = 3


def changes(me_id: str) -> dict:
    """The view's answer: the column read with the session, or (when the session was read
    without it) one statement of its own."""
    asked = parse(request.args)
    if "ride_along" in g:
        raw = g.ride_along
    else:
        kinds, params = _params(asked)
        dialect = db.session.get_bind().dialect.name
        raw = (db.session.scalar(sa.select(_column(sa.literal(me_id), kinds, dialect, asked.since is not None)),
                                 params) if kinds else "[]")
    return answer(me_id, raw, asked)
