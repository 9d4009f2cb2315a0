"""College-scoped staff: a moderator limited to the students of some colleges.

A superadmin sets the colleges on the staff page (``admin_staff_scopes``; no rows: every
college). The signed-in member's colleges are read with their session, in the same
statement (``g.staff_scope``). Every list, page, count and action of moderation then
covers only content by students of those colleges, and anything outside answers 404 —
exactly as if it did not exist, so a scoped moderator learns nothing of it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy.orm import Session

from flick_admin.db import College, Comment, ContentReport, PlatformUser, Post
from flick_admin.db.team import StaffScope
from flick_admin.refusals import NotFound


def parse(raw: str | None) -> frozenset[uuid.UUID] | None:
    """The aggregated college ids read with the session (None: not limited)."""
    if not raw:
        return None
    return frozenset(uuid.UUID(part) for part in raw.split(",") if part)


def colleges() -> frozenset[uuid.UUID] | None:
    """The colleges the signed-in staff member is limited to, or None for every college."""
    if not has_request_context():
        return None
    return g.get("staff_scope")


def limited() -> bool:
    return colleges() is not None


def column_of_session(session_user_id) -> sa.ScalarSelect:
    """For the session statement: the member's colleges as one comma-separated text."""
    return (sa.select(sa.func.aggregate_strings(sa.cast(StaffScope.college_id, sa.Text), ","))
            .where(StaffScope.user_id == session_user_id).scalar_subquery())


def college_ids() -> sa.Select:
    """The scope as a select of college ids (for the tallies' "reports of colleges")."""
    return sa.select(College.id).where(College.id.in_(list(colleges() or ())))


def students(column) -> sa.ColumnElement:
    """``column`` (a ``platform_user.college_id``) within the scope; true when not limited."""
    scope = colleges()
    if scope is None:
        return sa.true()
    return column.in_(list(scope))


def shown(value, college_column, placeholder: str | None = None) -> sa.ColumnElement:
    """For a related row on an in-scope page (the post a comment answers, the comment it
    replies to, a reporter): ``value`` when ``college_column`` (that row's student's
    college) is within the scope, else ``placeholder`` (NULL by default)."""
    if colleges() is None:
        return value
    otherwise = sa.null() if placeholder is None else sa.literal(placeholder)
    return sa.case((students(college_column), value), else_=otherwise)


def outside(college_column) -> sa.ColumnElement:
    """True when ``college_column`` is outside the scope (false when not limited)."""
    if colleges() is None:
        return sa.false()
    return sa.case((students(college_column), sa.false()), else_=sa.true())


OUTSIDE_POST = "a post outside your colleges"
OUTSIDE_STUDENT = "a student of another college"


def actor_shown(email, profile) -> sa.ColumnElement:
    """An audit row's actor on an in-scope item's history: a student of another college (a
    vote, a report on the item) is not named to a college-scoped member; staff (no student
    profile, ``profile`` outer-joined on the actor) are."""
    if colleges() is None:
        return email
    return sa.case((sa.and_(profile.id.is_not(None), outside(profile.college_id)), sa.literal(OUTSIDE_STUDENT)),
                   else_=email)


def hidden(what: str) -> NotFound:
    return NotFound(f"That {what} does not exist (it may have been deleted).")


def check_targets(session: Session, targets: Iterable[tuple[str, uuid.UUID]]) -> None:
    """404 when any post or comment is not by a student of the scope (one statement)."""
    scope = colleges()
    targets = list(targets)
    if scope is None or not targets:
        return
    post_ids = [i for k, i in targets if k == "post"]
    comment_ids = [i for k, i in targets if k == "comment"]
    selects = []
    if post_ids:
        selects.append(sa.select(Post.id.label("id"), PlatformUser.college_id)
                       .outerjoin(PlatformUser, PlatformUser.id == Post.posted_by_id)
                       .where(Post.id.in_(post_ids)))
    if comment_ids:
        selects.append(sa.select(Comment.id.label("id"), PlatformUser.college_id)
                       .outerjoin(PlatformUser, PlatformUser.id == Comment.commented_by_id)
                       .where(Comment.id.in_(comment_ids)))
    stmt = selects[0] if len(selects) == 1 else sa.union_all(*selects)
    inside = {row.id for row in session.execute(stmt) if row.college_id in scope}
    for kind, ident in targets:
        if ident not in inside:
            raise hidden(kind)


def author_college(kind: str, target_id) -> sa.ScalarSelect:
    """The college of the student who wrote a post or comment (a scalar subquery)."""
    model, author = (Post, Post.posted_by_id) if kind == "post" else (Comment, Comment.commented_by_id)
    return (sa.select(PlatformUser.college_id).join(model, author == PlatformUser.id)
            .where(model.id == target_id).scalar_subquery())


def covers(member_id, kind: str, target_id) -> sa.ColumnElement:
    """Whether staff member ``member_id`` (a column or a value) may see a post or comment:
    they have no scope, or their colleges include its author's."""
    mine = sa.select(StaffScope.college_id).where(StaffScope.user_id == member_id)
    return sa.or_(~mine.exists(), author_college(kind, target_id).in_(mine))


def check_user(session: Session, auth_id: str) -> None:
    scope = colleges()
    if scope is None:
        return
    college = session.scalar(sa.select(PlatformUser.college_id).where(PlatformUser.auth_id == auth_id))
    if college not in scope:
        raise NotFound("That user does not exist.")


def check_report(session: Session, report_id: uuid.UUID) -> None:
    scope = colleges()
    if scope is None:
        return
    row = session.execute(sa.select(ContentReport.post_id, ContentReport.comment_id)
                          .where(ContentReport.id == report_id)).first()
    if row is None:
        raise hidden("report")
    # About its comment when it names one, even if it carries the comment's post too.
    check_targets(session, [("comment", row.comment_id)] if row.comment_id else [("post", row.post_id)])
