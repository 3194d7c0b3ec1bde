"""Forms of the training pages. They parse input; the services decide (and check again who may
act). Select widgets offer only what the user may pick. Every form on a plan, a dispatch or a
breach carries the state its page showed (``state``), so a POST from a stale page is refused
with 409 before anything else is read (``views._stale``)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from personnel.models import OrgUnit, TrainingKind
from personnel.selectors import cadres_for_user
from workflows.appointment.forms import Form, _textarea
from workflows.planning.forms import board_units

from .models import KIND_LEVELS, BreachDecision, CandidateStatus, Outcome

DATE = "%Y-%m-%d"
FOSTERING = TrainingKind.FOSTERING.value


def _date_field(label, **kwargs):
    return forms.DateField(
        label=label,
        input_formats=[DATE, "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format=DATE),
        **kwargs,
    )


def course_choices() -> list:
    """Kind and level in one choice ("political_theory:30"), grouped by kind; a fostering
    course has no level."""
    groups = []
    for kind, (levels, _field) in KIND_LEVELS.items():
        if levels is None:
            groups.append((FOSTERING, kind.label))
            continue
        options = [(f"{kind.value}:{value}", label) for value, label in levels.choices if value]
        groups.append((kind.label, options))
    return groups


def parse_course_level(value: str) -> tuple[str, int | None]:
    kind, _sep, level = value.partition(":")
    return kind, int(level) if level else None


class StateForm(Form):
    """A form that carries the state of what its page showed."""

    state = forms.CharField(widget=forms.HiddenInput)


class OpenForm(Form):
    """The organisation board opens a unit's training plan for a year."""

    id_prefix = "open"
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    note = forms.CharField(
        label=_("Purpose of the plan"), max_length=5000, required=False, widget=_textarea(3)
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = board_units(user).order_by("path")
        self.fields["year"].initial = timezone.localdate().year


class CourseForm(StateForm):
    id_prefix = "course"
    kind_level = forms.ChoiceField(label=_("Kind and level"), choices=())
    title = forms.CharField(label=_("Programme"), max_length=200)
    institution = forms.CharField(label=_("Institution"), max_length=200, required=False)
    months = forms.IntegerField(label=_("Length (months)"), min_value=1, max_value=120)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind_level"].choices = course_choices()

    @property
    def kind_and_level(self) -> tuple[str, int | None]:
        return parse_course_level(self.cleaned_data["kind_level"])


class QuotaForm(StateForm):
    id_prefix = "quota"
    course = forms.ModelChoiceField(label=_("Course"), queryset=None)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())
    seats = forms.IntegerField(
        label=_("Seats"), min_value=0, max_value=999, help_text=_("0 removes the unit's seats.")
    )

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = plan.courses.order_by("kind", "level", "title")
        self.fields["unit"].queryset = OrgUnit.objects.filter(
            path__startswith=plan.unit.path
        ).order_by("path")


class ProposeForm(StateForm):
    id_prefix = "propose"
    course = forms.ModelChoiceField(label=_("Course"), queryset=None)
    cadre = forms.ModelChoiceField(label=_("Cadre"), queryset=None)
    off_plan_reason = forms.CharField(
        label=_("Reason, if the cadre is not in an approved plan"),
        max_length=5000,
        required=False,
        widget=_textarea(2),
    )

    def __init__(self, *args, user, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = plan.courses.order_by("kind", "level", "title")
        self.fields["cadre"].queryset = (
            cadres_for_user(user=user)
            .filter(unit__path__startswith=plan.unit.path)
            .select_related("unit")
            .order_by("full_name", "pk")
        )
        self.fields["cadre"].label_from_instance = lambda c: f"{c.full_name} — {c.unit.name}"


class CandidateWithdrawForm(StateForm):
    id_prefix = "unpropose"
    candidate = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=5000, widget=_textarea(2))


class ConfirmForm(StateForm):
    """A button: the action needs no input."""


class DecideForm(StateForm):
    """The competent chair approves the list (leaving some out) or returns it."""

    id_prefix = "decide"
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("yes", _("Approve")), ("no", _("Return to the board"))],
        widget=forms.RadioSelect,
    )
    decision_ref = forms.CharField(
        label=_("Decision number"),
        max_length=100,
        required=False,
        help_text=_("Required when approving."),
    )
    exclude = forms.TypedMultipleChoiceField(
        label=_("Not approved"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick the candidates left out; the others are approved."),
    )
    note = forms.CharField(
        label=_("Reasons (for those left out, or for returning the list)"),
        max_length=5000,
        required=False,
        widget=_textarea(3),
    )

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["exclude"].choices = [
            (c.pk, f"{c.cadre.full_name} — {c.course.title}")
            for c in plan.candidates.filter(status=CandidateStatus.PROPOSED)
            .select_related("cadre", "course")
            .order_by("course__title", "cadre__full_name")
        ]

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == "yes"

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        if decision == "yes" and not (data.get("decision_ref") or "").strip():
            self.add_error("decision_ref", _("Give the number of the approval decision."))
        if decision == "yes" and data.get("exclude") and not (data.get("note") or "").strip():
            self.add_error("note", _("Give the reason for leaving candidates out."))
        if decision == "no" and not (data.get("note") or "").strip():
            self.add_error("note", _("Give the reason for returning the list."))
        return data


class ReasonForm(StateForm):
    reason = forms.CharField(label=_("Reason"), max_length=5000, widget=_textarea(3))


class WithdrawForm(ReasonForm):
    id_prefix = "withdraw"


# --------------------------------------------------------------------------- dispatch


class CommitmentForm(StateForm):
    id_prefix = "commitment"
    signed_on = _date_field(_("Signed on"))
    months = forms.IntegerField(label=_("Months to serve"), min_value=1, max_value=1200)
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)


class DispatchDecideForm(StateForm):
    id_prefix = "dispatch"
    decision_ref = forms.CharField(label=_("Decision number"), max_length=100)
    decided_on = _date_field(_("Decision date"))
    signed_by = forms.CharField(label=_("Signed by"), max_length=200, required=False)


class EnrolForm(StateForm):
    id_prefix = "enrol"
    institution = forms.CharField(label=_("Institution"), max_length=200)
    starts_on = _date_field(_("Study starts on"))
    expected_end_on = _date_field(
        _("Expected to end on"), required=False, help_text=_("Empty: the course's length.")
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("starts_on"), data.get("expected_end_on")
        if start and end and end < start:
            self.add_error("expected_end_on", _("The study cannot end before it starts."))
        return data


class CompleteForm(StateForm):
    id_prefix = "complete"
    ended_on = _date_field(_("Completed on"))
    result = forms.CharField(
        label=_("Result (grade, certificate)"), max_length=5000, required=False, widget=_textarea(2)
    )


class NotCompletedForm(StateForm):
    id_prefix = "notdone"
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[(o.value, o.label) for o in (Outcome.DROPPED_OUT, Outcome.FAILED)],
        widget=forms.RadioSelect,
    )
    ended_on = _date_field(_("Ended on"))
    reason = forms.CharField(label=_("Reason"), max_length=5000, widget=_textarea(2))


class DispatchWithdrawForm(ReasonForm):
    id_prefix = "dwithdraw"


# --------------------------------------------------------------------------- breach


class BreachDecideForm(StateForm):
    id_prefix = "breach"
    decision = forms.ChoiceField(
        label=_("Decision"), choices=BreachDecision.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("Reasons"), max_length=5000, widget=_textarea(3))


class BreachDismissForm(ReasonForm):
    id_prefix = "bdismiss"
