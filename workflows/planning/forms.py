"""Forms of the planning pages. They parse input; the services decide (and check again who may
act). Select widgets offer only what the user may pick."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from personnel.models import OrgUnit, PlanningEntry, PlanningStatus, Position
from personnel.selectors import cadres_for_user
from workflows.appointment.forms import YES_NO, Form, _textarea
from workflows.core.forms import DATETIME_LOCAL
from workflows.core.models import BallotMode
from workflows.core.selectors import org_board_paths


def _covered(user, field: str) -> Q | None:
    """Rows whose ``field`` (a unit path) lies under a unit the user's organisation board
    covers; None when it covers nothing."""
    if user.is_superuser:
        return Q()
    paths = org_board_paths(user)
    if not paths:
        return None
    covered = Q()
    for path in paths:
        covered |= Q(**{f"{field}__startswith": path})
    return covered


def board_units(user):
    covered = _covered(user, "path")
    return OrgUnit.objects.none() if covered is None else OrgUnit.objects.filter(covered)


def removable_entries(user):
    """Approved entries of posts the user's organisation board covers."""
    covered = _covered(user, "position__unit__path")
    if covered is None:
        return PlanningEntry.objects.none()
    return PlanningEntry.objects.filter(covered, status=PlanningStatus.APPROVED)


class OpenForm(Form):
    """The organisation board opens the annual review of a unit's plan for a term."""

    id_prefix = "open"
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())
    term_start_year = forms.IntegerField(label=_("Term from"), min_value=2000, max_value=2100)
    term_end_year = forms.IntegerField(label=_("Term to"), min_value=2000, max_value=2100)
    review_year = forms.IntegerField(
        label=_("Review year"),
        min_value=2000,
        max_value=2100,
        required=False,
        help_text=_("Empty: this year."),
    )
    note = forms.CharField(
        label=_("Review plan"), max_length=5000, required=False, widget=_textarea(4)
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = board_units(user).order_by("path")

    def clean(self):
        data = super().clean()
        start, end = data.get("term_start_year"), data.get("term_end_year")
        if start and end and end <= start:
            self.add_error("term_end_year", _("The planning term must end after it starts."))
        return data


class ProposeForm(Form):
    id_prefix = "propose"
    position = forms.ModelChoiceField(label=_("Post"), queryset=Position.objects.none())
    cadre = forms.ModelChoiceField(label=_("Cadre"), queryset=None)

    def __init__(self, *args, user, review, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].queryset = (
            Position.objects.filter(unit__path__startswith=review.unit.path)
            .select_related("unit")
            .order_by("unit__path", "-level", "title")
        )
        self.fields["position"].label_from_instance = lambda p: f"{p.title} — {p.unit.name}"
        self.fields["cadre"].queryset = (
            cadres_for_user(user=user).select_related("unit").order_by("full_name", "pk")
        )
        self.fields["cadre"].label_from_instance = lambda c: f"{c.full_name} — {c.unit.name}"


class CandidateWithdrawForm(Form):
    id_prefix = "unpropose"
    candidate = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=5000, widget=_textarea(2))


class ConfirmForm(Form):
    """A button: the action needs no input."""


class StepCallForm(Form):
    id_prefix = "call"
    step = forms.CharField(widget=forms.HiddenInput)
    scheduled_at = forms.DateTimeField(
        label=_("Scheduled at"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    mode = forms.ChoiceField(
        label=_("How the ballot is cast"), choices=BallotMode.choices, initial=BallotMode.ELECTRONIC
    )


class StepRecordForm(Form):
    id_prefix = "record"
    step = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note for the record"), max_length=5000, required=False, widget=_textarea(2)
    )


class TieForm(Form):
    """The head of the meeting decides each row tied at exactly half."""

    id_prefix = "tie"
    step = forms.CharField(widget=forms.HiddenInput)
    ballot = forms.IntegerField(widget=forms.HiddenInput)
    approve = forms.TypedMultipleChoiceField(
        label=_("Approved by the head"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The rows not ticked are not approved."),
    )
    differing_opinions = forms.CharField(
        label=_("Differing opinions (reported to the level above)"),
        max_length=5000,
        widget=_textarea(3),
    )

    def __init__(self, *args, tied=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approve"].choices = list(tied)


class DecideForm(Form):
    id_prefix = "decide"
    decision = forms.ChoiceField(label=_("Decision"), choices=YES_NO, widget=forms.RadioSelect)
    decision_ref = forms.CharField(
        label=_("Decision number"),
        max_length=100,
        required=False,
        help_text=_("Required when approving."),
    )
    note = forms.CharField(
        label=_("Note (the reason, when rejecting)"),
        max_length=5000,
        required=False,
        widget=_textarea(),
    )

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == "yes"

    def clean(self):
        data = super().clean()
        if data.get("decision") == "yes" and not (data.get("decision_ref") or "").strip():
            self.add_error("decision_ref", _("Give the number of the approval decision."))
        return data


class ReasonForm(Form):
    id_prefix = "reason"
    reason = forms.CharField(label=_("Reason"), max_length=5000, widget=_textarea(3))


class WithdrawForm(ReasonForm):
    id_prefix = "withdraw"


class RemovalProposeForm(Form):
    """A removal at the board's discretion: the written reason is required (Q8)."""

    id_prefix = "removal"
    entry = forms.ModelChoiceField(label=_("Planning entry"), queryset=PlanningEntry.objects.none())
    reason = forms.CharField(label=_("Written reason"), max_length=5000, widget=_textarea(3))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entry"].queryset = (
            removable_entries(user)
            .select_related("cadre", "position", "position__unit")
            .order_by("position__unit__path", "position__title", "cadre__full_name")
        )
        self.fields["entry"].label_from_instance = lambda e: (
            f"{e.cadre.full_name} — {e.position.title} ({e.term_start_year}–{e.term_end_year})"
        )


class RemovalConfirmForm(Form):
    id_prefix = "confirm"
    note = forms.CharField(label=_("Note"), max_length=5000, required=False, widget=_textarea(2))


class RemovalDismissForm(Form):
    id_prefix = "dismiss"
    reason = forms.CharField(label=_("Reason for dismissing"), max_length=5000, widget=_textarea(2))


def now_local():
    return timezone.localtime().replace(second=0, microsecond=0)
