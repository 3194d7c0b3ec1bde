"""Pages of training dispatch: the plans, a plan (courses × units with their seats, the
candidates with their gates and priority flags, the forms of what the user may do now), the
dispatches (commitment, decision, enrolment, outcome) and the commitment breaches. Views parse
input, call one service or selector, render — built like the planning pages.

Scope: every page answers 404 outside ``selectors.*_get_for_user``. Who may act: the pages
mirror the services' checks only to decide which forms to show; every POST goes to the service
(403 from its ``Forbidden``, 409 from its ``Conflict``, 400 on the form from its ``Invalid``)
through ``workflows.core.pages.form_action``.

Stale pages: each form carries the state its page showed (``state``); a POST whose state is no
longer the object's is refused with 409 "already dealt with" before anything else is read (as
on the evaluation pages). The services refuse wrong states under the lock as well.
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
from workflows.core import views as core_views
from workflows.core.errors import Conflict, Forbidden, Refused
from workflows.core.services import is_org_board_for
from workflows.planning.forms import board_units

from . import forms, selectors, services
from .gates import LABELS, minimum_commitment
from .models import (
    RUNNING,
    BreachState,
    CandidateStatus,
    CommitmentBreach,
    Dispatch,
    DispatchState,
    PlanStage,
    TrainingPlan,
)

ONLY_BOARD = gettext_lazy("Only the organisation board of this unit can do this.")
ONLY_CHAIR = gettext_lazy("Only the chair of the competent body can do this.")
NOT_OWN = gettext_lazy("Nobody records a decision on their own training.")


# --------------------------------------------------------------------------- helpers


def task_page(request, **kwargs):
    """A task's own URL (from the inbox or the queue) opens the page where it is done."""
    process = request.activation.process.coerced
    if isinstance(process, TrainingPlan):
        return redirect(selectors.plan_url(process))
    if isinstance(process, Dispatch):
        return redirect(selectors.dispatch_url(process))
    if isinstance(process, CommitmentBreach):
        return redirect(selectors.breach_url(process))
    raise Http404


def refused(request, exc: Refused, *, back: str = "", label: str = ""):
    return core_views.refused(
        request,
        exc,
        back=back or reverse("training:plan:index"),
        back_label=label or _("Back to the training plans"),
    )


def _open_nodes(process) -> set[str]:
    return {
        task.flow_task.name
        for task in process.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED])
    }


def _stale(request, current: str, display: str) -> Refused | None:
    """409 when the page the POST comes from showed another state than the object's now."""
    shown = request.POST.get("state")
    if shown is None or shown == current:
        return None  # a POST without the state fails as a form (400)
    return Conflict(
        _(
            "This has already been dealt with: it is now “%(state)s”. Reload the page to see what "
            "changed."
        )
        % {"state": display}
    )


def _is(user, other) -> bool:
    return other is not None and other.pk == user.pk


def _gates(snapshot) -> list[dict]:
    return [
        {**gate, "label": LABELS.get(gate.get("code", ""), gate.get("code", ""))}
        for gate in snapshot or []
    ]


# --------------------------------------------------------------------------- list, open


@require_GET
def plan_list(request):
    user = request.user
    page = pages.page_of(
        request, selectors.plans_for_user(user=user).order_by("-year", "-created", "-pk")
    )
    can_open = board_units(user).exists()
    return render(
        request,
        "training/list.html",
        {
            "page": page,
            "plans": page.object_list,
            "mine": list(selectors.own_dispatches(user=user)[:50]),
            "can_open": can_open,
            "open_form": forms.OpenForm(user=user) if can_open else None,
            "open_breaches": selectors.open_breaches_for_user(user=user).count(),
        },
    )


@require_http_methods(["GET", "POST"])
def plan_open(request):
    user = request.user
    can_open = board_units(user).exists()
    if request.method == "POST" and not can_open:
        return refused(
            request,
            Forbidden(_("Only the organisation board of this unit can open a training plan.")),
        )
    form = forms.OpenForm(request.POST if request.method == "POST" else None, user=user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                plan = services.plan_open(
                    actor=user, unit=data["unit"], year=data["year"], note=data["note"]
                )
            except Refused as exc:
                if exc.status != 400:
                    return refused(request, exc)
                form.add_error(None, exc.message)
            else:
                return pages.HttpResponseSeeOther(selectors.plan_url(plan))
    return render(
        request, "training/open.html", {"form": form, "can_open": can_open}, status=status
    )


# --------------------------------------------------------------------------- the plan page


def _is_chair(user, plan) -> bool:
    return _is(user, selectors.competent_chair(plan))


def _candidate_rows(plan, *, can_withdraw: bool, withdraw_form=None) -> list[dict]:
    """Per course: its quotas with the seats taken, and its candidates with their gates and
    priority flags, women and young cadres first."""
    today = timezone.localdate()
    quotas = selectors.quota_rows(plan)
    courses = []
    candidates = (
        plan.candidates.select_related("cadre", "cadre__unit", "quota__unit", "course")
        .prefetch_related("dispatch")
        .order_by("pk")
    )
    by_course: dict[int, list] = {}
    for candidate in candidates:
        gates = _gates(candidate.gates)
        row = {
            "candidate": candidate,
            "gates": gates,
            "passing": sum(1 for g in gates if g.get("passed")),
            # a proposal taken off the list (or decided) no longer blocks anything
            "blocked": candidate.status == CandidateStatus.PROPOSED
            and any(g.get("blocking") for g in gates),
            "waived": any(g.get("waived") for g in gates),
            "priority": selectors.priority(
                candidate.cadre, plan.ruleset, candidate.quota.unit, today
            ),
            "dispatch": getattr(candidate, "dispatch", None)
            if candidate.status == CandidateStatus.APPROVED
            else None,
        }
        if can_withdraw and candidate.status == CandidateStatus.PROPOSED:
            bound = withdraw_form is not None and withdraw_form.data.get("candidate") == str(
                candidate.pk
            )
            row["withdraw_form"] = (
                withdraw_form
                if bound
                else forms.CandidateWithdrawForm(
                    initial={"candidate": candidate.pk, "state": plan.stage},
                    auto_id=f"id_unpropose_{candidate.pk}_%s",
                )
            )
        by_course.setdefault(candidate.course_id, []).append(row)
    for course in plan.courses.order_by("kind", "level", "title"):
        rows = by_course.get(course.pk, [])
        seated = [
            r
            for r in rows
            if r["candidate"].status in (CandidateStatus.PROPOSED, CandidateStatus.APPROVED)
        ]
        others = [r for r in rows if r not in seated]
        courses.append(
            {
                "course": course,
                "quotas": quotas.get(course.pk, []),
                "seats": sum(q.quota.seats for q in quotas.get(course.pk, [])),
                "taken": sum(q.taken for q in quotas.get(course.pk, [])),
                "candidates": selectors.by_priority(seated) + others,
            }
        )
    return courses


def _plan_context(request, plan: TrainingPlan, **bound) -> dict:
    user = request.user
    board = is_org_board_for(user, plan.unit)
    is_chair = _is_chair(user, plan)
    open_nodes = _open_nodes(plan)
    draft = plan.stage == PlanStage.DRAFT and "prepare" in open_nodes
    shown = {"state": plan.stage}
    courses = _candidate_rows(
        plan,
        can_withdraw=board and draft,
        withdraw_form=bound.get("withdraw_candidate_form"),
    )
    actions = {}

    def offer(name, factory):
        actions[name] = bound.get(name) or factory()

    if board and draft:
        offer("course_form", lambda: forms.CourseForm(initial=shown))
        if courses:
            offer("quota_form", lambda: forms.QuotaForm(plan=plan, initial=shown))
            offer("propose_form", lambda: forms.ProposeForm(user=user, plan=plan, initial=shown))
        if plan.candidates.filter(status=CandidateStatus.PROPOSED).exists():
            offer("submit_form", lambda: forms.ConfirmForm(initial=shown))
    conflicted = None
    if is_chair and "approve" in open_nodes and plan.stage == PlanStage.SUBMITTED:
        if plan.submitted_by_id == user.pk:
            conflicted = _("You submitted this list: another member decides it.")
        elif plan.candidates.filter(status=CandidateStatus.PROPOSED, cadre__user=user).exists():
            conflicted = _("You are on this list: nobody approves their own training.")
        else:
            offer("decide_form", lambda: forms.DecideForm(plan=plan, initial=shown))
    if plan.stage in RUNNING and (board or is_chair):
        offer("withdraw_form", lambda: forms.WithdrawForm(initial=shown))
    for name, form in bound.items():  # a form sent back with its errors stays on the page
        if name != "withdraw_candidate_form":
            actions.setdefault(name, form)
    return {
        "plan": plan,
        "is_board": board,
        "is_chair": is_chair,
        "courses": courses,
        "conflicted": conflicted,
        "has_actions": bool(actions),
        "dispatches": list(
            plan.dispatches.select_related("cadre", "course").order_by("course__title", "pk")
        ),
        **actions,
    }


def _render_plan(request, plan, status: int = 200, **bound):
    return render(
        request, "training/plan.html", _plan_context(request, plan, **bound), status=status
    )


def _get_plan(request, plan_id) -> TrainingPlan:
    return selectors.plan_get_for_user(user=request.user, pk=plan_id)


@require_GET
@never_cache
def plan_detail(request, plan_id: int):
    return _render_plan(request, _get_plan(request, plan_id))


def _board_check(request, plan):
    return _stale(request, plan.stage, plan.get_stage_display()) or (
        None if is_org_board_for(request.user, plan.unit) else Forbidden(ONLY_BOARD)
    )


def _plan_action(request, plan_id, *, check=None, anchor="", **kwargs):
    plan = _get_plan(request, plan_id)
    return pages.form_action(
        request,
        plan,
        check=check or (lambda user, p: _board_check(request, p)),
        render=_render_plan,
        refuse=lambda request, exc: refused(
            request, exc, back=selectors.plan_url(plan), label=_("Back to the plan")
        ),
        done=lambda a: selectors.plan_url(plan, a),
        anchor=anchor,
        **kwargs,
    )


@require_POST
def course_add(request, plan_id: int):
    def run(user, plan, form):
        kind, level = form.kind_and_level
        services.course_add(
            actor=user,
            plan=plan,
            kind=kind,
            level=level,
            title=form.cleaned_data["title"],
            institution=form.cleaned_data["institution"],
            months=form.cleaned_data["months"],
        )

    return _plan_action(
        request,
        plan_id,
        name="course_form",
        form_class=forms.CourseForm,
        run=run,
        anchor="courses",
    )


@require_POST
def quota_set(request, plan_id: int):
    return _plan_action(
        request,
        plan_id,
        name="quota_form",
        form_class=forms.QuotaForm,
        form_kwargs=lambda request, p: {"plan": p},
        run=lambda user, p, f: services.quota_set(
            actor=user,
            plan=p,
            course=f.cleaned_data["course"],
            unit=f.cleaned_data["unit"],
            seats=f.cleaned_data["seats"],
        ),
        anchor="courses",
    )


@require_POST
def candidate_propose(request, plan_id: int):
    return _plan_action(
        request,
        plan_id,
        name="propose_form",
        form_class=forms.ProposeForm,
        form_kwargs=lambda request, p: {"user": request.user, "plan": p},
        run=lambda user, p, f: services.candidate_propose(
            actor=user,
            plan=p,
            course=f.cleaned_data["course"],
            cadre=f.cleaned_data["cadre"],
            off_plan_reason=f.cleaned_data["off_plan_reason"],
        ),
        anchor="courses",
    )


@require_POST
def candidate_withdraw(request, plan_id: int):
    def run(user, plan, form):
        candidate = plan.candidates.filter(pk=form.cleaned_data["candidate"]).first()
        if candidate is None:
            raise Conflict(_("This proposal is no longer on the list: reload the page."))
        services.candidate_withdraw(
            actor=user, plan=plan, candidate=candidate, reason=form.cleaned_data["reason"]
        )

    return _plan_action(
        request,
        plan_id,
        name="withdraw_candidate_form",
        form_class=forms.CandidateWithdrawForm,
        run=run,
        anchor="courses",
    )


@require_POST
def plan_submit(request, plan_id: int):
    return _plan_action(
        request,
        plan_id,
        name="submit_form",
        form_class=forms.ConfirmForm,
        run=lambda user, p, f: services.plan_submit(actor=user, plan=p),
    )


@require_POST
def plan_decide(request, plan_id: int):
    def check(user, plan):
        return _stale(request, plan.stage, plan.get_stage_display()) or (
            None if _is_chair(user, plan) else Forbidden(ONLY_CHAIR)
        )

    return _plan_action(
        request,
        plan_id,
        check=check,
        name="decide_form",
        form_class=forms.DecideForm,
        form_kwargs=lambda request, p: {"plan": p},
        run=lambda user, p, f: services.plan_decide(
            actor=user,
            plan=p,
            approve=f.approve,
            decision_ref=f.cleaned_data["decision_ref"],
            exclude=f.cleaned_data["exclude"],
            note=f.cleaned_data["note"],
        ),
    )


@require_POST
def plan_withdraw(request, plan_id: int):
    def check(user, plan):
        stale = _stale(request, plan.stage, plan.get_stage_display())
        if stale is not None:
            return stale
        if is_org_board_for(user, plan.unit) or _is_chair(user, plan):
            return None
        return Forbidden(
            _("Only the organisation board or the competent chair can withdraw a plan.")
        )

    return _plan_action(
        request,
        plan_id,
        check=check,
        name="withdraw_form",
        form_class=forms.WithdrawForm,
        run=lambda user, p, f: services.plan_withdraw(
            actor=user, plan=p, reason=f.cleaned_data["reason"]
        ),
    )


# --------------------------------------------------------------------------- dispatches


@require_GET
def dispatch_list(request):
    user = request.user
    dispatches = list(
        selectors.dispatches_for_user(user=user).order_by("state", "course__title", "pk")[:500]
    )
    return render(request, "training/dispatches.html", {"dispatches": dispatches})


def _get_dispatch(request, dispatch_id) -> Dispatch:
    return selectors.dispatch_get_for_user(user=request.user, pk=dispatch_id)


def _dispatch_context(request, dispatch: Dispatch, **bound) -> dict:
    user = request.user
    plan = dispatch.plan
    board = is_org_board_for(user, plan.unit)
    own = _is(user, dispatch.cadre.user) if dispatch.cadre.user_id else False
    acts = board and not own
    open_nodes = _open_nodes(dispatch)
    shown = {"state": dispatch.state}
    course = dispatch.course
    commitment = getattr(dispatch, "commitment", None)
    need = multiple = None
    if course.is_postgraduate:
        need, multiple = minimum_commitment(course, plan.ruleset)
    actions = {}

    def offer(name, factory):
        actions[name] = bound.get(name) or factory()

    if acts and dispatch.state == DispatchState.AWAITING and "decide" in open_nodes:
        if course.is_postgraduate:
            initial = {**shown, "months": need, "signed_on": timezone.localdate()}
            if commitment is not None:
                initial |= {
                    "months": commitment.months,
                    "signed_on": commitment.signed_on,
                    "reference": commitment.reference,
                }
            offer("commitment_form", lambda: forms.CommitmentForm(initial=initial))
        offer(
            "decide_form",
            lambda: forms.DispatchDecideForm(initial={**shown, "decided_on": timezone.localdate()}),
        )
    if acts and dispatch.state == DispatchState.DISPATCHED and "enrol" in open_nodes:
        offer(
            "enrol_form",
            lambda: forms.EnrolForm(
                initial={
                    **shown,
                    "institution": course.institution,
                    "starts_on": timezone.localdate(),
                }
            ),
        )
    if acts and dispatch.state == DispatchState.ENROLLED and "complete" in open_nodes:
        offer(
            "complete_form",
            lambda: forms.CompleteForm(initial={**shown, "ended_on": timezone.localdate()}),
        )
        offer(
            "not_completed_form",
            lambda: forms.NotCompletedForm(initial={**shown, "ended_on": timezone.localdate()}),
        )
    if acts and dispatch.state in (DispatchState.AWAITING, DispatchState.DISPATCHED):
        offer("withdraw_form", lambda: forms.DispatchWithdrawForm(initial=shown))
    for name, form in bound.items():
        actions.setdefault(name, form)
    gates = _gates(dispatch.candidate.gates)
    breaches = []
    if commitment is not None:
        breaches = list(
            selectors.breaches_for_user(user=user)
            .filter(commitment=commitment)
            .order_by("-created")
        )
    return {
        "dispatch": dispatch,
        "plan": plan,
        "course": course,
        "candidate": dispatch.candidate,
        "gates": gates,
        "gates_passing": sum(1 for g in gates if g.get("passed")),
        "gates_blocked": any(g.get("blocking") for g in gates),
        "commitment": commitment,
        "need": need,
        "multiple": multiple,
        "own": own,
        "is_board": board,
        "breaches": breaches,
        "can_see_plan": selectors.plans_for_user(user=user).filter(pk=plan.pk).exists(),
        "has_actions": bool(actions),
        **actions,
    }


def _render_dispatch(request, dispatch, status: int = 200, **bound):
    return render(
        request,
        "training/dispatch.html",
        _dispatch_context(request, dispatch, **bound),
        status=status,
    )


@require_GET
@never_cache
def dispatch_detail(request, dispatch_id: int):
    return _render_dispatch(request, _get_dispatch(request, dispatch_id))


def _dispatch_action(request, dispatch_id, **kwargs):
    dispatch = _get_dispatch(request, dispatch_id)

    def check(user, d):
        stale = _stale(request, d.state, d.get_state_display())
        if stale is not None:
            return stale
        if not is_org_board_for(user, d.plan.unit):
            return Forbidden(ONLY_BOARD)
        if d.cadre.user_id == user.pk:
            return Forbidden(NOT_OWN)
        return None

    return pages.form_action(
        request,
        dispatch,
        check=check,
        render=_render_dispatch,
        refuse=lambda request, exc: refused(
            request, exc, back=selectors.dispatch_url(dispatch), label=_("Back to the dispatch")
        ),
        done=lambda a: selectors.dispatch_url(dispatch, a),
        **kwargs,
    )


@require_POST
def commitment_record(request, dispatch_id: int):
    return _dispatch_action(
        request,
        dispatch_id,
        name="commitment_form",
        form_class=forms.CommitmentForm,
        run=lambda user, d, f: services.commitment_record(
            actor=user,
            dispatch=d,
            signed_on=f.cleaned_data["signed_on"],
            months=f.cleaned_data["months"],
            reference=f.cleaned_data["reference"],
        ),
        anchor="commitment",
    )


@require_POST
def dispatch_decide(request, dispatch_id: int):
    return _dispatch_action(
        request,
        dispatch_id,
        name="decide_form",
        form_class=forms.DispatchDecideForm,
        run=lambda user, d, f: services.dispatch_decide(
            actor=user,
            dispatch=d,
            decision_ref=f.cleaned_data["decision_ref"],
            decided_on=f.cleaned_data["decided_on"],
            signed_by=f.cleaned_data["signed_by"],
        ),
    )


@require_POST
def dispatch_enrol(request, dispatch_id: int):
    return _dispatch_action(
        request,
        dispatch_id,
        name="enrol_form",
        form_class=forms.EnrolForm,
        run=lambda user, d, f: services.dispatch_enrol(
            actor=user,
            dispatch=d,
            institution=f.cleaned_data["institution"],
            starts_on=f.cleaned_data["starts_on"],
            expected_end_on=f.cleaned_data["expected_end_on"],
        ),
    )


@require_POST
def dispatch_complete(request, dispatch_id: int):
    return _dispatch_action(
        request,
        dispatch_id,
        name="complete_form",
        form_class=forms.CompleteForm,
        run=lambda user, d, f: services.dispatch_complete(
            actor=user,
            dispatch=d,
            ended_on=f.cleaned_data["ended_on"],
            result=f.cleaned_data["result"],
        ),
    )


@require_POST
def dispatch_not_completed(request, dispatch_id: int):
    return _dispatch_action(
        request,
        dispatch_id,
        name="not_completed_form",
        form_class=forms.NotCompletedForm,
        run=lambda user, d, f: services.dispatch_not_completed(
            actor=user,
            dispatch=d,
            outcome=f.cleaned_data["outcome"],
            ended_on=f.cleaned_data["ended_on"],
            reason=f.cleaned_data["reason"],
        ),
    )


@require_POST
def dispatch_withdraw(request, dispatch_id: int):
    return _dispatch_action(
        request,
        dispatch_id,
        name="withdraw_form",
        form_class=forms.DispatchWithdrawForm,
        run=lambda user, d, f: services.dispatch_withdraw(
            actor=user, dispatch=d, reason=f.cleaned_data["reason"]
        ),
    )


# --------------------------------------------------------------------------- breaches


@require_GET
@never_cache
def breach_list(request):
    breaches = list(
        selectors.breaches_for_user(user=request.user).order_by("state", "-created")[:200]
    )
    return render(request, "training/breaches.html", {"breaches": breaches})


def _get_breach(request, breach_id) -> CommitmentBreach:
    return selectors.breach_get_for_user(user=request.user, pk=breach_id)


def _breach_context(request, breach: CommitmentBreach, **bound) -> dict:
    user = request.user
    dispatch = breach.commitment.dispatch
    board = is_org_board_for(user, dispatch.plan.unit)
    own = breach.cadre.user_id == user.pk
    shown = {"state": breach.state}
    actions = {}
    if board and not own and breach.state == BreachState.OPEN and "review" in _open_nodes(breach):
        actions["decide_form"] = bound.get("decide_form") or forms.BreachDecideForm(initial=shown)
        actions["dismiss_form"] = bound.get("dismiss_form") or forms.BreachDismissForm(
            initial=shown
        )
    for name, form in bound.items():
        actions.setdefault(name, form)
    return {
        "breach": breach,
        "commitment": breach.commitment,
        "dispatch": dispatch,
        "own": own and board,
        "can_see_dispatch": selectors.dispatches_for_user(user=user)
        .filter(pk=dispatch.pk)
        .exists(),
        "has_actions": bool(actions),
        **actions,
    }


def _render_breach(request, breach, status: int = 200, **bound):
    return render(
        request, "training/breach.html", _breach_context(request, breach, **bound), status=status
    )


@require_GET
@never_cache
def breach_detail(request, breach_id: int):
    return _render_breach(request, _get_breach(request, breach_id))


def _breach_action(request, breach_id, **kwargs):
    breach = _get_breach(request, breach_id)

    def check(user, b):
        stale = _stale(request, b.state, b.get_state_display())
        if stale is not None:
            return stale
        if not is_org_board_for(user, b.commitment.dispatch.plan.unit):
            return Forbidden(ONLY_BOARD)
        if b.cadre.user_id == user.pk:
            return Forbidden(NOT_OWN)
        return None

    return pages.form_action(
        request,
        breach,
        check=check,
        render=_render_breach,
        refuse=lambda request, exc: refused(
            request, exc, back=selectors.breach_url(breach), label=_("Back to the breach")
        ),
        done=lambda a: selectors.breach_url(breach),
        **kwargs,
    )


@require_POST
def breach_decide(request, breach_id: int):
    return _breach_action(
        request,
        breach_id,
        name="decide_form",
        form_class=forms.BreachDecideForm,
        run=lambda user, b, f: services.breach_decide(
            actor=user, breach=b, decision=f.cleaned_data["decision"], note=f.cleaned_data["note"]
        ),
    )


@require_POST
def breach_dismiss(request, breach_id: int):
    return _breach_action(
        request,
        breach_id,
        name="dismiss_form",
        form_class=forms.BreachDismissForm,
        run=lambda user, b, f: services.breach_dismiss(
            actor=user, breach=b, reason=f.cleaned_data["reason"]
        ),
    )
