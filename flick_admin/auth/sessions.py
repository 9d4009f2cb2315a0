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
from flick_admin.db.auth import Auth, Session, StaffPreferences
from flick_admin.db.reports import ContentReport
from flick_admin.db.team import Escalation, Proposal, SavedView, StaffScope
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


def pending_reports_capped():
    """How many reports wait, counted to PENDING_CAP at most (the navigation's badge): a
    few index entries, read in the same statement as the session. A college-scoped
    member gets no badge (NULL): the number covers every college; their home page counts
    their colleges' reports."""
    waiting = (sa.select(sa.literal(1)).select_from(ContentReport)
               .where(ContentReport.status == "pending").limit(PENDING_CAP).subquery())
    everything = sa.select(sa.func.count()).select_from(waiting).scalar_subquery()
    limited = sa.exists().where(StaffScope.user_id == Session.user_id).correlate(Session)
    return sa.case((limited, sa.null()), else_=everything)


def _roles_with(permission: Permission) -> list[str]:
    return [r.value for r, held in ROLE_PERMISSIONS.items() if permission in held]


def escalations_capped():
    """How many items wait in the Escalated view, to PENDING_CAP at most, for those who
    work it (a role that does, or a moderator who opted in): the navigation's badge, in the
    session's statement (``admin_staff_preferences`` is joined there). NULL for everyone
    else, and for a college-scoped member (the number covers every college)."""
    waiting = sa.select(sa.literal(1)).select_from(Escalation).limit(PENDING_CAP).subquery()
    everything = sa.select(sa.func.count()).select_from(waiting).scalar_subquery()
    role = (sa.select(Auth.role).where(Auth.id == Session.user_id).correlate(Session).scalar_subquery())
    works = sa.or_(role.in_(_roles_with(Permission.ESCALATIONS_WORK)),
                   sa.and_(StaffPreferences.escalations.is_(True),
                           role.in_(_roles_with(Permission.CONTENT_MODERATE))))
    limited = sa.exists().where(StaffScope.user_id == Session.user_id).correlate(Session)
    return sa.case((limited, sa.null()), (works, everything), else_=sa.null())


def proposals_waiting_for(now):
    """Proposals the session's staff member could approve: waiting, unexpired, someone
    else's, needing a permission their role has (the navigation's badge; the same
    statement as the session)."""
    viewer = sa.orm.aliased(Auth)
    may = sa.or_(*[sa.and_(Proposal.permission == permission.value,
                           viewer.role.in_([r.value for r, held in ROLE_PERMISSIONS.items() if permission in held]))
                   for permission in {p for held in ROLE_PERMISSIONS.values() for p in held}])
    return (sa.select(sa.func.count()).select_from(Proposal)
            .join(viewer, viewer.id == Session.user_id)
            .where(four_eyes.waiting_condition(now),
                   ~sa.exists().where(StaffScope.user_id == Session.user_id),
                   sa.or_(Proposal.proposer_id.is_(None), Proposal.proposer_id != Session.user_id), may)
            .correlate(Session).scalar_subquery())


def has_saved_views():
    """Whether the navigation has saved views to show (own or shared): only then does a
    page read them."""
    return (sa.exists().where(sa.or_(SavedView.owner_id == Session.user_id, SavedView.shared.is_(True)))
            .correlate(Session))


# Quiet requests (a page's background poll) read one more column with the session, so the
# poll is one statement in all: endpoint -> builder(the session token's digest) -> (a
# column, its bind parameters). They draw no badges and do not count as activity for the idle timeout.
RIDERS: dict = {}


def ride_along(endpoint: str, builder) -> None:
    """Register ``builder`` for ``endpoint``: its column is read with the session and left
    in ``g.ride_along`` for the view."""
    RIDERS[endpoint] = builder


def find_live_session(raw_token: str | None, rider=None) -> tuple | None:
    """The unexpired dashboard session for a cookie token, with its user loaded, the
    navigation's count of waiting reports and the member's display preferences — one
    statement for everything a page needs to know about who is looking. With ``rider``
    (a quiet request) the badges are not counted and the rider's column comes last."""
    if not raw_token or len(raw_token) > 200:
        return None
    now = utcnow()
    idle = timedelta(minutes=int(current_app.config["SESSION_IDLE_MINUTES"]))
    digest = token_digest(raw_token)
    session = db.session()
    # A list page's reads run under a time limit, set here at no statement of its own.
    limit = read_limit.lookup_column(session)
    if rider is None:
        badges = [pending_reports_capped().label("pending"), StaffPreferences,
                  proposals_waiting_for(now).label("proposals"), has_saved_views().label("views")]
        offered = catalogue.column_of_session()
        escalated = escalations_capped()
    else:
        badges = [sa.null().label("pending"), StaffPreferences, sa.null().label("proposals"),
                  sa.false().label("views")]
        offered = sa.null()
        escalated = sa.null()
    columns = [Session, *badges, scope.column_of_session(Session.user_id).label("scope"),
               offered.label("removal_reasons"), escalated.label("escalated")]
    params: dict = {}
    if rider is not None:
        column, params = rider(digest)
        columns.append(column.label("rider"))
    if limit is not None:
        columns.append(limit)
    stmt = (
        sa.select(*columns)
        .outerjoin(StaffPreferences, StaffPreferences.user_id == Session.user_id)
        .where(Session.token == digest)
        .where(Session.id.startswith(SESSION_ID_PREFIX))
        .where(Session.expires_at > now)        # absolute lifetime
        .where(Session.updated_at > now - idle)  # idle timeout
        .options(sa.orm.joinedload(Session.user))
    )
    found = session.execute(stmt, params).first()
    if limit is not None:
        read_limit.mark(session)
    if found is None:
        return None
    return (found[0], int(found[1] or 0), found[2], int(found[3] or 0), bool(found[4]),
            scope.parse(found[5]), catalogue.parse(found[6]), int(found[7] or 0),
            found[8] if rider is not None else None)


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
