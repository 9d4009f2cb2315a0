"""Reading the audit trail: the filtered log list, one entry with its siblings, exports."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from flick_admin import scope
from flick_admin.audit.actions import AuditAction
from flick_admin.audit.recorder import current_actor
from flick_admin.db import Auth, College, Comment, ContentReport, Log, PlatformUser, Post
from flick_admin.db.audit import AuditChainLink, revert_of
from flick_admin.db.enums import ActorType, EntityType
from flick_admin.db.replica import reader
from flick_admin.permissions import STAFF_ROLES, Permission, has_permission
from flick_admin.extensions import db
from flick_admin.listing import Filters, choice_arg, cursor_args, search_arg, text_arg, uuid_arg
from flick_admin.listing import contains_pattern, search_words
from flick_admin.pagination import Page, capturing, paginate, paginate_merged
from flick_admin.prebuilt import once
from flick_admin.refusals import InvalidInput

MAX_ACTIONS = 40


def _datetime_arg(args: MultiDict, name: str) -> datetime | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
        # An offset can carry a time past the calendar's first or last day in UTC.
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(f"{raw[:40]!r} is not a date and time; use YYYY-MM-DD or "
                           "YYYY-MM-DDTHH:MM.") from None
    except OverflowError:
        raise InvalidInput(f"{raw[:40]!r} is outside the calendar in UTC.") from None


@dataclass(frozen=True)
class AuditFilters(Filters):
    actor: str = ""
    actor_type: str = ""
    action: tuple[str, ...] = ()
    entity_type: str = ""
    entity_id: str = ""
    since: datetime | None = None
    until: datetime | None = None
    request_id: uuid.UUID | None = None
    q: str = ""
    signins: bool = False  # sign-ins and sign-outs are hidden unless asked for
    mine: bool = False  # only the signed-in member's own actions

    @classmethod
    def parse(cls, args: MultiDict) -> AuditFilters:
        actions = tuple(a for a in args.getlist("action") if a)
        if len(actions) > MAX_ACTIONS:
            raise InvalidInput(f"Pick at most {MAX_ACTIONS} actions.")
        known = {a.value for a in AuditAction}
        for action in actions:
            if action not in known and not _looks_like_action(action):
                raise InvalidInput(f"Unknown action {action[:60]!r}.")
        since, until = _datetime_arg(args, "since"), _datetime_arg(args, "until")
        if since and until and since > until:
            raise InvalidInput("The start of the time range is after its end.")
        return cls(
            actor=text_arg(args, "actor"),
            actor_type=choice_arg(args, "actor_type", ("",) + tuple(a.value for a in ActorType)),
            action=actions,
            entity_type=choice_arg(args, "entity_type", ("",) + tuple(e.value for e in EntityType)),
            entity_id=text_arg(args, "entity_id"),
            since=since, until=until,
            request_id=uuid_arg(args, "request_id"),
            q=search_arg(args, "q", "search the reasons"),
            signins=args.get("signins") == "1",
            mine=args.get("mine") == "1",
            **cursor_args(args),
        )

    def query(self, **changes: Any) -> dict[str, Any]:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        out: dict[str, Any] = {}
        for key, value in values.items():
            if value in (None, "", (), False):
                continue
            if value is True:
                out[key] = "1"
            elif isinstance(value, tuple):
                out[key] = list(value)
            elif isinstance(value, datetime):
                out[key] = value.strftime("%Y-%m-%dT%H:%M")
            else:
                out[key] = str(value)
        return out

    def describe(self) -> dict[str, Any]:
        """The filter as plain data, for export headers and the export's audit row."""
        data = self.query(after=None, before=None)
        return {k: v for k, v in data.items()}


def _looks_like_action(action: str) -> bool:
    """Flick's own server writes actions Flick Admin never does; accept their shape."""
    parts = action.split(":")
    return 2 <= len(parts) <= 6 and len(action) <= 80 and all(
        p and all(c.isalnum() or c in "-_" for c in p) for p in parts)


# --- least privilege: what a member without audit:read-private reads -------------------------
# Rows about staff accounts and sign-ins: who signed in, from which address and browser,
# failed sign-ins with the typed email, staff management, one's own account settings. A
# member without the permission (moderators, admins) reads the rest — moderation and
# content history — plus their own rows; client addresses and user agents only on their
# own rows.
PRIVATE_ENTITY_TYPES = (EntityType.AUTH.value, EntityType.SESSION.value)


def reads_private() -> bool:
    """Whether the signed-in member reads every row (with nobody signed in: a command run
    by the operator, who has the database anyway; the audit pages all need a sign-in)."""
    return current_actor().id is None or has_permission(Permission.AUDIT_READ_PRIVATE)


def _me() -> str | None:
    return current_actor().id


def is_private(entity_type: str | None, action: str | None) -> bool:
    return entity_type in PRIVATE_ENTITY_TYPES or action in SIGN_IN_ACTIONS


def is_own(log) -> bool:
    me = _me()
    return me is not None and (log.actor_id == me or (log.entity_type == EntityType.AUTH.value
                                                      and log.entity_id == me))


def readable() -> sa.ColumnElement[bool]:
    """The audit rows the signed-in member may read — on the list, an entry, and the entry's
    request and batch alike. A college-scoped moderator reads their own actions (the items'
    own histories show the rest of what concerns their colleges); a member without
    audit:read-private reads all but the private rows, and their own."""
    if scope.limited():
        return Log.actor_id == current_actor().id
    if reads_private():
        return sa.true()
    me = _me()
    private = sa.or_(sa.and_(Log.entity_type.is_not(None), Log.entity_type.in_(PRIVATE_ENTITY_TYPES)),
                     Log.action.in_(SIGN_IN_ACTIONS))
    own = sa.or_(Log.actor_id == me, sa.and_(Log.entity_type == EntityType.AUTH.value, Log.entity_id == me))
    return sa.or_(sa.not_(private), own)


def client_column(column) -> sa.ColumnElement:
    """A row's client address or user agent, as the member may read it."""
    if reads_private():
        return column
    return sa.case((Log.actor_id == _me(), column), else_=sa.null())


def filtered(f: AuditFilters, actors: list[str] | None = None) -> sa.Select:
    """The log's rows under ``f``; ``actors``: the Actor filter's accounts, already
    resolved (``resolved_actors``), compared as values instead of through a subquery."""
    stmt = (
        sa.select(Log.id, Log.occured_at, Log.actor_id, Log.actor_type, Log.action, Log.entity_type,
                  Log.entity_id, Log.reason, Log.metadata_, Log.request_id,
                  Auth.email.label("actor_email"))
        .select_from(Log)
        .outerjoin(Auth, Auth.id == Log.actor_id)
    )
    stmt = stmt.where(readable())
    if f.mine:
        stmt = stmt.where(Log.actor_id == current_actor().id)
    if actors is not None:
        stmt = stmt.where(Log.actor_id.in_(actors) if len(actors) > 1 else Log.actor_id == actors[0])
    elif f.actor:
        stmt = stmt.where(Log.actor_id.in_(actor_ids(f.actor)))
    if f.actor_type:
        stmt = stmt.where(Log.actor_type == f.actor_type)
    if f.action:
        stmt = stmt.where(Log.action.in_(f.action))
    elif not f.signins:
        stmt = stmt.where(Log.action.not_in(SIGN_IN_ACTIONS))
    if f.entity_type:
        stmt = stmt.where(Log.entity_type == f.entity_type)
    if f.entity_id:
        stmt = stmt.where(Log.entity_id == f.entity_id)
    if f.since:
        stmt = stmt.where(Log.occured_at >= f.since)
    if f.until:
        stmt = stmt.where(Log.occured_at < f.until)
    if f.request_id:
        stmt = stmt.where(Log.request_id == f.request_id)
    for word in search_words(f.q, "search the reasons"):
        stmt = stmt.where(Log.reason.ilike(contains_pattern(word), escape="\\"))
    return stmt


# Sign-ins and sign-outs (staff and students): most of the trail by count, rarely what an
# auditor looks for, so the list shows them only when asked (or when picked as actions).
SIGN_IN_ACTIONS = (AuditAction.STAFF_LOGGED_IN.value, AuditAction.STAFF_LOGGED_OUT.value,
                   AuditAction.STAFF_LOGIN_FAILED.value, "user:logged:in:self", "user:logged:out:self")


def labels_for(rows: list[Any]) -> dict[tuple[str, str], str]:
    """Readable names for the rows' targets that carry no stored label (rows written by
    Flick's own server): post titles, comment excerpts, usernames, college names. One
    statement for the page."""
    wanted: dict[str, set] = {"post": set(), "comment": set(), "user": set(), "college": set(),
                              "content-report": set()}
    for r in rows:
        meta = r.metadata_ if isinstance(r.metadata_, dict) else {}
        if meta.get("label") or not r.entity_id:
            continue
        kind = "user" if r.entity_type in ("user", "auth") else r.entity_type
        if kind in ("post", "comment", "college", "content-report"):
            try:
                wanted[kind].add(uuid.UUID(r.entity_id))
            except ValueError:
                continue
        elif kind == "user":
            wanted["user"].add(r.entity_id)
    selects = []
    if wanted["post"]:
        selects.append(sa.select(sa.literal("post").label("k"), sa.cast(Post.id, sa.Text).label("i"),
                                 Post.title.label("label")).where(Post.id.in_(wanted["post"])))
    if wanted["comment"]:
        selects.append(sa.select(sa.literal("comment").label("k"), sa.cast(Comment.id, sa.Text).label("i"),
                                 sa.func.substr(Comment.content, 1, 80).label("label"))
                       .where(Comment.id.in_(wanted["comment"])))
    if wanted["college"]:
        selects.append(sa.select(sa.literal("college").label("k"), sa.cast(College.id, sa.Text).label("i"),
                                 College.name.label("label")).where(College.id.in_(wanted["college"])))
    if wanted["user"]:
        selects.append(sa.select(sa.literal("user").label("k"), Auth.id.label("i"),
                                 sa.func.coalesce(PlatformUser.username, Auth.email).label("label"))
                       .outerjoin(PlatformUser, PlatformUser.auth_id == Auth.id)
                       .where(Auth.id.in_(wanted["user"])))
    if wanted["content-report"]:
        selects.append(_report_labels(wanted["content-report"]))
    if not selects:
        return {}
    stmt = selects[0] if len(selects) == 1 else sa.union_all(*selects)
    # SQLite keeps uuids as plain hex: read every id back in its dashed form.
    return {(k, i if k == "user" else str(uuid.UUID(str(i)))): label
            for k, i, label in db.session.execute(stmt)}


def _report_labels(ids: set) -> sa.Select:
    """A report read as "report by student_00005 on post “Showcase…”" (its reporter named
    only within a college-scoped member's colleges)."""
    reporter, on_post, on_comment = (sa.orm.aliased(PlatformUser), sa.orm.aliased(Post),
                                     sa.orm.aliased(Comment))
    who = scope.shown(reporter.username, reporter.college_id, scope.OUTSIDE_STUDENT)
    target = sa.case(
        (on_comment.id.is_not(None), "comment “" + sa.func.substr(on_comment.content, 1, 40) + "…”"),
        (on_post.id.is_not(None), "post “" + sa.func.substr(on_post.title, 1, 40) + "”"),
        else_="content that is gone")
    label = "by " + sa.func.coalesce(who, "a student who left") + " on " + target
    return (sa.select(sa.literal("content-report").label("k"), sa.cast(ContentReport.id, sa.Text).label("i"),
                      label.label("label"))
            .outerjoin(reporter, reporter.id == ContentReport.reported_by_id)
            .outerjoin(on_comment, on_comment.id == ContentReport.comment_id)
            .outerjoin(on_post, on_post.id == ContentReport.post_id)
            .where(ContentReport.id.in_(ids)))


def log_list(f: AuditFilters, size: int) -> Page:
    keys = [Log.occured_at, Log.id]
    if f.actor and not capturing():
        # The accounts the Actor filter means, read first (the role index: a few rows), then
        # one walk of the (actor, time) index per account, merged: the subquery form sorted
        # every row of the actor to show the newest 50 (issue 25: 70 ms for a busy staff
        # member at full scale). A saved view's count keeps the one-statement form.
        parts = [(filtered(f, [actor]), keys) for actor in resolved_actors(f.actor)]
        if len(parts) == 1:
            return paginate(parts[0][0], keys, descending=True, size=size, after=f.after, before=f.before)
        return paginate_merged(parts, descending=True, size=size, after=f.after, before=f.before)
    return paginate(filtered(f), keys, descending=True, size=size, after=f.after, before=f.before)


def staff_for_picker() -> list[Any]:
    return db.session.execute(
        sa.select(Auth.id, Auth.email, Auth.name, Auth.role).where(Auth.role.in_(STAFF_ROLES))
        .order_by(Auth.email).limit(500)).all()


def actor_ids(actor: str) -> sa.CompoundSelect:
    """Who the Actor filter means: the account with that id (a staff member's or a
    student's), and every staff member with that email or name (any case; the role index
    finds the few staff among the students)."""
    wanted = actor.strip().lower()
    staff = (sa.select(Auth.id).where(Auth.role.in_(STAFF_ROLES),
                                      sa.or_(sa.func.lower(Auth.email) == wanted,
                                             sa.func.lower(sa.func.trim(Auth.name)) == wanted)))
    return sa.union(sa.select(sa.literal(actor, sa.Text).label("id")), staff)


def resolved_actors(actor: str) -> list[str]:
    """``actor_ids`` as values (one statement on the role index): the id as typed first,
    then the staff it names by email or name, each once."""
    staff = reader().scalars(sa.select(actor_ids(actor).subquery().c.id)).all()
    return [actor] + sorted(set(staff) - {actor})


def actor_known(actor: str, staff: list[Any]) -> bool:
    """Whether the Actor filter names a staff member of the picker (by id, email or name)."""
    wanted = actor.strip().lower()
    return any(s.id == actor or (s.email or "").lower() == wanted or (s.name or "").strip().lower() == wanted
               for s in staff)


def batch_expression(dialect: str):
    if dialect == "postgresql":
        # The exact expression of the ix_admin_logs_batch index.
        return sa.literal_column("(logs.metadata ->> 'batch_id')")
    return sa.func.json_extract(Log.metadata_, "$.batch_id")


@dataclass
class Entry:
    log: Log
    actor_email: str | None
    link: Any
    siblings: list[Any]
    batch: list[Any]
    reverted_by: uuid.UUID | None = None  # the row that reverted this one, if any


def _readable_key() -> tuple:
    """What ``readable()`` takes from the request, beside the scope: whether the member reads
    private rows and, when not, who they are."""
    return (scope.limited() or not reads_private()) and (_me(),)


@once
def _entry_head(dialect: str, reader) -> sa.Select:
    return (sa.select(Log, Auth.email, AuditChainLink, revert_of(Log.id, dialect).label("reverted_by"))
            .outerjoin(Auth, Auth.id == Log.actor_id)
            .outerjoin(AuditChainLink, AuditChainLink.log_id == Log.id)
            .where(Log.id == sa.bindparam("log_id", type_=Log.id.type), readable()))


_ENTRY_COLUMNS = (Log.id, Log.occured_at, Log.action, Log.entity_type, Log.entity_id, Log.actor_id,
                  Log.actor_type, Log.reason, Log.metadata_)


@once
def _entry_siblings(dialect: str, reader) -> sa.Select:
    return (sa.select(*_ENTRY_COLUMNS, Auth.email.label("actor_email")).outerjoin(Auth, Auth.id == Log.actor_id)
            .where(Log.request_id == sa.bindparam("request_id", type_=Log.request_id.type),
                   Log.id != sa.bindparam("log_id", type_=Log.id.type), readable())
            .order_by(Log.occured_at, Log.id).limit(200))


@once
def _entry_batch(dialect: str, reader) -> sa.Select:
    return (sa.select(*_ENTRY_COLUMNS, Auth.email.label("actor_email")).outerjoin(Auth, Auth.id == Log.actor_id)
            .where(batch_expression(dialect) == sa.bindparam("batch_id", type_=sa.Text),
                   Log.id != sa.bindparam("log_id", type_=Log.id.type), readable())
            .order_by(Log.occured_at, Log.id).limit(500))


def entry(log_id: uuid.UUID) -> Entry | None:
    reader = _readable_key()
    found = db.session.execute(_entry_head(reader), {"log_id": log_id}).first()
    if found is None:
        return None
    log = found.Log
    siblings: list[Any] = []
    if log.request_id is not None:
        siblings = db.session.execute(_entry_siblings(reader), {"request_id": log.request_id,
                                                                 "log_id": log.id}).all()
    batch: list[Any] = []
    batch_id = (log.metadata_ or {}).get("batch_id") if isinstance(log.metadata_, dict) else None
    if batch_id:
        batch = db.session.execute(_entry_batch(reader), {"batch_id": str(batch_id), "log_id": log.id}).all()
    return Entry(log, found.email, found.AuditChainLink, siblings, batch, found.reverted_by)


EXPORT_COLUMNS = ("id", "occured_at", "actor_id", "actor_type", "actor_email", "action",
                  "entity_type", "entity_id", "reason", "before", "after", "ip_address",
                  "user_agent", "request_id", "metadata")


def export_rows(f: AuditFilters, batch: int = 2000) -> Iterator[dict[str, Any]]:
    """Every row of the filter, newest first, read in keyset batches so memory stays flat
    however many rows there are."""
    base = (
        sa.select(Log.id, Log.occured_at, Log.actor_id, Log.actor_type, Auth.email.label("actor_email"),
                  Log.action, Log.entity_type, Log.entity_id, Log.reason, Log.before, Log.after,
                  client_column(Log.ip_address).label("ip_address"),
                  client_column(Log.user_agent).label("user_agent"), Log.request_id,
                  Log.metadata_.label("metadata"))
        .select_from(Log).outerjoin(Auth, Auth.id == Log.actor_id)
    )
    where = filtered(f).whereclause
    if where is not None:
        base = base.where(where)
    last: tuple[datetime, uuid.UUID] | None = None
    while True:
        stmt = base
        if last is not None:
            stmt = stmt.where(sa.tuple_(Log.occured_at, Log.id) < sa.tuple_(
                sa.literal(last[0], type_=Log.occured_at.type), sa.literal(last[1], type_=Log.id.type)))
        rows = db.session.execute(stmt.order_by(Log.occured_at.desc(), Log.id.desc()).limit(batch)).all()
        if not rows:
            return
        for row in rows:
            yield row._asdict()
        last = (rows[-1].occured_at, rows[-1].id)


def verifications(limit: int = 20) -> list[Any]:
    return db.session.execute(
        sa.select(Log.id, Log.occured_at, Log.metadata_, Auth.email.label("actor_email"))
        .outerjoin(Auth, Auth.id == Log.actor_id)
        .where(Log.action == AuditAction.AUDIT_VERIFIED.value)
        .order_by(Log.occured_at.desc(), Log.id.desc()).limit(limit)).all()
