"""Team moderation's promises under any sequence of actions (a Hypothesis state machine).

Five staff members — two unscoped moderators, a moderator limited to College A, an admin
and a superadmin — claim, release, take over and assign items; ban, shadow-ban, unban,
ignore and reopen (one item or a batch); suspend, ban and lift users; propose, approve
and reject severe actions; revert any earlier decision; edit colleges; create, rename,
delete and import banned words; save views. Each step calls the service a view calls
(proposing where the view proposes), signed in as that staff member, in its own request.

After every step the invariants are checked against the database:

- a refused step wrote nothing (every table's digest, the audit chain included, unchanged);
- the audit trail explains the state: folding the after-values of every audit row, in
  chain order, over the seeded state gives exactly each post, comment, report, user
  sanction, college and banned word in the database;
- no severe effect (a user becoming banned with no end or for more than
  ``FOUR_EYES_SUSPENSION_DAYS``, more than ``FOUR_EYES_BATCH`` items or
  ``FOUR_EYES_IMPORT_LINES`` banned words changed in one unit, a college deleted) exists
  without the approval of a second staff member;
- college domains and banned words are unique; the tallies reconcile exactly; the audit
  chain verifies;
- nobody succeeded on an item another staff member held (taking it over, or assigning it
  to its holder, aside); the college-scoped moderator changed nothing outside College A;
- a revert never undoes a decision that a later one has overridden.

Every example starts from the same seeded world, inside a savepoint rolled back at its
end. The budget is ``FLICK_STATEFUL_EXAMPLES`` × ``FLICK_STATEFUL_STEPS`` (200 × 30 by
default; ``FLICK_STATEFUL=release`` runs 2,000 × 50). A failure is shrunk to the shortest
sequence of steps and printed, as Python calls.
"""

from __future__ import annotations

import copy
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import g
from flask_login import login_user
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from werkzeug.datastructures import MultiDict

from flick_admin import four_eyes, scope, tallies
from flick_admin.audit import chain
from flick_admin.audit.actions import AuditAction
from flick_admin.colleges import services as colleges
from flick_admin.colleges import words
from flick_admin.db import Auth
from flick_admin.db.base import utcnow
from flick_admin.db.colleges import DEFAULT_COLLEGE_PROFILE
from flick_admin.db.team import Escalation, Proposal
from flick_admin.extensions import db
from flick_admin.moderation import claims, escalations, notes, sanctions, services
from flick_admin.moderation.forms import parse_targets
from flick_admin.refusals import ActionRefused
from flick_admin.team import proposals, reverts, saved_views
from tests.team import model
from tests.team.model import COLLEGES, ITEMS, STAFF, STUDENTS

pytestmark = pytest.mark.postgres_only

RELEASE = os.environ.get("FLICK_STATEFUL", "").lower() == "release"
EXAMPLES = int(os.environ.get("FLICK_STATEFUL_EXAMPLES") or (2000 if RELEASE else 200))
STEPS = int(os.environ.get("FLICK_STATEFUL_STEPS") or (50 if RELEASE else 30))

# Small limits, so that every severe effect is a few steps away.
LIMITS = {"FOUR_EYES": "user-ban,batch,college-delete,word-import", "FOUR_EYES_BATCH": 2,
          "FOUR_EYES_IMPORT_LINES": 2, "FOUR_EYES_SUSPENSION_DAYS": 30}
REASON = "Checked by the team"
VOCABULARY = ("spam", "scam", "fraud", "bot", "troll")
CONTENT_ACTIONS = ("ban", "unban", "shadow_ban", "unshadow_ban", "ignore", "reopen")
DAYS = (1, 7, 30, 31, 400)
VIEW_QUERIES = {
    "reports": ({}, {"status": "ignored"}, {"status": "bogus"}),
    "posts": ({}, {"sort": "reports"}),
    "users": ({"ban": "banned"}, {"ban": "nonsense"}),
    "audit": ({"entity_type": "post"},),
}

# What a reconciliation of the tallies reads.
TALLY_INPUTS = {"content_reports", "posts", "comments", "platform_user", "colleges",
                "admin_tally_watermarks", "admin_post_pending", "admin_comment_pending",
                "admin_report_colleges",
                "admin_college_students", "admin_post_colleges", "admin_comment_colleges",
                "admin_reporter_reliability", "admin_item_priority", "admin_item_reason_priority"}

staff = st.sampled_from(STAFF)
admins = st.sampled_from(("admin", "super"))
items = st.sampled_from(ITEMS)
batches = st.lists(items, min_size=1, max_size=4, unique=True)
students = st.sampled_from(STUDENTS)
picks = st.integers(min_value=0, max_value=63)


# Rows that change no content: a note or an escalation may be left on an item someone holds.
NOT_DECISIONS = {AuditAction.NOTE_ADDED.value, AuditAction.NOTE_EDITED.value, AuditAction.NOTE_DELETED.value,
                 AuditAction.CONTENT_ESCALATED.value, AuditAction.CONTENT_DEESCALATED.value}


@dataclass
class Step:
    rule: str
    actor: str
    actor_id: str
    refused: ActionRefused | None
    claims: dict[tuple[str, str], str]
    rows: list[model.AuditRow]
    before: dict[tuple[str, str], dict[str, Any]]
    history: list[model.AuditRow]  # the example's audit rows before this step
    wrote: bool
    changed: set[str] = field(default_factory=set)  # the tables the step changed
    database: dict[tuple[str, str], dict[str, Any]] | None = None
    allowed_holder: str | None = None  # assign: the item may be held by the assignee
    notes: list[str] = field(default_factory=list)


def _long_ban(state: dict[str, Any] | None, limit_days: int) -> bool:
    if not state or not state.get("banned"):
        return False
    end = state.get("ban_expires")
    return end is None or datetime.fromisoformat(end) > utcnow() + timedelta(days=limit_days)


def _severe_effects(step: Step, after: dict) -> list[str]:
    rows = [r for r in step.rows if r.decides]
    found = []
    for key in dict.fromkeys(r.key for r in rows if r.entity_type == "user"):
        if _long_ban(after.get(key), LIMITS["FOUR_EYES_SUSPENSION_DAYS"]) and not _long_ban(
                step.before.get(key), LIMITS["FOUR_EYES_SUSPENSION_DAYS"]):
            found.append(f"user {key[1]} banned until {after[key]['ban_expires'] or 'forever'}")
    changed_items = {r.item() for r in rows if r.item() is not None}
    if len(changed_items) > LIMITS["FOUR_EYES_BATCH"]:
        found.append(f"{len(changed_items)} items changed in one unit")
    if any(r.action == AuditAction.COLLEGE_DELETED.value for r in rows):
        found.append("a college deleted")
    changed_words = {r.key for r in rows if r.entity_type == "banned-word"}
    if len(changed_words) > LIMITS["FOUR_EYES_IMPORT_LINES"]:
        found.append(f"{len(changed_words)} banned words changed in one unit")
    return found


def make_machine(app, conn, world: model.World) -> type[RuleBasedStateMachine]:
    ids = world.ids
    names = {str(v): k for k, v in ids.items()}
    seeded_state = model.entity_state(conn)
    seeded_seq = max([r.seq for r in model.audit_rows_after(conn, 0)], default=0)
    seeded_digest = model.digest(conn, world.tables)
    with app.app_context():
        seeded_anchor = chain.head(db.session())

    class Promises(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.savepoint = conn.begin_nested()
            self.state = copy.deepcopy(seeded_state)
            self.seq = seeded_seq
            self.digest = seeded_digest
            self.history: list[model.AuditRow] = []
            self.last: Step | None = None
            self.waiting = 0
            self.anchor = seeded_anchor

        def teardown(self):
            try:
                if self.history:
                    with app.app_context():
                        verdict = chain.verify(db.session())
                    assert verdict.intact, f"at the end of the example: audit chain {verdict.summary}"
            finally:
                self.savepoint.rollback()

        # --- running one step ---------------------------------------------------------

        def act(self, rule_name: str, actor: str, call: Callable[[], Any], **extra) -> None:
            holders = model.claims_in_force(conn)
            refused = None
            with app.test_request_context("/"):
                user = db.session.get(Auth, ids[actor])
                assert login_user(user), f"{actor} could not be signed in"
                g.staff_scope = world.scope[actor]
                try:
                    call()
                except ActionRefused as exc:
                    refused = exc
            digest = model.digest(conn, world.tables)
            changed = {t for t, old, new in zip(world.tables, self.digest, digest) if old != new}
            wrote, self.digest = bool(changed), digest
            rows = model.audit_rows_after(conn, self.seq) if wrote else []
            before = copy.deepcopy(self.state)
            model.fold(self.state, rows)
            step = Step(rule_name, actor, ids[actor], refused, holders, rows, before, list(self.history),
                        wrote, changed=changed, **extra)
            if wrote:
                step.database = model.entity_state(conn)
                self.seq = rows[-1].seq if rows else self.seq
            self.history.extend(rows)
            for row in rows:
                if row.action == AuditAction.PROPOSAL_CREATED.value:
                    self.waiting += 1
                elif row.action in (AuditAction.PROPOSAL_APPROVED.value, AuditAction.PROPOSAL_REJECTED.value):
                    self.waiting -= 1
            self.last = step

        # --- claims ---------------------------------------------------------------------

        @rule(actor=staff, item=items)
        def claim(self, actor, item):
            self.act("claim", actor, lambda: claims.claim(*world.item(item)))

        @rule(actor=staff, item=items)
        def release(self, actor, item):
            self.act("release", actor, lambda: claims.release(*world.item(item)))

        @rule(actor=staff, item=items)
        def take_over(self, actor, item):
            self.act("take_over", actor, lambda: claims.take_over(*world.item(item), REASON))

        @rule(actor=staff, item=items, assignee=staff)
        def assign(self, actor, item, assignee):
            self.act("assign", actor, lambda: claims.assign(*world.item(item), ids[assignee], "yours"),
                     allowed_holder=ids[assignee])

        # --- content and reports --------------------------------------------------------

        @rule(actor=staff, item=items, action=st.sampled_from(CONTENT_ACTIONS), stale=st.booleans())
        def moderate(self, actor, item, action, stale):
            kind, ident = world.item(item)
            seen = ("b1s1" if kind == "post" else "b9") if stale else None
            target = services.Target(services.TargetKind(kind), ident, seen)
            self.act("moderate", actor, lambda: services.moderate(target, action, REASON))

        @rule(actor=staff, chosen=batches, action=st.sampled_from(CONTENT_ACTIONS))
        def batch(self, actor, chosen, action):
            """The bulk form: a batch over the limit becomes a proposal (as the view does)."""
            values = [f"{world.kind(i)}:{ids[i]}:" for i in chosen]

            def call():
                targets = parse_targets(values)
                if four_eyes.required(four_eyes.BATCH, len(targets)):
                    services.check_batch(targets, action)
                    scope.check_targets(db.session(), [(t.kind.value, t.id) for t in targets])
                    four_eyes.propose(four_eyes.BATCH, {"targets": values, "action": action},
                                      f"{action} {len(targets)} items", REASON)
                else:
                    services.moderate_batch(targets, action, REASON)
            self.act("batch", actor, call)

        @rule(actor=staff, chosen=batches, action=st.sampled_from(CONTENT_ACTIONS))
        def batch_directly(self, actor, chosen, action):
            """The service itself, past any view: a batch over the limit must be refused."""
            targets = [services.Target(services.TargetKind(world.kind(i)), ids[i]) for i in chosen]
            self.act("batch_directly", actor, lambda: services.moderate_batch(targets, action, REASON))

        # --- notes and escalation (they decide nothing; a decision ends an escalation) ---

        @rule(actor=staff, item=items)
        def note(self, actor, item):
            kind, ident = world.item(item)
            self.act("note", actor, lambda: notes.add(kind, str(ident), "seen this before"))

        @rule(actor=staff, item=items)
        def escalate(self, actor, item):
            self.act("escalate", actor, lambda: escalations.escalate(*world.item(item), "a senior call"))

        @rule(actor=staff, item=items)
        def de_escalate(self, actor, item):
            self.act("de_escalate", actor, lambda: escalations.de_escalate(*world.item(item), None))

        # --- users ----------------------------------------------------------------------

        @rule(actor=staff, student=students, kind=st.sampled_from(("ban", "suspend")), days=st.sampled_from(DAYS))
        def sanction(self, actor, student, kind, days):
            """The user page's form: what the commit point refuses as severe is proposed."""
            until = utcnow().replace(microsecond=0) + timedelta(days=days) if kind == "suspend" else None

            def call():
                try:
                    sanctions.sanction_user(ids[student], sanctions.SanctionKind(kind), REASON, until)
                except four_eyes.SevereEffect:
                    label = sanctions.ban_label(ids[student])
                    payload = {"user_id": ids[student], "state": None}
                    if until is not None:
                        payload["until"] = until.isoformat(timespec="seconds")
                    four_eyes.propose(four_eyes.USER_BAN, payload, f"Sanction {label}", REASON)
            self.act("sanction", actor, call)

        @rule(actor=staff, student=students, kind=st.sampled_from(("ban", "suspend")), days=st.sampled_from(DAYS))
        def sanction_directly(self, actor, student, kind, days):
            until = utcnow().replace(microsecond=0) + timedelta(days=days) if kind == "suspend" else None
            self.act("sanction_directly", actor, lambda: sanctions.sanction_user(
                ids[student], sanctions.SanctionKind(kind), REASON, until))

        @rule(actor=staff, student=students)
        def lift(self, actor, student):
            self.act("lift", actor, lambda: sanctions.lift_sanction(ids[student], REASON))

        # --- four-eyes ------------------------------------------------------------------

        def _waiting(self, pick: int) -> uuid.UUID | None:
            found = list(conn.execute(
                Proposal.__table__.select().with_only_columns(Proposal.id)
                .where(four_eyes.waiting_condition()).order_by(Proposal.created_at, Proposal.id)).scalars())
            return found[pick % len(found)] if found else None

        @precondition(lambda self: self.waiting > 0)
        @rule(actor=staff, pick=picks, approve=st.booleans())
        def decide(self, actor, pick, approve):
            proposal = self._waiting(pick)
            if proposal is None:
                return
            decide = proposals.approve if approve else proposals.reject
            self.act("approve" if approve else "reject", actor, lambda: decide(proposal, "looked at it"))

        # --- revert ---------------------------------------------------------------------

        @precondition(lambda self: any(r.decides for r in self.history))
        @rule(actor=staff, pick=picks)
        def revert(self, actor, pick):
            decisions = [r for r in self.history if r.decides]
            log_id = uuid.UUID(decisions[pick % len(decisions)].id)

            def call():
                try:
                    reverts.revert(log_id, "decided in error")
                except four_eyes.SevereEffect:  # the revert view proposes it
                    found = reverts.plan(log_id)
                    four_eyes.propose(four_eyes.REVERT, {"log_id": str(log_id)}, "Revert",
                                      "decided in error", reverts.permission_for(found.rows))
            self.act("revert", actor, call)

        # --- colleges -------------------------------------------------------------------

        @rule(actor=admins, college=st.sampled_from(COLLEGES),
              name=st.sampled_from(("College A", "College B", "Renamed College")),
              domain=st.sampled_from(("a.edu", "b.edu", "e.edu", "new.edu")),
              branches=st.sampled_from(((), ("branch_civil",), ("branch_civil", "branch_mech"))))
        def edit_college(self, actor, college, name, domain, branches):
            current = self.state.get(("college", str(ids[college])), {})

            def call():
                data = colleges.CollegeInput.clean(
                    name=name, email_domain=domain, city=current.get("city", "Pune"),
                    state=current.get("state", "Maharashtra"),
                    profile=current.get("profile", DEFAULT_COLLEGE_PROFILE),
                    branch_ids=[ids[b] for b in branches])
                colleges.update_college(ids[college], data)
            self.act("edit_college", actor, call)

        @rule(actor=admins, college=st.sampled_from(COLLEGES), directly=st.booleans())
        def delete_college(self, actor, college, directly):
            current = self.state.get(("college", str(ids[college])), {})
            confirmation = current.get("emailDomain", "gone.edu")

            def call():
                if directly or not four_eyes.required(four_eyes.COLLEGE_DELETE):
                    colleges.delete_college(ids[college], confirmation)
                    return
                found = colleges.check_delete(ids[college], confirmation)
                four_eyes.propose(four_eyes.COLLEGE_DELETE,
                                  {"college_id": str(ids[college]), "confirmation": confirmation},
                                  f"Delete the college {found.name} ({found.email_domain})", REASON)
            self.act("delete_college_directly" if directly else "delete_college", actor, call)

        # --- banned words ---------------------------------------------------------------

        def _word(self, pick: int) -> uuid.UUID | None:
            current = sorted((v["word"], k[1]) for k, v in self.state.items() if k[0] == "banned-word")
            return uuid.UUID(current[pick % len(current)][1]) if current else None

        @rule(actor=admins, word=st.sampled_from(VOCABULARY), severity=st.sampled_from(("mild", "severe")))
        def create_word(self, actor, word, severity):
            self.act("create_word", actor, lambda: words.create_word(word, severity, False))

        @rule(actor=admins, pick=picks, word=st.sampled_from(VOCABULARY), strict=st.booleans())
        def rename_word(self, actor, pick, word, strict):
            target = self._word(pick)
            if target is not None:
                self.act("rename_word", actor, lambda: words.update_word(target, word, "moderate", strict))

        @rule(actor=admins, pick=picks)
        def delete_word(self, actor, pick):
            target = self._word(pick)
            if target is not None:
                self.act("delete_word", actor, lambda: words.delete_word(target))

        @rule(actor=admins, chosen=st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=4, unique=True),
              severity=st.sampled_from(("mild", "moderate", "severe")), directly=st.booleans())
        def import_words(self, actor, chosen, severity, directly):
            text = "\n".join(f"{w},{severity},false" for w in chosen)

            def call():
                lines = words.parse_import(text)
                if not directly and four_eyes.required(four_eyes.WORD_IMPORT, len(lines)):
                    four_eyes.propose(four_eyes.WORD_IMPORT,
                                      {"text": text, "default": "moderate", "snapshot": words.import_snapshot(lines)},
                                      f"Import {len(lines)} banned words", REASON)
                else:
                    words.apply_import(lines)
            self.act("import_words_directly" if directly else "import_words", actor, call)

        # --- saved views ----------------------------------------------------------------

        @rule(actor=staff, page=st.sampled_from(sorted(VIEW_QUERIES)), pick=picks,
              name=st.sampled_from(("Mine", "Queue")), shared=st.booleans())
        def save_view(self, actor, page, pick, name, shared):
            query = VIEW_QUERIES[page][pick % len(VIEW_QUERIES[page])]
            self.act("save_view", actor, lambda: saved_views.save(page, name, MultiDict(query), shared))

        # --- the invariants -------------------------------------------------------------

        @invariant()
        def a_refused_step_wrote_nothing(self):
            step = self.last
            if step is not None and step.refused is not None:
                assert not step.wrote, (f"{step.rule} by {step.actor} was refused "
                                        f"({step.refused.message!r}) but changed the database")
            # Renewing one's own claim moves its expiry and is not audited (by design).
            if step is not None and step.changed - {"admin_claims"}:
                assert step.rows, (f"{step.rule} by {step.actor} changed {sorted(step.changed)} "
                                   "without an audit row")

        @invariant()
        def the_audit_trail_explains_the_state(self):
            step = self.last
            if step is None or not step.wrote:
                return
            differences = [
                f"{key[0]} {names.get(key[1], key[1])}: audit says {self.state.get(key)}, "
                f"database has {step.database.get(key)}"
                for key in sorted(set(self.state) | set(step.database))
                if self.state.get(key) != step.database.get(key)]
            assert not differences, f"after {step.rule} by {step.actor}: " + "; ".join(differences)

        @invariant()
        def domains_and_words_are_unique(self):
            step = self.last
            if step is None or not step.wrote:
                return
            domains = [v["emailDomain"].lower() for k, v in step.database.items() if k[0] == "college"]
            assert len(domains) == len(set(domains)), f"after {step.rule}: two colleges share a domain: {domains}"
            found = [v["word"].lower() for k, v in step.database.items() if k[0] == "banned-word"]
            assert len(found) == len(set(found)), f"after {step.rule}: a banned word twice: {found}"

        @invariant()
        def the_tallies_reconcile(self):
            step = self.last
            if step is None or not step.changed & TALLY_INPUTS:
                return  # a reconciliation reads only these tables
            with app.app_context():
                reconciled = tallies.reconcile()
            assert reconciled.exact, f"after {step.rule}: " + "\n".join(reconciled.lines())

        @invariant()
        def the_audit_chain_verifies(self):
            step = self.last
            if step is None or not step.changed & {"logs", "admin_audit_chain"}:
                return
            with app.app_context():
                # The links since the last step's tip (kept here, outside the database); the
                # whole chain, and every row's link, at the end of the example (teardown).
                verdict = chain._walk(db.session(), self.anchor)  # noqa: SLF001
            assert verdict.intact, f"after {step.rule}: audit chain {verdict.summary}"
            self.anchor = verdict.head

        @invariant()
        def no_severe_effect_without_a_second_person(self):
            step = self.last
            if step is None or not step.rows:
                return
            effects = _severe_effects(step, self.state)
            if not effects:
                return
            for row in (r for r in step.rows if r.decides):
                meta = row.metadata
                approver, proposer = meta.get("approved_by"), meta.get("proposed_by")
                assert meta.get("proposal_id") and approver and proposer and approver != proposer, (
                    f"{step.rule} by {step.actor} had a severe effect ({'; '.join(effects)}) "
                    f"without a second person's approval ({row.action} on {names.get(str(row.entity_id), row.entity_id)})")
                proposal = conn.execute(Proposal.__table__.select().where(
                    Proposal.id == uuid.UUID(meta["proposal_id"]))).one()
                assert (proposal.status, proposal.decided_by_id, proposal.proposer_id) == (
                    "approved", approver, proposer), f"{step.rule}: approval not as its rows say"

        @invariant()
        def nobody_succeeded_on_an_item_another_held(self):
            step = self.last
            if step is None:
                return
            for row in step.rows:
                item = row.item()
                holder = step.claims.get(item) if item else None
                if holder is None or holder == step.actor_id:
                    continue
                if row.action == AuditAction.CONTENT_TAKEN_OVER.value and step.rule == "take_over":
                    continue
                if row.action in NOT_DECISIONS:
                    continue  # a note or an escalation may be left on an item someone holds
                if step.rule == "assign" and holder == step.allowed_holder:
                    continue
                raise AssertionError(
                    f"{step.rule} by {step.actor} succeeded ({row.action}) on {names.get(item[1])}, "
                    f"held by {names.get(holder, holder)}")

        @invariant()
        def a_decided_item_is_no_longer_escalated(self):
            step = self.last
            if step is None or not step.rows:
                return
            decided = {r.item() for r in step.rows if r.decides or r.action == AuditAction.REPORT_STATUS_CHANGED.value}
            decided.discard(None)
            if not decided or step.rule in ("escalate", "note"):
                return
            left = {(k, str(i)) for k, i in conn.execute(sa.select(Escalation.target_type, Escalation.target_id))}
            assert not decided & left, f"{step.rule} by {step.actor} decided {decided & left} but left it escalated"

        @invariant()
        def the_scoped_moderator_changed_nothing_outside_their_colleges(self):
            step = self.last
            if step is None or step.actor != "mod_s":
                return
            for row in step.rows:
                item = row.item()
                name = names.get(item[1]) if item else (
                    names.get(str(row.entity_id)) if row.entity_type == "user" else None)
                if name is not None:
                    assert world.in_scope[name], f"{step.rule} by mod_s changed {name}, outside College A"
                else:
                    assert row.entity_type in ("proposal", "saved-view"), (
                        f"{step.rule} by mod_s wrote {row.action} on {row.entity_type}")

        @invariant()
        def a_revert_never_undoes_a_later_decision(self):
            step = self.last
            if step is None:
                return
            earlier = {r.id: r for r in step.history}
            undone = {r.metadata.get("reverts") for r in step.rows} - {None}
            for rid in undone:
                reverted = earlier.get(rid)
                assert reverted is not None, f"{step.rule} reverted {rid}, not an earlier row"
                later = [r for r in step.history if r.seq > reverted.seq and r.key == reverted.key
                         and r.decides and r.id not in undone]
                assert not later, (
                    f"revert by {step.actor} undid {reverted.action} on "
                    f"{names.get(str(reverted.entity_id), reverted.entity_id)} although a later "
                    f"{later[0].action} by {names.get(later[0].actor_id, later[0].actor_id)} changed it since")

    return Promises


@pytest.fixture
def limits(app):
    saved = {k: app.config.get(k) for k in LIMITS}
    app.config.update(LIMITS)
    yield
    app.config.update(saved)


def test_team_moderation_keeps_its_promises_under_any_sequence_of_actions(app, connection, dbs, limits):
    world = model.seed(dbs)
    with app.app_context():
        # Recounted from scratch (rows that tests committing for real left behind included),
        # through the seeded rows: decisions keep the tallies from here on.
        tallies.repair("the stateful test starts from exact tallies")
        start = tallies.reconcile()
    assert start.exact and start.reports_through is not None
    machine = make_machine(app, connection, world)
    run_state_machine_as_test(machine, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much], print_blob=True,
        report_multiple_bugs=False))
