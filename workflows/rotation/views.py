"""Pages of the rotation and transfer procedure (domain §6). Views parse input, call one service
or selector, render — built like the planning and evaluation pages.

Scope: every page answers 404 outside ``selectors.plan_get_for_user`` /
``selectors.movement_get_for_user``. A cadre who sees their own rotation only as theirs reads
its facts and timeline, not the gates, conversation, consultations, dossier, reports or review
(``selectors.sees_details``). The ballot's results show only where
``workflows.core.services.can_see_results`` allows.

Who may act: the pages mirror the services' checks only to decide which forms to show; every
POST goes to the service (403 from its ``Forbidden``, 409 from its ``Conflict``, 400 on the
form from its ``Invalid``) through ``workflows.core.pages.form_action``.

Stale pages: each form carries the stage its page showed; a POST whose stage is no longer the
plan's or the movement's is refused with 409 before anything else is read (the evaluation
pages' ``_stale``).
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from viewflow.workflow.status import STATUS

from workflows.core import pages
from workflows.core import selectors as core_selectors
from workflows.core import services as core
from workflows.core import views as core_views
from workflows.core.errors import Conflict, Forbidden, Refused
from workflows.core.models import BallotStatus
from workflows.core.pages import HttpResponseSeeOther

from . import forms, gates, selectors, services
from .models import (
    BEFORE_DECISION,
    FINISHED,
    PLAN_OPEN,
    DossierKind,
    Kind,
    Movement,
    PlanStage,
    RotationPlan,
    Stage,
)

ONLY_BOARD = gettext_lazy("Only the organisation board of this unit can do this.")
ONLY_CHAIR = gettext_lazy("Only the chair of the competent body can do this.")


# --------------------------------------------------------------------------- helpers


def task_page(request, **kwargs):
    """A task's own URL (from the inbox or the queue) opens the page where it is done."""
    process = request.activation.process.coerced
    if isinstance(process, RotationPlan):
        return redirect(selectors.plan_url(process))
    if isinstance(process, Movement):
        return redirect(selectors.movement_url(process))
    raise Http404


def _open_nodes(process) -> set[str]:
    return {
        task.flow_task.name
        for task in process.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED])
    }


def _is_chair(user, obj) -> bool:
    chair = selectors.competent_chair(obj)
    return chair is not None and chair.pk == user.pk


def refused(request, exc: Refused, *, plan=None, movement=None):
    if movement is not None:
        back, label = selectors.movement_url(movement), _("Back to the rotation or transfer")
    elif plan is not None:
        back, label = selectors.plan_url(plan), _("Back to the plan")
    else:
        back, label = reverse("rotation:movement:index"), _("Back to rotations and transfers")
    return core_views.refused(request, exc, back=back, back_label=label)


def _stale(request, obj) -> Refused | None:
    """409 when the page the POST comes from showed another stage than the object's now."""
    shown = request.POST.get("stage")
    if shown is None or shown == obj.stage:
        return None  # a POST without the stage fails as a form (400)
    return Conflict(
        _(
            "This has already been dealt with: it is now “%(stage)s”. Reload the page to see "
            "what changed."
        )
        % {"stage": obj.get_stage_display()}
    )


def _gate_rows(results) -> list[dict]:
    return [
        {
            "code": r["code"],
            "label": gates.LABELS.get(r["code"], r["code"]),
            "passed": r["passed"],
            "waived": r.get("waived", False),
            "message": r["message"],
            "source": r["source"],
        }
        for r in results
    ]


def movement_gates(movement: Movement) -> tuple[list[dict], bool]:
    """The gates shown for a cadre: as they stood at the decision once it is issued, else as
    they stand today; and whether they are the decision's snapshot."""
    if movement.gates:
        return _gate_rows(movement.gates), True
    if movement.stage not in BEFORE_DECISION:
        return [], False
    results = gates.evaluate(movement, on_date=timezone.localdate())
    return _gate_rows([r.snapshot() for r in results]), False


# --------------------------------------------------------------------------- the list


@require_GET
def index(request):
    user = request.user
    page = pages.page_of(request, selectors.plans_for_user(user=user).order_by("-created", "-pk"))
    movements = list(selectors.movements_for_user(user=user).order_by("stage", "-created")[:300])
    can_open = forms.board_units(user).exists()
    return render(
        request,
        "rotation/index.html",
        {
            "page": page,
            "plans": page.object_list,
            "rotations": [m for m in movements if m.kind == Kind.ROTATION],
            "transfers": [m for m in movements if m.kind == Kind.TRANSFER],
            "can_open": can_open,
        },
    )


@require_http_methods(["GET", "POST"])
def plan_open(request):
    user = request.user
    can_open = forms.board_units(user).exists()
    if request.method == "POST" and not can_open:
        return refused(request, Forbidden(ONLY_BOARD))
    form = forms.PlanOpenForm(request.POST if request.method == "POST" else None, user=user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                plan = services.plan_open(
                    actor=user,
                    unit=data["unit"],
                    title=data["title"],
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    note=data["note"],
                )
            except Refused as exc:
                if exc.status != 400:
                    return refused(request, exc)
                form.add_error(None, exc.message)
            else:
                return HttpResponseSeeOther(selectors.plan_url(plan))
    return render(
        request, "rotation/open.html", {"form": form, "can_open": can_open}, status=status
    )


@require_http_methods(["GET", "POST"])
def transfer_propose(request):
    user = request.user
    can_open = forms.board_units(user).exists()
    if request.method == "POST" and not can_open:
        return refused(request, Forbidden(ONLY_BOARD))
    form = forms.TransferForm(request.POST if request.method == "POST" else None, user=user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                movement = services.transfer_propose(
                    actor=user,
                    unit=data["unit"],
                    cadre=data["cadre"],
                    to_position=data["to_position"],
                    reason=data["reason"],
                )
            except Refused as exc:
                if exc.status != 400:
                    return refused(request, exc)
                form.add_error(None, exc.message)
            else:
                return HttpResponseSeeOther(selectors.movement_url(movement))
    return render(
        request, "rotation/transfer.html", {"form": form, "can_open": can_open}, status=status
    )


# --------------------------------------------------------------------------- the plan page

RESULT_WORDS = {
    "approved": gettext_lazy("Carried"),
    "rejected": gettext_lazy("Nobody carried: the vote may be called again"),
}


def _vote_rows(user, plan) -> list[dict]:
    votes = list(plan.votes.select_related("meeting", "ballot").order_by("pk"))
    visible = set(
        core_selectors.meetings_for_user(user=user)
        .filter(pk__in=[v.meeting_id for v in votes])
        .values_list("pk", flat=True)
    )
    names = dict(plan.items.select_related("cadre").values_list("pk", "cadre__full_name"))
    rows = []
    for vote in votes:
        can_see = core.can_see_results(user=user, ballot=vote.ballot)
        outcome = vote.outcome or {}
        rows.append(
            {
                "vote": vote,
                "meeting_visible": vote.meeting_id in visible,
                "can_see": can_see,
                "sealed": vote.ballot.sealed and not can_see,
                "recorded": vote.recorded_at is not None,
                "result": RESULT_WORDS.get(outcome.get("result", ""), ""),
                "carried": [names.get(pk, "?") for pk in outcome.get("carried", [])],
            }
        )
    return rows


def _tied(vote) -> list[tuple[int, str]]:
    ballot = vote.ballot
    labels = {c.pk: str(c) for c in ballot.candidates.select_related("cadre")}
    return [
        (int(pk), labels.get(int(pk), pk))
        for pk, verdict in (ballot.outcome.get("result") or {}).items()
        if verdict == "tied"
    ]


def _awaits_head(vote) -> bool:
    ballot = vote.ballot
    return bool(
        ballot.status == BallotStatus.CLOSED
        and (ballot.outcome or {}).get("needs_head_decision")
        and "head_approves" not in (vote.outcome or {})
    )


def _plan_context(request, plan: RotationPlan, **bound) -> dict:
    user = request.user
    board = core.is_org_board_for(user, plan.unit)
    is_chair = _is_chair(user, plan)
    items = list(
        plan.items.select_related(
            "cadre",
            "cadre__unit",
            "from_position",
            "from_unit",
            "to_position",
            "to_unit",
            "ruleset",
        )
        .prefetch_related("dossier", "cadre__investigations")
        .order_by("pk")
    )
    rows = []
    for item in items:
        gate_rows, at_decision = movement_gates(item)
        rows.append(
            {
                "item": item,
                "gates": gate_rows,
                "at_decision": at_decision,
                "passing": sum(1 for g in gate_rows if g["passed"]),
                "blocked": any(not g["passed"] for g in gate_rows),
            }
        )
    vote = selectors.pending_vote(plan)
    open_nodes = _open_nodes(plan)
    initial = {"stage": plan.stage}
    context = {
        "plan": plan,
        "rows": rows,
        "votes": _vote_rows(user, plan),
        "pending": vote,
        "is_board": board,
        "is_chair": is_chair,
        "awaiting_head": bool(vote and _awaits_head(vote)),
    }
    actions = {}
    if board and plan.stage == PlanStage.DRAFT and "draft" in open_nodes:
        actions["item_form"] = bound.get("item_form") or forms.ItemForm(
            user=user, plan=plan, initial=initial
        )
        actions["submit_form"] = forms.ConfirmPlanForm(initial=initial)
    if board and plan.stage == PlanStage.BALLOT and "ballot" in open_nodes:
        if vote is None:
            actions["call_form"] = bound.get("call_form") or forms.VoteCallForm(
                initial={**initial, "scheduled_at": forms.now_local()}
            )
        elif vote.ballot.status == BallotStatus.CLOSED and not context["awaiting_head"]:
            actions["record_form"] = bound.get("record_form") or forms.VoteRecordForm(
                initial=initial
            )
    if vote is not None and context["awaiting_head"] and vote.meeting.chair_id == user.pk:
        actions["tie_form"] = bound.get("tie_form") or forms.TieForm(
            tied=_tied(vote), initial=initial
        )
    if plan.stage in PLAN_OPEN and (board or is_chair):
        actions["withdraw_form"] = bound.get("withdraw_form") or forms.PlanWithdrawForm(
            initial=initial
        )
    for name, form in bound.items():
        actions.setdefault(name, form)
    context.update(actions)
    context["has_actions"] = bool(actions)
    return context


def _render_plan(request, plan, status: int = 200, **bound):
    return render(
        request, "rotation/plan.html", _plan_context(request, plan, **bound), status=status
    )


def _get_plan(request, plan_id) -> RotationPlan:
    return selectors.plan_get_for_user(user=request.user, pk=plan_id)


@require_GET
@never_cache
def plan_detail(request, plan_id: int):
    return _render_plan(request, _get_plan(request, plan_id))


def _plan_action(request, plan_id, *, check=None, **kwargs):
    plan = _get_plan(request, plan_id)

    def checks(user, p):
        return _stale(request, p) or (check(user, p) if check else None)

    return pages.form_action(
        request,
        plan,
        check=checks,
        render=_render_plan,
        refuse=lambda request, exc: refused(request, exc, plan=plan),
        done=lambda anchor: selectors.plan_url(plan, anchor),
        **kwargs,
    )


def _plan_board(user, plan) -> Refused | None:
    return None if core.is_org_board_for(user, plan.unit) else Forbidden(ONLY_BOARD)


@require_POST
def item_add(request, plan_id: int):
    return _plan_action(
        request,
        plan_id,
        name="item_form",
        form_class=forms.ItemForm,
        check=_plan_board,
        form_kwargs=lambda request, p: {"user": request.user, "plan": p},
        run=lambda user, p, f: services.item_add(
            actor=user,
            plan=p,
            cadre=f.cleaned_data["cadre"],
            to_position=f.cleaned_data["to_position"],
            direction=f.cleaned_data["direction"],
            reason=f.cleaned_data["reason"],
            months=f.cleaned_data["months"],
            expected_after=f.cleaned_data["expected_after"],
        ),
        anchor="items",
    )


@require_POST
def plan_submit(request, plan_id: int):
    return _plan_action(
        request,
        plan_id,
        name="submit_form",
        form_class=forms.ConfirmPlanForm,
        check=_plan_board,
        run=lambda user, p, f: services.plan_submit(actor=user, plan=p),
    )


@require_POST
def vote_call(request, plan_id: int):
    return _plan_action(
        request,
        plan_id,
        name="call_form",
        form_class=forms.VoteCallForm,
        check=_plan_board,
        run=lambda user, p, f: services.vote_call(
            actor=user,
            plan=p,
            scheduled_at=f.cleaned_data["scheduled_at"],
            place=f.cleaned_data["place"],
            mode=f.cleaned_data["mode"],
        ),
        anchor="votes",
    )


@require_POST
def vote_record(request, plan_id: int):
    return _plan_action(
        request,
        plan_id,
        name="record_form",
        form_class=forms.VoteRecordForm,
        check=_plan_board,
        run=lambda user, p, f: services.vote_record(
            actor=user, plan=p, note=f.cleaned_data["note"]
        ),
        anchor="votes",
    )


def _tie_kwargs(request, plan):
    vote = selectors.pending_vote(plan)
    return {"tied": _tied(vote) if vote is not None and vote.ballot.outcome else []}


@require_POST
def tie_decide(request, plan_id: int):
    return _plan_action(
        request,
        plan_id,
        name="tie_form",
        form_class=forms.TieForm,
        form_kwargs=_tie_kwargs,
        run=lambda user, p, f: services.tie_decide(
            actor=user,
            plan=p,
            approve=f.cleaned_data["approve"],
            differing_opinions=f.cleaned_data["differing_opinions"],
        ),
        anchor="votes",
    )


def _plan_board_or_chair(user, plan) -> Refused | None:
    if core.is_org_board_for(user, plan.unit) or _is_chair(user, plan):
        return None
    return Forbidden(_("Only the organisation board or the competent chair can withdraw a plan."))


@require_POST
def plan_withdraw(request, plan_id: int):
    return _plan_action(
        request,
        plan_id,
        name="withdraw_form",
        form_class=forms.PlanWithdrawForm,
        check=_plan_board_or_chair,
        run=lambda user, p, f: services.plan_withdraw(
            actor=user, plan=p, reason=f.cleaned_data["reason"]
        ),
    )


# --------------------------------------------------------------------------- a cadre's page


def _dossier_rows(movement: Movement) -> list[dict]:
    have = {item.kind: item for item in movement.dossier.all()}
    rows = [{"label": kind.label, "item": have.get(kind)} for kind in DossierKind]
    return rows


def _movement_context(request, movement: Movement, **bound) -> dict:
    user = request.user
    details = selectors.sees_details(user=user, movement=movement)
    board = core.is_org_board_for(user, movement.unit)
    is_chair = _is_chair(user, movement)
    open_nodes = _open_nodes(movement)
    stage = movement.stage
    initial = {"stage": stage}
    gate_rows, at_decision = movement_gates(movement) if details else ([], False)
    context = {
        "movement": movement,
        "details": details,
        "plan_visible": movement.plan_id is not None
        and selectors.plans_for_user(user=user).filter(pk=movement.plan_id).exists(),
        "gates": gate_rows,
        "gates_at_decision": at_decision,
        "is_board": board,
        "is_chair": is_chair,
        "next_report": selectors.next_report(movement) if stage == Stage.IN_ROTATION else None,
        "report_every": selectors.REPORT_EVERY_MONTHS,
        "finished": stage in FINISHED,
        "closed": stage in (Stage.WITHDRAWN, Stage.NOT_CARRIED),
    }
    if details:
        context.update(
            {
                "conversations": list(movement.conversations.select_related("recorded_by")),
                "consultations": list(movement.consultations.select_related("recorded_by")),
                "dossier": _dossier_rows(movement),
                "reports": list(movement.reports.select_related("recorded_by")),
            }
        )
    if movement.cadre.user_id == user.pk:  # nobody acts on their own move
        board = is_chair = False
    actions = {}
    before = stage in BEFORE_DECISION
    if board and before:
        actions["conversation_form"] = bound.get("conversation_form") or forms.ConversationForm(
            initial={**initial, "held_on": forms.today()}
        )
        actions["consultation_form"] = bound.get("consultation_form") or forms.ConsultationForm(
            initial={**initial, "consulted_on": forms.today()}
        )
        if movement.kind == Kind.ROTATION:
            actions["dossier_form"] = bound.get("dossier_form") or forms.DossierForm(
                initial={**initial, "dated": forms.today()}
            )
        ready = movement.kind == Kind.TRANSFER or stage == Stage.APPROVED
        if "prepare" in open_nodes and stage != Stage.SUBMITTED and ready:
            actions["submit_form"] = forms.ConfirmForm(initial=initial)
    if (
        is_chair
        and before
        and movement.kind == Kind.ROTATION
        and any(g["code"] == gates.DURATION and not g["passed"] for g in gate_rows)
    ):
        actions["exception_form"] = bound.get("exception_form") or forms.ExceptionForm(
            initial=initial
        )
    if is_chair and stage == Stage.SUBMITTED and "decide" in open_nodes:
        actions["decide_form"] = bound.get("decide_form") or forms.DecideForm(
            initial={**initial, "decision_date": forms.today(), "starts_on": forms.today()}
        )
    own = movement.cadre.user_id == user.pk
    if stage == Stage.DECIDED and not own and core.is_org_board_for(user, movement.from_unit):
        actions["handover_form"] = bound.get("handover_form") or forms.HandOverForm(
            initial={**initial, "handed_over_on": forms.today()}
        )
    if (
        stage == Stage.HANDED_OVER
        and not own
        and services.may_receive(user, movement)
        and user.pk != movement.handed_over_by_id
    ):
        actions["receive_form"] = bound.get("receive_form") or forms.ReceiveForm(
            initial={**initial, "received_on": forms.today()}
        )
    if stage == Stage.IN_ROTATION and not own and core.is_org_board_for(user, movement.to_unit):
        actions["report_form"] = bound.get("report_form") or forms.ReportForm(
            initial={**initial, "reported_on": forms.today()}
        )
    if stage == Stage.IN_ROTATION and board:
        actions["review_form"] = bound.get("review_form") or forms.ReviewForm(
            initial={**initial, "reviewed_on": forms.today()}
        )
    if is_chair and stage == Stage.REVIEWED and user.pk != movement.reviewed_by_id:
        actions["place_form"] = bound.get("place_form") or forms.PlacementForm(
            movement=movement,
            initial={
                **initial,
                "placement": movement.proposed_placement,
                "effective_on": forms.today(),
            },
        )
    if before and (board or is_chair):
        actions["withdraw_form"] = bound.get("withdraw_form") or forms.MovementWithdrawForm(
            initial=initial
        )
    for name, form in bound.items():
        actions.setdefault(name, form)
    context.update(actions)
    context["has_actions"] = bool(actions)
    return context


def _render_movement(request, movement, status: int = 200, **bound):
    return render(
        request,
        "rotation/movement.html",
        _movement_context(request, movement, **bound),
        status=status,
    )


def _get_movement(request, movement_id) -> Movement:
    return selectors.movement_get_for_user(user=request.user, pk=movement_id)


@require_GET
@never_cache
def movement_detail(request, movement_id: int):
    return _render_movement(request, _get_movement(request, movement_id))


def _action(request, movement_id, *, anchor: str = "timeline", **kwargs):
    """One POST on a movement (``workflows.core.pages.form_action``), refused with 409 when
    the page was stale."""
    movement = _get_movement(request, movement_id)
    return pages.form_action(
        request,
        movement,
        check=lambda user, m: _stale(request, m),
        render=_render_movement,
        refuse=lambda request, exc: refused(request, exc, movement=movement),
        done=lambda anchor: selectors.movement_url(movement, anchor),
        anchor=anchor,
        **kwargs,
    )


@require_POST
def conversation(request, movement_id: int):
    return _action(
        request,
        movement_id,
        name="conversation_form",
        form_class=forms.ConversationForm,
        run=lambda user, m, f: services.conversation_record(
            actor=user,
            movement=m,
            held_on=f.cleaned_data["held_on"],
            cadre_view=f.cleaned_data["cadre_view"],
            objection=f.cleaned_data["objection"],
        ),
        anchor="conversation",
    )


@require_POST
def consultation(request, movement_id: int):
    return _action(
        request,
        movement_id,
        name="consultation_form",
        form_class=forms.ConsultationForm,
        run=lambda user, m, f: services.consultation_record(
            actor=user,
            movement=m,
            side=f.cleaned_data["side"],
            consulted_on=f.cleaned_data["consulted_on"],
            body=f.cleaned_data["body"],
            opinion=f.cleaned_data["opinion"],
            remarks=f.cleaned_data["remarks"],
        ),
        anchor="consultations",
    )


@require_POST
def dossier(request, movement_id: int):
    return _action(
        request,
        movement_id,
        name="dossier_form",
        form_class=forms.DossierForm,
        run=lambda user, m, f: services.dossier_record(
            actor=user,
            movement=m,
            kind=f.cleaned_data["kind"],
            dated=f.cleaned_data["dated"],
            reference=f.cleaned_data["reference"],
            note=f.cleaned_data["note"],
        ),
        anchor="dossier",
    )


@require_POST
def exception(request, movement_id: int):
    return _action(
        request,
        movement_id,
        name="exception_form",
        form_class=forms.ExceptionForm,
        run=lambda user, m, f: services.duration_exception_record(
            actor=user, movement=m, reason=f.cleaned_data["reason"]
        ),
        anchor="gates",
    )


@require_POST
def submit(request, movement_id: int):
    return _action(
        request,
        movement_id,
        name="submit_form",
        form_class=forms.ConfirmForm,
        run=lambda user, m, f: services.movement_submit(actor=user, movement=m),
    )


@require_POST
def decide(request, movement_id: int):
    return _action(
        request,
        movement_id,
        name="decide_form",
        form_class=forms.DecideForm,
        run=lambda user, m, f: services.movement_decide(
            actor=user,
            movement=m,
            decision_number=f.cleaned_data["decision_number"],
            decision_date=f.cleaned_data["decision_date"],
            starts_on=f.cleaned_data["starts_on"],
        ),
    )


@require_POST
def hand_over(request, movement_id: int):
    return _action(
        request,
        movement_id,
        name="handover_form",
        form_class=forms.HandOverForm,
        run=lambda user, m, f: services.movement_hand_over(
            actor=user,
            movement=m,
            handed_over_on=f.cleaned_data["handed_over_on"],
            note=f.cleaned_data["note"],
        ),
    )


@require_POST
def receive(request, movement_id: int):
    return _action(
        request,
        movement_id,
        name="receive_form",
        form_class=forms.ReceiveForm,
        run=lambda user, m, f: services.movement_receive(
            actor=user,
            movement=m,
            received_on=f.cleaned_data["received_on"],
            note=f.cleaned_data["note"],
        ),
    )


@require_POST
def report(request, movement_id: int):
    return _action(
        request,
        movement_id,
        name="report_form",
        form_class=forms.ReportForm,
        run=lambda user, m, f: services.report_record(
            actor=user,
            movement=m,
            reported_on=f.cleaned_data["reported_on"],
            text=f.cleaned_data["text"],
        ),
        anchor="reports",
    )


@require_POST
def review(request, movement_id: int):
    return _action(
        request,
        movement_id,
        name="review_form",
        form_class=forms.ReviewForm,
        run=lambda user, m, f: services.review_record(
            actor=user,
            movement=m,
            reviewed_on=f.cleaned_data["reviewed_on"],
            review=f.cleaned_data["review"],
            proposed_placement=f.cleaned_data["proposed_placement"],
        ),
        anchor="review",
    )


@require_POST
def place(request, movement_id: int):
    def run(user, movement, form):
        data = form.cleaned_data
        services.placement_decide(
            actor=user,
            movement=movement,
            placement=data["placement"],
            position=data["position"],
            effective_on=data["effective_on"],
            decision_number=data["decision_number"],
        )

    return _action(
        request,
        movement_id,
        name="place_form",
        form_class=forms.PlacementForm,
        form_kwargs=lambda request, m: {"movement": m},
        run=run,
        anchor="review",
    )


@require_POST
def withdraw(request, movement_id: int):
    return _action(
        request,
        movement_id,
        name="withdraw_form",
        form_class=forms.MovementWithdrawForm,
        run=lambda user, m, f: services.movement_withdraw(
            actor=user, movement=m, reason=f.cleaned_data["reason"]
        ),
    )
