"""Pages of the appointment procedure. Views parse input, call one service or selector, render.

Every page answers 404 outside the user's scope (``selectors.appointment_get_for_user``).
Refusals from the services become a page with their status and message: 403 (not yours to
do), 409 (the state moved on: someone else acted first); 400 re-renders the appointment's page
with the form as it was sent and the reason on it. Successful POSTs answer 303 See Other.

Secrecy: a step's outcome, its results and its vote-count minutes are shown only where
``workflows.core.services.can_see_results`` allows; otherwise a sealed ballot reads "sealed".
Candidates, their gates and the dossier's files are for the organisation board and the
competent body (who see every result anyway).
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from personnel.models import Cadre
from workflows.core import pages
from workflows.core import selectors as core_selectors
from workflows.core import services as core
from workflows.core import views as core_views
from workflows.core.calendar import working_days_left
from workflows.core.errors import Forbidden, Refused
from workflows.core.models import BallotStatus
from workflows.core.pages import HttpResponseSeeOther

from . import forms, selectors, services
from .gates import LABELS, Gate
from .models import (
    REQUIRED_DOSSIER,
    Appointment,
    AppointmentStep,
    CandidateStatus,
    DossierItem,
    Source,
    Stage,
    StepCode,
)

# --------------------------------------------------------------------------- helpers


def task_page(request, **kwargs):
    """A task's own URL (from the inbox or the queue) opens the appointment's page, where the
    task is done."""
    activation = request.activation
    return redirect("appointments:appointment:detail", appointment_id=activation.process.pk)


def _url(appointment, anchor: str = "") -> str:
    url = reverse("appointments:appointment:detail", kwargs={"appointment_id": appointment.pk})
    return f"{url}#{anchor}" if anchor else url


def refused(request, exc: Refused, *, appointment=None):
    """The refusal page (403/409, or 400 outside a form) with its message and a way back."""
    return core_views.refused(
        request,
        exc,
        back=_url(appointment)
        if appointment is not None
        else reverse("appointments:appointment:index"),
        back_label=_("Back to the appointment"),
    )


def _get(request, appointment_id) -> Appointment:
    return selectors.appointment_get_for_user(user=request.user, pk=appointment_id)


ONLY_BOARD = gettext_lazy("Only the organisation board of this unit can do this.")
ONLY_CHAIR = gettext_lazy("Only the chair of the competent body can do this.")


def _is_chair(user, appointment) -> bool:
    chair = selectors.competent_chair(appointment)
    return chair is not None and chair.pk == user.pk


def _board_refusal(user, appointment) -> Refused | None:
    if not core.is_org_board_for(user, appointment.unit):
        return Forbidden(ONLY_BOARD)
    return None


def _chair_refusal(user, appointment) -> Refused | None:
    if not _is_chair(user, appointment):
        return Forbidden(ONLY_CHAIR)
    return None


def _limit(appointment: Appointment) -> dict | None:
    """The 30-working-day limit: due date, working days left (negative once passed)."""
    deadline = appointment.deadline
    if deadline is None:
        return None
    left = working_days_left(timezone.localdate(), deadline.due)
    return {
        "due": deadline.due,
        "left": left,
        "late": -left if left < 0 else 0,
        "met": deadline.met_at,
        "overdue": left < 0 and deadline.met_at is None,
        "source": deadline.source,
    }


# --------------------------------------------------------------------------- list, start


@require_GET
def appointment_list(request):
    page = pages.page_of(
        request,
        # Only what the rows show: every extra join cost PostgreSQL planning time, 88 ms of
        # it for this one query with the selector's four and the candidate.
        selectors.appointments_for_user(user=request.user)
        .select_related(None)
        .select_related("position", "unit", "deadline")
        .order_by("-created", "-pk"),
    )
    rows = [{"appointment": a, "limit": _limit(a)} for a in page.object_list]
    return render(
        request,
        "appointments/list.html",
        {
            "page": page,
            "rows": rows,
            "can_start": forms.startable_positions(request.user).exists(),
        },
    )


@require_http_methods(["GET", "POST"])
def appointment_start(request):
    user = request.user
    can_start = forms.startable_positions(user).exists()
    if request.method == "POST" and not can_start:
        return refused(
            request,
            Forbidden(_("Only the organisation board of this unit can start an appointment.")),
        )
    form = forms.StartForm(request.POST if request.method == "POST" else None, user=user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                appointment = services.appointment_start(
                    actor=user,
                    position=data["position"],
                    source=data["source"],
                    memo=data["memo"],
                    track=data["track"],
                    ruleset=data["ruleset"],
                )
            except Refused as exc:
                if exc.status != 400:
                    return refused(request, exc)
                form.add_error(None, exc.message)
            else:
                return HttpResponseSeeOther(_url(appointment))
    return render(
        request, "appointments/start.html", {"form": form, "can_start": can_start}, status=status
    )


# --------------------------------------------------------------------------- the process page

RESULT_WORDS = {
    "approved": gettext_lazy("The list was approved"),
    "rejected": gettext_lazy("The list was not approved"),
    "passed": gettext_lazy("Passed"),
    "failed": gettext_lazy("Did not pass"),
    "recorded": gettext_lazy("Recorded"),
    "nominated": gettext_lazy("Nominated"),
    "carried_forward": gettext_lazy("Carried forward to the next step"),
    "none": gettext_lazy("Nobody was nominated"),
}


def _names(ids, known: dict | None = None) -> list[str]:
    found = known if known is not None else _cadre_names(ids)
    return [found.get(i, "?") for i in ids]


def _cadre_names(ids) -> dict[int, str]:
    return dict(Cadre.objects.filter(pk__in=ids).values_list("pk", "full_name")) if ids else {}


def _step_rows(user, steps: list[AppointmentStep], *, privileged: bool) -> list[dict]:
    visible_meetings = set(
        core_selectors.meetings_for_user(user=user)
        .filter(pk__in=[s.meeting_id for s in steps if s.meeting_id])
        .values_list("pk", flat=True)
    )
    # Every name the rows show, in one query (not one per step).
    names = _cadre_names(
        {pk for step in steps for pk in ((step.outcome or {}).get("forward") or [])}
    )
    rows = []
    for step in steps:
        ballot = step.ballot
        can_see = ballot is not None and core.can_see_results(user=user, ballot=ballot)
        # External steps have no ballot: their written record is the board's.
        show_outcome = can_see if ballot is not None else privileged
        outcome = step.outcome or {}
        rows.append(
            {
                "step": step,
                "meeting": step.meeting,
                "meeting_visible": step.meeting_id in visible_meetings,
                "ballot": ballot,
                "closed": ballot is not None and ballot.status == BallotStatus.CLOSED,
                "can_see": can_see,
                "sealed": ballot is not None and ballot.sealed and not can_see,
                "show_outcome": show_outcome and step.recorded_at is not None,
                "result": RESULT_WORDS.get(outcome.get("result", ""), outcome.get("result", "")),
                "forward": _names(outcome.get("forward") or [], names) if show_outcome else [],
                "head_approves": outcome.get("head_approves") if show_outcome else None,
            }
        )
    return rows


def _gates(snapshot) -> list[dict]:
    rows = []
    for gate in snapshot or []:
        try:
            label = LABELS[Gate(gate["code"])]
        except (KeyError, ValueError):
            label = gate.get("code", "")
        rows.append({**gate, "label": label})
    return rows


def _candidate_rows(appointment, *, can_override: bool, override_form=None):
    """The candidates with their gates; whether the override form sent back found its gate."""
    overridden = {}
    for o in appointment.overrides.select_related("decided_by"):
        overridden[(o.cadre_id, o.gate)] = o
    rows, placed = [], False
    for candidate in appointment.candidates.select_related("cadre", "cadre__unit").order_by("pk"):
        gates = []
        for gate in _gates(candidate.gates_at_start):
            key = (candidate.cadre_id, gate["code"])
            gate["override"] = overridden.get(key)
            gate["can_override"] = (
                can_override
                and not gate["passed"]
                and gate.get("overridable")
                and key not in overridden
                and candidate.status == CandidateStatus.ACTIVE
            )
            if gate["can_override"]:
                bound = (
                    override_form is not None
                    and override_form.data.get("cadre") == str(candidate.cadre_id)
                    and override_form.data.get("gate") == gate["code"]
                )
                placed = placed or bound
                gate["form"] = (
                    override_form
                    if bound
                    else forms.OverrideForm(
                        initial={"cadre": candidate.cadre_id, "gate": gate["code"]},
                        candidates=[candidate],
                        auto_id=f"id_override_{candidate.cadre_id}_{gate['code']}_%s",
                    )
                )
            gates.append(gate)
        rows.append(
            {
                "candidate": candidate,
                "gates": gates,
                "passing": sum(1 for g in gates if g["passed"] or g["override"]),
                "gates_final": _gates(candidate.gates_before_final),
            }
        )
    return rows, placed


def _context(request, appointment: Appointment, **bound) -> dict:
    """Everything the process page shows, and the forms of what this user can do now.

    ``bound`` carries a form sent back with its errors (keyed like the context's forms)."""
    from .flows import AppointmentFlow

    user = request.user
    board = core.is_org_board_for(user, appointment.unit)
    is_chair = _is_chair(user, appointment)
    privileged = selectors.may_read_dossier(user=user, appointment=appointment)
    finished = appointment.stage in services.FINISHED or appointment.finished is not None
    open_nodes = services.open_node_names(appointment)
    code = services.current_step(appointment, open_nodes)
    steps = list(
        appointment.steps.select_related(
            "meeting",
            "ballot",
            "ballot__meeting",
            "ballot__meeting__unit",
            "ballot__meeting__competent_body",
        )
    )
    last = next((s for s in reversed(steps) if s.code == code), None) if code else None
    waiting_meeting = last is not None and last.recorded_at is None
    voted = waiting_meeting and last.ballot_id and last.ballot.status == BallotStatus.CLOSED
    # Exactly half in a collective vote: the head of the meeting decides before it is recorded.
    awaiting_head = bool(
        voted
        and (last.ballot.outcome or {}).get("needs_head_decision")
        and "head_approves" not in (last.outcome or {})
    )

    context = {
        "appointment": appointment,
        "limit": _limit(appointment),
        "is_board": board,
        "is_chair": is_chair,
        "privileged": privileged,
        "finished": finished,
        "current_code": code,
        "current_label": StepCode(code).label if code else "",
        "current_step": last,
        "awaiting_head": awaiting_head,
        "steps": _step_rows(user, steps, privileged=privileged),
        "chart_url": reverse(
            "appointments:appointment:chart", kwargs={"appointment_id": appointment.pk}
        ),
        "show_candidate": privileged or appointment.stage == Stage.DECISION_ISSUED,
    }
    try:
        context["process_url"] = AppointmentFlow.instance.reverse(
            "process_detail", args=[appointment.pk]
        )
    except NoReverseMatch:  # the flow is not mounted (tests of this module alone)
        context["process_url"] = ""

    # ---- the dossier
    present = set(appointment.dossier.values_list("kind", flat=True))
    context["checklist"] = [{"kind": k, "present": k.value in present} for k in REQUIRED_DOSSIER]
    context["dossier"] = (
        list(appointment.dossier.select_related("uploaded_by")) if privileged else []
    )
    context["minutes"] = [
        row for row in context["steps"] if row["closed"] and row["can_see"] and row["ballot"]
    ]

    # ---- candidates and gates (the organisation board and the competent body)
    if privileged:
        override_form = bound.get("override_form")
        context["candidates"], placed = _candidate_rows(
            appointment, can_override=is_chair and not finished, override_form=override_form
        )
        if override_form is not None and not placed:
            # Sent for a gate that cannot be waived (any more): say why above the list.
            context["override_errors"] = [
                message for messages in override_form.errors.values() for message in messages
            ]

    # ---- what this user can do now (the services check again)
    first = services.STEP_ORDER[appointment.source][0]
    actions = {}
    if not finished:
        if is_chair and "decide_policy" in open_nodes:
            actions["policy_form"] = bound.get("policy_form") or forms.PolicyForm()
        if board and code == first and not waiting_meeting:
            actions["candidates_form"] = bound.get("candidates_form") or forms.CandidatesForm(
                user=user,
                initial={"cadres": list(appointment.candidates.values_list("cadre_id", flat=True))},
            )
        listed = appointment.candidates.filter(status=CandidateStatus.ACTIVE).exists()
        if board and code in services.MEETING_STEPS and not waiting_meeting and listed:
            ad_hoc = code in (StepCode.STEP2, StepCode.STEP4)
            actions["call_form"] = bound.get("call_form") or forms.StepCallForm(
                user=user,
                appointment=appointment,
                ad_hoc=ad_hoc,
                initial={
                    "step": code,
                    "scheduled_at": timezone.localtime().replace(second=0, microsecond=0),
                },
            )
        if board and voted and not awaiting_head:
            actions["record_form"] = bound.get("record_form") or forms.StepRecordForm(
                initial={"step": code}
            )
        if awaiting_head and last.meeting.chair_id == user.pk:
            actions["tie_form"] = bound.get("tie_form") or forms.TieForm(initial={"step": code})
        if board and code in services.STEP_ORDER[Source.EXTERNAL]:
            actions["external_form"] = bound.get("external_form") or forms.ExternalRecordForm(
                initial={"step": code}
            )
        if board and appointment.stage not in (
            Stage.POLICY_REQUESTED,
            Stage.APPRAISED,
            Stage.VOTE_PASSED,
        ):
            actions["dossier_form"] = bound.get("dossier_form") or forms.DossierForm()
        if board and "appraisal" in open_nodes:
            actions["appraisal_form"] = bound.get("appraisal_form") or forms.AppraisalForm(
                initial={
                    "standing_evaluation": appointment.standing_evaluation,
                    "new_issues_conclusion": appointment.new_issues_conclusion,
                }
            )
        if (
            "appraisal_review" in open_nodes
            and user.pk != appointment.prepared_by_id
            and selectors.appraisal_reviewers(appointment).filter(pk=user.pk).exists()
        ):
            actions["review_form"] = bound.get("review_form") or forms.ReviewForm()
        if is_chair and "decide" in open_nodes:
            today = timezone.localdate()
            actions["decision_form"] = bound.get("decision_form") or forms.DecisionForm(
                initial={"decision_date": today, "effective_date": today}
            )
        if board or is_chair:
            actions["withdraw_form"] = bound.get("withdraw_form") or forms.WithdrawForm()
    if board and "explain_and_report" in open_nodes:
        actions["report_form"] = bound.get("report_form") or forms.LimitReportForm()
    # A form sent back with its errors stays on the page, whatever moved meanwhile.
    for name, form in bound.items():
        if name != "override_form":
            actions.setdefault(name, form)
    context.update(actions)
    context["has_actions"] = bool(actions)
    return context


def _render(request, appointment, status: int = 200, **bound):
    return render(
        request, "appointments/detail.html", _context(request, appointment, **bound), status=status
    )


@require_GET
@never_cache
def appointment_detail(request, appointment_id: int):
    return _render(request, _get(request, appointment_id))


@require_GET
def appointment_chart(request, appointment_id: int):
    """viewflow's chart of the flow with this appointment's tasks coloured (an SVG)."""
    from viewflow.workflow import chart

    from .flows import AppointmentFlow

    appointment = _get(request, appointment_id)
    grid = chart.calc_layout_data(AppointmentFlow)
    chart.calc_cell_status(AppointmentFlow, grid, appointment.pk)
    response = HttpResponse(chart.grid_to_svg(grid), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def dossier_download(request, appointment_id: int, item_id: int):
    """A dossier file, as an attachment, for those who may read the dossier of an appointment
    in their scope (``selectors.may_read_dossier``; the reading is audited); 404 for everyone
    else."""
    appointment = _get(request, appointment_id)
    try:
        item = services.dossier_open(user=request.user, appointment=appointment, item_id=item_id)
    except (DossierItem.DoesNotExist, ValueError):
        raise Http404 from None
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle, as_attachment=True, filename=item.filename, content_type=item.content_type
    )


# --------------------------------------------------------------------------- actions


def _action(request, appointment_id, **kwargs):
    """One POST on the appointment (``workflows.core.pages.form_action``)."""
    appointment = _get(request, appointment_id)
    return pages.form_action(
        request,
        appointment,
        render=_render,
        refuse=lambda request, exc: refused(request, exc, appointment=appointment),
        done=lambda anchor: _url(appointment, anchor),
        **kwargs,
    )


def _board_or_chair(user, appointment):
    if core.is_org_board_for(user, appointment.unit) or _is_chair(user, appointment):
        return None
    return Forbidden(
        _("Only the organisation board or the competent chair can withdraw a candidate.")
    )


@require_POST
def policy_decide(request, appointment_id: int):
    return _action(
        request,
        appointment_id,
        name="policy_form",
        form_class=forms.PolicyForm,
        check=_chair_refusal,
        run=lambda user, a, f: services.appointment_policy_decide(
            actor=user, appointment=a, approve=f.approve, note=f.cleaned_data["note"]
        ),
    )


@require_POST
def candidates_set(request, appointment_id: int):
    return _action(
        request,
        appointment_id,
        name="candidates_form",
        form_class=forms.CandidatesForm,
        check=_board_refusal,
        form_kwargs=lambda request, a: {"user": request.user},
        run=lambda user, a, f: services.candidates_set(
            actor=user, appointment=a, cadres=list(f.cleaned_data["cadres"])
        ),
        anchor="candidates",
    )


@require_POST
def gate_override(request, appointment_id: int):
    return _action(
        request,
        appointment_id,
        name="override_form",
        form_class=forms.OverrideForm,
        check=_chair_refusal,
        form_kwargs=lambda request, a: {"candidates": a.candidates.select_related("cadre")},
        run=lambda user, a, f: services.gate_override(
            actor=user,
            appointment=a,
            cadre=f.cleaned_data["cadre_obj"],
            gate=f.cleaned_data["gate"],
            reason=f.cleaned_data["reason"],
        ),
        anchor="candidates",
    )


def _call_form_kwargs(request, appointment):
    step = request.POST.get("step")
    return {
        "user": request.user,
        "appointment": appointment,
        "ad_hoc": step in (StepCode.STEP2, StepCode.STEP4),
    }


@require_POST
def step_call(request, appointment_id: int):
    def run(user, appointment, form):
        data = form.cleaned_data
        services.step_call(
            actor=user,
            appointment=appointment,
            scheduled_at=data["scheduled_at"],
            place=data["place"],
            summoned=list(data.get("summoned") or []) or None,
            mode=data["mode"],
            step=data["step"],
        )

    return _action(
        request,
        appointment_id,
        name="call_form",
        form_class=forms.StepCallForm,
        check=_board_refusal,
        form_kwargs=_call_form_kwargs,
        run=run,
        anchor="timeline",
    )


@require_POST
def step_record(request, appointment_id: int):
    return _action(
        request,
        appointment_id,
        name="record_form",
        form_class=forms.StepRecordForm,
        check=_board_refusal,
        run=lambda user, a, f: services.step_record(
            actor=user, appointment=a, note=f.cleaned_data["note"], step=f.cleaned_data["step"]
        ),
        anchor="timeline",
    )


@require_POST
def tie_decide(request, appointment_id: int):
    return _action(
        request,
        appointment_id,
        name="tie_form",
        form_class=forms.TieForm,
        run=lambda user, a, f: services.tie_decide(
            actor=user,
            appointment=a,
            approve=f.approve,
            differing_opinions=f.cleaned_data["differing_opinions"],
            step=f.cleaned_data["step"],
        ),
        anchor="timeline",
    )


@require_POST
def external_record(request, appointment_id: int):
    return _action(
        request,
        appointment_id,
        name="external_form",
        form_class=forms.ExternalRecordForm,
        check=_board_refusal,
        run=lambda user, a, f: services.external_record(
            actor=user, appointment=a, note=f.cleaned_data["note"], step=f.cleaned_data["step"]
        ),
        anchor="timeline",
    )


@require_POST
def dossier_upload(request, appointment_id: int):
    return _action(
        request,
        appointment_id,
        name="dossier_form",
        form_class=forms.DossierForm,
        check=_board_refusal,
        files=True,
        run=lambda user, a, f: services.dossier_add(
            actor=user, appointment=a, kind=f.cleaned_data["kind"], upload=f.cleaned_data["upload"]
        ),
        anchor="dossier",
    )


@require_POST
def appraisal_submit(request, appointment_id: int):
    return _action(
        request,
        appointment_id,
        name="appraisal_form",
        form_class=forms.AppraisalForm,
        check=_board_refusal,
        run=lambda user, a, f: services.appraisal_submit(
            actor=user,
            appointment=a,
            standing_evaluation=f.cleaned_data["standing_evaluation"],
            new_issues_conclusion=f.cleaned_data["new_issues_conclusion"],
        ),
        anchor="appraisal",
    )


@require_POST
def appraisal_review(request, appointment_id: int):
    return _action(
        request,
        appointment_id,
        name="review_form",
        form_class=forms.ReviewForm,
        run=lambda user, a, f: services.appraisal_review(
            actor=user, appointment=a, approve=f.approve, note=f.cleaned_data["note"]
        ),
        anchor="appraisal",
    )


@require_POST
def decision_issue(request, appointment_id: int):
    return _action(
        request,
        appointment_id,
        name="decision_form",
        form_class=forms.DecisionForm,
        check=_chair_refusal,
        run=lambda user, a, f: services.decision_issue(
            actor=user,
            appointment=a,
            number=f.cleaned_data["number"],
            decision_date=f.cleaned_data["decision_date"],
            effective_date=f.cleaned_data["effective_date"],
        ),
    )


@require_POST
def limit_report(request, appointment_id: int):
    return _action(
        request,
        appointment_id,
        name="report_form",
        form_class=forms.LimitReportForm,
        check=_board_refusal,
        run=lambda user, a, f: services.limit_report(
            actor=user, appointment=a, report=f.cleaned_data["report"]
        ),
    )


@require_POST
def appointment_withdraw(request, appointment_id: int):
    return _action(
        request,
        appointment_id,
        name="withdraw_form",
        form_class=forms.WithdrawForm,
        check=_board_or_chair,
        run=lambda user, a, f: services.appointment_withdraw(
            actor=user, appointment=a, reason=f.cleaned_data["reason"]
        ),
    )
