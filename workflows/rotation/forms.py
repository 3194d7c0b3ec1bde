"""Forms of the rotation pages. They parse input; the services decide (and check again who may
act, the state, the gates). Select widgets offer only what the user may pick.

Every form acting on a plan or a movement carries the stage its page showed (``stage``,
hidden): the page refuses a POST whose stage is no longer the object's (409 "already dealt
with") before reading anything else, as the evaluation pages do.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from personnel.models import OrgUnit, Position
from personnel.selectors import cadres_for_user
from workflows.appointment.forms import Form, _textarea
from workflows.core.forms import DATETIME_LOCAL
from workflows.core.models import BallotMode
from workflows.planning.forms import board_units

from .models import (
    FINISHED,
    Direction,
    DossierKind,
    Movement,
    Opinion,
    Placement,
    PlanStage,
    Side,
    Stage,
)

DATE = "%Y-%m-%d"

__all__ = ["board_units"]


def _date(label, **kwargs):
    return forms.DateField(
        label=label,
        input_formats=[DATE, "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format=DATE),
        **kwargs,
    )


def today():
    return timezone.localdate()


def _positions(unit: OrgUnit):
    return (
        Position.objects.filter(unit__path__startswith=unit.path)
        .select_related("unit")
        .order_by("unit__path", "-level", "title")
    )


def _post_label(position) -> str:
    return f"{position.title} — {position.unit.name}"


def movable_cadres(user, unit: OrgUnit):
    """Cadres of ``unit`` in the user's scope who are in no running rotation or transfer."""
    running = Movement.objects.exclude(stage__in=FINISHED).values("cadre_id")
    return (
        cadres_for_user(user=user)
        .filter(unit__path__startswith=unit.path)
        .exclude(pk__in=running)
        .select_related("unit")
        .order_by("full_name", "pk")
    )


# --------------------------------------------------------------------------- opening


class PlanOpenForm(Form):
    id_prefix = "open"
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())
    title = forms.CharField(label=_("Title"), max_length=200)
    period_start = forms.IntegerField(label=_("Period from"), min_value=2000, max_value=2100)
    period_end = forms.IntegerField(label=_("Period to"), min_value=2000, max_value=2100)
    note = forms.CharField(
        label=_("The plan: need, posts, policies"),
        max_length=5000,
        required=False,
        widget=_textarea(4),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = board_units(user).order_by("path")

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period must end in or after the year it starts."))
        return data


class TransferForm(Form):
    """The organisation board proposes a transfer within a unit it covers."""

    id_prefix = "transfer"
    unit = forms.ModelChoiceField(
        label=_("Unit that decides"),
        queryset=OrgUnit.objects.none(),
        help_text=_("Its standing committee's chair signs; the cadre and the post belong to it."),
    )
    cadre = forms.ModelChoiceField(label=_("Cadre"), queryset=None)
    to_position = forms.ModelChoiceField(label=_("Post at the destination"), queryset=None)
    reason = forms.CharField(label=_("Why"), max_length=5000, widget=_textarea(3))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        units = board_units(user)
        self.fields["unit"].queryset = units.order_by("path")
        running = Movement.objects.exclude(stage__in=FINISHED).values("cadre_id")
        self.fields["cadre"].queryset = (
            cadres_for_user(user=user)
            .filter(unit__in=units)
            .exclude(pk__in=running)
            .select_related("unit")
            .order_by("full_name", "pk")
        )
        self.fields["cadre"].label_from_instance = lambda c: f"{c.full_name} — {c.unit.name}"
        self.fields["to_position"].queryset = (
            Position.objects.filter(unit__in=units)
            .select_related("unit")
            .order_by("unit__path", "-level", "title")
        )
        self.fields["to_position"].label_from_instance = _post_label


# --------------------------------------------------------------------------- the plan


class _OnPlan(Form):
    stage = forms.ChoiceField(choices=PlanStage.choices, widget=forms.HiddenInput)


class ConfirmPlanForm(_OnPlan):
    """A button: the action needs no input."""


class ItemForm(_OnPlan):
    id_prefix = "item"
    cadre = forms.ModelChoiceField(label=_("Cadre"), queryset=None)
    to_position = forms.ModelChoiceField(label=_("Post at the destination"), queryset=None)
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)
    months = forms.IntegerField(label=_("Duration (months)"), min_value=1, max_value=240)
    reason = forms.CharField(label=_("Why"), max_length=5000, widget=_textarea(2))
    expected_after = forms.CharField(
        label=_("Expected arrangement afterwards"),
        max_length=5000,
        required=False,
        widget=_textarea(2),
    )

    def __init__(self, *args, user, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cadre"].queryset = movable_cadres(user, plan.unit)
        self.fields["cadre"].label_from_instance = lambda c: f"{c.full_name} — {c.unit.name}"
        self.fields["to_position"].queryset = _positions(plan.unit)
        self.fields["to_position"].label_from_instance = _post_label


class VoteCallForm(_OnPlan):
    id_prefix = "call"
    scheduled_at = forms.DateTimeField(
        label=_("Scheduled at"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    mode = forms.ChoiceField(
        label=_("How the ballot is cast"), choices=BallotMode.choices, initial=BallotMode.ELECTRONIC
    )


class VoteRecordForm(_OnPlan):
    id_prefix = "record"
    note = forms.CharField(
        label=_("Note for the record"), max_length=5000, required=False, widget=_textarea(2)
    )


class TieForm(_OnPlan):
    """The head of the meeting decides each row tied at exactly half."""

    id_prefix = "tie"
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


class PlanWithdrawForm(_OnPlan):
    id_prefix = "withdraw"
    reason = forms.CharField(label=_("Reason"), max_length=5000, widget=_textarea(3))


# --------------------------------------------------------------------------- one cadre


class _OnMovement(Form):
    stage = forms.ChoiceField(choices=Stage.choices, widget=forms.HiddenInput)


class ConfirmForm(_OnMovement):
    """A button: the action needs no input."""


class ConversationForm(_OnMovement):
    id_prefix = "conversation"
    held_on = _date(_("Held on"))
    cadre_view = forms.CharField(label=_("The cadre's view"), max_length=5000, widget=_textarea(3))
    objection = forms.CharField(
        label=_("Objection (if any)"), max_length=5000, required=False, widget=_textarea(2)
    )


class ConsultationForm(_OnMovement):
    id_prefix = "consultation"
    side = forms.ChoiceField(label=_("Unit consulted"), choices=Side.choices)
    consulted_on = _date(_("Consulted on"))
    body = forms.CharField(
        label=_("Body consulted"),
        max_length=200,
        help_text=_("E.g. the unit's standing committee or leadership collective."),
    )
    opinion = forms.ChoiceField(
        label=_("Opinion"), choices=Opinion.choices, widget=forms.RadioSelect
    )
    remarks = forms.CharField(
        label=_("Remarks"),
        max_length=5000,
        required=False,
        widget=_textarea(2),
        help_text=_("Required unless the unit simply agrees."),
    )


class DossierForm(_OnMovement):
    id_prefix = "dossier"
    kind = forms.ChoiceField(label=_("Document"), choices=DossierKind.choices)
    dated = _date(_("Dated"), help_text=_("For the health certificate: the day it was issued."))
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)
    note = forms.CharField(label=_("Note"), max_length=5000, required=False, widget=_textarea(2))


class ExceptionForm(_OnMovement):
    id_prefix = "exception"
    reason = forms.CharField(
        label=_("Written reason of the competent level"), max_length=5000, widget=_textarea(3)
    )


class DecideForm(_OnMovement):
    id_prefix = "decide"
    decision_number = forms.CharField(label=_("Decision number"), max_length=100)
    decision_date = _date(_("Decision date"))
    starts_on = _date(_("Starts on"), help_text=_("The day the cadre starts at the destination."))

    def clean(self):
        data = super().clean()
        decided, starts = data.get("decision_date"), data.get("starts_on")
        if decided and starts and starts < decided:
            self.add_error("starts_on", _("The cadre cannot start before the decision."))
        return data


class HandOverForm(_OnMovement):
    id_prefix = "handover"
    handed_over_on = _date(_("Handed over on"))
    note = forms.CharField(label=_("Note"), max_length=5000, required=False, widget=_textarea(2))


class ReceiveForm(_OnMovement):
    id_prefix = "receive"
    received_on = _date(_("Received on"))
    note = forms.CharField(
        label=_("Confirmation of the receiving unit"),
        max_length=5000,
        required=False,
        widget=_textarea(2),
    )


class ReportForm(_OnMovement):
    id_prefix = "report"
    reported_on = _date(_("Reported on"))
    text = forms.CharField(label=_("Report"), max_length=10000, widget=_textarea(4))


class ReviewForm(_OnMovement):
    id_prefix = "review"
    reviewed_on = _date(_("Reviewed on"))
    review = forms.CharField(
        label=_("Review: results, capacity, evaluation"), max_length=10000, widget=_textarea(4)
    )
    proposed_placement = forms.ChoiceField(
        label=_("Proposed placement"), choices=Placement.choices, widget=forms.RadioSelect
    )


class PlacementForm(_OnMovement):
    id_prefix = "place"
    placement = forms.ChoiceField(
        label=_("Placement"), choices=Placement.choices, widget=forms.RadioSelect
    )
    position = forms.ModelChoiceField(
        label=_("Post"),
        queryset=Position.objects.none(),
        required=False,
        help_text=_("For a return: empty means the former post. Required for a new post."),
    )
    effective_on = _date(_("From"))
    decision_number = forms.CharField(label=_("Decision number"), max_length=100)

    def __init__(self, *args, movement, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].queryset = _positions(movement.unit)
        self.fields["position"].label_from_instance = _post_label


class MovementWithdrawForm(_OnMovement):
    id_prefix = "withdraw"
    reason = forms.CharField(label=_("Reason"), max_length=5000, widget=_textarea(3))


def now_local():
    return timezone.localtime().replace(second=0, microsecond=0)
