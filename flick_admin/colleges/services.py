"""Colleges, branches and college requests: each change one unit of work with its audit row.

Rules Flick's database leaves to the application are kept here: a college's email domain
is a valid domain, stored lower-case and unique among colleges (checked under a lock so two
admins saving at once cannot both win); a branch code is unique; a college with students is
never deleted (Flick's schema would cascade the delete through every student and their
content); a college request changes status only while pending.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from flick_admin.audit.actions import AuditAction
from flick_admin.audit.recorder import changed_fields, record
from flick_admin.db import Branch, College, CollegeBranch, CollegeRequest, PlatformUser
from flick_admin.db.base import utcnow
from flick_admin.db.colleges import DEFAULT_COLLEGE_PROFILE
from flick_admin.db.enums import CollegeRequestStatus, EntityType
from flick_admin.db.locks import lock_name
from flick_admin.db.transaction import transaction
from flick_admin.extensions import db
from flick_admin.outcomes import clean_reason
from flick_admin.refusals import Conflict, InvalidInput, NotFound, StaleState

DOMAIN_RE = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
MAX_FIELD = 200
MAX_URL = 2048


# --- input ----------------------------------------------------------------------------------

def clean_domain(raw: str | None) -> str:
    domain = (raw or "").strip().lower().rstrip(".")
    if domain.startswith("@"):
        domain = domain[1:]
    if not DOMAIN_RE.match(domain):
        raise InvalidInput(f"{(raw or '')[:80]!r} is not a valid email domain (for example iitb.ac.in).",
                           field="email_domain")
    return domain


def clean_text(raw: str | None, label: str, *, minimum: int = 2, field: str | None = None) -> str:
    text = " ".join((raw or "").split())
    if len(text) < minimum:
        raise InvalidInput(f"{label} needs at least {minimum} characters.", field=field)
    if len(text) > MAX_FIELD:
        raise InvalidInput(f"{label} is too long (at most {MAX_FIELD} characters).", field=field)
    return text


def clean_profile(raw: str | None) -> str:
    url = (raw or "").strip()
    if not url:
        return DEFAULT_COLLEGE_PROFILE
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > MAX_URL:
        raise InvalidInput("The profile image must be an http:// or https:// address.", field="profile")
    return url


@dataclass(frozen=True)
class CollegeInput:
    name: str
    email_domain: str
    city: str
    state: str
    profile: str
    branch_ids: tuple[uuid.UUID, ...]

    @classmethod
    def clean(cls, *, name, email_domain, city, state, profile, branch_ids) -> CollegeInput:
        ids: list[uuid.UUID] = []
        for raw in branch_ids or ():
            try:
                ids.append(raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw)))
            except ValueError:
                raise InvalidInput(f"{str(raw)[:40]!r} is not a branch id.") from None
        return cls(
            name=clean_text(name, "The name", minimum=3, field="name"),
            email_domain=clean_domain(email_domain),
            city=clean_text(city, "The city", field="city"),
            state=clean_text(state, "The state", field="state"),
            profile=clean_profile(profile),
            branch_ids=tuple(dict.fromkeys(ids)),
        )


# --- colleges -------------------------------------------------------------------------------

def _college_fields(session: Session, college: College) -> dict[str, Any]:
    branches = session.scalars(
        sa.select(Branch.name).join(CollegeBranch, CollegeBranch.branch_id == Branch.id)
        .where(CollegeBranch.college_id == college.id).order_by(Branch.name)
    ).all()
    return {"name": college.name, "emailDomain": college.email_domain, "city": college.city,
            "state": college.state, "profile": college.profile, "branches": list(branches)}


def _claim_domain(session: Session, domain: str, *, except_id: uuid.UUID | None = None) -> None:
    """Refuse a domain another college holds. Locked, so concurrent saves serialise."""
    lock_name("college-domain", domain)
    taken = session.execute(
        sa.select(College.id, College.name)
        .where(sa.func.lower(College.email_domain) == domain)
        .where(College.id != except_id if except_id else sa.true())
        .limit(1)
    ).first()
    if taken is not None:
        raise Conflict(f"The domain {domain} already belongs to {taken.name}.", field="email_domain")


def _set_branches(session: Session, college: College, branch_ids: tuple[uuid.UUID, ...]) -> None:
    if branch_ids:
        found = set(session.scalars(sa.select(Branch.id).where(Branch.id.in_(branch_ids))))
        missing = [str(b) for b in branch_ids if b not in found]
        if missing:
            raise InvalidInput(f"Unknown branch {missing[0]}.")
    current = set(session.scalars(
        sa.select(CollegeBranch.branch_id).where(CollegeBranch.college_id == college.id)))
    wanted = set(branch_ids)
    if current - wanted:
        session.execute(sa.delete(CollegeBranch).where(
            CollegeBranch.college_id == college.id, CollegeBranch.branch_id.in_(current - wanted)))
    for branch_id in branch_ids:
        if branch_id not in current:
            session.add(CollegeBranch(college_id=college.id, branch_id=branch_id))
    session.flush()


def _create_college(session: Session, data: CollegeInput, metadata: dict | None = None) -> College:
    _claim_domain(session, data.email_domain)
    now = utcnow()
    college = College(name=data.name, email_domain=data.email_domain, city=data.city,
                      state=data.state, profile=data.profile, created_at=now, updated_at=now)
    session.add(college)
    session.flush()
    _set_branches(session, college, data.branch_ids)
    record(AuditAction.COLLEGE_CREATED, entity_type=EntityType.COLLEGE, entity_id=college.id,
           after=_college_fields(session, college),
           metadata={"label": college.name, "emailDomain": college.email_domain, **(metadata or {})})
    return college


def create_college(data: CollegeInput) -> College:
    with transaction() as session:
        return _create_college(session, data)


def update_college(college_id: uuid.UUID, data: CollegeInput) -> bool:
    """Returns whether anything changed (saving an unchanged form writes nothing)."""
    with transaction() as session:
        college = session.scalars(
            sa.select(College).where(College.id == college_id).with_for_update()
            .execution_options(populate_existing=True)).first()
        if college is None:
            raise NotFound("That college does not exist.")
        if data.email_domain != college.email_domain.lower():
            _claim_domain(session, data.email_domain, except_id=college.id)
        before = _college_fields(session, college)
        college.name, college.email_domain = data.name, data.email_domain
        college.city, college.state, college.profile = data.city, data.state, data.profile
        _set_branches(session, college, data.branch_ids)
        old, new = changed_fields(before, _college_fields(session, college))
        if not new:
            session.expire(college)
            return False
        college.updated_at = utcnow()
        record(AuditAction.COLLEGE_UPDATED, entity_type=EntityType.COLLEGE, entity_id=college.id,
               before=old, after=new, metadata={"label": college.name})
        return True


def _deletable(session: Session, college_id: uuid.UUID, confirmation: str, *, lock: bool) -> College:
    stmt = sa.select(College).where(College.id == college_id)
    college = session.scalars(stmt.with_for_update() if lock else stmt).first()
    if college is None:
        raise NotFound("That college does not exist.")
    students = session.scalar(
        sa.select(sa.func.count()).select_from(PlatformUser)
        .where(PlatformUser.college_id == college.id))
    if students:
        raise Conflict(
            f"{college.name} has {students:,} student(s). Deleting it would delete them and "
            "everything they wrote, so Flick Admin refuses while it has students.")
    if (confirmation or "").strip().lower() != college.email_domain.lower():
        raise InvalidInput(f"Type the college's domain ({college.email_domain}) to confirm.")
    return college


def check_delete(college_id: uuid.UUID, confirmation: str) -> College:
    """The college, if deleting it would pass every check now (a view proposing the
    deletion asks this first; nothing is locked or changed)."""
    return _deletable(db.session(), college_id, confirmation, lock=False)


def _delete_row(session: Session, college: College) -> None:
    """On PostgreSQL through ``admin_delete_college()``: the application role has no DELETE on
    colleges (Flick's cascade would reach the students), and the function, owned by the
    migration role, refuses again while the college has students. Elsewhere a plain delete."""
    if session.get_bind().dialect.name != "postgresql":
        session.delete(college)
        session.flush()
        return
    session.flush()
    try:
        session.execute(sa.select(sa.func.admin_delete_college(college.id)))
    except sa.exc.IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) != "23001":  # restrict_violation
            raise
        raise Conflict(f"{college.name} has students now, so Flick Admin refuses to delete it.") from None
    session.expunge(college)


def delete_college(college_id: uuid.UUID, confirmation: str) -> str:
    with transaction() as session:
        college = _deletable(session, college_id, confirmation, lock=True)
        before = _college_fields(session, college)
        name = college.name
        _delete_row(session, college)
        record(AuditAction.COLLEGE_DELETED, entity_type=EntityType.COLLEGE, entity_id=college_id,
               before=before, metadata={"label": name})
        return name


# --- branches -------------------------------------------------------------------------------

def clean_code(raw: str | None) -> str:
    code = (raw or "").strip().upper()
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9 &._-]{0,19}", code):
        raise InvalidInput("The code is 1–20 letters, digits or . _ - & (for example CSE).", field="code")
    return code


def _claim_code(session: Session, code: str, except_id: uuid.UUID | None = None) -> None:
    lock_name("branch-code", code)
    taken = session.execute(
        sa.select(Branch.name).where(sa.func.upper(Branch.code) == code)
        .where(Branch.id != except_id if except_id else sa.true()).limit(1)).first()
    if taken is not None:
        raise Conflict(f"The code {code} is already used by {taken.name}.", field="code")


def create_branch(name: str | None, code: str | None) -> Branch:
    name, code = clean_text(name, "The name", field="name"), clean_code(code)
    with transaction() as session:
        _claim_code(session, code)
        now = utcnow()
        branch = Branch(name=name, code=code, created_at=now, updated_at=now)
        session.add(branch)
        session.flush()
        record(AuditAction.BRANCH_CREATED, entity_type=EntityType.BRANCH, entity_id=branch.id,
               after={"name": name, "code": code}, metadata={"label": name})
        return branch


def update_branch(branch_id: uuid.UUID, name: str | None, code: str | None) -> bool:
    name, code = clean_text(name, "The name", field="name"), clean_code(code)
    with transaction() as session:
        branch = session.scalars(sa.select(Branch).where(Branch.id == branch_id).with_for_update()).first()
        if branch is None:
            raise NotFound("That branch does not exist.")
        if code != branch.code.upper():
            _claim_code(session, code, except_id=branch.id)
        old, new = changed_fields({"name": branch.name, "code": branch.code}, {"name": name, "code": code})
        if not new:
            return False
        branch.name, branch.code, branch.updated_at = name, code, utcnow()
        students = 0
        if "name" in old:
            students = session.scalar(sa.select(sa.func.count()).select_from(PlatformUser)
                                      .where(PlatformUser.branch == old["name"]))
        record(AuditAction.BRANCH_UPDATED, entity_type=EntityType.BRANCH, entity_id=branch.id,
               before=old, after=new,
               metadata={"label": name, "students_with_old_name": students})
        return True


def branch_students(session: Session, name: str) -> int:
    """Students whose free-text ``branch`` carries this branch's name."""
    return session.scalar(sa.select(sa.func.count()).select_from(PlatformUser)
                          .where(PlatformUser.branch == name)) or 0


def delete_branch(branch_id: uuid.UUID, confirmation: str) -> str:
    with transaction() as session:
        branch = session.scalars(sa.select(Branch).where(Branch.id == branch_id).with_for_update()).first()
        if branch is None:
            raise NotFound("That branch does not exist.")
        if (confirmation or "").strip().upper() != branch.code.upper():
            raise InvalidInput(f"Type the branch code ({branch.code}) to confirm.")
        colleges = session.scalars(
            sa.select(College.name).join(CollegeBranch, CollegeBranch.college_id == College.id)
            .where(CollegeBranch.branch_id == branch.id).order_by(College.name)).all()
        students = branch_students(session, branch.name)
        name = branch.name
        session.delete(branch)
        session.flush()
        record(AuditAction.BRANCH_DELETED, entity_type=EntityType.BRANCH, entity_id=branch_id,
               before={"name": name, "code": branch.code, "colleges": list(colleges)},
               metadata={"label": name, "students_with_name": students})
        return name


# --- college requests -----------------------------------------------------------------------

def _pending_request(session: Session, request_id: uuid.UUID) -> CollegeRequest:
    found = session.scalars(
        sa.select(CollegeRequest).where(CollegeRequest.id == request_id).with_for_update()
        .execution_options(populate_existing=True)).first()
    if found is None:
        raise NotFound("That college request does not exist.")
    if found.status != CollegeRequestStatus.PENDING:
        raise StaleState(f"This request is already {found.status}; only a pending request can change.")
    return found


def _resolve(session: Session, req: CollegeRequest, status: CollegeRequestStatus,
             college_id: uuid.UUID | None, reason: str | None, metadata: dict[str, Any]) -> None:
    now = utcnow()
    before = {"status": req.status, "resolvedCollegeId": None, "resolvedAt": None}
    req.status, req.resolved_college_id, req.resolved_at, req.updated_at = (
        status.value, college_id, now, now)
    after = {"status": status.value, "resolvedCollegeId": college_id, "resolvedAt": now}
    action = (AuditAction.REQUEST_APPROVED if status is CollegeRequestStatus.APPROVED
              else AuditAction.REQUEST_REJECTED)
    record(action, entity_type=EntityType.COLLEGE_REQUEST, entity_id=req.id, before=before,
           after=after, reason=reason,
           metadata={"label": f"{req.name} ({req.email_domain})", **metadata})


def approve_request(request_id: uuid.UUID, data: CollegeInput) -> College:
    """Create the college (from the possibly edited form) and approve, in one unit."""
    with transaction() as session:
        req = _pending_request(session, request_id)
        college = _create_college(session, data, {"request_id": req.id})
        _resolve(session, req, CollegeRequestStatus.APPROVED, college.id, None,
                 {"college": college.name})
        return college


def link_request(request_id: uuid.UUID, college_id: uuid.UUID) -> College:
    """Approve a request whose domain already belongs to a college, pointing it there."""
    with transaction() as session:
        req = _pending_request(session, request_id)
        college = session.get(College, college_id)
        if college is None:
            raise NotFound("That college does not exist.")
        if college.email_domain.lower() != req.email_domain.strip().lower():
            raise InvalidInput(f"{college.name} has the domain {college.email_domain}, "
                               f"not {req.email_domain}.")
        _resolve(session, req, CollegeRequestStatus.APPROVED, college.id, None,
                 {"college": college.name, "linked": True})
        return college


def reject_request(request_id: uuid.UUID, reason: str | None) -> None:
    reason = clean_reason(reason)
    with transaction() as session:
        req = _pending_request(session, request_id)
        _resolve(session, req, CollegeRequestStatus.REJECTED, None, reason, {})
