"""Forms of the evaluation pages. They parse input; the services decide (and check again who may
act, the state, the bands, the quota). Select widgets offer only what the user may pick.

Every form acting on one evaluation carries the state its page showed (``state``, hidden): the
page refuses a POST whose state is no longer the evaluation's (409 "already dealt with") before
reading anything else, so a stale page never lands a confusing error.

The self-assessment form is built from the campaign's rule-set: one score per criteria group
(``evaluation_criteria_points``, the group's most points as the limit) — the same parameters
``services.scores_clean`` checks against. Scores are typed as text with ``inputmode="decimal"``
(a phone shows its number pad, and "27,5" is read like "27.5", as Vietnamese writes it).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from personnel.models import Cadre, EvaluationLevel, EvaluationPeriod, OrgUnit
from workflows.appointment.forms import Form, _textarea
from workflows.core import rules
from workflows.core import selectors as core_selectors
from workflows.core.models import Meeting, ParameterKey, Track
from workflows.planning.forms import board_units

from .models import CRITERIA_LABELS, EvaluationState, criteria_label

LEVELS = EvaluationLevel.choices


def _level_field(label, **kwargs):
    return forms.TypedChoiceField(
        label=label, choices=LEVELS, coerce=int, widget=forms.RadioSelect, **kwargs
    )


class _OnEvaluation(Form):
    """A form acting on one evaluation: it carries the state its page showed."""

    state = forms.ChoiceField(choices=EvaluationState.choices, widget=forms.HiddenInput)


# --------------------------------------------------------------------------- the campaign


class OpenForm(Form):
    """The organisation board opens a campaign over units its scope covers."""

    id_prefix = "open"
    title = forms.CharField(label=_("Title"), max_length=200)
    period = forms.ChoiceField(label=_("Period"), choices=EvaluationPeriod.choices)
    year = forms.IntegerField(
        label=_("Year"),
        min_value=1975,
        max_value=2100,
        help_text=_("For a term, the year the term ends."),
    )
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        choices=[("", "—"), (1, "1"), (2, "2"), (3, "3"), (4, "4")],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("For a quarterly evaluation only."),
    )
    occasion = forms.CharField(
        label=_("Occasion"),
        max_length=200,
        required=False,
        help_text=_("For an ad hoc evaluation only: why it is held."),
    )
    track = forms.ChoiceField(label=_("Track"), choices=Track.choices, initial=Track.PARTY)
    units = forms.ModelMultipleChoiceField(
        label=_("Units evaluated"),
        queryset=OrgUnit.objects.none(),
        help_text=_("Their collectives and every cadre working there are evaluated."),
    )
    cadres = forms.ModelMultipleChoiceField(
        label=_("Only these cadres"),
        queryset=Cadre.objects.none(),
        required=False,
        help_text=_(
            "An ad hoc evaluation may be limited to some cadres of the units (then no collective "
            "is evaluated). Empty: everyone."
        ),
    )
    self_assessment_days = forms.IntegerField(
        label=_("Working days for the self-assessment"), min_value=1, max_value=60, initial=10
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year
        units = board_units(user)
        self.fields["units"].queryset = units.order_by("path")
        self.fields["cadres"].queryset = (
            Cadre.objects.filter(unit__in=units).select_related("unit").order_by("full_name", "pk")
        )
        self.fields["cadres"].label_from_instance = lambda c: f"{c.full_name} — {c.unit.name}"

    def clean(self):
        data = super().clean()
        period = data.get("period")
        if period == EvaluationPeriod.QUARTER and data.get("quarter") is None:
            self.add_error("quarter", _("Choose the quarter (1–4)."))
        if period != EvaluationPeriod.QUARTER and data.get("quarter") is not None:
            self.add_error("quarter", _("A quarter is given for quarterly evaluations only."))
        occasion = (data.get("occasion") or "").strip()
        if period == EvaluationPeriod.AD_HOC and not occasion:
            self.add_error("occasion", _("Say why this ad hoc evaluation is held."))
        if period != EvaluationPeriod.AD_HOC and occasion:
            self.add_error("occasion", _("An occasion is given for ad hoc evaluations only."))
        if period != EvaluationPeriod.AD_HOC and data.get("cadres"):
            self.add_error("cadres", _("Only an ad hoc evaluation can be limited to some cadres."))
        return data


class ConfirmForm(Form):
    """A button: the action needs no input."""


class CancelForm(Form):
    id_prefix = "cancel"
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=5000, widget=_textarea(2))


# --------------------------------------------------------------------------- the self-assessment


def criteria(ruleset) -> list[tuple[str, int]]:
    """The rule-set's criteria groups, (code, most points): the named ones in the order of
    ``CRITERIA_LABELS`` (politics and ethics first, as the regulations list them), then any
    other by its code (a JSON object keeps no order in the database)."""
    groups = rules.get(ruleset, ParameterKey.EVALUATION_CRITERIA)
    named = list(CRITERIA_LABELS)
    return sorted(
        groups.items(),
        key=lambda item: (named.index(item[0]) if item[0] in named else len(named), item[0]),
    )


def score_bands(ruleset) -> list[dict]:
    """The levels a total reaches on the rule-set's bands, best first, each with its range."""
    bands = rules.get(ruleset, ParameterKey.EVALUATION_SCORE_BANDS)
    edges = [
        (EvaluationLevel.EXCELLENT, bands["excellent"], None),
        (EvaluationLevel.GOOD, bands["good"], bands["excellent"]),
        (EvaluationLevel.COMPLETED, bands["completed"], bands["good"]),
        (EvaluationLevel.NOT_COMPLETED, 0, bands["completed"]),
    ]
    return [
        {"level": level, "label": level.label, "from": low, "below": high}
        for level, low, high in edges
    ]


class ScoreField(forms.CharField):
    """Points for one criteria group: 0 to ``most``, at most two decimals, "," or "." alike."""

    def __init__(self, *, most: int, **kwargs):
        self.most = most
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"inputmode": "decimal", "autocomplete": "off", "class": "cf-score"}
            ),
        )
        super().__init__(max_length=12, **kwargs)

    def clean(self, value):
        raw = super().clean(value)
        try:
            number = Decimal(raw.strip().replace(",", "."))
        except (InvalidOperation, ValueError):
            raise forms.ValidationError(_("Enter a number."), code="invalid") from None
        if not number.is_finite() or number < 0 or number > self.most:
            raise forms.ValidationError(
                _("Between 0 and %(most)s points.") % {"most": self.most}, code="range"
            )
        if number != number.quantize(Decimal("0.01")):
            raise forms.ValidationError(_("At most two decimals."), code="decimals")
        return format(number.quantize(Decimal("0.01")).normalize(), "f")


class SelfAssessForm(_OnEvaluation):
    """Scores per criteria group, the self-review and, optionally, a level below the one the
    total reaches (never above: the service refuses it)."""

    id_prefix = "self"
    review = forms.CharField(label=_("Self-review"), max_length=20000, widget=_textarea(6))
    level = forms.TypedChoiceField(
        label=_("Level proposed"),
        choices=[("", _("The level my total reaches")), *LEVELS],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("A lower level may be chosen, never a higher one."),
    )

    def __init__(self, *args, ruleset, **kwargs):
        super().__init__(*args, **kwargs)
        self.groups = criteria(ruleset)
        scores = {}
        for code, most in self.groups:
            scores[f"score_{code}"] = ScoreField(
                most=most,
                label=criteria_label(code),
                help_text=_("0 to %(most)s points") % {"most": most},
            )
        # the scores first, then the review and the level
        self.fields = {**scores, **self.fields}

    @property
    def scores(self) -> dict[str, str]:
        return {code: self.cleaned_data[f"score_{code}"] for code, _most in self.groups}


class CommentsForm(_OnEvaluation):
    """The collective's comments from the review meeting, optionally linked to that meeting."""

    id_prefix = "comments"
    text = forms.CharField(
        label=_("The collective's comments"), max_length=20000, widget=_textarea(5)
    )
    meeting = forms.ModelChoiceField(
        label=_("Review meeting"),
        queryset=Meeting.objects.none(),
        required=False,
        empty_label=_("Not recorded in Cadreflow"),
    )

    def __init__(self, *args, user, evaluation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = (
            core_selectors.meetings_for_user(user=user)
            .filter(unit_id=evaluation.unit_id)
            .order_by("-scheduled_at", "-pk")
        )
        self.fields["meeting"].label_from_instance = lambda m: (
            f"{m.title} — {timezone.localtime(m.scheduled_at):%d/%m/%Y}"
        )


class AppraiseForm(_OnEvaluation):
    id_prefix = "appraise"
    level = _level_field(_("Level proposed by the organisation board"))
    note = forms.CharField(
        label=_("Appraisal note"),
        max_length=5000,
        required=False,
        widget=_textarea(3),
        help_text=_("Required when proposing another level than the self-rating."),
    )


class DecideForm(_OnEvaluation):
    id_prefix = "decide"
    level = _level_field(_("Level decided"))
    note = forms.CharField(
        label=_("Decision note"),
        max_length=5000,
        required=False,
        widget=_textarea(3),
        help_text=_("Required when deciding another level than the one proposed."),
    )


class ComplainForm(_OnEvaluation):
    id_prefix = "complain"
    text = forms.CharField(label=_("Complaint"), max_length=20000, widget=_textarea(4))


class ReevaluateForm(_OnEvaluation):
    id_prefix = "reevaluate"
    level = _level_field(_("Level after re-evaluation"))
    reason = forms.CharField(
        label=_("Reason of the re-evaluation"), max_length=5000, widget=_textarea(3)
    )


class ExcuseForm(_OnEvaluation):
    id_prefix = "excuse"
    reason = forms.CharField(label=_("Why not evaluated"), max_length=5000, widget=_textarea(2))
