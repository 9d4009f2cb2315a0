"""Read-only queries for colleges, branches, college requests, banned words and feedback."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from flick_admin import scope
from flick_admin import tallies
from flick_admin.colleges.wordcheck import Word
from flick_admin.db import (
    Auth, BannedWord, Branch, College, CollegeBranch, CollegeRequest, Feedback, PlatformUser,
)
from flick_admin.db.enums import CollegeRequestStatus, EntityType, Severity
from flick_admin.extensions import db
from flick_admin.feedback.services import STATUSES, TYPES
from flick_admin.listing import Filters, choice_arg, cursor_args, text_arg
from flick_admin.listing import contains_pattern
from flick_admin.moderation.details import entity_history
from flick_admin.pagination import Page, paginate

# --- colleges -------------------------------------------------------------------------------

COLLEGE_SORTS = ("name", "newest", "students")


@dataclass(frozen=True)
class CollegeFilters(Filters):
    q: str = ""
    sort: str = "name"

    @classmethod
    def parse(cls, args: MultiDict) -> CollegeFilters:
        return cls(q=text_arg(args, "q"), sort=choice_arg(args, "sort", COLLEGE_SORTS, "name"),
                   **cursor_args(args))


def _students_of_college():
    return tallies.students_column(College.id)


def _branches_of_college():
    return (sa.select(sa.func.count()).select_from(CollegeBranch)
            .where(CollegeBranch.college_id == College.id).correlate(College).scalar_subquery())


def college_list(f: CollegeFilters, size: int) -> Page:
    # Student counts come from the running tally (exact: plus students since its
    # watermark), so sorting by size reads a thousand tally rows, not every student.
    if f.sort == "students":
        # Every college's count is needed to sort: one pass over a thousand tally rows.
        per_college = tallies.students_by_college()
        students = sa.cast(sa.func.coalesce(per_college.c.n, 0), sa.Integer)
    else:
        students = _students_of_college()
    stmt = sa.select(College.id, College.name, College.email_domain, College.city, College.state,
                     College.created_at, students.label("students"),
                     _branches_of_college().label("branches"))
    if f.sort == "students":
        stmt = stmt.outerjoin(per_college, per_college.c.college_id == College.id)
    if f.q:
        pattern = contains_pattern(f.q)
        stmt = stmt.where(sa.or_(*(c.ilike(pattern, escape="\\") for c in (
            College.name, College.email_domain, College.city, College.state))))
    if f.sort == "name":
        keys, descending = [College.name, College.id], False
    elif f.sort == "newest":
        keys, descending = [College.created_at, College.id], True
    else:
        keys, descending = [students, College.id], True
    return paginate(stmt, keys, descending=descending, size=size, after=f.after, before=f.before)


@dataclass
class CollegeDetail:
    college: College
    students: int
    branches: list[Any]
    requests: list[Any]
    history: list[Any]


def college_detail(college_id: uuid.UUID) -> CollegeDetail | None:
    row = db.session.execute(
        sa.select(College, _students_of_college().label("students")).where(College.id == college_id)
    ).first()
    if row is None:
        return None
    branches = db.session.execute(
        sa.select(Branch.id, Branch.name, Branch.code)
        .join(CollegeBranch, CollegeBranch.branch_id == Branch.id)
        .where(CollegeBranch.college_id == college_id).order_by(Branch.name)).all()
    requests = db.session.execute(
        sa.select(CollegeRequest.id, CollegeRequest.name, CollegeRequest.status,
                  CollegeRequest.resolved_at)
        .where(CollegeRequest.resolved_college_id == college_id)
        .order_by(CollegeRequest.created_at.desc()).limit(20)).all()
    return CollegeDetail(row.College, row.students, branches, requests,
                         entity_history(EntityType.COLLEGE, str(college_id)))


def all_branches() -> list[Any]:
    """For the branch picker: Flick has tens of branches, not thousands."""
    return db.session.execute(sa.select(Branch.id, Branch.name, Branch.code)
                              .order_by(Branch.name).limit(1000)).all()


def college_by_domain(domain: str) -> Any:
    return db.session.execute(
        sa.select(College.id, College.name, College.email_domain)
        .where(sa.func.lower(College.email_domain) == domain.strip().lower()).limit(1)).first()


# --- branches -------------------------------------------------------------------------------

def branch_list() -> list[Any]:
    colleges = (sa.select(sa.func.count()).select_from(CollegeBranch)
                .where(CollegeBranch.branch_id == Branch.id).correlate(Branch).scalar_subquery())
    students = (sa.select(sa.func.count()).select_from(PlatformUser)
                .where(PlatformUser.branch == Branch.name).correlate(Branch).scalar_subquery())
    return db.session.execute(
        sa.select(Branch.id, Branch.name, Branch.code, Branch.created_at,
                  colleges.label("colleges"), students.label("students"))
        .order_by(Branch.name).limit(1000)).all()


@dataclass
class BranchDetail:
    branch: Branch
    colleges: list[Any]
    students: int
    history: list[Any]


def branch_detail(branch_id: uuid.UUID) -> BranchDetail | None:
    row = db.session.execute(
        sa.select(Branch, sa.select(sa.func.count()).select_from(PlatformUser)
                  .where(PlatformUser.branch == Branch.name).correlate(Branch)
                  .scalar_subquery().label("students"))
        .where(Branch.id == branch_id)).first()
    if row is None:
        return None
    colleges = db.session.execute(
        sa.select(College.id, College.name, College.email_domain)
        .join(CollegeBranch, CollegeBranch.college_id == College.id)
        .where(CollegeBranch.branch_id == branch_id).order_by(College.name).limit(1000)).all()
    return BranchDetail(row.Branch, colleges, row.students,
                        entity_history(EntityType.BRANCH, str(branch_id)))


# --- college requests -----------------------------------------------------------------------

REQUEST_STATUSES = tuple(s.value for s in CollegeRequestStatus) + ("all",)


@dataclass(frozen=True)
class RequestFilters(Filters):
    status: str = "pending"

    @classmethod
    def parse(cls, args: MultiDict) -> RequestFilters:
        return cls(status=choice_arg(args, "status", REQUEST_STATUSES, "pending"), **cursor_args(args))


def request_queue(f: RequestFilters, size: int) -> Page:
    existing = (sa.select(College.id).where(sa.func.lower(College.email_domain)
                                            == sa.func.lower(CollegeRequest.email_domain))
                .correlate(CollegeRequest).limit(1).scalar_subquery())
    stmt = sa.select(CollegeRequest.id, CollegeRequest.name, CollegeRequest.email_domain,
                     CollegeRequest.city, CollegeRequest.state, CollegeRequest.requested_by_email,
                     CollegeRequest.status, CollegeRequest.created_at, CollegeRequest.resolved_at,
                     CollegeRequest.resolved_college_id, existing.label("existing_college_id"))
    if f.status != "all":
        stmt = stmt.where(CollegeRequest.status == f.status)
    # Pending first, then oldest first (within one status the order is simply by age).
    pending_rank = sa.case((CollegeRequest.status == "pending", 0), else_=1)
    return paginate(stmt, [pending_rank, CollegeRequest.created_at, CollegeRequest.id],
                    descending=False, size=size, after=f.after, before=f.before)


def request_detail(request_id: uuid.UUID) -> Any:
    return db.session.get(CollegeRequest, request_id)


# --- banned words ---------------------------------------------------------------------------

@dataclass(frozen=True)
class WordFilters(Filters):
    q: str = ""
    severity: str = ""
    mode: str = ""

    @classmethod
    def parse(cls, args: MultiDict) -> WordFilters:
        return cls(q=text_arg(args, "q"),
                   severity=choice_arg(args, "severity", ("",) + tuple(s.value for s in Severity)),
                   mode=choice_arg(args, "mode", ("", "strict", "normal")), **cursor_args(args))


def word_list(f: WordFilters, size: int) -> Page:
    stmt = sa.select(BannedWord.id, BannedWord.word, BannedWord.severity, BannedWord.strict_mode,
                     BannedWord.created_at, BannedWord.updated_at)
    if f.q:
        stmt = stmt.where(BannedWord.word.ilike(contains_pattern(f.q.lower()), escape="\\"))
    if f.severity:
        stmt = stmt.where(BannedWord.severity == f.severity)
    if f.mode:
        stmt = stmt.where(BannedWord.strict_mode.is_(f.mode == "strict"))
    return paginate(stmt, [BannedWord.word, BannedWord.id], descending=False, size=size,
                    after=f.after, before=f.before)


def word(word_id: uuid.UUID) -> BannedWord | None:
    return db.session.get(BannedWord, word_id)


def all_words():
    """Every banned word, in the order Flick's server compiles them (by word)."""
    return [Word(w, s, bool(strict)) for w, s, strict in db.session.execute(
        sa.select(BannedWord.word, BannedWord.severity, BannedWord.strict_mode).order_by(BannedWord.word))]


# --- feedback -------------------------------------------------------------------------------

@dataclass(frozen=True)
class FeedbackFilters(Filters):
    status: str = ""
    type: str = ""

    CHIPLESS = frozenset({"after", "before"})  # here the status is a filter, not a tab

    @classmethod
    def parse(cls, args: MultiDict) -> FeedbackFilters:
        return cls(status=choice_arg(args, "status", ("",) + STATUSES),
                   type=choice_arg(args, "type", ("",) + TYPES), **cursor_args(args))


def feedback_list(f: FeedbackFilters, size: int) -> Page:
    stmt = (
        sa.select(Feedback.id, Feedback.type, Feedback.title, Feedback.content, Feedback.status,
                  Feedback.created_at, PlatformUser.username, PlatformUser.auth_id,
                  Auth.name.label("author_name"))
        .outerjoin(PlatformUser, PlatformUser.id == Feedback.user_id)
        .outerjoin(Auth, Auth.id == PlatformUser.auth_id)
    )
    if scope.limited():
        stmt = stmt.where(scope.students(PlatformUser.college_id))
    if f.status:
        stmt = stmt.where(Feedback.status == f.status)
    if f.type:
        stmt = stmt.where(Feedback.type == f.type)
    return paginate(stmt, [Feedback.created_at, Feedback.id], descending=True, size=size,
                    after=f.after, before=f.before)

