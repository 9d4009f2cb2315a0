"""Realistic demo data: colleges with branches, students, posts over every topic,
comment threads, reports, a few banned items, banned words, requests and feedback,
plus one staff account per role."""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, timedelta

import click
import sqlalchemy as sa

from flick_admin.audit import chain
from flick_admin.db import (
    Auth, BannedWord, Bookmark, Branch, College, CollegeBranch, CollegeRequest, Comment,
    ContentReport, Feedback, Log, PlatformUser, Post, Vote,
)
from flick_admin.db.base import utcnow
from flick_admin.db.reasons import RemovalReason
from flick_admin.db.enums import TOPICS
from flick_admin.db.transaction import transaction
from flick_admin.extensions import db

DEMO_PASSWORD = "flick-demo-password"
DEMO_STAFF = (
    ("moderator", "moderator@flick.demo"),
    ("admin", "admin@flick.demo"),
    ("superadmin", "superadmin@flick.demo"),
    ("auditor", "auditor@flick.demo"),
    ("moderator", "chen@flick.demo"),
    ("moderator", "asha@flick.demo"),
    ("triage", "triage@flick.demo"),
)
# Display names, and the one moderator limited to a college (the first college's domain).
DEMO_NAMES = {"moderator@flick.demo": "Mo Moderator", "admin@flick.demo": "Ada Admin",
              "superadmin@flick.demo": "Sam Superadmin", "auditor@flick.demo": "Avi Auditor",
              "chen@flick.demo": "Chen", "asha@flick.demo": "Asha",
              "triage@flick.demo": "Tia Triage"}
SCOPED = "asha@flick.demo"
CHUNK = 5000

COLLEGES = [
    ("Northfield Institute of Technology", "nit.edu", "Pune", "Maharashtra"),
    ("Riverside College of Engineering", "rce.ac.in", "Chennai", "Tamil Nadu"),
    ("Lakeside University", "lakeside.edu", "Bhopal", "Madhya Pradesh"),
    ("Hillcrest School of Management", "hsm.edu.in", "Shimla", "Himachal Pradesh"),
    ("Eastgate Polytechnic", "eastgate.ac.in", "Kolkata", "West Bengal"),
    ("Westbrook Science College", "westbrook.edu", "Ahmedabad", "Gujarat"),
    ("Southpoint Arts and Commerce", "southpoint.ac.in", "Kochi", "Kerala"),
    ("Central Institute of Design", "cid.edu.in", "Jaipur", "Rajasthan"),
]
BRANCHES = [
    ("Computer Science and Engineering", "CSE"), ("Electronics and Communication", "ECE"),
    ("Information Technology", "IT"), ("Mechanical Engineering", "ME"),
    ("Bachelor of Computer Applications", "BCA"), ("Civil Engineering", "CE"),
]
TITLES = [
    "Anyone else stuck on the DBMS assignment?", "Best place to eat near campus?",
    "Internship offers this season", "Hackathon team looking for a designer",
    "Library hours changed again", "How do you prepare for placements?",
    "Rant: the wifi in hostel B", "Guide: getting started with competitive programming",
    "Lost ID card near the canteen", "Fest volunteers needed", "Which electives are worth it?",
    "Showcase: my weather app", "Exam timetable is out", "Study group for linear algebra",
]
SENTENCES = [
    "Has anyone figured out the third question yet?", "I think the deadline moved to Friday.",
    "Honestly the seniors gave the best advice on this.", "Try the stall behind the main gate.",
    "The placement cell posted the list on the portal.", "DM me if you want the notes.",
    "This is the third time this week.", "Congrats, that looks really polished!",
    "Please keep this thread on topic.", "I can help with the backend part.",
    "Does anyone know if attendance counts for this?", "Same here, no reply from the office.",
]
REASONS = ["SPAM", "HARASSMENT", "INAPPROPRIATE", "HATE_SPEECH", "VIOLENCE", "OTHER"]
REPORT_MESSAGES = [
    "Keeps posting the same link in every thread.", "Rude and personal, not the first time.",
    "This is an ad, not a discussion.", "Off-topic, belongs in the buy/sell group.",
    "Mocking someone's accent in the comments.", "Looks like a bot account.",
    "Posted a screenshot of a private group chat.", "Clickbait, the link is a phishing page.",
]
WORDS = [("scamlink", "severe", True), ("idiot", "mild", False), ("loser", "mild", False),
         ("freecrypto", "moderate", True), ("kys", "severe", True), ("dumbo", "mild", False),
         ("clickbait", "moderate", False), ("trash talk", "mild", False)]
# The catalogue of removal reasons a moderator picks from (title, what the student reads, fits).
REMOVAL_REASONS = [
    ("Spam or advertising", "Flick is for conversations between students, not for advertising or "
     "repeated links.", ["SPAM"]),
    ("Harassment", "Posts and comments must not target, insult or threaten another student.",
     ["HARASSMENT", "HATE_SPEECH", "VIOLENCE"]),
    ("Not suitable for Flick", "Sexual, graphic or otherwise inappropriate content is not allowed on "
     "Flick.", ["INAPPROPRIATE", "OTHER"]),
]


def _chunks(rows: list[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


# Where the demo may run: a local trial or the tests, never a deployment (its staff accounts'
# password is published in the README).
DEMO_ENVIRONMENTS = frozenset({"development", "dev", "test", "testing"})


def refusal(environment: str) -> str | None:
    """Why ``flask demo`` must not run here, or None. Reads only; changes nothing."""
    if environment not in DEMO_ENVIRONMENTS:
        return (f"FLICK_ADMIN_ENV is {environment!r}. `flask demo` loads fake students and staff "
                "accounts whose password is published in the README, so it runs only with "
                "FLICK_ADMIN_ENV=development (or test), on a database of its own. Nothing was changed.")
    if demo_loaded():
        return None  # its own data: a second run writes nothing
    found = tables_with_rows()
    if found:
        shown = ", ".join(found[:5]) + (" …" if len(found) > 5 else "")
        return (f"This database already holds Flick data the demo did not create (rows in {shown}). "
                "`flask demo` loads only into an empty database or one it filled itself: point "
                "DATABASE_URL at a new database, or leave it unset for the local SQLite file. "
                "Nothing was changed.")
    return None


def _flick_tables() -> list[str]:
    from flick_admin.db.schema_facts import expected_facts

    return sorted(expected_facts()["tables"])


def tables_with_rows() -> list[str]:
    """Flick's tables that exist here and hold at least one row."""
    session = db.session()
    present = set(sa.inspect(session.connection()).get_table_names())
    return [name for name in _flick_tables() if name in present
            and session.scalar(sa.select(sa.exists().select_from(sa.table(name))))]


def demo_loaded() -> bool:
    if "auth" not in sa.inspect(db.session().connection()).get_table_names():
        return False
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Auth).where(Auth.email == DEMO_STAFF[0][1])
    ) > 0


def ensure_demo(size: int, echo: Callable[[str], None] = print) -> list[tuple[str, str]]:
    """Load the demo once; later calls leave the data alone and return the logins, each
    with what it is for ("moderator, nit.edu only")."""
    from flick_admin.auth.services import create_staff
    from flick_admin.ops import demo_team
    from flick_admin.staff.services import set_scope

    if demo_loaded():
        echo("Demo data is already loaded.")
    else:
        staff = {}
        for role, email in DEMO_STAFF:
            staff[email] = (create_staff(email, role, DEMO_PASSWORD, name=DEMO_NAMES[email]).id, role)
        load(size, staff=[(i, role) for email, (i, role) in staff.items()
                          if role in ("moderator", "admin") and email != SCOPED])
        set_scope(staff[SCOPED][0], _scoped_domain())
        demo_team.team_at_work({email: i for email, (i, _) in staff.items()}, demo_team.reported_content(), echo)
    domain = _scoped_domain()
    db.session.remove()  # no read left open while the dashboard serves (SQLite would lock)
    return [(f"{role}, {domain} only" if email == SCOPED else role, email) for role, email in DEMO_STAFF]


def _scoped_domain() -> str:
    return db.session.scalar(sa.select(College.email_domain).order_by(College.name).limit(1)) or ""


HISTORY_ACTIONS = (
    ("admin:blocked:content", "post"), ("admin:shadow:banned:content", "post"),
    ("admin:blocked:content", "comment"), ("admin:updated:report:status", "content-report"),
    ("admin:suspended:user", "user"), ("admin:banned:user", "user"),
    ("admin:updated:college", "college"), ("admin:created:banned-word", "banned-word"),
)


def _history_target(rng, entity, posts, comments, users, auths, colleges, reports):
    """An id and a readable label of the right kind for a demo history row."""
    if entity == "post":
        post = rng.choice(posts)
        return post["id"], post["title"]
    if entity == "comment":
        comment = rng.choice(comments)
        return comment["id"], comment["content"][:60]
    if entity == "user":
        index = rng.randrange(len(users))
        return auths[index]["id"], users[index]["username"]
    if entity == "college":
        college = rng.choice(colleges)
        return college["id"], college["name"]
    if entity == "content-report":
        # No stored label: the audit log names a report by its reporter and item.
        return rng.choice(reports)["id"], None
    word = rng.choice(WORDS)[0]
    return uuid.uuid4(), word


def load(size: int, seed: int = 7, staff: list[tuple[str, str]] | None = None) -> dict[str, int]:
    rng = random.Random(seed)
    now = utcnow()
    counts: dict[str, int] = {}

    def ago(days: float) -> object:
        return now - timedelta(days=days, minutes=rng.randint(0, 1440))

    with transaction() as session:
        steps = ["colleges", "students", "posts", "comments", "reactions", "reports", "extras"]
        with click.progressbar(steps, label="Loading demo data", show_eta=False) as bar:
            for step in bar:
                if step == "colleges":
                    n_colleges = min(len(COLLEGES), max(3, size // 20))
                    colleges = [dict(id=uuid.uuid4(), name=n, email_domain=d, city=c, state=s,
                                     created_at=ago(700), updated_at=ago(300))
                                for n, d, c, s in COLLEGES[:n_colleges]]
                    branches = [dict(id=uuid.uuid4(), name=n, code=c, created_at=ago(700),
                                     updated_at=ago(700)) for n, c in BRANCHES]
                    session.execute(sa.insert(College), colleges)
                    session.execute(sa.insert(Branch), branches)
                    links = [dict(id=uuid.uuid4(), college_id=col["id"], branch_id=br["id"],
                                  created_at=ago(600))
                             for col in colleges for br in rng.sample(branches, rng.randint(3, 6))]
                    session.execute(sa.insert(CollegeBranch), links)
                    counts["colleges"] = len(colleges)
                elif step == "students":
                    auths, users = [], []
                    for i in range(size):
                        college = rng.choice(colleges)
                        joined = ago(rng.uniform(1, 700))
                        banned = rng.random() < 0.04
                        suspended = not banned and rng.random() < 0.03
                        aid = secrets.token_urlsafe(18)
                        auths.append(dict(
                            id=aid, name=f"Student {i}", email=f"student{i}@{college['email_domain']}",
                            email_verified=True, created_at=joined, updated_at=joined, role="user",
                            banned=banned or suspended,
                            ban_reason=("Repeated harassment" if banned else
                                        "Spam links" if suspended else None),
                            ban_expires=(now + timedelta(days=rng.randint(1, 14))) if suspended else None,
                        ))
                        onboarding = rng.random() < 0.08
                        users.append(dict(
                            id=uuid.uuid4(), auth_id=aid, username=f"student_{i:05d}",
                            college_id=college["id"], created_at=joined, updated_at=joined,
                            branch=None if onboarding else rng.choice(BRANCHES)[0],
                            karma=rng.randint(0, 400), is_accepted_terms=not onboarding,
                            status="ONBOARDING" if onboarding else "ACTIVE",
                        ))
                    for chunk in _chunks(auths):
                        session.execute(sa.insert(Auth), chunk)
                    for chunk in _chunks(users):
                        session.execute(sa.insert(PlatformUser), chunk)
                    counts["students"] = len(users)
                elif step == "posts":
                    posts = []
                    for i in range(size * 4):
                        created = ago(rng.uniform(0, 700))
                        roll = rng.random()
                        posts.append(dict(
                            id=uuid.uuid4(), title=rng.choice(TITLES),
                            content=" ".join(rng.sample(SENTENCES, rng.randint(1, 4))),
                            posted_by_id=rng.choice(users)["id"], topic=rng.choice(TOPICS),
                            is_private=rng.random() < 0.05, is_banned=roll < 0.03,
                            is_shadow_banned=0.03 <= roll < 0.05, views=rng.randint(0, 3000),
                            created_at=created, updated_at=created,
                        ))
                    posts[0].update(title="Is this <b>bold</b>?",
                                    content="<script>alert('x')</script> markup stays text.")
                    for chunk in _chunks(posts):
                        session.execute(sa.insert(Post), chunk)
                    counts["posts"] = len(posts)
                elif step == "comments":
                    comments: list[dict] = []
                    by_post: dict[uuid.UUID, list[uuid.UUID]] = {}
                    for _ in range(size * 10):
                        post = rng.choice(posts)
                        siblings = by_post.setdefault(post["id"], [])
                        parent = rng.choice(siblings) if siblings and rng.random() < 0.35 else None
                        cid = uuid.uuid4()
                        created = min(now, post["created_at"] + timedelta(minutes=rng.randint(1, 5000)))
                        comments.append(dict(
                            id=cid, content=rng.choice(SENTENCES), post_id=post["id"],
                            commented_by_id=rng.choice(users)["id"], is_banned=rng.random() < 0.02,
                            parent_comment_id=parent, created_at=created, updated_at=created,
                        ))
                        siblings.append(cid)
                    for chunk in _chunks(comments):
                        session.execute(sa.insert(Comment), chunk)
                    counts["comments"] = len(comments)
                elif step == "reactions":
                    votes, seen = [], set()
                    for _ in range(size * 6):
                        voter, post = rng.choice(users), rng.choice(posts)
                        if (voter["id"], post["id"]) in seen:
                            continue
                        seen.add((voter["id"], post["id"]))
                        votes.append(dict(id=uuid.uuid4(), user_id=voter["id"], target_type="post",
                                          target_id=post["id"],
                                          vote_type="upvote" if rng.random() < 0.8 else "downvote"))
                    for chunk in _chunks(votes):
                        session.execute(sa.insert(Vote), chunk)
                    marks = [dict(id=uuid.uuid4(), post_id=rng.choice(posts)["id"],
                                  user_id=rng.choice(users)["id"], created_at=ago(30), updated_at=ago(30))
                             for _ in range(size)]
                    for chunk in _chunks(marks):
                        session.execute(sa.insert(Bookmark), chunk)
                    counts["votes"] = len(votes)
                elif step == "reports":
                    reports = []
                    for _ in range(max(10, size // 2)):
                        on_post = rng.random() < 0.7
                        target = rng.choice(posts) if on_post else rng.choice(comments)
                        created = ago(rng.uniform(0, 60))
                        status = rng.choices(["pending", "resolved", "ignored"], [6, 3, 1])[0]
                        decided = min(now, created + timedelta(hours=rng.uniform(0.2, 72)))
                        reports.append(dict(
                            id=uuid.uuid4(), type="Post" if on_post else "Comment",
                            post_id=target["id"] if on_post else None,
                            comment_id=None if on_post else target["id"],
                            reported_by_id=rng.choice(users)["id"], reason=rng.choice(REASONS),
                            message=rng.choice(REPORT_MESSAGES),
                            status=status, created_at=created,
                            updated_at=created if status == "pending" else decided,
                        ))
                    for chunk in _chunks(reports):
                        session.execute(sa.insert(ContentReport), chunk)
                    counts["reports"] = len(reports)
                else:
                    session.execute(sa.insert(BannedWord), [
                        dict(id=uuid.uuid4(), word=w, severity=s, strict_mode=strict,
                             created_at=ago(100), updated_at=ago(100)) for w, s, strict in WORDS])
                    session.execute(sa.insert(RemovalReason), [
                        dict(id=uuid.uuid4(), title=title, student_text=text, fits=fits,
                             created_at=ago(60), updated_at=ago(60)) for title, text, fits in REMOVAL_REASONS])
                    session.execute(sa.insert(CollegeRequest), [
                        dict(id=uuid.uuid4(), name=name, email_domain=domain, city=city, state=state,
                             requested_by_email=f"student@{domain}", status=status,
                             created_at=ago(days), updated_at=ago(days))
                        for name, domain, city, state, status, days in [
                            ("Greenfield Medical College", "gmc.edu.in", "Nagpur", "Maharashtra", "pending", 3),
                            ("Harbor School of Law", "harborlaw.ac.in", "Goa", "Goa", "pending", 9),
                            ("Summit Engineering College", "summit.edu", "Dehradun", "Uttarakhand", "pending", 1),
                            ("Old Mill College", "oldmill.ac.in", "Surat", "Gujarat", "rejected", 40),
                        ]])
                    session.execute(sa.insert(Feedback), [
                        dict(id=uuid.uuid4(), user_id=rng.choice(users)["id"],
                             type=rng.choice(["feedback", "bug", "feature", "other"]),
                             title=rng.choice(["Dark mode please", "App crashes on upload",
                                               "Love the new feed", "Search is slow"]),
                             content=rng.choice(SENTENCES),
                             status=rng.choice(["new", "new", "reviewed", "dismissed"]),
                             created_at=ago(rng.uniform(0, 90)), updated_at=ago(1))
                        for _ in range(max(5, size // 5))])
                    # A month of earlier staff work, so the overview has something to show.
                    # (Chained like every row Flick Admin writes, in the order they are added.)
                    history = []
                    for days_back in range(30):
                        for _ in range(rng.randint(0, 12) if staff else 0):
                            actor_id, role = rng.choice(staff)
                            action, entity = rng.choice(HISTORY_ACTIONS)
                            target_id, label = _history_target(rng, entity, posts, comments, users,
                                                               auths, colleges, reports)
                            history.append(dict(
                                id=uuid.uuid4(), actor_id=actor_id, actor_type=role, action=action,
                                entity_type=entity, entity_id=str(target_id),
                                occured_at=(now - timedelta(days=days_back, minutes=rng.randint(0, 600)))
                                .replace(tzinfo=UTC),
                                reason=rng.choice(["Spam or scam", "Harassment or bullying",
                                                   "Off-topic or low quality", "Report reviewed"]),
                                metadata_={"label": label, "demo_history": True}))
                    history_rows = [Log(**row) for row in history]
                    session.add_all(history_rows)
                    for row in history_rows:
                        chain.remember(session, row)
                    # Rows Flick's own server writes for students' actions.
                    session.execute(sa.insert(Log).execution_options(**{chain.FLICK_SERVER_ROWS: True}), [
                        dict(id=uuid.uuid4(), occured_at=p["created_at"].replace(tzinfo=UTC),
                             actor_id=None, actor_type="user", action="user:created:post",
                             entity_type="post", entity_id=str(p["id"]))
                        for p in posts[: min(len(posts), 200)]])
    return counts
