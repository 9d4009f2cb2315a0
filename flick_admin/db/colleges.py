"""Colleges, branches, the college–branch links and college requests (camelCase columns)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from flick_admin.db.base import UUID, Base, new_uuid, utcnow

if TYPE_CHECKING:
    from flick_admin.db.users import PlatformUser

DEFAULT_COLLEGE_PROFILE = "https://yourcdn.com/default-college-profile.png"


class College(Base):
    __tablename__ = "colleges"
    __table_args__ = (
        sa.Index("idx_college_name", "name"),
        sa.Index("idx_college_city_state", "city", "state"),
        sa.Index("idx_college_email_domain", "emailDomain"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_uuid)
    name: Mapped[str] = mapped_column(sa.Text)
    email_domain: Mapped[str] = mapped_column("emailDomain", sa.Text)
    city: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.Text)
    profile: Mapped[str] = mapped_column(sa.Text, default=DEFAULT_COLLEGE_PROFILE)
    created_at: Mapped[datetime] = mapped_column("createdAt", sa.DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column("updatedAt", sa.DateTime, default=utcnow)

    branch_links: Mapped[list[CollegeBranch]] = relationship(
        back_populates="college", passive_deletes=True
    )
    students: Mapped[list[PlatformUser]] = relationship(
        back_populates="college", passive_deletes=True, lazy="raise"
    )


class Branch(Base):
    __tablename__ = "branches"
    __table_args__ = (
        sa.Index("idx_branch_name", "name"),
        sa.Index("idx_branch_code", "code"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_uuid)
    name: Mapped[str] = mapped_column(sa.Text)
    code: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column("createdAt", sa.DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column("updatedAt", sa.DateTime, default=utcnow)

    college_links: Mapped[list[CollegeBranch]] = relationship(
        back_populates="branch", passive_deletes=True
    )


class CollegeBranch(Base):
    __tablename__ = "college_branches"
    __table_args__ = (
        sa.Index("idx_college_branch_unique", "collegeId", "branchId", unique=True),
        sa.Index("idx_college_branches_college", "collegeId"),
        sa.Index("idx_college_branches_branch", "branchId"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_uuid)
    college_id: Mapped[uuid.UUID] = mapped_column(
        "collegeId", sa.ForeignKey("colleges.id", ondelete="CASCADE")
    )
    branch_id: Mapped[uuid.UUID] = mapped_column(
        "branchId", sa.ForeignKey("branches.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column("createdAt", sa.DateTime, default=utcnow)

    college: Mapped[College] = relationship(back_populates="branch_links")
    branch: Mapped[Branch] = relationship(back_populates="college_links")


class CollegeRequest(Base):
    __tablename__ = "college_requests"
    __table_args__ = (
        sa.Index("idx_college_request_email_domain", "emailDomain"),
        sa.Index("idx_college_request_status", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_uuid)
    name: Mapped[str] = mapped_column(sa.Text)
    email_domain: Mapped[str] = mapped_column("emailDomain", sa.Text)
    city: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.Text)
    requested_by_email: Mapped[str | None] = mapped_column("requestedByEmail", sa.Text)
    status: Mapped[str] = mapped_column(sa.Text, default="pending")
    resolved_college_id: Mapped[uuid.UUID | None] = mapped_column(
        "resolvedCollegeId", sa.ForeignKey("colleges.id", ondelete="SET NULL")
    )
    resolved_at: Mapped[datetime | None] = mapped_column("resolvedAt", sa.DateTime)
    created_at: Mapped[datetime] = mapped_column("createdAt", sa.DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column("updatedAt", sa.DateTime, default=utcnow)

    resolved_college: Mapped[College | None] = relationship()
