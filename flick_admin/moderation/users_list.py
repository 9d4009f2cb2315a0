"""The users list: one keyset query per page, whatever its depth or filter."""

from __future__ import annotations

import sqlalchemy as sa

from flick_admin import scope
from flick_admin.db import Auth, College, PlatformUser
from flick_admin.db.base import utcnow
from flick_admin.listing import prefix_pattern
from flick_admin.moderation.filters import UserFilters
from flick_admin.moderation.queries import college_match
from flick_admin.pagination import Page, keyset_walk, paginate, paginate_merged
from flick_admin.permissions import STAFF_ROLES


def _ban(f: UserFilters, now) -> list[sa.ColumnElement]:
    banned = Auth.banned.is_(True)
    if f.ban == "banned":
        return [banned, Auth.ban_expires.is_(None)]
    if f.ban == "suspended":
        return [banned, Auth.ban_expires > now]
    if f.ban == "expired":
        return [banned, Auth.ban_expires <= now]
    if f.ban == "free":
        return [sa.or_(Auth.banned.is_not(True), Auth.ban_expires <= now)]
    return []


def user_list(f: UserFilters, size: int) -> Page:
    now = utcnow()
    stmt = (
        sa.select(
            Auth.id, Auth.email, Auth.name, Auth.role, Auth.banned, Auth.ban_expires,
            Auth.ban_reason, Auth.created_at, PlatformUser.username, PlatformUser.status,
            PlatformUser.karma, PlatformUser.branch, College.name.label("college"),
        )
        .select_from(Auth)
        .outerjoin(PlatformUser, PlatformUser.auth_id == Auth.id)
        .outerjoin(College, College.id == PlatformUser.college_id)
    )
    keys = [Auth.created_at, Auth.id]
    on_auth = _ban(f, now) + ([Auth.role.in_(STAFF_ROLES)] if f.kind == "staff" else [])
    if on_auth and not (scope.limited() or f.college or f.status or f.kind == "student" or f.q):
        # Every condition is on the account itself: the page's accounts are found first
        # (the banned accounts' partial index, ``ix_admin_auth_banned_created``), and only
        # they are joined to their profile and college. Joined before the sort, every
        # suspended account was (issue 25: 21 ms at full scale; the planner takes the
        # "suspended" share of the banned for a few dozen).
        walk = keyset_walk(sa.select(*keys).where(*on_auth), keys, descending=True, size=size,
                           after=f.after, before=f.before).subquery("walk")
        stmt = stmt.join(walk, walk.c.id == Auth.id)
        return paginate(stmt, keys, descending=True, size=size, after=f.after, before=f.before)
    stmt = stmt.where(*on_auth)
    if scope.limited():
        stmt = stmt.where(scope.students(PlatformUser.college_id))
    if f.college:
        stmt = stmt.where(college_match(f.college))
    if f.status:
        stmt = stmt.where(PlatformUser.status == f.status)
    if f.kind == "student":
        stmt = stmt.where(PlatformUser.id.is_not(None))
    if f.q:
        # "Starts with", on the lower-case forms the prefix indexes hold (Flick stores
        # usernames lower-case already). Two parts (a student may be in both), each
        # planned on its own from what its prefix matches: few rows, read from the prefix
        # index and sorted; many (a letter or two), the newest accounts walked in order
        # until the page is full. One OR across the join would read every account; one IN
        # list of the matches sorted every match (0.56 s for one letter at 200,000 students).
        pattern = prefix_pattern(f.q.lower())
        parts = [(stmt.where(PlatformUser.username.like(pattern, escape="\\")), keys),
                 (stmt.where(sa.func.lower(Auth.email).like(pattern, escape="\\")), keys)]
        return paginate_merged(parts, descending=True, size=size, after=f.after, before=f.before,
                               overlapping=True)
    return paginate(stmt, keys, descending=True, size=size, after=f.after, before=f.before)
