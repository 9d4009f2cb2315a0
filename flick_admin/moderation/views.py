"""Moderation screens: the report queue, posts, comments and users.

Views are thin: read the filter or form, call one query or one service, flash, 303.
Refusals from services (bad input, not found, stale state, not allowed) are turned into
pages with their status by the app's error handler.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

from flask import abort, flash, jsonify, request, url_for
from flask_admin import expose
from flask_login import current_user

from flick_admin import four_eyes, reliability, scope
from flick_admin.extensions import db
from flick_admin.permissions import Permission, has_permission, requires
from flick_admin.db.enums import TOPICS
from flick_admin.moderation import (claims, details, live, priority, queries, report_queue, sanctions, services,
                                    team_views, unlinked, users_list)
from flick_admin.moderation.filters import (
    COMMENT_STATES,
    POST_SORTS,
    POST_STATES,
    REPORT_CLAIMS,
    REPORT_REASONS,
    REPORT_SORTS,
    USER_BAN_STATES,
    CommentFilters,
    PostFilters,
    ReportFilters,
    UserFilters,
)
from flick_admin.moderation.forms import (
    ActionForm,
    BulkForm,
    ClaimForm,
    LiftForm,
    SanctionForm,
    parse_reports,
    parse_targets,
    validated,
)
from flick_admin.moderation.services import Target, TargetKind
from flick_admin.outcomes import clean_reason
from flick_admin.refusals import InvalidInput
from flick_admin.ui.errors import wants_json
from flick_admin.ui.shell import SecureView, render_page
from flick_admin.ui.web import back_to, page_size, safe_next


def _flash(outcome) -> None:
    flash(outcome.message, "success" if outcome.changed else "info")


def _can_moderate() -> bool:
    return has_permission(Permission.CONTENT_MODERATE)


# Decisions a page asks to confirm (its forms carry confirm=ask; with JavaScript the
# "Undo" toast stands in for this step and sends confirm=yes once its seconds are up).
CONFIRMED = {"ban": ("Ban", "Ban"), "shadow_ban": ("Shadow-ban", "Shadow-ban"),
             "ignore": ("Ignore the reports on", "Ignore the reports")}


def _confirmation(targets: list[Target], action: str, reason: str, action_url: str, default_back: str):
    """The confirm step, or None when the form is already confirmed (or needs none)."""
    if request.form.get("confirm") != "ask" or action not in CONFIRMED:
        return None
    reason = clean_reason(reason)  # a missing reason is said now, not after confirming
    if not targets:
        raise InvalidInput("Select at least one item.")
    scope.check_targets(db.session(), [(t.kind.value, t.id) for t in targets])
    found = report_queue.report_targets([t.id for t in targets if t.kind is TargetKind.POST],
                                   [t.id for t in targets if t.kind is TargetKind.COMMENT])
    items = [{"kind": t.kind.value,
              "title": found[t.id].title if t.id in found else "(deleted)"} for t in targets]
    verb, button = CONFIRMED[action]
    fields = [(k, v) for k, v in request.form.items(multi=True) if k not in ("confirm", "csrf_token")]
    return render_page("moderation/confirm.html", verb=verb, button=button, items=items,
                       reason=reason, fields=fields, action_url=action_url,
                       back=safe_next(request.form.get("next"), default_back))


def _act(kind: TargetKind, target_id: uuid.UUID, default_back: str):
    """One action from a row or a page: the form, one service call, a flash, a 303 back."""
    form = validated(ActionForm())
    target = Target(kind, target_id, form.state.data or None)
    action = form.action.data or ""
    asked = _confirmation([target], action, form.reason(), request.path, default_back)
    if asked is not None:
        return asked
    _flash(services.moderate(target, action, form.reason(), removal_reason=form.removal_reason()))
    return back_to(default_back)


def _chosen(form) -> dict:
    """A proposal's payload keeps the catalogue reason chosen (the approval tells the author)."""
    chosen = form.removal_reason()
    return {"removal_reason": str(chosen)} if chosen else {}


_NIL = "00000000-0000-0000-0000-000000000000"
PATH_SAFE = "!$&'()*+,/:;=@"  # what werkzeug's converters leave unquoted in a path segment


def _linker(endpoint: str, name: str, sample: str = "-"):
    """``url_for(endpoint, name=value)`` for an item page's many rows: built once around
    ``sample`` (a value the route accepts), each row's value put in its place quoted as the
    route's converter quotes it (one url_for per page, not one per row)."""
    head, _, tail = url_for(endpoint, **{name: sample}).rpartition(sample)
    return lambda value: f"{head}{quote(str(value), safe=PATH_SAFE)}{tail}"


def _holding(found) -> dict:
    """The item page's claim panel: who holds it, and whether to claim it on opening (it
    was opened from the queue)."""
    if not has_permission(Permission.CONTENT_TRIAGE):
        return {}
    return {"holder": found.holder, "claim_form": ClaimForm(),
            "auto_claim": request.args.get("claim") == "1"}


class ReportsView(SecureView):
    permission = Permission.CONTENT_READ

    @expose("/")
    @requires(Permission.CONTENT_READ)
    def index(self):
        filters = ReportFilters.parse(request.args)
        page, groups = report_queue.report_queue(filters, page_size())
        return self.render(
            "moderation/reports.html", filters=filters, page=page, groups=groups,
            reasons=REPORT_REASONS, sorts=REPORT_SORTS, claim_filters=REPORT_CLAIMS,
            can_moderate=_can_moderate(), can_triage=has_permission(Permission.CONTENT_TRIAGE),
            action_form=ActionForm(), bulk_form=BulkForm(),
            claim_form=ClaimForm(), unlinked=report_queue.unlinked_reports(filters),
            unlinked_cap=report_queue.UNLINKED_SHOWN,
        )

    @expose("/reporters")
    @requires(Permission.CONTENT_MODERATE)
    def reporters(self):
        """Reporters whose reports are almost never acted on, for moderators to look at."""
        return self.render("moderation/reporters.html", rows=priority.low_reliability(),
                           cap=priority.LOW_SHOWN, min_decided=reliability.LOW_MIN_DECIDED,
                           share=round(reliability.LOW_SHARE * 100))

    @expose("/changes")
    @requires(Permission.CONTENT_READ)
    def changes(self):
        """What became of a queue page's rows since it was drawn (its script asks every
        few seconds): one statement, read with the session."""
        return jsonify(live.changes(current_user.id))

    @expose("/unlinked/ignore", methods=["POST"])
    @requires(Permission.CONTENT_MODERATE)
    def ignore_unlinked(self):
        """Ignore reports that name neither a post nor a comment (each with its seen status)."""
        form = validated(BulkForm())
        _flash(unlinked.ignore(parse_reports(request.form.getlist("report")), form.reason()))
        return back_to(url_for(".index"))

    @expose("/<any(post,comment):kind>/<uuid:target_id>/assign")
    @requires(Permission.CONTENT_MODERATE)
    def assign_form(self, kind: str, target_id: uuid.UUID):
        """Pick the colleague to hand the item to, with a note."""
        scope.check_targets(db.session(), [(kind, target_id)])
        found = report_queue.report_targets([target_id] if kind == "post" else [],
                                            [target_id] if kind == "comment" else [])
        if target_id not in found:
            abort(404, f"That {kind} does not exist (it may have been deleted).")
        target = found[target_id]
        back = safe_next(request.args.get("next"), url_for(".index"))
        return self.render("moderation/assign.html", kind=kind, target_id=target_id, t=target,
                           holder=claims.holder_from(target), moderators=claims.moderators(kind, target_id),
                           form=ClaimForm(), back=back)

    @expose("/<any(post,comment):kind>/<uuid:target_id>/<any(claim,release):step>", methods=["POST"])
    @requires(Permission.CONTENT_TRIAGE)
    def hold_own(self, kind: str, target_id: uuid.UUID, step: str):
        """Claim or release one item: sorting the queue (triage may), not deciding."""
        return self._hold(kind, target_id, step)

    @expose("/<any(post,comment):kind>/<uuid:target_id>/<any('take-over',assign):step>", methods=["POST"])
    @requires(Permission.CONTENT_MODERATE)
    def hold(self, kind: str, target_id: uuid.UUID, step: str):
        """Take over or assign one item."""
        return self._hold(kind, target_id, step)

    def _hold(self, kind: str, target_id: uuid.UUID, step: str):
        """Claim, release, take over or assign one item (JSON for the item page's script)."""
        form = validated(ClaimForm())
        if step == "claim":
            outcome = claims.claim(kind, target_id)
        elif step == "release":
            outcome = claims.release(kind, target_id)
        elif step == "take-over":
            outcome = claims.take_over(kind, target_id, form.note.data)
        else:
            outcome = claims.assign(kind, target_id, form.assignee.data or "", form.note.data)
        if wants_json():
            holder = claims.holder_of(kind, target_id)
            return jsonify(changed=outcome.changed, message=outcome.message,
                           holder=holder.describe() if holder else None)
        _flash(outcome)
        return back_to(url_for(".index"))

    @expose("/<any(post,comment):kind>/<uuid:target_id>/act", methods=["POST"])
    @requires(Permission.CONTENT_MODERATE)
    def act(self, kind: str, target_id: uuid.UUID):
        return _act(TargetKind(kind), target_id, url_for(".index"))

    @expose("/bulk", methods=["POST"])
    @requires(Permission.CONTENT_MODERATE)
    def bulk(self):
        form = validated(BulkForm())
        targets = parse_targets(request.form.getlist("target"))
        asked = _confirmation(targets, form.action.data or "", form.reason(), request.path,
                              url_for(".index"))
        if asked is not None:
            return asked
        if four_eyes.required(four_eyes.BATCH, len(targets)):
            action = form.action.data or ""
            services.check_batch(targets, action)
            scope.check_targets(db.session(), [(t.kind.value, t.id) for t in targets])
            four_eyes.proposed(four_eyes.BATCH, {"targets": request.form.getlist("target"), "action": action,
                                                 **_chosen(form)},
                               f"{action.replace('_', '-').capitalize()} {len(targets)} items",
                               clean_reason(form.reason()))
            return back_to(url_for(".index"))
        outcome = services.moderate_batch(targets, form.action.data or "", form.reason(),
                                          removal_reason=form.removal_reason())
        flash(outcome.message, "success" if outcome.changed else "info")
        return back_to(url_for(".index"))


class PostsView(SecureView):
    permission = Permission.CONTENT_READ

    @expose("/")
    @requires(Permission.CONTENT_READ)
    def index(self):
        filters = PostFilters.parse(request.args)
        page = queries.post_queue(filters, page_size())
        return self.render("moderation/posts.html", filters=filters, page=page, topics=TOPICS,
                           states=POST_STATES, sorts=POST_SORTS)

    @expose("/<uuid:post_id>")
    @requires(Permission.CONTENT_READ)
    def detail(self, post_id: uuid.UUID):
        found = details.post_detail(post_id)
        if found is None:
            abort(404, "That post does not exist (it may have been deleted).")
        return self.render("moderation/post.html", d=found, state=services.post_state(found.post),
                           can_moderate=_can_moderate(), form=ActionForm, **_holding(found),
                           user_url=_linker("users.detail", "user_id"),
                           comment_act_url=_linker("comments.act", "comment_id", _NIL))

    @expose("/<uuid:post_id>/act", methods=["POST"])
    @requires(Permission.CONTENT_MODERATE)
    def act(self, post_id: uuid.UUID):
        return _act(TargetKind.POST, post_id, url_for(".detail", post_id=post_id))


class CommentsView(SecureView):
    permission = Permission.CONTENT_READ

    @expose("/")
    @requires(Permission.CONTENT_READ)
    def index(self):
        filters = CommentFilters.parse(request.args)
        page = queries.comment_queue(filters, page_size())
        return self.render("moderation/comments.html", filters=filters, page=page,
                           states=COMMENT_STATES)

    @expose("/<uuid:comment_id>")
    @requires(Permission.CONTENT_READ)
    def detail(self, comment_id: uuid.UUID):
        found = details.comment_detail(comment_id)
        if found is None:
            abort(404, "That comment does not exist (it may have been deleted).")
        return self.render("moderation/comment.html", d=found, can_moderate=_can_moderate(),
                           form=ActionForm, **_holding(found), user_url=_linker("users.detail", "user_id"), state=f"b{int(bool(found.comment.is_banned))}")

    @expose("/<uuid:comment_id>/act", methods=["POST"])
    @requires(Permission.CONTENT_MODERATE)
    def act(self, comment_id: uuid.UUID):
        return _act(TargetKind.COMMENT, comment_id, url_for(".index"))


class UsersView(SecureView):
    permission = Permission.CONTENT_READ

    @expose("/")
    @requires(Permission.CONTENT_READ)
    def index(self):
        filters = UserFilters.parse(request.args)
        page = users_list.user_list(filters, page_size())
        return self.render("moderation/users.html", filters=filters, page=page,
                           ban_states=USER_BAN_STATES)

    @expose("/<user_id>")
    @requires(Permission.CONTENT_READ)
    def detail(self, user_id: str):
        found = details.user_detail(user_id[:200])
        if found is None:
            abort(404, "That user does not exist.")
        return self.render("moderation/user.html", d=found, state=services.user_state(found.auth),
                           can_moderate=_can_moderate(), refusal=sanctions.sanction_refusal(found.auth),
                           sanction_form=SanctionForm, lift_form=LiftForm,
                           post_url=_linker("posts.detail", "post_id", _NIL),
                           comment_url=_linker("comments.detail", "comment_id", _NIL))

    @expose("/<user_id>/sanction", methods=["POST"])
    @requires(Permission.CONTENT_MODERATE)
    def sanction(self, user_id: str):
        form = validated(SanctionForm())
        kind = sanctions.SanctionKind.BAN if form.kind.data == "ban" else sanctions.SanctionKind.SUSPEND
        until = form.end()
        try:
            outcome = sanctions.sanction_user(user_id[:200], kind, form.reason(), until,
                                             expected=form.state.data or None,
                                             removal_reason=form.removal_reason())
        except four_eyes.SevereEffect:
            # A permanent ban, or a suspension past FOUR_EYES_SUSPENSION_DAYS: the commit
            # point refused it (nothing was kept), so it becomes a proposal.
            return self._propose_ban(user_id[:200], form, until)
        _flash(outcome)
        return back_to(url_for(".detail", user_id=user_id))

    @staticmethod
    def _propose_ban(user_id: str, form, until):
        label = sanctions.ban_label(user_id)
        payload = {"user_id": user_id, "state": form.state.data or None, **_chosen(form)}
        summary = f"Ban {label} permanently"
        if until is not None:
            payload["until"] = until.isoformat(timespec="seconds")
            summary = f"Suspend {label} until {until:%Y-%m-%d %H:%M} UTC"
        four_eyes.proposed(four_eyes.USER_BAN, payload, summary, clean_reason(form.reason()))
        return back_to(url_for(".detail", user_id=user_id))

    @expose("/<user_id>/lift", methods=["POST"])
    @requires(Permission.CONTENT_MODERATE)
    def lift(self, user_id: str):
        form = validated(LiftForm())
        _flash(sanctions.lift_sanction(user_id[:200], form.reason(), expected=form.state.data or None))
        return back_to(url_for(".detail", user_id=user_id))


def register(admin) -> None:
    admin.add_view(ReportsView(name="Reports", endpoint="reports", url="/reports"))
    team_views.register(admin)  # "Escalated" first in the Moderation menu
    admin.add_view(PostsView(name="Posts", endpoint="posts", url="/posts", category="Moderation"))
    admin.add_view(CommentsView(name="Comments", endpoint="comments", url="/comments",
                                category="Moderation"))
    admin.add_view(UsersView(name="Users", endpoint="users", url="/users", category="Moderation"))
