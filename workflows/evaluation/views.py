"""Pages of the evaluation procedure (domain §3): the campaigns, one campaign's progress, one
evaluation with the forms of what the user may do now. Views parse input, call one service or
selector, render — built like the planning pages (``workflows.planning.views``).

Scope: every page answers 404 outside ``selectors.campaign_get_for_user`` /
``selectors.evaluation_get_for_user``. What a page lists comes from the scoped selectors too, so
the sealing is theirs: a cadre without a committee sees only their own evaluation, and the
levels of others (rows, progress, distribution) only show to people whose scope covers the
unit; after publication the cadres of a unit see its results (``selectors.unit_results``).

Who may act: the pages mirror the services' checks only to decide which forms to show; every
POST goes to the service, which remains the authority (403 from its ``Forbidden``, 409 from its
``Conflict``, 400 on the form from its ``Invalid``) through ``workflows.core.pages.form_action``.

Stale pages: each form on an evaluation carries the state the page showed. A POST whose state
is no longer the evaluation's is refused with 409 "already dealt with" before anything else is
read — the services refuse most wrong states themselves, but not all (a self-assessment may be
corrected, comments recorded again), and their messages speak of the new state, which confuses
whoever acted on the old page. The check reads the state without the campaign's lock: two POSTs
racing past it still meet the services' own checks under the lock.

The "excellent" quota (I-21) depends on the level chosen, so its refusal
(``services.QuotaExceeded``) is shown on the decision's form (400) with the service's numbers and
the level kept, not as a refusal page.
"""

from __future__ import annotations

from collections import Counter

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from personnel.models import EvaluationLevel
from workflows.core import pages, rules
from workflows.core import views as core_views
from workflows.core.errors import Conflict, Forbidden, Invalid, Refused
from workflows.core.models import ParameterKey
from workflows.core.services import is_org_board_for
from workflows.planning.forms import board_units

from . import forms, selectors, services
from .models import (
    OPEN_STATES,
    CampaignStage,
    Evaluation,
    EvaluationCampaign,
    EvaluationState,
    Subject,
    criteria_label,
)

#: best first, as the pages list them
LEVELS = sorted(EvaluationLevel, reverse=True)
ONLY_BOARD_OPENS = gettext_lazy(
    "Only the organisation board of a unit can open an evaluation campaign."
)

# --------------------------------------------------------------------------- helpers


def task_page(request, **kwargs):
    """A campaign task's own URL (from the inbox or the queue) opens the campaign's page, where
    the task is done."""
    return redirect(campaign_url(request.activation.process))


def campaign_url(campaign, anchor: str = "") -> str:
    url = reverse("evaluation:campaign:detail", kwargs={"campaign_id": campaign.pk})
    return f"{url}#{anchor}" if anchor else url


def evaluation_url(evaluation, anchor: str = "") -> str:
    url = reverse("evaluation:evaluation:detail", kwargs={"evaluation_id": evaluation.pk})
    return f"{url}#{anchor}" if anchor else url


def refused(request, exc: Refused, *, campaign=None, evaluation=None):
    """The refusal page (403/409, or 400 outside a form) with its message and a way back."""
    if evaluation is not None:
        back, label = evaluation_url(evaluation), _("Back to the evaluation")
    elif campaign is not None:
        back, label = campaign_url(campaign), _("Back to the campaign")
    else:
        back, label = reverse("evaluation:campaign:index"), _("Back to the campaigns")
    return core_views.refused(request, exc, back=back, back_label=label)


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def _is_own(user, evaluation: Evaluation) -> bool:
    """The user is the person evaluated, or a member of the collective evaluated (as the
    services count it: nobody appraises, decides or re-evaluates their own)."""
    if evaluation.subject == Subject.COLLECTIVE:
        return selectors.is_member(user, evaluation.committee)
    return evaluation.cadre.user_id == user.pk


def _is(user, other) -> bool:
    return other is not None and other.pk == user.pk


# --------------------------------------------------------------------------- list, open


@require_GET
@never_cache
def campaign_list(request):
    user = request.user
    page = pages.page_of(
        request, selectors.campaigns_for_user(user=user).order_by("-created", "-pk")
    )
    return render(
        request,
        "evaluation/list.html",
        {
            "page": page,
            "campaigns": page.object_list,
            "to_self_assess": list(selectors.to_self_assess(user=user)[:200]),
            "to_decide": list(selectors.to_decide(user=user)[:200]),
            "can_open": board_units(user).exists(),
        },
    )


def _render_open(request, _obj=None, status: int = 200, form=None):
    user = request.user
    can_open = board_units(user).exists()
    if form is None and can_open:
        form = forms.OpenForm(user=user)
    return render(
        request, "evaluation/open.html", {"form": form, "can_open": can_open}, status=status
    )


@require_http_methods(["GET", "POST"])
def campaign_open(request):
    """The organisation board opens a campaign over units its scope covers (GET: the form)."""
    if request.method == "GET":
        return _render_open(request)
    opened = {}

    def run(user, _obj, form):
        data = form.cleaned_data
        opened["campaign"] = services.campaign_open(
            actor=user,
            title=data["title"],
            period=data["period"],
            year=data["year"],
            units=list(data["units"]),
            quarter=data["quarter"],
            occasion=data["occasion"],
            cadres=list(data["cadres"]) or None,
            track=data["track"],
            self_assessment_days=data["self_assessment_days"],
        )

    return pages.form_action(
        request,
        None,
        name="form",
        form_class=forms.OpenForm,
        form_kwargs=lambda request, _obj: {"user": request.user},
        check=lambda user, _obj: (
            None if board_units(user).exists() else Forbidden(ONLY_BOARD_OPENS)
        ),
        run=run,
        render=_render_open,
        refuse=lambda request, exc: refused(request, exc),
        done=lambda anchor: campaign_url(opened["campaign"]),
    )


# --------------------------------------------------------------------------- the campaign page


def _level_cells(levels: dict[int, int]) -> list[dict]:
    """A unit's decided levels, best first, each with its share of the decided (for the bar)."""
    decided = sum(levels.values())
    return [
        {
            "level": level,
            "label": level.label,
            "count": levels.get(level, 0),
            "percent": _percent(levels.get(level, 0), decided),
        }
        for level in LEVELS
    ]


COUNTS = ("total", "self_assessed", "appraised", "decided", "under_complaint", "excused")


def _progress(rows: list[dict]) -> dict | None:
    """``selectors.campaign_progress`` laid out for the page: per unit and in all, the counts,
    the share done (decided or excused) and the distribution of the decided levels."""
    if not rows:
        return None
    units, sums, levels = [], Counter(), Counter()
    for row in rows:
        units.append(
            {
                **row,
                "done_percent": _percent(row["decided"] + row["excused"], row["total"]),
                "level_cells": _level_cells(row["levels"]),
            }
        )
        sums.update({key: row[key] for key in COUNTS})
        levels.update(row["levels"])
    everything = {key: sums[key] for key in COUNTS}
    everything["done_percent"] = _percent(sums["decided"] + sums["excused"], sums["total"])
    everything["level_cells"] = _level_cells(dict(levels))
    return {"units": units, "all": everything, "levels": [lv.label for lv in LEVELS]}


def _my_unit_results(user, campaign) -> tuple | None:
    """After publication, the published ratings of the unit the user works in, if evaluated."""
    cadre = getattr(user, "cadre", None)
    if campaign.stage != CampaignStage.PUBLISHED or cadre is None:
        return None
    unit = campaign.units.filter(pk=cadre.unit_id).first()
    if unit is None:
        return None
    results = list(selectors.unit_results(user=user, campaign=campaign, unit=unit))
    return (unit, results) if results else None


def _campaign_context(request, campaign: EvaluationCampaign, **bound) -> dict:
    user = request.user
    board = is_org_board_for(user, campaign.unit)
    running = campaign.stage == CampaignStage.OPEN
    context = {
        "campaign": campaign,
        "units": list(campaign.units.order_by("path")),
        "is_board": board,
        "running": running,
        "progress": _progress(selectors.campaign_progress(user=user, campaign=campaign)),
        "evaluations": list(selectors.evaluations_for_user(user=user, campaign=campaign)),
        "my_results": _my_unit_results(user, campaign),
    }
    actions = {}
    if board and running:
        waiting = Counter(
            campaign.evaluations.exclude(
                state__in=[EvaluationState.DECIDED, EvaluationState.EXCUSED]
            ).values_list("state", flat=True)
        )
        context["waiting"] = [
            (state.label, waiting[state.value]) for state in EvaluationState if waiting[state.value]
        ]
        if not waiting:
            actions["publish_form"] = forms.ConfirmForm()
        actions["cancel_form"] = bound.get("cancel_form") or forms.CancelForm()
    for name, form in bound.items():  # a form sent back with its errors stays on the page
        actions.setdefault(name, form)
    context.update(actions)
    context["has_actions"] = bool(actions)
    return context


def _render_campaign(request, campaign, status: int = 200, **bound):
    return render(
        request,
        "evaluation/campaign.html",
        _campaign_context(request, campaign, **bound),
        status=status,
    )


def _get_campaign(request, campaign_id) -> EvaluationCampaign:
    return selectors.campaign_get_for_user(user=request.user, pk=campaign_id)


@require_GET
@never_cache
def campaign_detail(request, campaign_id: int):
    return _render_campaign(request, _get_campaign(request, campaign_id))


def _campaign_action(request, campaign_id, **kwargs):
    """One POST on the campaign (``workflows.core.pages.form_action``)."""
    campaign = _get_campaign(request, campaign_id)
    return pages.form_action(
        request,
        campaign,
        render=_render_campaign,
        refuse=lambda request, exc: refused(request, exc, campaign=campaign),
        done=lambda anchor: campaign_url(campaign, anchor),
        **kwargs,
    )


@require_POST
def campaign_publish(request, campaign_id: int):
    return _campaign_action(
        request,
        campaign_id,
        name="publish_form",
        form_class=forms.ConfirmForm,
        run=lambda user, c, f: services.campaign_publish(actor=user, campaign=c),
    )


@require_POST
def campaign_cancel(request, campaign_id: int):
    return _campaign_action(
        request,
        campaign_id,
        name="cancel_form",
        form_class=forms.CancelForm,
        run=lambda user, c, f: services.campaign_cancel(
            actor=user, campaign=c, reason=f.cleaned_data["reason"]
        ),
    )


# --------------------------------------------------------------------------- the evaluation page


def _scores(evaluation: Evaluation, groups: list[tuple[str, int]]) -> list[dict]:
    scores = evaluation.scores or {}
    return [
        {"label": criteria_label(code), "score": scores.get(code, "—"), "most": most}
        for code, most in groups
    ]


def _peer_group(evaluation: Evaluation) -> str:
    """Who the evaluation is compared with for the quota (``services.peer_group_for``), in
    words."""
    if evaluation.subject == Subject.COLLECTIVE:
        return _("%(kind)s of every %(unit_kind)s") % {
            "kind": evaluation.committee.get_kind_display(),
            "unit_kind": evaluation.unit.get_kind_display(),
        }
    if evaluation.position is None:
        return _("Cadres of %(unit)s without a post") % {"unit": evaluation.unit.name}
    return _("Cadres of %(unit)s at the level “%(level)s”") % {
        "unit": evaluation.unit.name,
        "level": evaluation.position.get_level_display(),
    }


def _quota(evaluation: Evaluation) -> dict:
    """Where the peer group stands for the quota, as the competent chair decides."""
    excellent, good = services.quota_counts(evaluation, None)
    quota = rules.get(evaluation.campaign.ruleset, ParameterKey.EXCELLENT_QUOTA)
    return {
        "excellent": excellent,
        "good": good,
        "quota": quota,
        "allowed": good * quota // 100,
    }


def _forms_for(user, evaluation: Evaluation, bound: dict) -> dict:
    """The forms of what ``user`` may do now (the services' checks, mirrored to decide what to
    show; the services check again)."""
    campaign = evaluation.campaign
    if campaign.stage != CampaignStage.OPEN:
        return {}
    state = evaluation.state
    board = is_org_board_for(user, evaluation.unit)
    own = _is_own(user, evaluation)
    shown = {"state": state}
    actions = {}

    def offer(name, factory):
        actions[name] = bound.get(name) or factory()

    person = selectors.self_assessor(evaluation)
    if state in (EvaluationState.DRAFT, EvaluationState.SELF_RATED) and (
        _is(user, person) or (person is None and board)
    ):
        initial = {**shown, "review": evaluation.self_review}
        if state == EvaluationState.SELF_RATED:
            initial["level"] = evaluation.self_level
            initial.update({f"score_{k}": v for k, v in (evaluation.scores or {}).items()})
        offer(
            "self_assess_form",
            lambda: forms.SelfAssessForm(ruleset=campaign.ruleset, initial=initial),
        )
    if state in (EvaluationState.SELF_RATED, EvaluationState.UNDER_APPRAISAL):
        collective = selectors.evaluated_collective(evaluation.unit)
        if board or _is(user, selectors.chair_of(collective)):
            offer(
                "comments_form",
                lambda: forms.CommentsForm(
                    user=user,
                    evaluation=evaluation,
                    initial={**shown, "text": evaluation.comments},
                ),
            )
        if board and not own:
            offer(
                "appraise_form",
                lambda: forms.AppraiseForm(initial={**shown, "level": evaluation.self_level}),
            )
    if (
        state == EvaluationState.PROPOSED
        and _is(user, selectors.competent_chair(evaluation))
        and not own
        and user.pk != evaluation.appraised_by_id
    ):
        offer(
            "decide_form",
            lambda: forms.DecideForm(initial={**shown, "level": evaluation.proposed_level}),
        )
    if (
        state == EvaluationState.DECIDED
        and (_is(user, person) or board)
        and selectors.superior_body(evaluation.competent_body) is not None
    ):
        offer("complain_form", lambda: forms.ComplainForm(initial=shown))
    complaint = evaluation.complaints.filter(resolved_at__isnull=True).first()
    if (
        state == EvaluationState.REEVALUATION
        and complaint is not None
        and _is(user, selectors.chair_of(complaint.superior_body))
        and not own
        and user.pk not in (evaluation.decided_by_id, evaluation.appraised_by_id)
    ):
        offer(
            "reevaluate_form",
            lambda: forms.ReevaluateForm(initial={**shown, "level": evaluation.decided_level}),
        )
    if state in OPEN_STATES and board:
        offer("excuse_form", lambda: forms.ExcuseForm(initial=shown))
    return actions


def _evaluation_context(request, evaluation: Evaluation, **bound) -> dict:
    user = request.user
    campaign = evaluation.campaign
    groups = forms.criteria(campaign.ruleset)
    actions = _forms_for(user, evaluation, bound)
    for name, form in bound.items():  # a form sent back with its errors stays on the page
        actions.setdefault(name, form)
    context = {
        "evaluation": evaluation,
        "campaign": campaign,
        "scores": _scores(evaluation, groups),
        "bands": forms.score_bands(campaign.ruleset),
        "complaints": list(
            evaluation.complaints.select_related("filed_by", "resolved_by", "superior_body")
        ),
        "peer_group": _peer_group(evaluation),
        "self_assessor": selectors.self_assessor(evaluation),
        "competent_chair": selectors.competent_chair(evaluation),
        "has_actions": bool(actions),
        **actions,
    }
    if "decide_form" in actions or "reevaluate_form" in actions:
        context["blockers"] = services.order_blockers(evaluation)
        context["quota"] = _quota(evaluation)
    return context


def _render_evaluation(request, evaluation, status: int = 200, **bound):
    return render(
        request,
        "evaluation/evaluation.html",
        _evaluation_context(request, evaluation, **bound),
        status=status,
    )


def _get_evaluation(request, evaluation_id) -> Evaluation:
    return selectors.evaluation_get_for_user(user=request.user, pk=evaluation_id)


@require_GET
@never_cache
def evaluation_detail(request, evaluation_id: int):
    return _render_evaluation(request, _get_evaluation(request, evaluation_id))


def _stale(request, evaluation: Evaluation) -> Refused | None:
    """409 when the page the POST comes from showed another state than the evaluation's now."""
    shown = request.POST.get("state")
    if shown is None or shown == evaluation.state:
        return None  # a POST without the state fails as a form (400)
    return Conflict(
        _(
            "This has already been dealt with: the evaluation is now “%(state)s”. Reload the "
            "page to see what changed."
        )
        % {"state": evaluation.get_state_display()}
    )


def _action(request, evaluation_id, **kwargs):
    """One POST on the evaluation (``workflows.core.pages.form_action``), refused with 409 when
    the page was stale."""
    evaluation = _get_evaluation(request, evaluation_id)
    return pages.form_action(
        request,
        evaluation,
        check=lambda user, e: _stale(request, e),
        render=_render_evaluation,
        refuse=lambda request, exc: refused(request, exc, evaluation=evaluation),
        done=lambda anchor: evaluation_url(evaluation, anchor),
        anchor="timeline",
        **kwargs,
    )


@require_POST
def evaluation_self_assess(request, evaluation_id: int):
    return _action(
        request,
        evaluation_id,
        name="self_assess_form",
        form_class=forms.SelfAssessForm,
        form_kwargs=lambda request, e: {"ruleset": e.campaign.ruleset},
        run=lambda user, e, f: services.evaluation_self_assess(
            actor=user,
            evaluation=e,
            scores=f.scores,
            review=f.cleaned_data["review"],
            level=f.cleaned_data["level"],
        ),
    )


@require_POST
def evaluation_comments(request, evaluation_id: int):
    return _action(
        request,
        evaluation_id,
        name="comments_form",
        form_class=forms.CommentsForm,
        form_kwargs=lambda request, e: {"user": request.user, "evaluation": e},
        run=lambda user, e, f: services.evaluation_comments_record(
            actor=user, evaluation=e, text=f.cleaned_data["text"], meeting=f.cleaned_data["meeting"]
        ),
    )


@require_POST
def evaluation_appraise(request, evaluation_id: int):
    return _action(
        request,
        evaluation_id,
        name="appraise_form",
        form_class=forms.AppraiseForm,
        run=lambda user, e, f: services.evaluation_appraise(
            actor=user, evaluation=e, level=f.cleaned_data["level"], note=f.cleaned_data["note"]
        ),
    )


def _on_the_form(service, **kwargs) -> None:
    """Run a decision; a quota refusal goes on the form (400), with the service's numbers."""
    try:
        service(**kwargs)
    except services.QuotaExceeded as exc:
        raise Invalid(exc.message) from exc


@require_POST
def evaluation_decide(request, evaluation_id: int):
    return _action(
        request,
        evaluation_id,
        name="decide_form",
        form_class=forms.DecideForm,
        run=lambda user, e, f: _on_the_form(
            services.evaluation_decide,
            actor=user,
            evaluation=e,
            level=f.cleaned_data["level"],
            note=f.cleaned_data["note"],
        ),
    )


@require_POST
def evaluation_complain(request, evaluation_id: int):
    return _action(
        request,
        evaluation_id,
        name="complain_form",
        form_class=forms.ComplainForm,
        run=lambda user, e, f: services.evaluation_complain(
            actor=user, evaluation=e, text=f.cleaned_data["text"]
        ),
    )


@require_POST
def evaluation_reevaluate(request, evaluation_id: int):
    return _action(
        request,
        evaluation_id,
        name="reevaluate_form",
        form_class=forms.ReevaluateForm,
        run=lambda user, e, f: _on_the_form(
            services.evaluation_reevaluate,
            actor=user,
            evaluation=e,
            level=f.cleaned_data["level"],
            reason=f.cleaned_data["reason"],
        ),
    )


@require_POST
def evaluation_excuse(request, evaluation_id: int):
    return _action(
        request,
        evaluation_id,
        name="excuse_form",
        form_class=forms.ExcuseForm,
        run=lambda user, e, f: services.evaluation_excuse(
            actor=user, evaluation=e, reason=f.cleaned_data["reason"]
        ),
    )
