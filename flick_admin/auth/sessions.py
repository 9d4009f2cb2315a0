"""Dashboard sessions: rows of Flick's ``session`` table behind an opaque cookie token.

The cookie holds a random token; the row stores only its SHA-256, so a copy of the
database does not hand out live sessions. Dashboard session ids start with ``fa_`` so
that they can be told apart from the sessions Flick's own server creates.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from flick_admin.audit.context import client_ip, user_agent
from flick_admin import four_eyes, scope
from flick_admin.db import read_limit
from flick_admin.db.auth import DEFAULT_PREFERENCES, Auth, DisplayPreferences, Session, StaffPreferences
from flick_admin.db.reports import ContentReport
from flick_admin.db.team import Escalation, Proposal, SavedView
from flick_admin.permissions import ROLE_PERMISSIONS, Permission
from flick_admin.reasons import catalogue
from flick_admin.db.base import utcnow
from flick_admin.db.transaction import require_unit
from flick_admin.extensions import db

SESSION_ID_PREFIX = "fa_"


def token_digest(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode("utf-8")).hexdigest()


def open_session(user: Auth) -> tuple[str, Session]:
    """Create a session row inside the open unit; returns the raw token for the cookie."""
    session = require_unit()
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    hours = int(current_app.config["SESSION_LIFETIME_HOURS"])
    row = Session(
        id=SESSION_ID_PREFIX + secrets.token_urlsafe(12),
        token=token_digest(raw),
        user_id=user.id,
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(hours=hours),
        ip_address=client_ip(),
        user_agent=user_agent(),
    )
    session.add(row)
    session.flush()
    return raw, row


PENDING_CAP = 100


def _roles_with(permission: Permission) -> list[str]:
    return [r.value for r, held in ROLE_PERMISSIONS.items() if permission in held]


def _role_in(role, values) -> sa.ColumnElement:
    """``role IN ('a', 'b')`` with the roles written into the SQL: fixed names, so the
    statement needs no expanding parameters at each execution."""
    assert all("'" not in v for v in values)
    return role.in_([sa.literal_column(f"'{v}'") for v in sorted(values)])


def _capped_count(model, *where) -> sa.ScalarSelect:
    """How many rows of ``model`` there are, to PENDING_CAP at most (a few index entries)."""
    some = (sa.select(sa.literal_column("1")).select_from(model).where(*where)
            .limit(sa.literal_column(str(PENDING_CAP))).subquery())
    return sa.select(sa.func.count()).select_from(some).scalar_subquery()


def pending_reports_capped() -> sa.ScalarSelect:
    """How many reports wait, counted to PENDING_CAP at most (the navigation's badge)."""
    return _capped_count(ContentReport, ContentReport.status == sa.literal_column("'pending'"))


def escalations_capped(role, wants) -> sa.ColumnElement:
    """How many items wait in the Escalated view, to PENDING_CAP at most, for those who
    work it (a role that does, or a moderator who opted in, ``wants``): the navigation's
    badge. NULL for everyone else."""
    works = sa.or_(_role_in(role, _roles_with(Permission.ESCALATIONS_WORK)),
                   sa.and_(wants.is_(True), _role_in(role, _roles_with(Permission.CONTENT_MODERATE))))
    return sa.case((works, _capped_count(Escalation)), else_=sa.null())


def proposals_waiting_for(user_id, role, now) -> sa.ScalarSelect:
    """Proposals the staff member could approve: waiting, unexpired, someone else's,
    needing a permission their role (``role``, read in the same statement) has."""
    held = sorted({p for perms in ROLE_PERMISSIONS.values() for p in perms}, key=lambda p: p.value)
    may = sa.or_(*[sa.and_(Proposal.permission == sa.literal_column(f"'{p.value}'"),
                           _role_in(role, _roles_with(p))) for p in held])
    return (sa.select(sa.func.count()).select_from(Proposal)
            .where(Proposal.status == sa.literal_column(f"'{four_eyes.WAITING}'"), Proposal.expires_at > now,
                   sa.or_(Proposal.proposer_id.is_(None), Proposal.proposer_id != user_id), may)
            .scalar_subquery())


def has_saved_views(user_id) -> sa.Exists:
    """Whether the navigation has saved views to show (own or shared): only then does a
    page read them."""
    return sa.exists().where(sa.or_(SavedView.owner_id == user_id, SavedView.shared.is_(True)))


# Quiet requests (a page's background poll) read one more column with the session, so the
# poll is one statement in all: endpoint -> builder(the session token's digest) -> (a
# column, its bind parameters). They draw no badges and do not count as activity for the idle timeout.
RIDERS: dict = {}


def ride_along(endpoint: str, builder) -> None:
    """Register ``builder`` for ``endpoint``: its column is read with the session and left
    in ``g.ride_along`` for the view. The builder should return the same column object for
    the same shape of request: the statement is built once per column."""
    RIDERS[endpoint] = builder


# The lookup's statements, built once per shape: (badges or a rider's column, read limit).
# Everything that changes between requests is a bind parameter, so a request costs no
# statement building and no cache-key computing, and the answer is read fresh each time.
_BUILT: dict = {}
_MAX_BUILT = 64


def _statement(rider_column, limited: bool) -> sa.Select:
    key = (rider_column, limited)
    built = _BUILT.get(key)
    if built is not None:
        return built
    user_id, role = Session.user_id, Auth.role
    now = sa.bindparam("now", type_=Session.expires_at.type)
    if rider_column is None:
        badges = [pending_reports_capped(), proposals_waiting_for(user_id, role, now),
                  has_saved_views(user_id), catalogue.column_of_session(),
                  escalations_capped(role, StaffPreferences.escalations)]
    else:
        badges = [sa.null(), sa.null(), sa.false(), sa.null(), sa.null()]
    columns = [Session, Auth, StaffPreferences.user_id, StaffPreferences.time_zone, StaffPreferences.theme,
               StaffPreferences.escalations, scope.column_of_session(user_id), *badges,
               sa.null() if rider_column is None else rider_column,
               sa.func.set_config("statement_timeout", sa.bindparam("read_limit", type_=sa.String), True)
               if limited else sa.null()]
    stmt = (
        sa.select(*[c if c is Session or c is Auth else c.label(f"c{i}") for i, c in enumerate(columns)])
        .select_from(Session)
        .join(Auth, Auth.id == Session.user_id)
        .outerjoin(StaffPreferences, StaffPreferences.user_id == Session.user_id)
        .where(Session.token == sa.bindparam("digest"))
        .where(Session.id.startswith(SESSION_ID_PREFIX, autoescape=False))
        .where(Session.expires_at > now)                                       # absolute lifetime
        .where(Session.updated_at > sa.bindparam("idle_since", type_=Session.updated_at.type))  # idle timeout
        .options(sa.orm.contains_eager(Session.user))
    )
    if len(_BUILT) >= _MAX_BUILT:
        _BUILT.clear()
    _BUILT[key] = stmt
    return stmt


def find_live_session(raw_token: str | None, rider=None) -> tuple | None:
    """The unexpired dashboard session for a cookie token with its user, the navigation's
    badges and the member's display preferences — one statement for everything a page
    needs to know about who is looking, read from the database on every request. With
    ``rider`` (a quiet request) the badges are not counted and the rider's column comes
    last. A college-scoped member gets no badges: the numbers cover every college (their
    home page counts their colleges' reports)."""
    if not raw_token or len(raw_token) > 200:
        return None
    now = utcnow()
    idle = timedelta(minutes=int(current_app.config["SESSION_IDLE_MINUTES"]))
    digest = token_digest(raw_token)
    session = db.session()
    params: dict = {"digest": digest, "now": now, "idle_since": now - idle}
    rider_column = None
    if rider is not None:
        rider_column, extra = rider(digest)
        params.update(extra)
    # A list page's reads run under a time limit, set here at no statement of its own.
    limit = read_limit.lookup_setting(session)
    if limit is not None:
        params["read_limit"] = limit
    found = session.execute(_statement(rider_column, limit is not None), params).first()
    if limit is not None:
        read_limit.mark(session)
    if found is None:
        return None
    (row, _user, prefs_user, time_zone, theme, wants, colleges, pending, proposals, views,
     offered, escalated, riding, _limit) = found
    colleges = scope.parse(colleges)
    if colleges is not None:
        pending = proposals = escalated = None
    preferences = (DisplayPreferences(time_zone, theme, bool(wants)) if prefs_user is not None
                   else DEFAULT_PREFERENCES)
    return (row, int(pending or 0), preferences, int(proposals or 0), bool(views), colleges,
            catalogue.parse(offered), int(escalated or 0), riding if rider is not None else None)


TOUCH_EVERY = timedelta(seconds=60)


def touch(row: Session) -> None:
    """Mark the session as in use (at most once a minute), for the idle timeout and the
    "last seen" of the session list. Session bookkeeping, like Flick's own session refresh:
    it changes no data anyone acts on, so it has no audit row."""
    now = utcnow()
    if now - row.updated_at < TOUCH_EVERY:
        return
    from flick_admin.db.transaction import transaction

    with transaction() as session:
        session.execute(sa.update(Session).where(Session.id == row.id).values(updated_at=now))


def end_sessions_of(user_id: str) -> int:
    """Delete every session of a user (dashboard and Flick alike). Inside a unit."""
    session = require_unit()
    result = session.execute(sa.delete(Session).where(Session.user_id == user_id))
    return result.rowcount or 0
