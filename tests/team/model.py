"""The world and the observations of the stateful test (``test_stateful.py``).

``seed`` builds a small Flick once per test: staff of every kind, three colleges (one
without students, so it can be deleted), students, posts, comments, reports in every
status, banned words, and tallies caught up over all of it. ``observe`` reads what the
invariants compare, straight from the database on the test's connection: the state of
every post, comment, report, user sanction, college and banned word (the fields their
audit rows record), the audit rows in chain order, the claims in force, and a digest of
every table (so "a refused step wrote nothing" means nothing at all).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from flick_admin.audit.actions import AuditAction
from flick_admin.db import (
    Auth, BannedWord, Branch, College, CollegeBranch, Comment, ContentReport, Log, Post,
)
from flick_admin.db.audit import AuditChainLink
from flick_admin.db.base import utcnow
from flick_admin.db.quoting import ident
from flick_admin.db.team import Claim, StaffScope
from tests import factories

# The fields of each entity its audit rows record, as they record them.
STATE_KEYS: dict[str, tuple[str, ...]] = {
    "post": ("isBanned", "isShadowBanned"),
    "comment": ("isBanned",),
    "content-report": ("status",),
    "user": ("banned", "ban_reason", "ban_expires"),
    "college": ("name", "emailDomain", "city", "state", "profile", "branches"),
    "banned-word": ("word", "severity", "strict_mode"),
}
DELETIONS = {AuditAction.COLLEGE_DELETED.value, AuditAction.WORD_DELETED.value}
CREATIONS = {AuditAction.COLLEGE_CREATED.value, AuditAction.WORD_CREATED.value}

STAFF = ("mod_a", "mod_b", "mod_s", "admin", "super")
STUDENTS = ("stu_a1", "stu_a2", "stu_b1", "stu_b2")
POSTS = ("post_a1", "post_a2", "post_b1", "post_b2")
COMMENTS = ("comment_a1", "comment_b1", "comment_ab")  # comment_ab: by stu_a2 on post_b1
ITEMS = POSTS + COMMENTS
COLLEGES = ("college_a", "college_b", "college_e")
WORDS = ("spam", "scam", "fraud")


@dataclass
class World:
    ids: dict[str, Any]
    scope: dict[str, frozenset[uuid.UUID] | None]
    tables: list[str]
    in_scope: dict[str, bool] = field(default_factory=dict)  # item or student -> in mod_s's scope

    def kind(self, item: str) -> str:
        return "post" if item.startswith("post") else "comment"

    def item(self, name: str) -> tuple[str, uuid.UUID]:
        return self.kind(name), self.ids[name]


def seed(dbs) -> World:
    past = utcnow() - timedelta(hours=2)
    ids: dict[str, Any] = {}
    civil = factories.BranchFactory(name="Civil", code="CIV")
    mech = factories.BranchFactory(name="Mechanical", code="MEC")
    ids["branch_civil"], ids["branch_mech"] = civil.id, mech.id
    colleges = {
        "college_a": factories.CollegeFactory(name="College A", email_domain="a.edu"),
        "college_b": factories.CollegeFactory(name="College B", email_domain="b.edu"),
        "college_e": factories.CollegeFactory(name="College E", email_domain="e.edu"),
    }
    factories.CollegeBranchFactory(college=colleges["college_a"], branch=civil)
    ids.update({name: c.id for name, c in colleges.items()})
    staff = {
        "mod_a": factories.StaffFactory(role="moderator", name="Mod A", email="mod.a@flick.test"),
        "mod_b": factories.StaffFactory(role="moderator", name="Mod B", email="mod.b@flick.test"),
        "mod_s": factories.StaffFactory(role="moderator", name="Mod S", email="mod.s@flick.test"),
        "admin": factories.StaffFactory(role="admin", name="Admin", email="admin@flick.test"),
        "super": factories.StaffFactory(role="superadmin", name="Super", email="super@flick.test"),
    }
    ids.update({name: s.id for name, s in staff.items()})
    dbs.add(StaffScope(user_id=staff["mod_s"].id, college_id=colleges["college_a"].id))
    dbs.commit()
    students = {
        name: factories.StudentFactory(college=colleges["college_" + name[4]], created_at=past,
                                       username=name)
        for name in STUDENTS
    }
    ids.update({name: s.auth_id for name, s in students.items()})
    posts = {name: factories.PostFactory(author=students["stu_" + name[5:]], created_at=past,
                                         title=name) for name in POSTS}
    ids.update({name: p.id for name, p in posts.items()})
    comments = {
        "comment_a1": factories.CommentFactory(post=posts["post_a1"], author=students["stu_a1"],
                                               created_at=past, content="comment_a1"),
        "comment_b1": factories.CommentFactory(post=posts["post_b1"], author=students["stu_b1"],
                                               created_at=past, content="comment_b1"),
        "comment_ab": factories.CommentFactory(post=posts["post_b1"], author=students["stu_a2"],
                                               created_at=past, content="comment_ab"),
    }
    ids.update({name: c.id for name, c in comments.items()})
    reporter = students["stu_b2"]
    # Two reasons, so that the priority keys per reason are kept through every step too.
    for name, status, reason in (("post_a1", "pending", "SPAM"), ("post_a1", "pending", "HARASSMENT"),
                                 ("post_a2", "pending", "SPAM"), ("post_b1", "pending", "SPAM"),
                                 ("post_b2", "resolved", "SPAM"), ("post_a2", "ignored", "SPAM")):
        factories.ReportFactory(post=posts[name], reporter=reporter, status=status, reason=reason,
                                created_at=past)
    for name, status, reason in (("comment_a1", "pending", "SPAM"), ("comment_b1", "pending", "SPAM"),
                                 ("comment_ab", "pending", "HARASSMENT"), ("comment_ab", "ignored", "SPAM")):
        factories.ReportFactory(type="Comment", post=None, comment=comments[name], reporter=reporter,
                                status=status, reason=reason, created_at=past)
    for word in WORDS:
        factories.BannedWordFactory(word=word)
    REPORT_TARGETS.clear()
    for report_id, post_id, comment_id in dbs.execute(
            sa.select(ContentReport.id, ContentReport.post_id, ContentReport.comment_id)):
        REPORT_TARGETS[str(report_id)] = ("post", str(post_id)) if post_id else ("comment", str(comment_id))
    tables = sorted(dbs.scalars(sa.text(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_type = 'BASE TABLE' AND table_name <> 'alembic_version'")))
    scope = {name: None for name in STAFF}
    scope["mod_s"] = frozenset({colleges["college_a"].id})
    world = World(ids=ids, scope=scope, tables=tables)
    world.in_scope = {name: name.startswith("stu_a") for name in STUDENTS}
    world.in_scope.update({name: name.endswith("a1") or name.endswith("a2") or name == "comment_ab"
                           for name in ITEMS})
    return world


# --- what the invariants read ----------------------------------------------------------------

def _iso(value) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def entity_state(conn: sa.Connection) -> dict[tuple[str, str], dict[str, Any]]:
    """Every tracked entity as its audit rows record it: {(entity_type, id): fields}."""
    state: dict[tuple[str, str], dict[str, Any]] = {}
    for ident_, banned, shadow in conn.execute(sa.select(Post.id, Post.is_banned, Post.is_shadow_banned)):
        state["post", str(ident_)] = {"isBanned": bool(banned), "isShadowBanned": bool(shadow)}
    for ident_, banned in conn.execute(sa.select(Comment.id, Comment.is_banned)):
        state["comment", str(ident_)] = {"isBanned": bool(banned)}
    for ident_, status in conn.execute(sa.select(ContentReport.id, ContentReport.status)):
        state["content-report", str(ident_)] = {"status": status}
    for ident_, banned, reason, expires in conn.execute(
            sa.select(Auth.id, Auth.banned, Auth.ban_reason, Auth.ban_expires)):
        state["user", ident_] = {"banned": bool(banned), "ban_reason": reason, "ban_expires": _iso(expires)}
    branches: dict[str, list[str]] = {}
    for college_id, name in conn.execute(
            sa.select(CollegeBranch.college_id, Branch.name)
            .join(Branch, Branch.id == CollegeBranch.branch_id).order_by(Branch.name)):
        branches.setdefault(str(college_id), []).append(name)
    for ident_, name, domain, city, region, profile in conn.execute(
            sa.select(College.id, College.name, College.email_domain, College.city, College.state,
                      College.profile)):
        state["college", str(ident_)] = {"name": name, "emailDomain": domain, "city": city,
                                         "state": region, "profile": profile,
                                         "branches": branches.get(str(ident_), [])}
    for ident_, word, severity, strict in conn.execute(
            sa.select(BannedWord.id, BannedWord.word, BannedWord.severity, BannedWord.strict_mode)):
        state["banned-word", str(ident_)] = {"word": word, "severity": severity, "strict_mode": bool(strict)}
    return state


@dataclass(frozen=True)
class AuditRow:
    seq: int
    id: str
    actor_id: str | None
    action: str
    entity_type: str
    entity_id: str | None
    before: Any
    after: Any
    metadata: dict[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return self.entity_type, str(self.entity_id)

    def changes(self) -> dict[str, Any]:
        """The tracked fields this row sets (empty for claims, proposals, views…)."""
        keys = STATE_KEYS.get(self.entity_type, ())
        return {k: v for k, v in (self.after or {}).items() if k in keys}

    @property
    def decides(self) -> bool:
        """Whether the row changes a tracked entity (a decision someone may revert)."""
        return self.entity_type in STATE_KEYS and (bool(self.changes()) or self.action in DELETIONS)

    def item(self) -> tuple[str, str] | None:
        """The post or comment the row is about (a report's target), if any."""
        if self.entity_type in ("post", "comment"):
            return self.entity_type, str(self.entity_id)
        if self.entity_type == "content-report":
            return REPORT_TARGETS[str(self.entity_id)]
        return None


# Each seeded report's target (kind, id): reports never change target.
REPORT_TARGETS: dict[str, tuple[str, str]] = {}


def audit_rows_after(conn: sa.Connection, seq: int) -> list[AuditRow]:
    rows = conn.execute(
        sa.select(AuditChainLink.seq, Log.id, Log.actor_id, Log.action, Log.entity_type, Log.entity_id,
                  Log.before, Log.after, Log.metadata_)
        .join(Log, Log.id == AuditChainLink.log_id).where(AuditChainLink.seq > seq)
        .order_by(AuditChainLink.seq))
    return [AuditRow(seq_, str(id_), actor, action, etype, eid, before, after,
                     meta if isinstance(meta, dict) else {})
            for seq_, id_, actor, action, etype, eid, before, after, meta in rows]


def fold(state: dict[tuple[str, str], dict[str, Any]], rows: list[AuditRow]) -> None:
    """Apply the rows' after-values to ``state`` (in place), in chain order."""
    for row in rows:
        if row.entity_type not in STATE_KEYS:
            continue
        if row.action in DELETIONS:
            state.pop(row.key, None)
        elif row.action in CREATIONS:
            state[row.key] = row.changes()
        elif row.changes():
            state.setdefault(row.key, {}).update(row.changes())


def claims_in_force(conn: sa.Connection) -> dict[tuple[str, str], str]:
    now = utcnow()
    rows = conn.execute(sa.select(Claim.target_type, Claim.target_id, Claim.holder_id)
                        .where(sa.or_(Claim.expires_at.is_(None), Claim.expires_at > now)))
    return {(kind, str(target)): holder for kind, target, holder in rows}


def digest(conn: sa.Connection, tables: list[str]) -> tuple[str, ...]:
    """One md5 per table over all its rows (order-free): equal digests, equal contents."""
    parts = [f"(SELECT coalesce(md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))), '') "
             f"FROM {ident(name)} t)" for name in tables]
    return tuple(conn.execute(sa.text("SELECT " + ", ".join(parts))).one())
