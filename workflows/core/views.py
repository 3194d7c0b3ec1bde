"""Pages of meetings and secret ballots. Views parse input, call one service or selector, render.

Refusals from the services (``errors.Refused``) become a page with their status and message
(400, 403, 409) or, where the user filled a form, a form error with that status. Successful
POSTs answer 303 See Other (Hotwire Turbo follows it). Nothing here ever shows a voter's choice
back, and nothing shows a tally before the ballot is closed.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from personnel.selectors import committees_for_user

from . import rules, selectors, services
from .errors import Conflict, Forbidden, Refused
from .forms import (
    CHOICES_BY_KIND,
    AdjournForm,
    AttendanceForm,
    BallotForm,
    HeadDecisionForm,
    MeetingForm,
    PaperCountsForm,
    VoteForm,
    column_labels,
)
from .models import (
    BallotKind,
    BallotMode,
    BallotStatus,
    Candidate,
    Choice,
    Denominator,
    MeetingStatus,
    ParameterKey,
)
from .pages import HttpResponseSeeOther, page_of

# --------------------------------------------------------------------------- helpers


def _meeting_url(meeting_or_id) -> str:
    pk = getattr(meeting_or_id, "pk", meeting_or_id)
    return reverse("meetings:meeting:detail", kwargs={"meeting_id": pk})


def refused(request, exc: Refused, *, meeting=None, back: str = "", back_label: str = ""):
    """The page for a refusal: its status (400/403/409) and its message, nothing else, with a
    way back (the meeting's page unless ``back`` is given). Other procedures use it too."""
    if not back:
        back = _meeting_url(meeting) if meeting is not None else reverse("meetings:meeting:index")
    return render(
        request,
        "errors/refused.html",
        {
            "status": exc.status,
            "message": exc.message,
            "back": back,
            "back_label": back_label or _("Back to the meeting"),
        },
        status=exc.status,
    )


def _form_refusal(form, exc: Refused | ValidationError) -> int:
    """Put a service's refusal on the form; the status to answer with."""
    if isinstance(exc, ValidationError):
        form.add_error(None, exc.messages)
        return 400
    form.add_error(None, exc.message)
    return exc.status


# --------------------------------------------------------------------------- meetings


@require_GET
def meeting_list(request):
    user = request.user
    meetings = selectors.meetings_for_user(user=user).order_by("-scheduled_at", "-pk")
    page = page_of(request, meetings)
    return render(
        request,
        "meetings/meeting_list.html",
        {
            "page": page,
            "meetings": page.object_list,
            "can_call": committees_for_user(user=user).exists(),
        },
    )


@require_http_methods(["GET", "POST"])
def meeting_create(request):
    user = request.user
    committees = committees_for_user(user=user)
    if not committees.exists():
        raise Http404
    form = MeetingForm(request.POST if request.method == "POST" else None, committees=committees)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                meeting = services.meeting_create(
                    actor=user,
                    title=data["title"],
                    kind=data["kind"],
                    unit=data["body"].unit,
                    body=data["body"],
                    competent_body=data["competent_body"],
                    ruleset=data["ruleset"],
                    chair=data["chair_user"],
                    scheduled_at=data["scheduled_at"],
                )
            except (Refused, ValidationError) as exc:
                status = _form_refusal(form, exc)
            else:
                return HttpResponseSeeOther(_meeting_url(meeting))
    else:
        form.initial.setdefault(
            "scheduled_at", timezone.localtime().replace(second=0, microsecond=0)
        )
    return render(request, "meetings/meeting_form.html", {"form": form}, status=status)


def _ballot_rows(request, meeting, summons):
    user = request.user
    is_chair = user.pk == meeting.chair_id
    voter = summons is not None and summons.votes and not summons.excluded
    present = voter and summons.attendance == "present"
    rows = []
    ballots = meeting.ballots.prefetch_related(
        Prefetch(
            "candidates",
            # Names written in by voters are shown with the results only, after close.
            queryset=Candidate.objects.filter(written_in=False).select_related("cadre"),
        )
    )
    for ballot in ballots:
        ballot.meeting = meeting
        electronic = ballot.mode == BallotMode.ELECTRONIC
        is_open = ballot.status == BallotStatus.OPEN
        row = {
            "ballot": ballot,
            "can_open": is_chair
            and ballot.status == BallotStatus.DRAFT
            and meeting.status == MeetingStatus.CONVENED,
            "can_close": is_chair and is_open and electronic,
            "turnout": services.ballot_turnout(actor=user, ballot=ballot)
            if is_chair and is_open and electronic
            else None,
            "voted": False,
            "can_vote": False,
            "counts_paper": summons is not None
            and summons.counts_votes
            and ballot.mode == BallotMode.PAPER
            and ballot.status in (BallotStatus.OPEN, BallotStatus.COUNTED),
            "can_see_results": services.can_see_results(user=user, ballot=ballot),
        }
        if voter and electronic and (is_open or ballot.status == BallotStatus.CLOSED):
            row["voted"] = selectors.has_voted(user=user, ballot=ballot)
            row["can_vote"] = present and is_open and not row["voted"]
        rows.append(row)
    return rows


def _detail_context(request, meeting, **forms):
    user = request.user
    is_chair = user.pk == meeting.chair_id
    summons = list(
        meeting.summons.select_related("user").order_by("user__last_name", "user__first_name")
    )
    mine = next((s for s in summons if s.user_id == user.pk), None)
    ballots = _ballot_rows(request, meeting, mine)
    any_open = any(r["ballot"].status == BallotStatus.OPEN for r in ballots)
    can_prepare = meeting.status != MeetingStatus.CLOSED and (
        is_chair or services.is_org_board_for(user, meeting.unit)
    )
    try:
        quorum = services.meeting_quorum(meeting)
    except ValidationError:
        quorum = None
    context = {
        "meeting": meeting,
        "is_chair": is_chair,
        "summons": summons,
        "my_summons": mine,
        "quorum": quorum,
        "ballots": ballots,
        "any_open": any_open,
        "counting_group": [s for s in summons if s.counts_votes],
        "can_take_attendance": is_chair
        and meeting.status == MeetingStatus.CONVENED
        and not any_open,
        "can_prepare": can_prepare,
    }
    if context["can_take_attendance"]:
        context["attendance_form"] = forms.get("attendance_form") or AttendanceForm(summons=summons)
    if is_chair and meeting.status == MeetingStatus.CONVENED:
        context["adjourn_form"] = forms.get("adjourn_form") or AdjournForm()
    if can_prepare:
        context["ballot_form"] = forms.get("ballot_form") or BallotForm(
            cadres=selectors.candidate_cadres(user=user, meeting=meeting)
        )
    context["form_error"] = forms.get("form_error")
    return context


def _render_detail(request, meeting, status=200, **forms):
    return render(
        request,
        "meetings/meeting_detail.html",
        _detail_context(request, meeting, **forms),
        status=status,
    )


@require_GET
@never_cache
def meeting_detail(request, meeting_id: int):
    meeting = selectors.meeting_get_for_user(user=request.user, pk=meeting_id)
    return _render_detail(request, meeting)


def _meeting_action(request, meeting_id, action):
    meeting = selectors.meeting_get_for_user(user=request.user, pk=meeting_id)
    try:
        action(actor=request.user, meeting=meeting)
    except Refused as exc:
        return refused(request, exc, meeting=meeting)
    return HttpResponseSeeOther(_meeting_url(meeting))


@require_POST
def meeting_convene(request, meeting_id: int):
    """Convene a scheduled meeting, or reconvene an adjourned one (a new session)."""
    return _meeting_action(request, meeting_id, services.meeting_convene)


@require_POST
def meeting_close(request, meeting_id: int):
    return _meeting_action(request, meeting_id, services.meeting_close)


def _refusal_text(exc: Refused | ValidationError) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc.message)


def _detail_refused(request, meeting, exc: Refused | ValidationError, **forms):
    """A form on the meeting page was refused by the service: a 403 page when the user may not
    act at all, otherwise the page again with the reason on top and the form as it was sent."""
    if isinstance(exc, Forbidden):
        return refused(request, exc, meeting=meeting)
    status = exc.status if isinstance(exc, Refused) else 400
    return _render_detail(request, meeting, status=status, form_error=_refusal_text(exc), **forms)


@require_POST
def meeting_adjourn(request, meeting_id: int):
    meeting = selectors.meeting_get_for_user(user=request.user, pk=meeting_id)
    try:
        services.require_chair(request.user, meeting)
    except Refused as exc:
        return refused(request, exc, meeting=meeting)
    form = AdjournForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, meeting, status=400, adjourn_form=form)
    try:
        services.meeting_adjourn(
            actor=request.user, meeting=meeting, reason=form.cleaned_data["reason"]
        )
    except Refused as exc:
        return _detail_refused(request, meeting, exc, adjourn_form=form)
    return HttpResponseSeeOther(_meeting_url(meeting))


@require_POST
def meeting_attendance(request, meeting_id: int):
    meeting = selectors.meeting_get_for_user(user=request.user, pk=meeting_id)
    try:
        services.require_chair(request.user, meeting)
    except Refused as exc:
        return refused(request, exc, meeting=meeting)
    summons = meeting.summons.select_related("user").order_by("user__last_name", "user__first_name")
    form = AttendanceForm(request.POST, summons=summons)
    if not form.is_valid():
        return _render_detail(request, meeting, status=400, attendance_form=form)
    try:
        services.meeting_record_attendance(
            actor=request.user, meeting=meeting, entries=form.entries()
        )
    except Refused as exc:
        return _detail_refused(request, meeting, exc, attendance_form=form)
    return HttpResponseSeeOther(_meeting_url(meeting) + "#attendance")


@require_POST
def ballot_create(request, meeting_id: int):
    user = request.user
    meeting = selectors.meeting_get_for_user(user=user, pk=meeting_id)
    if not (user.pk == meeting.chair_id or services.is_org_board_for(user, meeting.unit)):
        # Checked before parsing, like services.require_chair; the service checks again.
        return refused(
            request,
            Forbidden(_("Only the chair or the organisation board can prepare ballots.")),
            meeting=meeting,
        )
    form = BallotForm(request.POST, cadres=selectors.candidate_cadres(user=user, meeting=meeting))
    if not form.is_valid():
        return _render_detail(request, meeting, status=400, ballot_form=form)
    data = form.cleaned_data
    try:
        ballot = services.ballot_create(
            actor=user,
            meeting=meeting,
            kind=data["kind"],
            mode=data["mode"],
            title=data["title"],
            cadres=list(data["candidates"]),
            motion=data["motion"],
            seats=data["seats"],
        )
    except (Refused, ValidationError) as exc:
        return _detail_refused(request, meeting, exc, ballot_form=form)
    return HttpResponseSeeOther(_meeting_url(meeting) + f"#ballot-{ballot.pk}")


# --------------------------------------------------------------------------- ballots (chair)


def _ballot_action(request, ballot_id, action):
    ballot = selectors.ballot_get_for_user(user=request.user, pk=ballot_id)
    try:
        action(actor=request.user, ballot=ballot)
    except Refused as exc:
        return refused(request, exc, meeting=ballot.meeting)
    return HttpResponseSeeOther(_meeting_url(ballot.meeting_id) + f"#ballot-{ballot.pk}")


@require_POST
def ballot_open(request, ballot_id: int):
    return _ballot_action(request, ballot_id, services.ballot_open)


@require_POST
def ballot_close(request, ballot_id: int):
    return _ballot_action(request, ballot_id, services.ballot_close)


@require_GET
@never_cache
def ballot_turnout(request, ballot_id: int):
    """``{"voted", "eligible", "status"}`` for the chair's live counter; nothing else."""
    ballot = selectors.ballot_get_for_user(user=request.user, pk=ballot_id)
    try:
        turnout = services.ballot_turnout(actor=request.user, ballot=ballot)
    except Refused as exc:
        return JsonResponse({"error": str(exc.message)}, status=exc.status)
    return JsonResponse(
        {"voted": turnout.voted, "eligible": turnout.eligible, "status": ballot.status}
    )


# --------------------------------------------------------------------------- voting


def _paper_candidates(ballot):
    return ballot.candidates.filter(written_in=False).select_related("cadre")


@require_http_methods(["GET", "POST"])
@never_cache
def ballot_vote(request, ballot_id: int):
    user = request.user
    ballot = selectors.ballot_get_for_user(user=user, pk=ballot_id)
    context = {"ballot": ballot, "meeting": ballot.meeting}
    if request.method == "GET":
        if selectors.has_voted(user=user, ballot=ballot):
            return render(request, "meetings/ballot_vote.html", {**context, "recorded": True})
        refusal = selectors.vote_refusal(user=user, ballot=ballot)
        if refusal is not None:
            return refused(request, refusal, meeting=ballot.meeting)
    data = request.POST if request.method == "POST" else None
    # "Find" on the paper: list the cadres whose name matches, keep what was chosen, cast
    # nothing (the paper is a form; the lookup travels in its POST body, not in an address).
    searching = data is not None and "search" in data
    if searching:
        refusal = selectors.vote_refusal(user=user, ballot=ballot)
        if refusal is not None:
            return refused(request, refusal, meeting=ballot.meeting)
    write_ins = selectors.write_in_cadres(user=user, ballot=ballot)
    shown = (
        selectors.write_in_matches(
            allowed=write_ins,
            text=data.get("find", ""),
            chosen=[data.get("write_in", ""), *data.getlist("write_ins")],
        )
        if data is not None
        else []
    )
    form = VoteForm(
        None if searching else data,
        ballot=ballot,
        candidates=_paper_candidates(ballot),
        write_ins=write_ins,
        shown=shown,
    )
    if searching:
        form.initial_from(data)
        return render(
            request,
            "meetings/ballot_vote.html",
            {**context, "form": form, "searched": True, "matches": len(shown)},
        )
    status = 200
    if request.method == "POST":
        status = 400
        if not form.is_valid():
            # A paper that would be refused anyway gets the refusal, not a form error.
            refusal = selectors.vote_refusal(user=user, ballot=ballot)
            if refusal is not None:
                return refused(request, refusal, meeting=ballot.meeting)
        else:
            try:
                services.ballot_cast(actor=user, ballot=ballot, marks=form.marks())
            except Refused as exc:
                if exc.status != 400:
                    return refused(request, exc, meeting=ballot.meeting)
                status = _form_refusal(form, exc)
            else:
                # Back to the same page, which now says only that the vote was recorded.
                return HttpResponseSeeOther(
                    reverse("meetings:ballot:vote", kwargs={"ballot_id": ballot.pk})
                )
    return render(request, "meetings/ballot_vote.html", {**context, "form": form}, status=status)


# --------------------------------------------------------------------------- paper ballots


def _counting_refusal(user, ballot) -> Refused | None:
    summons = selectors.summons_of(user=user, meeting=ballot.meeting)
    if summons is None or not summons.counts_votes:
        return Forbidden(_("Only the vote-counting group enters paper counts."))
    return None


def _paper_context(ballot, form):
    """The page, with the counts awaiting confirmation when there are some."""
    entered = None
    if ballot.status == BallotStatus.COUNTED:
        tallies = {(t.candidate_id, t.choice): t.count for t in ballot.paper_tallies.all()}
        choices = CHOICES_BY_KIND[BallotKind(ballot.kind)]
        entered = [
            (c, [tallies.get((c.pk, ch.value), 0) for ch in choices])
            for c in _paper_candidates(ballot)
        ]
    return {
        "ballot": ballot,
        "meeting": ballot.meeting,
        "form": form,
        "columns": column_labels(ballot.kind),
        "entered": entered,
    }


@require_http_methods(["GET", "POST"])
@never_cache
def ballot_paper(request, ballot_id: int):
    user = request.user
    ballot = selectors.ballot_get_for_user(user=user, pk=ballot_id)
    refusal = _counting_refusal(user, ballot)
    if refusal is not None:
        return refused(request, refusal, meeting=ballot.meeting)
    if ballot.mode != BallotMode.PAPER or ballot.status not in (
        BallotStatus.OPEN,
        BallotStatus.COUNTED,
    ):
        return refused(
            request,
            Conflict(_("Counts are entered for an open paper ballot.")),
            meeting=ballot.meeting,
        )
    initial = {"issued": ballot.issued} if ballot.issued is not None else {}
    if ballot.status == BallotStatus.COUNTED:  # correcting: start from what was entered
        initial.update(returned=ballot.returned, valid=ballot.valid, invalid=ballot.invalid)
        for t in ballot.paper_tallies.all():
            initial[f"n_{t.candidate_id}_{t.choice}"] = t.count
    form = PaperCountsForm(
        request.POST if request.method == "POST" else None,
        ballot=ballot,
        candidates=_paper_candidates(ballot),
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.ballot_paper_enter(actor=user, ballot=ballot, counts=form.counts())
            except (Refused, ValidationError) as exc:
                if isinstance(exc, Refused) and exc.status == 403:
                    return refused(request, exc, meeting=ballot.meeting)
                status = _form_refusal(form, exc)
            else:
                return HttpResponseSeeOther(
                    reverse("meetings:ballot:paper", kwargs={"ballot_id": ballot.pk})
                )
    return render(
        request, "meetings/ballot_paper.html", _paper_context(ballot, form), status=status
    )


@require_POST
def ballot_paper_confirm(request, ballot_id: int):
    ballot = selectors.ballot_get_for_user(user=request.user, pk=ballot_id)
    try:
        services.ballot_paper_confirm(actor=request.user, ballot=ballot)
    except Refused as exc:
        return refused(request, exc, meeting=ballot.meeting)
    return HttpResponseSeeOther(_meeting_url(ballot.meeting_id) + f"#ballot-{ballot.pk}")


# --------------------------------------------------------------------------- results

DENOMINATOR_RULES = {
    "more_than_half_else_carry_forward": gettext_lazy(
        "Nominated with more than half of the denominator; if nobody passes, the highest go "
        "forward to the next step."
    ),
    "more_than_half_tie_to_head": gettext_lazy(
        "Approved with more than half of the denominator; at exactly half the head decides and "
        "reports the differing opinions."
    ),
    "confidence_low_bars": gettext_lazy(
        "Low-confidence votes are compared with the bars of the rule-set."
    ),
}

CONFIDENCE_WORDS = {
    "retains_confidence": gettext_lazy("Retains confidence"),
    "not_considered_for_higher_post": gettext_lazy(
        "Low confidence above the bar: not to be considered for a higher post"
    ),
    "consider_dismissal": gettext_lazy(
        "Low confidence at or above the bar: to be considered for dismissal"
    ),
    "no_valid_ballots": gettext_lazy("No valid ballots"),
}

APPROVAL_WORDS = {
    "approved": gettext_lazy("Approved"),
    "tied": gettext_lazy("Tied at exactly half — the head decides"),
    "rejected": gettext_lazy("Not approved"),
}


SHARE_LABELS = {
    BallotKind.NOMINATION: gettext_lazy("Votes, share of the denominator"),
    BallotKind.APPROVAL: gettext_lazy("Approve, share of the denominator"),
    BallotKind.CONFIDENCE: gettext_lazy("Low confidence, share of the denominator"),
}


def _percent(count: int, denominator: int) -> str:
    if not denominator:
        return "—"
    return f"{count * 100 / denominator:.2f} %"


def _fraction_text(value) -> str:
    return f"{value['numerator']}/{value['denominator']}"


def results_view_model(ballot) -> dict:
    """Everything the results page and the minutes show, from the outcome stored at close."""
    outcome = ballot.outcome or {}
    denominator = outcome.get("denominator", {})
    value = denominator.get("value") or 0
    names = {row["candidate"]: row["name"] for row in outcome.get("candidates", [])}
    choices = CHOICES_BY_KIND[BallotKind(ballot.kind)]
    columns = [_("Votes")] if ballot.kind == BallotKind.NOMINATION else [ch.label for ch in choices]
    result = outcome.get("result", {})
    rows = []
    for row in outcome.get("candidates", []):
        counts = row.get("counts", {})
        main = counts.get(
            {
                BallotKind.NOMINATION: Choice.NOMINATE,
                BallotKind.APPROVAL: Choice.APPROVE,
                BallotKind.CONFIDENCE: Choice.LOW,
            }[BallotKind(ballot.kind)].value,
            0,
        )
        verdict = ""
        if ballot.kind == BallotKind.APPROVAL:
            verdict = APPROVAL_WORDS.get(result.get(str(row["candidate"])), "")
        elif ballot.kind == BallotKind.CONFIDENCE:
            verdict = CONFIDENCE_WORDS.get(result.get(str(row["candidate"])), "")
        elif row["candidate"] in result.get("nominated", []):
            verdict = _("Nominated")
        elif row["candidate"] in result.get("forward", []):
            verdict = _("Goes forward to the next step")
        elif row["candidate"] in result.get("tied_at_cut", []):
            verdict = _("Tied at the cut")
        rows.append(
            {
                "name": row["name"],
                "written_in": row.get("written_in"),
                "counts": [
                    (label, counts.get(ch.value, 0))
                    for ch, label in zip(choices, columns, strict=True)
                ],
                "main_percent": _percent(main, value),
                "verdict": verdict,
            }
        )
    summary = []
    if ballot.kind == BallotKind.NOMINATION and result:

        def listed(ids):
            return ", ".join(names.get(i, "?") for i in ids)

        kind = result.get("result")
        if result.get("nominated"):
            summary.append(_("Nominated: %(names)s.") % {"names": listed(result["nominated"])})
        if kind == "carried_forward":
            if result.get("forward"):
                message = (
                    _(
                        "No one else reached more than half; going forward to the next step: "
                        "%(names)s."
                    )
                    if result.get("nominated")
                    else _(
                        "Nobody reached more than half; going forward to the next step: %(names)s."
                    )
                )
                summary.append(message % {"names": listed(result["forward"])})
            if result.get("tied_at_cut"):
                places = result.get("open_places", 0)
                summary.append(
                    ngettext(
                        "Tied at the cut: %(names)s — %(places)s place open among them; the "
                        "competent body decides who goes forward.",
                        "Tied at the cut: %(names)s — %(places)s places open among them; the "
                        "competent body decides who goes forward.",
                        places,
                    )
                    % {
                        "names": listed(result["tied_at_cut"]),
                        "places": places,
                    }
                )
        elif kind == "none":
            summary.append(_("Nobody was named: nobody is nominated."))
    elif result:
        for row in outcome.get("candidates", []):
            words = APPROVAL_WORDS if ballot.kind == BallotKind.APPROVAL else CONFIDENCE_WORDS
            summary.append(f"{row['name']}: {words.get(result.get(str(row['candidate'])), '')}")
    bars = None
    if ballot.kind == BallotKind.CONFIDENCE:
        try:
            raw = rules.get(ballot.meeting.ruleset, ParameterKey.CONFIDENCE_LOW_BARS)
            bars = {k: _fraction_text(v) for k, v in raw.items()}
        except ValidationError:
            bars = None
    rule = denominator.get("rule")
    return {
        "counts": outcome.get("counts", {}),
        "denominator_label": Denominator(rule).label if rule in Denominator.values else rule,
        "denominator_value": value,
        "rule_text": DENOMINATOR_RULES.get(outcome.get("rule"), ""),
        "columns": columns,
        "share_label": SHARE_LABELS[BallotKind(ballot.kind)],
        "rows": rows,
        "summary": summary,
        "bars": bars,
        "needs_head_decision": outcome.get("needs_head_decision", False),
    }


def _results_refusal(ballot) -> Refused:
    if ballot.status != BallotStatus.CLOSED:
        return Forbidden(_("The results are not available until the ballot is closed and counted."))
    return Forbidden(
        _(
            "The results of this ballot are sealed: only the organisation board and the "
            "competent body see them."
        )
    )


def _readable_ballot(request, ballot_id):
    """The ballot and its results for a reader allowed to see them (sealed reads are audited),
    or the refusal to show."""
    ballot = selectors.ballot_get_for_user(user=request.user, pk=ballot_id)
    if not services.can_see_results(user=request.user, ballot=ballot):
        return ballot, _results_refusal(ballot)
    try:
        ballot = services.ballot_results_view(user=request.user, ballot=ballot)
    except Refused as exc:
        return ballot, exc
    return ballot, None


def _results_context(request, ballot, decision_form=None):
    meeting = ballot.meeting
    model = results_view_model(ballot)
    show_decision_form = (
        model["needs_head_decision"]
        and request.user.pk == meeting.chair_id
        and not ballot.head_decision
    )
    return {
        "ballot": ballot,
        "meeting": meeting,
        "result": model,
        "decision_form": (decision_form or HeadDecisionForm()) if show_decision_form else None,
    }


@require_GET
@never_cache
def ballot_results(request, ballot_id: int):
    ballot, refusal = _readable_ballot(request, ballot_id)
    if refusal is not None:
        return refused(request, refusal, meeting=ballot.meeting)
    return render(request, "meetings/ballot_results.html", _results_context(request, ballot))


@require_POST
def ballot_decide(request, ballot_id: int):
    ballot = selectors.ballot_get_for_user(user=request.user, pk=ballot_id)
    try:
        services.require_chair(request.user, ballot.meeting)
    except Refused as exc:
        return refused(request, exc, meeting=ballot.meeting)
    form = HeadDecisionForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.ballot_head_decide(
                actor=request.user,
                ballot=ballot,
                decision=form.cleaned_data["decision"],
                differing_opinions=form.cleaned_data["differing_opinions"],
            )
        except Refused as exc:
            if exc.status == 403:
                return refused(request, exc, meeting=ballot.meeting)
            status = _form_refusal(form, exc)
        else:
            return HttpResponseSeeOther(
                reverse("meetings:ballot:results", kwargs={"ballot_id": ballot.pk})
            )
    ballot, refusal = _readable_ballot(request, ballot_id)
    if refusal is not None:
        return refused(request, refusal, meeting=ballot.meeting)
    return render(
        request,
        "meetings/ballot_results.html",
        _results_context(request, ballot, form),
        status=status,
    )


@require_GET
@never_cache
def ballot_minutes(request, ballot_id: int):
    """Biên bản kiểm phiếu: a printable page with every count and the rule applied."""
    ballot, refusal = _readable_ballot(request, ballot_id)
    if refusal is not None:
        return refused(request, refusal, meeting=ballot.meeting)
    meeting = ballot.meeting
    return render(
        request,
        "meetings/ballot_minutes.html",
        {
            "ballot": ballot,
            "meeting": meeting,
            "result": results_view_model(ballot),
            "counting_group": selectors.counting_group(meeting=meeting),
            "generated": timezone.localtime(),
        },
    )
