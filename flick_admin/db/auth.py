"""better-auth's tables: ``auth`` (people, students and staff), ``account``, ``session``,
``two_factor``, ``verification``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from flick_admin.db.base import Base, utcnow

if TYPE_CHECKING:
    from flick_admin.db.users import PlatformUser


class Auth(UserMixin, Base):
    """A person: a student or a staff member (``role``). Flask-Login's user object."""

    __tablename__ = "auth"
    __table_args__ = (
        sa.Index("ix_admin_auth_created", "created_at", "id"),
        sa.Index("ix_admin_auth_role", "role"),
    )

    id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text)
    email: Mapped[str] = mapped_column(sa.Text, unique=True)
    email_verified: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    two_factor_enabled: Mapped[bool | None] = mapped_column(sa.Boolean, default=False)
    role: Mapped[str | None] = mapped_column(sa.Text)
    image: Mapped[str | None] = mapped_column(sa.Text)
    banned: Mapped[bool | None] = mapped_column(sa.Boolean, default=False)
    ban_reason: Mapped[str | None] = mapped_column(sa.Text)
    ban_expires: Mapped[datetime | None] = mapped_column(sa.DateTime)

    accounts: Mapped[list[Account]] = relationship(back_populates="user", passive_deletes=True)
    sessions: Mapped[list[Session]] = relationship(back_populates="user", passive_deletes=True)
    two_factors: Mapped[list[TwoFactor]] = relationship(back_populates="user", passive_deletes=True)
    profile: Mapped[PlatformUser | None] = relationship(back_populates="auth", passive_deletes=True)

    @property
    def is_active(self) -> bool:
        return not self.ban_in_force()

    def ban_in_force(self, now: datetime | None = None) -> bool:
        """Banned, and the ban has no end or ends in the future (Flick's rule)."""
        if not self.banned:
            return False
        return self.ban_expires is None or self.ban_expires > (now or utcnow())


class Account(Base):
    __tablename__ = "account"
    __table_args__ = (sa.Index("account_userId_idx", "user_id"),)

    id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    account_id: Mapped[str] = mapped_column(sa.Text)
    provider_id: Mapped[str] = mapped_column(sa.Text)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("auth.id", ondelete="CASCADE"))
    access_token: Mapped[str | None] = mapped_column(sa.Text)
    refresh_token: Mapped[str | None] = mapped_column(sa.Text)
    id_token: Mapped[str | None] = mapped_column(sa.Text)
    access_token_expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    refresh_token_expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    scope: Mapped[str | None] = mapped_column(sa.Text)
    password: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    user: Mapped[Auth] = relationship(back_populates="accounts")


class Session(Base):
    __tablename__ = "session"
    __table_args__ = (sa.Index("session_userId_idx", "user_id"),)

    id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime)
    token: Mapped[str] = mapped_column(sa.Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    ip_address: Mapped[str | None] = mapped_column(sa.Text)
    user_agent: Mapped[str | None] = mapped_column(sa.Text)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("auth.id", ondelete="CASCADE"))
    impersonated_by: Mapped[str | None] = mapped_column(sa.Text)

    user: Mapped[Auth] = relationship(back_populates="sessions")


class TwoFactor(Base):
    __tablename__ = "two_factor"
    __table_args__ = (
        sa.Index("twoFactor_secret_idx", "secret"),
        sa.Index("twoFactor_userId_idx", "user_id"),
    )

    id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    secret: Mapped[str] = mapped_column(sa.Text)
    backup_codes: Mapped[str] = mapped_column(sa.Text)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("auth.id", ondelete="CASCADE"))

    user: Mapped[Auth] = relationship(back_populates="two_factors")


class Verification(Base):
    __tablename__ = "verification"
    __table_args__ = (sa.Index("verification_identifier_idx", "identifier"),)

    id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    identifier: Mapped[str] = mapped_column(sa.Text)
    value: Mapped[str] = mapped_column(sa.Text)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)


class TotpStep(Base):
    """The last TOTP time step a staff member used (Flick Admin's own table)."""

    __tablename__ = "admin_totp_steps"

    user_id: Mapped[str] = mapped_column(sa.ForeignKey("auth.id", ondelete="CASCADE"), primary_key=True)
    last_step: Mapped[int] = mapped_column(sa.BigInteger)


class DisplayPreferences(NamedTuple):
    """What a page needs of a staff member's preferences (read with the session)."""

    time_zone: str
    theme: str
    # A moderator who opted in to work the "Escalated" view (admins always do).
    escalations: bool = False


# Until a staff member chooses: times in UTC, the theme the system asks for.
DEFAULT_PREFERENCES = DisplayPreferences("UTC", "system")


class StaffPreferences(Base):
    """A staff member's time zone and theme (Flick Admin's own table)."""

    __tablename__ = "admin_staff_preferences"

    user_id: Mapped[str] = mapped_column(sa.ForeignKey("auth.id", ondelete="CASCADE"), primary_key=True)
    time_zone: Mapped[str] = mapped_column(sa.Text, server_default=DEFAULT_PREFERENCES.time_zone)
    theme: Mapped[str] = mapped_column(sa.Text, server_default=DEFAULT_PREFERENCES.theme)
    escalations: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    def display(self) -> DisplayPreferences:
        return DisplayPreferences(self.time_zone, self.theme, bool(self.escalations))


class SessionState(Base):
    """What one dashboard session holds on the server (Flick Admin's own table), never in
    the browser's cookie: when its member last confirmed who they are (password or code),
    a second-factor secret being enrolled, and a one-time handover (a generated password
    or an invite link) waiting to be shown once. The secrets are encrypted like the
    second-factor rows; ending the session deletes its row."""

    __tablename__ = "admin_session_state"

    session_id: Mapped[str] = mapped_column(sa.ForeignKey("session.id", ondelete="CASCADE"), primary_key=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    enrolment: Mapped[str | None] = mapped_column(sa.Text)
    handover: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
