"""One factory per model, with traits for states (``PostFactory(banned=True)``)."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from functools import cache

import factory
from factory.alchemy import SQLAlchemyModelFactory

from flick_admin.auth.passwords import hash_password
from flick_admin.auth.sessions import SESSION_ID_PREFIX, token_digest
from flick_admin.db import (
    Account, Auth, BannedWord, Bookmark, Branch, College, CollegeBranch, CollegeRequest,
    Comment, ContentReport, Feedback, Log, Notification, PlatformUser, Post, Session,
    TwoFactor, UserBlock, Verification, Vote,
)
from flick_admin.db.base import utcnow, utcnow_tz
from flick_admin.db.reasons import RemovalReason

STAFF_PASSWORD = "correct horse battery staple"
_session: list = [None]


def bind(session) -> None:
    _session[0] = session


def current_session():
    if _session[0] is None:
        raise RuntimeError("factories need the `dbs` fixture")
    return _session[0]


@cache
def staff_password_hash() -> str:
    """scrypt is slow on purpose: hash the shared test password once per run."""
    return hash_password(STAFF_PASSWORD)


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = current_session
        sqlalchemy_session_persistence = "commit"


def _text_id() -> str:
    return secrets.token_urlsafe(18)


class CollegeFactory(Base):
    class Meta:
        model = College

    name = factory.Sequence(lambda n: f"College {n}")
    email_domain = factory.Sequence(lambda n: f"college{n}.edu")
    city = "Pune"
    state = "Maharashtra"


class BranchFactory(Base):
    class Meta:
        model = Branch

    name = factory.Sequence(lambda n: f"Branch {n}")
    code = factory.Sequence(lambda n: f"B{n}")


class CollegeBranchFactory(Base):
    class Meta:
        model = CollegeBranch

    college = factory.SubFactory(CollegeFactory)
    branch = factory.SubFactory(BranchFactory)


class CollegeRequestFactory(Base):
    class Meta:
        model = CollegeRequest

    name = factory.Sequence(lambda n: f"Requested College {n}")
    email_domain = factory.Sequence(lambda n: f"requested{n}.edu")
    city = "Nagpur"
    state = "Maharashtra"
    requested_by_email = factory.LazyAttribute(lambda o: f"student@{o.email_domain}")
    status = "pending"


class AuthFactory(Base):
    """A person's ``auth`` row (a student unless a role says otherwise)."""

    class Meta:
        model = Auth

    id = factory.LazyFunction(_text_id)
    name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.Sequence(lambda n: f"person{n}@example.edu")
    email_verified = True
    role = "user"
    banned = False

    class Params:
        suspended = factory.Trait(
            banned=True, ban_reason="Spam", ban_expires=factory.LazyFunction(
                lambda: utcnow() + timedelta(days=3)))
        banned_forever = factory.Trait(banned=True, ban_reason="Harassment", ban_expires=None)
        ban_expired = factory.Trait(
            banned=True, ban_reason="Old", ban_expires=factory.LazyFunction(
                lambda: utcnow() - timedelta(days=1)))


class AccountFactory(Base):
    class Meta:
        model = Account

    id = factory.LazyFunction(_text_id)
    user = factory.SubFactory(AuthFactory)
    account_id = factory.LazyAttribute(lambda o: o.user.id)
    provider_id = "credential"
    password = factory.LazyFunction(staff_password_hash)


class StaffFactory(AuthFactory):
    """A staff member with a credential account (password ``STAFF_PASSWORD``)."""

    email = factory.Sequence(lambda n: f"staff{n}@flick.test")
    role = "moderator"
    credential = factory.RelatedFactory(AccountFactory, factory_related_name="user")


class StudentFactory(Base):
    """A student: ``platform_user`` with its ``auth`` row."""

    class Meta:
        model = PlatformUser

    auth = factory.SubFactory(AuthFactory)
    username = factory.Sequence(lambda n: f"student_{n}")
    college = factory.SubFactory(CollegeFactory)
    branch = "Computer Science and Engineering"
    karma = 10
    is_accepted_terms = True
    status = "ACTIVE"

    class Params:
        onboarding = factory.Trait(status="ONBOARDING", branch=None, is_accepted_terms=False)


class PostFactory(Base):
    class Meta:
        model = Post

    title = factory.Sequence(lambda n: f"Post title {n}")
    content = "Something a student wrote."
    author = factory.SubFactory(StudentFactory)
    topic = "Ask Flick"
    is_banned = False
    is_shadow_banned = False

    class Params:
        banned = factory.Trait(is_banned=True)
        shadow_banned = factory.Trait(is_shadow_banned=True)


class CommentFactory(Base):
    class Meta:
        model = Comment

    content = "A reply."
    post = factory.SubFactory(PostFactory)
    author = factory.SubFactory(StudentFactory)
    is_banned = False

    class Params:
        banned = factory.Trait(is_banned=True)


class ReportFactory(Base):
    class Meta:
        model = ContentReport

    type = "Post"
    post = factory.SubFactory(PostFactory)
    comment = None
    reporter = factory.SubFactory(StudentFactory)
    reason = "SPAM"
    message = "This looks like spam."
    status = "pending"

    class Params:
        on_comment = factory.Trait(type="Comment", post=None,
                                   comment=factory.SubFactory(CommentFactory))
        resolved = factory.Trait(status="resolved")
        ignored = factory.Trait(status="ignored")


class FeedbackFactory(Base):
    class Meta:
        model = Feedback

    user = factory.SubFactory(StudentFactory)
    type = "feedback"
    title = "Dark mode"
    content = "Please add dark mode."
    status = "new"


class BannedWordFactory(Base):
    class Meta:
        model = BannedWord

    word = factory.Sequence(lambda n: f"badword{n}")
    severity = "moderate"
    strict_mode = False

    class Params:
        strict = factory.Trait(strict_mode=True)


class VoteFactory(Base):
    class Meta:
        model = Vote

    user_id = factory.LazyFunction(lambda: StudentFactory().id)
    target_type = "post"
    target_id = factory.LazyFunction(lambda: PostFactory().id)
    vote_type = "upvote"


class BookmarkFactory(Base):
    class Meta:
        model = Bookmark

    post_id = factory.LazyFunction(lambda: PostFactory().id)
    user_id = factory.LazyFunction(lambda: StudentFactory().id)


class NotificationFactory(Base):
    class Meta:
        model = Notification

    receiver_id = factory.LazyFunction(_text_id)
    actor_usernames = factory.LazyFunction(lambda: ["student_1"])
    content = "Someone replied to your post"
    type = "replied"


class RemovalReasonFactory(Base):
    """A catalogue reason (made directly, without its audit row: for tests of its use)."""

    class Meta:
        model = RemovalReason

    title = factory.Sequence(lambda n: f"Removal reason {n}")
    student_text = "Posts must follow Flick's community rules."
    fits = factory.LazyFunction(lambda: ["SPAM"])

    class Params:
        retired = factory.Trait(retired_at=factory.LazyFunction(utcnow))


class UserBlockFactory(Base):
    class Meta:
        model = UserBlock

    blocker_id = factory.LazyFunction(lambda: AuthFactory().id)
    blocked_id = factory.LazyFunction(lambda: AuthFactory().id)


class SessionFactory(Base):
    """A Flick session row (not a dashboard one: its id lacks the ``fa_`` prefix)."""

    class Meta:
        model = Session

    id = factory.LazyFunction(_text_id)
    token = factory.LazyFunction(_text_id)
    user = factory.SubFactory(AuthFactory)
    expires_at = factory.LazyFunction(lambda: utcnow() + timedelta(days=7))
    updated_at = factory.LazyFunction(utcnow)


class TwoFactorFactory(Base):
    class Meta:
        model = TwoFactor

    id = factory.LazyFunction(_text_id)
    secret = factory.LazyFunction(lambda: secrets.token_hex(10))
    backup_codes = "[]"
    user = factory.SubFactory(AuthFactory)


class VerificationFactory(Base):
    class Meta:
        model = Verification

    id = factory.LazyFunction(_text_id)
    identifier = factory.Sequence(lambda n: f"reset:{n}")
    value = factory.LazyFunction(_text_id)
    expires_at = factory.LazyFunction(lambda: utcnow() + timedelta(hours=1))


class LogFactory(Base):
    class Meta:
        model = Log

    occured_at = factory.LazyFunction(utcnow_tz)
    actor_id = None
    actor_type = "user"
    action = "user:created:post"
    entity_type = "post"
    entity_id = factory.LazyFunction(lambda: str(uuid.uuid4()))


def open_session_for(user: Auth, *, hours: int = 8) -> str:
    """Open a dashboard session for ``user`` directly; returns the cookie token."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    session = current_session()
    session.add(Session(
        id=SESSION_ID_PREFIX + secrets.token_urlsafe(12), token=token_digest(raw),
        user_id=user.id, created_at=now, updated_at=now,
        expires_at=now + timedelta(hours=hours),
    ))
    session.commit()
    return raw
