"""Forms of the appointment pages. They parse input; the services decide (and check again who
may act). Select widgets offer only what the user may pick."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from personnel.models import CommitteeMembership, Position
from personnel.selectors import active_on, cadres_for_user
from workflows.core.forms import DATETIME_LOCAL
from workflows.core.models import BallotMode, RuleSet, Track
from workflows.core.selectors import org_board_paths

from .gates import LABELS, OVERRIDABLE
from .models import DossierKind, Source

YES_NO = [("yes", _("Approve")), ("no", _("Reject"))]


class Form(forms.Form):
    """A form whose element ids start with ``id_prefix``: several forms share the page."""

    id_prefix = ""

    def __init__(self, *args, **kwargs):
        if self.id_prefix:
            kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


def _textarea(rows: int = 3):
    return forms.Textarea(attrs={"rows": rows})


def _user_label(user) -> str:
    return user.get_full_name() or user.get_username()


def startable_positions(user):
    """Posts whose managing body sits in a unit the user's organisation board covers."""
    if user.is_superuser:
        return Position.objects.filter(managing_committee__isnull=False)
    paths = org_board_paths(user)
    if not paths:
        return Position.objects.none()
    covered = Q()
    for path in paths:
        covered |= Q(managing_committee__unit__path__startswith=path)
    return Position.objects.filter(covered, managing_committee__isnull=False)


class StartForm(Form):
    """The organisation board asks the competent body for the policy (xin chủ trương)."""

    id_prefix = "start"
    position = forms.ModelChoiceField(label=_("Post"), queryset=Position.objects.none())
    source = forms.ChoiceField(
        label=_("Source of the personnel"), choices=Source.choices, initial=Source.INTERNAL
    )
    track = forms.ChoiceField(label=_("Track"), choices=Track.choices, initial=Track.PARTY)
    ruleset = forms.ModelChoiceField(
        label=_("Rule-set"),
        queryset=RuleSet.objects.all(),
        required=False,
        empty_label=_("The newest in force for the track"),
    )
    memo = forms.CharField(label=_("Policy request (memo)"), max_length=5000, widget=_textarea(6))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        positions = startable_positions(user).select_related("unit", "managing_committee")
        self.fields["position"].queryset = positions.order_by("unit__path", "-level", "title")
        self.fields["position"].label_from_instance = lambda p: f"{p.title} — {p.unit.name}"
        self.fields["ruleset"].label_from_instance = lambda r: (
            f"{r.title} (v{r.version}, {r.get_track_display()})"
        )

    def clean(self):
        data = super().clean()
        ruleset, track = data.get("ruleset"), data.get("track")
        if ruleset is not None and track and ruleset.track != track:
            self.add_error("ruleset", _("The rule-set belongs to another track."))
        return data


class PolicyForm(Form):
    id_prefix = "policy"
    decision = forms.ChoiceField(label=_("Decision"), choices=YES_NO, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Note (the reason, when rejecting)"),
        max_length=5000,
        required=False,
        widget=_textarea(),
    )

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == "yes"


class CandidatesForm(Form):
    id_prefix = "candidates"
    cadres = forms.ModelMultipleChoiceField(
        label=_("Candidates"),
        queryset=None,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Cadres in your scope. The eligibility gates are checked for each."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cadres"].queryset = (
            cadres_for_user(user=user).select_related("unit").order_by("full_name", "pk")
        )
        self.fields["cadres"].label_from_instance = lambda c: f"{c.full_name} — {c.unit.name}"


class OverrideForm(Form):
    """The competent body's special case for one overridable gate of one candidate."""

    id_prefix = "override"
    cadre = forms.TypedChoiceField(label=_("Cadre"), coerce=int, widget=forms.HiddenInput)
    gate = forms.ChoiceField(
        label=_("Gate"),
        choices=[(g.value, LABELS[g]) for g in OVERRIDABLE],
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(label=_("Written reason"), max_length=5000, widget=_textarea(2))

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.cadres = {c.cadre_id: c.cadre for c in candidates}
        self.fields["cadre"].choices = [(pk, str(c)) for pk, c in self.cadres.items()]

    def clean(self):
        data = super().clean()
        if "cadre" in data:
            data["cadre_obj"] = self.cadres[data["cadre"]]
        return data


def summonable_users(user, appointment):
    """People the board may summon to an ad-hoc step meeting (steps 2 and 4): active members of
    any body of the appointment's unit or the units below it."""
    memberships = CommitteeMembership.objects.filter(
        active_on(timezone.localdate()),
        committee__unit__path__startswith=appointment.unit.path,
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, memberships__in=memberships)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


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
    summoned = forms.ModelMultipleChoiceField(
        label=_("Summoned"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_(
            "Only for meetings without a standing body (steps 2 and 4). Nobody chosen: the "
            "leadership collective and the competent body are summoned."
        ),
    )

    def __init__(self, *args, user, appointment, ad_hoc: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if ad_hoc:
            self.fields["summoned"].queryset = summonable_users(user, appointment)
            self.fields["summoned"].label_from_instance = _user_label
        else:
            del self.fields["summoned"]


class StepRecordForm(Form):
    id_prefix = "record"
    step = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note for the record"), max_length=5000, required=False, widget=_textarea(2)
    )


class TieForm(Form):
    id_prefix = "tie"
    step = forms.CharField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=_("Decision of the head"), choices=YES_NO, widget=forms.RadioSelect
    )
    differing_opinions = forms.CharField(
        label=_("Report of the differing opinions"), max_length=5000, widget=_textarea(4)
    )

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == "yes"


class ExternalRecordForm(Form):
    id_prefix = "external"
    step = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("What was said and concluded"), max_length=10000, widget=_textarea(5)
    )


class DossierForm(Form):
    id_prefix = "dossier"
    kind = forms.ChoiceField(label=_("Document"), choices=DossierKind.choices)
    upload = forms.FileField(label=_("File"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        accept = ",".join(sorted(settings.DOSSIER_CONTENT_TYPES))
        self.fields["upload"].widget.attrs["accept"] = accept
        self.fields["upload"].help_text = _("%(types)s; at most %(mb)s MB.") % {
            "types": ", ".join(sorted(settings.DOSSIER_CONTENT_TYPES)),
            "mb": settings.DOSSIER_MAX_BYTES // (1024 * 1024) or 1,
        }


class AppraisalForm(Form):
    id_prefix = "appraisal"
    standing_evaluation = forms.CharField(
        label=_("The standing committee's written evaluation"),
        max_length=10000,
        widget=_textarea(4),
    )
    new_issues_conclusion = forms.CharField(
        label=_("Conclusion on newly arising issues"), max_length=10000, widget=_textarea(3)
    )


class ReviewForm(Form):
    id_prefix = "review"
    decision = forms.ChoiceField(
        label=_("The appraisal"),
        choices=[("yes", _("Approve")), ("no", _("Send back for correction"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note (what must be corrected, when sending back)"),
        max_length=5000,
        required=False,
        widget=_textarea(2),
    )

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == "yes"


class DecisionForm(Form):
    id_prefix = "decision"
    number = forms.CharField(label=_("Decision number"), max_length=50)
    decision_date = forms.DateField(
        label=_("Signed on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    effective_date = forms.DateField(
        label=_("Effective from"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class LimitReportForm(Form):
    id_prefix = "report"
    report = forms.CharField(
        label=_("Explanation and report"), max_length=10000, widget=_textarea(4)
    )


class WithdrawForm(Form):
    id_prefix = "withdraw"
    reason = forms.CharField(
        label=_("Reason for the withdrawal"), max_length=5000, widget=_textarea(2)
    )
