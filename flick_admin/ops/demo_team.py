"""The demo's team at work: what students really report (spam links, insults, doxxing,
ads), an item assigned to a colleague and one claimed, a permanent ban waiting for a second
pair of eyes, and a ban reverted after an appeal — each done through Flick Admin's own
services as the staff member who would do it, so every audit row is what a real team
leaves behind.

The reported content is recent and the held items are comments, so the first rows of the
queue (oldest first) and of the posts list (newest first) stay free for anyone to act on."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, g
from flask_login import login_user

from flick_admin.db import Auth, College, Comment, ContentReport, PlatformUser, Post
from flick_admin.db.base import utcnow
from flick_admin.db.transaction import transaction
from flick_admin.extensions import db

# (title, text, topic, [(reason, what the reporter wrote)])
REPORTED_POSTS = [
    ("Earn ₹5,000 a day from your hostel room 🔥",
     "No experience needed!! Register at quick-cash-campus.xyz/ref=8812 and share with 5 friends. "
     "Limited seats, DM me for the joining code.", "Off-topic",
     [("SPAM", "Same link posted in every group today."),
      ("SPAM", "It's a scam, my roommate paid ₹500 and got nothing."),
      ("OTHER", "Referral scheme, please remove.")]),
    ("Selling: HP laptop 8GB RAM, ₹18k negotiable",
     "Also selling a cycle and a mattress. WhatsApp me, price drops if you pick up today.",
     "Community Event",
     [("OTHER", "This is a buy/sell ad, not a discussion."), ("SPAM", "Ads again in the community feed.")]),
    ("Mid-sem papers available, CN and OS",
     "Got them from a friend in the department. ₹300 each, UPI only, DM for a sample.",
     "Help / Support",
     [("INAPPROPRIATE", "Selling leaked exam papers."), ("OTHER", "Cheating, report to the exam cell.")]),
    ("Who is the girl from the library on Tuesday?",
     "Found her insta, she's in the second year of ECE. Someone tell her the guy in the blue "
     "hoodie says hi 😏", "Off-topic",
     [("HARASSMENT", "This is about my friend and she's really uncomfortable."),
      ("HARASSMENT", "Creepy, please take it down.")]),
]
# (text, [(reason, what the reporter wrote)]) — comments on ordinary posts.
REPORTED_COMMENTS = [
    ("Nobody asked for your opinion, you absolute clown. Go back to your village.",
     [("HATE_SPEECH", "Insulting people for where they come from."), ("HARASSMENT", "Personal attack.")]),
    ("lol imagine being this dumb. just drop out already",
     [("HARASSMENT", "He does this under every post I make.")]),
    ("Say that again at the canteen tomorrow and see what happens.",
     [("VIOLENCE", "That's a threat against a student.")]),
    # Held below: the doxxing comment is assigned to a colleague, the spam comment claimed.
    ("Her number is 98•••••312 and she stays in Block C, room 214. Go ask her yourself.",
     [("HARASSMENT", "He posted my phone number and my room."),
      ("OTHER", "Doxxing, please remove fast.")]),
    ("Free Netflix + Spotify premium ➜ free-premium-accs.top (not a scam, 100% working)",
     [("SPAM", "Bot account, same comment everywhere.")]),
]
REVERTED_POST = ("Fest volunteers needed — sign up here",
                 "Register on the fest committee's form (forms.gle/fest-volunteers). Volunteers get "
                 "certificates and free entry to the pro-night.")


@contextmanager
def acting_as(user_id: str, colleges: frozenset | None = None) -> Iterator[None]:
    """Run services as this staff member (the demo's only way to act: through them)."""
    with current_app.test_request_context("/"):
        login_user(db.session.get(Auth, user_id))
        g.staff_scope = colleges
        try:
            yield
        finally:
            db.session.remove()


def _student(session, rng: random.Random, college_id=None) -> PlatformUser:
    stmt = sa.select(PlatformUser).order_by(PlatformUser.username)
    if college_id is not None:
        stmt = stmt.where(PlatformUser.college_id == college_id)
    found = session.scalars(stmt).all()
    return rng.choice(found)


def _reports(session, rng, reporters, target: dict, reasons, minutes_ago: float) -> None:
    now = utcnow()
    for i, (reason, message) in enumerate(reasons):
        created = now - timedelta(minutes=minutes_ago - 7 * i)
        session.add(ContentReport(
            id=uuid.uuid4(), type="Post" if "post_id" in target else "Comment",
            post_id=target.get("post_id"), comment_id=target.get("comment_id"),
            reported_by_id=rng.choice(reporters).id, reason=reason, message=message,
            status="pending", created_at=created, updated_at=created))


def reported_content(seed: int = 11) -> dict[str, uuid.UUID]:
    """Posts and comments that read like what students report, with pending reports from
    the last day (newer than the queue's first rows). Returns the ids the scene needs."""
    rng = random.Random(seed)
    now = utcnow()
    made: dict[str, uuid.UUID] = {}
    with transaction() as session:
        first_college = session.scalar(sa.select(College.id).order_by(College.name).limit(1))
        students = session.scalars(sa.select(PlatformUser).order_by(PlatformUser.username)).all()
        # Written days ago (so the posts list's newest rows stay ordinary), reported today.
        for i, (title, text, topic, reasons) in enumerate(REPORTED_POSTS):
            author = _student(session, rng, first_college if i % 2 == 0 else None)
            created = now - timedelta(days=3 + i, hours=rng.randint(0, 12))
            post = Post(id=uuid.uuid4(), title=title, content=text, topic=topic,
                        posted_by_id=author.id, views=rng.randint(40, 900), is_banned=False,
                        is_shadow_banned=False, is_private=False, created_at=created, updated_at=created)
            session.add(post)
            session.flush()
            _reports(session, rng, students, {"post_id": post.id}, reasons, 60 * (20 - 3 * i))
        ordinary = session.scalars(sa.select(Post.id).where(Post.is_banned.is_(False))
                                   .order_by(Post.created_at).limit(40)).all()
        for i, (text, reasons) in enumerate(REPORTED_COMMENTS):
            author = _student(session, rng, first_college if i % 2 else None)
            created = now - timedelta(days=2, hours=i)
            comment = Comment(id=uuid.uuid4(), content=text, post_id=rng.choice(ordinary),
                              commented_by_id=author.id, is_banned=False,
                              created_at=created, updated_at=created)
            session.add(comment)
            session.flush()
            # The two held comments are the newest reports: the bottom of an oldest-first queue.
            held = i >= 3
            _reports(session, rng, students, {"comment_id": comment.id}, reasons,
                     (40 - 15 * (i - 3)) if held else 60 * (10 - 2 * i))
            if i == 3:
                made["doxxing"] = comment.id
                made["doxxer"] = author.auth_id
            if i == 4:
                made["spam_comment"] = comment.id
        author = _student(session, rng)
        created = now - timedelta(days=6)
        post = Post(id=uuid.uuid4(), title=REVERTED_POST[0], content=REVERTED_POST[1],
                    topic="Community Event", posted_by_id=author.id, views=310, is_banned=False,
                    is_shadow_banned=False, is_private=False, created_at=created, updated_at=created)
        session.add(post)
        made["fest"] = post.id
    return made


def team_at_work(staff: dict[str, str], made: dict[str, uuid.UUID],
                 echo: Callable[[str], None] = print) -> None:
    """The team's morning: a ban reverted on appeal, an item assigned, one claimed, a
    permanent ban proposed."""
    from flick_admin import four_eyes
    from flick_admin.audit.actions import AuditAction
    from flick_admin.db import Log
    from flick_admin.moderation import claims, services
    from flick_admin.moderation.services import ContentAction, Target, TargetKind
    from flick_admin.team import reverts

    mod, chen, admin = staff["moderator@flick.demo"], staff["chen@flick.demo"], staff["admin@flick.demo"]
    with acting_as(mod):
        services.moderate(Target(TargetKind.POST, made["fest"]), ContentAction.BAN.value,
                          "Spam or scam: external sign-up link")
    ban = db.session.scalar(sa.select(Log.id).where(
        Log.action == AuditAction.CONTENT_BANNED.value, Log.entity_id == str(made["fest"])))
    with acting_as(chen):
        reverts.revert(ban, "Appeal accepted: it is the fest committee's official form")
    with acting_as(admin):
        claims.assign("comment", made["doxxing"], chen,
                      "Phone number and room of a student — please take it today.")
    with acting_as(admin):
        user = db.session.get(Auth, made["doxxer"])
        from flick_admin.moderation import sanctions

        four_eyes.propose(four_eyes.USER_BAN, {"user_id": user.id, "state": sanctions.user_state(user)},
                          f"Ban {sanctions.ban_label(user.id)} permanently",
                          "Personal information shared: a classmate's phone number and room, "
                          "third time this term")
    with acting_as(chen):
        claims.claim("comment", made["spam_comment"])
    echo("The team: a ban reverted on appeal, an item assigned to Chen, one claimed by Chen, "
         "a permanent ban waiting for a second pair of eyes.")
