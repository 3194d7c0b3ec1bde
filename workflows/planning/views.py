"""Pages of the planning review and of removals from the plan. Views parse input, call one
service or selector, render — built like the appointment pages (``workflows.appointment.
views``).

Every page answers 404 outside the user's scope (``selectors.review_get_for_user``,
``selectors.removal_get_for_user``). Refusals from the services become a page with their
status and message: 403 (not yours to do), 409 (the state moved on: someone else acted
first); 400 re-renders the page with the form as it was sent and the reason on it. Successful
POSTs answer 303 See Other.

Secrecy: a step's outcome and its results are shown only where
``workflows.core.services.can_see_results`` allows; otherwise a sealed ballot reads "sealed".
The proposed cadres' gates are for the organisation board and the competent body.
"""

from __future__ import annotations

from django.db.models import Case, IntegerField, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from viewflow.workflow.status import STATUS

from personnel.models import Cadre
from workflows.core import pages
from workflows.core import selectors as core_selectors
from workflows.core import services as core
from workflows.core import views as core_views
from workflows.core.errors import Conflict, Forbidden, Invalid, Refused
from workflows.core.models import BallotStatus
from workflows.core.pages import HttpResponseSeeOther

from . import forms, selectors, services
from .gates import LABELS
from .models import (
    RUNNING,
    CandidateStatus,
    PlanningReview,
    RemovalProposal,
    RemovalReason,
    RemovalStatus,
    ReviewStep,
    StepCode,
)

# --------------------------------------------------------------------------- helpers


def task_page(request, **kwargs):
    """A task's own URL (from the inbox or the queue) opens the page where the task is done:
    the review's page, or the removal's page."""
    process = request.activation.process.coerced
    if isinstance(process, PlanningReview):
        return redirect(selectors.review_url(process))
    if isinstance(process, RemovalProposal):
        return redirect(removal_url(process))
    raise Http404


def _url(review, anchor: str = "") -> str:
    url = reverse("planning:review:detail", kwargs={"review_id": review.pk})
    return f"{url}#{anchor}" if anchor else url


def removal_url(removal) -> str:
    """A removal's own page: where its task is done (confirm or dismiss)."""
    return reverse("planning:removal:detail", kwargs={"removal_id": removal.pk})


def refused(request, exc: Refused, *, review=None, back: str = ""):
    """The refusal page (403/409, or 400 outside a form) with its message and a way back."""
    if review is not None:
        back, label = _url(review), _("Back to the review")
    elif back:
        label = _("Back to the removals")
    else:
        back, label = reverse("planning:review:index"), _("Back to the reviews")
    return core_views.refused(request, exc, back=back, back_label=label)


ONLY_BOARD = gettext_lazy("Only the organisation board of this unit can do this.")
ONLY_CHAIR = gettext_lazy("Only the chair of the competent body can do this.")


def _is_chair(user, review) -> bool:
    chair = selectors.competent_chair(review)
    return chair is not None and chair.pk == user.pk


def _board_refusal(user, review) -> Refused | None:
    return None if core.is_org_board_for(user, review.unit) else Forbidden(ONLY_BOARD)


def _chair_refusal(user, review) -> Refused | None:
    return None if _is_chair(user, review) else Forbidden(ONLY_CHAIR)


def _board_or_chair(user, review) -> Refused | None:
    if core.is_org_board_for(user, review.unit) or _is_chair(user, review):
        return None
    return Forbidden(_("Only the organisation board or the competent chair can withdraw a review."))


def _get(request, review_id) -> PlanningReview:
    return selectors.review_get_for_user(user=request.user, pk=review_id)


# --------------------------------------------------------------------------- list, open


@require_GET
def review_list(request):
    user = request.user
    page = pages.page_of(request, selectors.reviews_for_user(user=user).order_by("-created", "-pk"))
    can_open = forms.board_units(user).exists()
    return render(
        request,
        "planning/list.html",
        {
            "page": page,
            "reviews": page.object_list,
            "can_open": can_open,
            "open_form": forms.OpenForm(user=user) if can_open else None,
            "open_removals": selectors.removals_for_user(user=user)
            .filter(state=RemovalStatus.OPEN)
            .count(),
        },
    )


@require_http_methods(["GET", "POST"])
def review_open(request):
    user = request.user
    can_open = forms.board_units(user).exists()
    if request.method == "POST" and not can_open:
        return refused(
            request,
            Forbidden(_("Only the organisation board of this unit can open a planning review.")),
        )
    form = forms.OpenForm(request.POST if request.method == "POST" else None, user=user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                review = services.review_open(
                    actor=user,
                    unit=data["unit"],
                    term_start_year=data["term_start_year"],
                    term_end_year=data["term_end_year"],
                    review_year=data["review_year"],
                    note=data["note"],
                )
            except Refused as exc:
                if exc.status != 400:
                    return refused(request, exc)
                form.add_error(None, exc.message)
            else:
                return HttpResponseSeeOther(_url(review))
    return render(
        request, "planning/open.html", {"form": form, "can_open": can_open}, status=status
    )


# --------------------------------------------------------------------------- the review page

RESULT_WORDS = {
    "approved": gettext_lazy("The list was approved"),
    "rejected": gettext_lazy("The list was not approved"),
    "passed": gettext_lazy("Passed"),
    "failed": gettext_lazy("Did not pass"),
    "nominated": gettext_lazy("Nominated"),
    "none": gettext_lazy("Nobody was carried"),
}


def _open_nodes(review) -> set[str]:
    return {
        task.flow_task.name
        for task in review.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED])
    }


def _names(ids) -> list[str]:
    found = dict(Cadre.objects.filter(pk__in=ids).values_list("pk", "full_name"))
    return [found.get(i, "?") for i in ids]


def _awaits_head(step: ReviewStep) -> bool:
    ballot = step.ballot
    return bool(
        step.recorded_at is None
        and ballot.status == BallotStatus.CLOSED
        and (ballot.outcome or {}).get("needs_head_decision")
        and "head_approves" not in (step.outcome or {})
    )


def _step_rows(user, steps: list[ReviewStep]) -> list[dict]:
    visible_meetings = set(
        core_selectors.meetings_for_user(user=user)
        .filter(pk__in=[s.meeting_id for s in steps])
        .values_list("pk", flat=True)
    )
    rows = []
    for step in steps:
        ballot = step.ballot
        can_see = core.can_see_results(user=user, ballot=ballot)
        outcome = step.outcome or {}
        show = can_see and step.recorded_at is not None
        rows.append(
            {
                "step": step,
                "meeting": step.meeting,
                "meeting_visible": step.meeting_id in visible_meetings,
                "ballot": ballot,
                "can_see": can_see,
                "sealed": ballot.sealed and not can_see,
                "show_outcome": show,
                "result": RESULT_WORDS.get(outcome.get("result", ""), outcome.get("result", "")),
                "forward": _names(outcome.get("forward") or []) if show else [],
            }
        )
    return rows


def _gates(snapshot) -> list[dict]:
    return [
        {**gate, "label": LABELS.get(gate.get("code", ""), gate.get("code", ""))}
        for gate in snapshot or []
    ]


def _source_list(review, *, can_withdraw: bool, withdraw_form=None) -> list[dict]:
    """The proposals grouped per post, each with its gates and, for the board while the review
    runs, its withdrawal form (the one sent back with its errors, if any)."""
    posts: dict[int, dict] = {}
    for candidate in review.candidates.select_related(
        "cadre", "cadre__unit", "position", "position__unit"
    ).order_by("position__unit__path", "-position__level", "position__title", "pk"):
        post = posts.setdefault(
            candidate.position_id, {"position": candidate.position, "candidates": []}
        )
        gates = _gates(candidate.gates)
        row = {
            "candidate": candidate,
            "gates": gates,
            "passing": sum(1 for g in gates if g.get("passed")),
            "blocked": any(not g.get("passed") and g.get("blocking") for g in gates),
        }
        if can_withdraw and candidate.status == CandidateStatus.ACTIVE:
            bound = withdraw_form is not None and withdraw_form.data.get("candidate") == str(
                candidate.pk
            )
            row["withdraw_form"] = (
                withdraw_form
                if bound
                else forms.CandidateWithdrawForm(
                    initial={"candidate": candidate.pk},
                    auto_id=f"id_unpropose_{candidate.pk}_%s",
                )
            )
        post["candidates"].append(row)
    return list(posts.values())


def _tie_form(step: ReviewStep, code: str, bound=None):
    ballot = step.ballot
    tied = [
        (int(pk), pk)
        for pk, verdict in (ballot.outcome.get("result") or {}).items()
        if verdict == "tied"
    ]
    labels = {c.pk: str(c.cadre or c.label) for c in ballot.candidates.select_related("cadre")}
    choices = [(pk, labels.get(pk, str(pk))) for pk, _pk in tied]
    if bound is not None and bound.data.get("ballot") == str(ballot.pk):
        bound.fields["approve"].choices = choices
        return {"ballot": ballot.pk, "form": bound}
    form = forms.TieForm(
        tied=choices,
        initial={"step": code, "ballot": ballot.pk},
        auto_id=f"id_tie_{ballot.pk}_%s",
    )
    return {"ballot": ballot.pk, "form": form}


def _context(request, review: PlanningReview, **bound) -> dict:
    """Everything the review page shows, and the forms of what this user can do now.

    ``bound`` carries a form sent back with its errors (keyed like the context's forms)."""
    user = request.user
    board = core.is_org_board_for(user, review.unit)
    is_chair = _is_chair(user, review)
    privileged = (
        board or is_chair or selectors.members_of(review.competent_body).filter(pk=user.pk).exists()
    )
    running = review.stage in RUNNING and review.finished is None
    open_nodes = _open_nodes(review)
    code = services.current_step(review) if running else None
    steps = list(review.steps.select_related("meeting", "ballot", "ballot__meeting", "position"))
    pending = [s for s in steps if s.code == code and s.recorded_at is None] if code else []
    all_closed = bool(pending) and all(s.ballot.status == BallotStatus.CLOSED for s in pending)
    ties = [s for s in pending if _awaits_head(s)]
    structure = None
    if privileged:  # it names the proposals too: for those who see the source list
        try:
            structure = selectors.plan_structure(
                user=user, unit=review.unit, term_start_year=review.term_start_year, review=review
            )
        except Http404:  # a competent body above whose member's scope stops short of the unit
            structure = None

    context = {
        "review": review,
        "is_board": board,
        "is_chair": is_chair,
        "privileged": privileged,
        "running": running,
        "current_code": code,
        "current_label": StepCode(code).label if code else "",
        "pending": pending,
        "awaiting_head": bool(ties),
        "steps": _step_rows(user, steps),
        "structure": structure,
    }
    if privileged:
        context["posts"] = _source_list(
            review,
            can_withdraw=board and running,
            withdraw_form=bound.get("withdraw_candidate_form"),
        )

    actions = {}
    if running:
        if board and "source_list" in open_nodes:
            actions["propose_form"] = bound.get("propose_form") or forms.ProposeForm(
                user=user, review=review
            )
            actions["submit_form"] = forms.ConfirmForm()
        listed = review.candidates.filter(status=CandidateStatus.ACTIVE).exists()
        if board and code and not pending and listed:
            actions["call_form"] = bound.get("call_form") or forms.StepCallForm(
                initial={"step": code, "scheduled_at": forms.now_local()}
            )
        if board and all_closed and not ties:
            actions["record_form"] = bound.get("record_form") or forms.StepRecordForm(
                initial={"step": code}
            )
        tie_forms = [
            _tie_form(s, code, bound.get("tie_form")) for s in ties if s.meeting.chair_id == user.pk
        ]
        if tie_forms:
            actions["tie_forms"] = tie_forms
        if board or is_chair:
            actions["withdraw_form"] = bound.get("withdraw_form") or forms.WithdrawForm()
    if is_chair and "decide" in open_nodes:
        actions["decide_form"] = bound.get("decide_form") or forms.DecideForm()
    if board and "publish" in open_nodes:
        actions["publish_form"] = forms.ConfirmForm()
    # A form sent back with its errors stays on the page, whatever moved meanwhile.
    for name, form in bound.items():
        if name not in ("withdraw_candidate_form", "tie_form"):
            actions.setdefault(name, form)
    if "tie_form" in bound and "tie_forms" not in actions:
        actions["tie_forms"] = [
            {"ballot": bound["tie_form"].data.get("ballot", ""), "form": bound["tie_form"]}
        ]
    context.update(actions)
    context["has_actions"] = bool(actions)
    return context


def _render(request, review, status: int = 200, **bound):
    return render(
        request, "planning/detail.html", _context(request, review, **bound), status=status
    )


@require_GET
@never_cache
def review_detail(request, review_id: int):
    return _render(request, _get(request, review_id))


# --------------------------------------------------------------------------- actions


def _action(request, review_id, **kwargs):
    """One POST on the review (``workflows.core.pages.form_action``)."""
    review = _get(request, review_id)
    return pages.form_action(
        request,
        review,
        render=_render,
        refuse=lambda request, exc: refused(request, exc, review=review),
        done=lambda anchor: _url(review, anchor),
        **kwargs,
    )


@require_POST
def candidate_propose(request, review_id: int):
    return _action(
        request,
        review_id,
        name="propose_form",
        form_class=forms.ProposeForm,
        check=_board_refusal,
        form_kwargs=lambda request, r: {"user": request.user, "review": r},
        run=lambda user, r, f: services.candidate_propose(
            actor=user, review=r, position=f.cleaned_data["position"], cadre=f.cleaned_data["cadre"]
        ),
        anchor="source-list",
    )


@require_POST
def candidate_withdraw(request, review_id: int):
    def run(user, review, form):
        candidate = review.candidates.filter(pk=form.cleaned_data["candidate"]).first()
        if candidate is None:
            raise Conflict(_("This proposal is no longer on the list: reload the page."))
        services.candidate_withdraw(
            actor=user, review=review, candidate=candidate, reason=form.cleaned_data["reason"]
        )

    return _action(
        request,
        review_id,
        name="withdraw_candidate_form",
        form_class=forms.CandidateWithdrawForm,
        check=_board_refusal,
        run=run,
        anchor="source-list",
    )


@require_POST
def source_list_submit(request, review_id: int):
    return _action(
        request,
        review_id,
        name="submit_form",
        form_class=forms.ConfirmForm,
        check=_board_refusal,
        run=lambda user, r, f: services.source_list_submit(actor=user, review=r),
        anchor="timeline",
    )


@require_POST
def step_call(request, review_id: int):
    def run(user, review, form):
        data = form.cleaned_data
        services.step_call(
            actor=user,
            review=review,
            scheduled_at=data["scheduled_at"],
            place=data["place"],
            mode=data["mode"],
            step=data["step"],
        )

    return _action(
        request,
        review_id,
        name="call_form",
        form_class=forms.StepCallForm,
        check=_board_refusal,
        run=run,
        anchor="timeline",
    )


@require_POST
def step_record(request, review_id: int):
    return _action(
        request,
        review_id,
        name="record_form",
        form_class=forms.StepRecordForm,
        check=_board_refusal,
        run=lambda user, r, f: services.step_record(
            actor=user, review=r, note=f.cleaned_data["note"], step=f.cleaned_data["step"]
        ),
        anchor="timeline",
    )


def _tie_kwargs(request, review):
    """The tied rows of the ballot named in the form (the service checks them again)."""
    step = review.steps.filter(
        ballot_id=request.POST.get("ballot") or 0, recorded_at__isnull=True
    ).first()
    tied = []
    if step is not None:
        tied = [
            (int(pk), pk)
            for pk, verdict in (step.ballot.outcome.get("result") or {}).items()
            if verdict == "tied"
        ]
    return {"tied": tied}


@require_POST
def tie_decide(request, review_id: int):
    def run(user, review, form):
        step = (
            review.steps.select_related("ballot")
            .filter(ballot_id=form.cleaned_data["ballot"])
            .first()
        )
        if step is None:
            raise Conflict(_("No vote of this review awaits the head's decision."))
        services.tie_decide(
            actor=user,
            review=review,
            ballot=step.ballot,
            approve=form.cleaned_data["approve"],
            differing_opinions=form.cleaned_data["differing_opinions"],
            step=form.cleaned_data["step"],
        )

    return _action(
        request,
        review_id,
        name="tie_form",
        form_class=forms.TieForm,
        form_kwargs=_tie_kwargs,
        run=run,
        anchor="timeline",
    )


@require_POST
def review_decide(request, review_id: int):
    return _action(
        request,
        review_id,
        name="decide_form",
        form_class=forms.DecideForm,
        check=_chair_refusal,
        run=lambda user, r, f: services.review_decide(
            actor=user,
            review=r,
            approve=f.approve,
            decision_ref=f.cleaned_data["decision_ref"],
            note=f.cleaned_data["note"],
        ),
    )


@require_POST
def review_publish(request, review_id: int):
    return _action(
        request,
        review_id,
        name="publish_form",
        form_class=forms.ConfirmForm,
        check=_board_refusal,
        run=lambda user, r, f: services.review_publish(actor=user, review=r),
    )


@require_POST
def review_withdraw(request, review_id: int):
    return _action(
        request,
        review_id,
        name="withdraw_form",
        form_class=forms.WithdrawForm,
        check=_board_or_chair,
        run=lambda user, r, f: services.review_withdraw(
            actor=user, review=r, reason=f.cleaned_data["reason"]
        ),
    )


# --------------------------------------------------------------------------- the published plan


@require_GET
def plan_published(request):
    """The approved entries of published reviews the user may see: those of reviews in their
    scope, and a planned cadre's own."""
    entries = list(selectors.published_plan_for_user(user=request.user)[:500])
    return render(request, "planning/plan.html", {"entries": entries})


# --------------------------------------------------------------------------- removals


def _removal_rows(request, removals, bound: dict, *, with_forms: bool = True) -> list[dict]:
    user = request.user
    rows = []
    for removal in removals:
        row = {"removal": removal, "can_act": False, "url": removal_url(removal)}
        if removal.state == RemovalStatus.OPEN and core.is_org_board_for(user, removal.unit):
            row["can_act"] = True
            row["own_discretionary"] = (
                removal.kind == RemovalReason.DISCRETIONARY and removal.proposed_by_id == user.pk
            )
            if not with_forms:
                rows.append(row)
                continue
            for name, form_class in (
                ("confirm_form", forms.RemovalConfirmForm),
                ("dismiss_form", forms.RemovalDismissForm),
            ):
                sent = bound.get(name)
                row[name] = (
                    sent
                    if sent is not None and bound.get("removal_id") == removal.pk
                    else form_class(auto_id=f"id_{name}_{removal.pk}_%s")
                )
        rows.append(row)
    return rows


def _render_removals(request, status: int = 200, **bound):
    """The list: those awaiting confirmation first (the work), then the newest; a page at a
    time. Each removal is confirmed or dismissed on its own page (``removal_detail``)."""
    user = request.user
    removals = (
        selectors.removals_for_user(user=user)
        .select_related("proposed_by", "decided_by")
        .annotate(
            waiting=Case(
                When(state=RemovalStatus.OPEN, then=0), default=1, output_field=IntegerField()
            )
        )
        .order_by("waiting", "-created", "-pk")
    )
    page = pages.page_of(request, removals)
    can_propose = forms.removable_entries(user).exists()
    propose_form = bound.get("propose_form")
    if propose_form is None and can_propose:
        propose_form = forms.RemovalProposeForm(user=user)
    context = {
        "page": page,
        "rows": _removal_rows(request, page.object_list, {}, with_forms=False),
        "propose_form": propose_form,
    }
    return render(request, "planning/removals.html", context, status=status)


@require_GET
@never_cache
def removal_list(request):
    return _render_removals(request)


def _render_removal(request, removal, status: int = 200, **bound):
    (row,) = _removal_rows(request, [removal], bound)
    return render(request, "planning/removal.html", {"row": row}, status=status)


@require_GET
@never_cache
def removal_detail(request, removal_id: int):
    return _render_removal(
        request, selectors.removal_get_for_user(user=request.user, pk=removal_id)
    )


@require_http_methods(["GET", "POST"])
def removal_propose(request):
    """The board's discretionary removal (GET shows the removals page with the form)."""
    user = request.user
    if request.method == "GET":
        return _render_removals(request)
    if not forms.board_units(user).exists():
        return refused(request, Forbidden(ONLY_BOARD), back=reverse("planning:removal:index"))
    form = forms.RemovalProposeForm(request.POST, user=user)
    if form.is_valid():
        try:
            removal = services.removal_propose(
                actor=user, entry=form.cleaned_data["entry"], reason=form.cleaned_data["reason"]
            )
        except Invalid as exc:
            form.add_error(None, exc.message)
        except Refused as exc:
            return refused(request, exc, back=reverse("planning:removal:index"))
        else:
            return HttpResponseSeeOther(removal_url(removal))
    return _render_removals(request, status=400, propose_form=form)


def _removal_action(request, removal_id, *, name, form_class, run):
    removal = selectors.removal_get_for_user(user=request.user, pk=removal_id)
    back = removal_url(removal)
    if not core.is_org_board_for(request.user, removal.unit):
        return refused(request, Forbidden(ONLY_BOARD), back=back)
    form = form_class(request.POST, auto_id=f"id_{name}_{removal.pk}_%s")
    if form.is_valid():
        try:
            run(request.user, removal, form)
        except Invalid as exc:
            form.add_error(None, exc.message)
        except Refused as exc:
            return refused(request, exc, back=back)
        else:
            return HttpResponseSeeOther(back)
    return _render_removal(request, removal, status=400, removal_id=removal.pk, **{name: form})


@require_POST
def removal_confirm(request, removal_id: int):
    return _removal_action(
        request,
        removal_id,
        name="confirm_form",
        form_class=forms.RemovalConfirmForm,
        run=lambda user, r, f: services.removal_confirm(
            actor=user, removal=r, note=f.cleaned_data["note"]
        ),
    )


@require_POST
def removal_dismiss(request, removal_id: int):
    return _removal_action(
        request,
        removal_id,
        name="dismiss_form",
        form_class=forms.RemovalDismissForm,
        run=lambda user, r, f: services.removal_dismiss(
            actor=user, removal=r, reason=f.cleaned_data["reason"]
        ),
    )
