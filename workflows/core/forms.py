"""Forms of the meetings and ballots pages. They parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from personnel.models import CommitteeMembership
from personnel.selectors import active_on

from . import selectors, services
from .models import (
    Attendance,
    Ballot,
    BallotKind,
    BallotMode,
    Choice,
    MeetingKind,
    RuleSet,
)

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
ABSTAIN = "abstain"
OTHER = "other"

CHOICES_BY_KIND = {
    BallotKind.NOMINATION: [Choice.NOMINATE],
    BallotKind.CONFIDENCE: [Choice.HIGH, Choice.CONFIDENCE, Choice.LOW, Choice.ABSTAIN],
    BallotKind.APPROVAL: [Choice.APPROVE, Choice.DISAPPROVE, Choice.ABSTAIN],
}


def column_labels(kind) -> list:
    """Headings for the count columns of a ballot of this kind."""
    if kind == BallotKind.NOMINATION:
        return [_("Votes")]
    return [choice.label for choice in CHOICES_BY_KIND[BallotKind(kind)]]


def _user_label(user) -> str:
    return user.get_full_name() or user.get_username()


class MeetingForm(forms.Form):
    """Call a meeting of a body in the user's scope."""

    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind of meeting"), choices=MeetingKind.choices)
    body = forms.ModelChoiceField(label=_("Body"), queryset=None)
    competent_body = forms.ModelChoiceField(
        label=_("Competent body"),
        queryset=None,
        required=False,
        empty_label=_("None"),
        help_text=_("Sees sealed results together with the organisation board."),
    )
    ruleset = forms.ModelChoiceField(label=_("Rule-set"), queryset=RuleSet.objects.all())
    chair = forms.TypedChoiceField(label=_("Chair"), coerce=int)
    scheduled_at = forms.DateTimeField(
        label=_("Scheduled at"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )

    def __init__(self, *args, committees, **kwargs):
        super().__init__(*args, **kwargs)
        committees = committees.select_related("unit")
        self.fields["body"].queryset = committees
        self.fields["competent_body"].queryset = committees
        self._memberships = list(
            CommitteeMembership.objects.filter(
                active_on(timezone.localdate()),
                committee__in=committees,
                user__is_active=True,
            )
            .select_related("committee", "committee__unit", "user")
            .order_by("committee__unit__path", "committee__name", "role", "user__last_name")
        )
        groups: dict[str, list] = {}
        for m in self._memberships:
            group = f"{m.committee.name} — {m.committee.unit.name}"
            groups.setdefault(group, []).append((m.user_id, _user_label(m.user)))
        self.fields["chair"].choices = [("", "---------")] + list(groups.items())

    def clean(self):
        data = super().clean()
        body, chair_id = data.get("body"), data.get("chair")
        if body is not None and chair_id is not None:
            chair = next(
                (
                    m.user
                    for m in self._memberships
                    if m.committee_id == body.pk and m.user_id == chair_id
                ),
                None,
            )
            if chair is None:
                self.add_error("chair", _("The chair must be an active member of the body."))
            else:
                data["chair_user"] = chair
        return data


class AdjournForm(forms.Form):
    reason = forms.CharField(label=_("Reason for adjourning"), max_length=500)


class AttendanceForm(forms.Form):
    """One row per person summoned: present or absent (with a reason), and the counting group."""

    def __init__(self, *args, summons, **kwargs):
        super().__init__(*args, **kwargs)
        self.summons = list(summons)
        for s in self.summons:
            self.fields[f"attendance_{s.user_id}"] = forms.ChoiceField(
                label=_("Attendance"),
                choices=[(Attendance.PRESENT, _("Present")), (Attendance.ABSENT, _("Absent"))],
                widget=forms.RadioSelect,
                required=False,
                initial=s.attendance if s.attendance != Attendance.UNKNOWN else None,
            )
            self.fields[f"reason_{s.user_id}"] = forms.CharField(
                label=_("Reason for absence"),
                max_length=200,
                required=False,
                initial=s.absence_reason,
            )
            self.fields[f"counts_{s.user_id}"] = forms.BooleanField(
                label=_("Vote-counting group"), required=False, initial=s.counts_votes
            )

    def rows(self):
        for s in self.summons:
            yield {
                "summons": s,
                "attendance": self[f"attendance_{s.user_id}"],
                "reason": self[f"reason_{s.user_id}"],
                "counts": self[f"counts_{s.user_id}"],
            }

    def clean(self):
        data = super().clean()
        for s in self.summons:
            if (
                data.get(f"attendance_{s.user_id}") == Attendance.ABSENT
                and not (data.get(f"reason_{s.user_id}") or "").strip()
            ):
                self.add_error(f"reason_{s.user_id}", _("Give the reason for the absence."))
        return data

    def entries(self) -> list[services.AttendanceEntry]:
        data = self.cleaned_data
        return [
            services.AttendanceEntry(
                user_id=s.user_id,
                attendance=data.get(f"attendance_{s.user_id}") or Attendance.UNKNOWN,
                reason=data.get(f"reason_{s.user_id}") or "",
                counts_votes=bool(data.get(f"counts_{s.user_id}")),
            )
            for s in self.summons
        ]


class BallotForm(forms.Form):
    """Prepare a ballot: the question, how it is cast and who (or what) is on it."""

    kind = forms.ChoiceField(label=_("Kind of ballot"), choices=BallotKind.choices)
    mode = forms.ChoiceField(
        label=_("Mode"), choices=BallotMode.choices, initial=BallotMode.ELECTRONIC
    )
    title = forms.CharField(label=_("Question"), max_length=300)
    candidates = forms.ModelMultipleChoiceField(
        label=_("Candidates"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Cadres of the meeting's unit and the units below it."),
    )
    motion = forms.CharField(label=_("Motion (approval ballots)"), max_length=300, required=False)
    seats = forms.IntegerField(
        label=_("Posts to fill (nomination)"), min_value=1, max_value=50, initial=1
    )

    def __init__(self, *args, cadres, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["candidates"].queryset = cadres
        self.fields["candidates"].label_from_instance = lambda c: f"{c.full_name} — {c.unit.name}"

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind and kind != BallotKind.APPROVAL and (data.get("motion") or "").strip():
            self.add_error("motion", _("A motion is put only to an approval ballot."))
        if kind and kind != BallotKind.NOMINATION:
            data["seats"] = 1
        return data


def _cadre_label(cadre) -> str:
    return f"{cadre.full_name} — {cadre.unit.name}"


def _find_field() -> forms.CharField:
    # Sent in the paper's POST body, never in an address: a name looked up while voting is
    # nobody's business (server and proxy logs keep addresses).
    return forms.CharField(
        label=_("Find a cadre by name"),
        required=False,
        max_length=selectors.WRITE_IN_TEXT_MAX,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class VoteForm(forms.Form):
    """One member's ballot paper. Nothing here is ever shown back once cast."""

    def __init__(self, *args, ballot: Ballot, candidates, write_ins, shown=(), **kwargs):
        """``write_ins``: every cadre the paper accepts as a write-in (for validation only);
        ``shown``: those it lists (``selectors.write_in_matches``)."""
        super().__init__(*args, **kwargs)
        self.ballot = ballot
        self.candidates = list(candidates)
        self.kind = ballot.kind
        if self.kind == BallotKind.NOMINATION and ballot.seats == 1:
            self.fields["pick"] = forms.ChoiceField(
                label=_("Your choice"),
                choices=[(str(c.pk), str(c)) for c in self.candidates]
                + [(OTHER, _("Another cadre")), (ABSTAIN, _("Abstain"))],
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose a candidate, another cadre, or abstain.")},
            )
            self.fields["write_in"] = forms.ModelChoiceField(
                label=_("Another cadre"),
                queryset=write_ins,
                required=False,
                empty_label=_("— find a cadre by name first —")
                if not shown
                else _("— choose a cadre —"),
            )
            self.fields["write_in"].widget.choices = [
                ("", self.fields["write_in"].empty_label),
                *((c.pk, _cadre_label(c)) for c in shown),
            ]
            self.fields["find"] = _find_field()
        elif self.kind == BallotKind.NOMINATION:
            self.fields["picks"] = forms.MultipleChoiceField(
                label=_("Your choices"),
                choices=[(str(c.pk), str(c)) for c in self.candidates],
                widget=forms.CheckboxSelectMultiple,
                required=False,
            )
            self.fields["write_ins"] = forms.ModelMultipleChoiceField(
                label=_("Other cadres"),
                queryset=write_ins,
                required=False,
                widget=forms.SelectMultiple(attrs={"size": 6}),
            )
            self.fields["write_ins"].widget.choices = [(c.pk, _cadre_label(c)) for c in shown]
            self.fields["find"] = _find_field()
            self.fields["abstain"] = forms.BooleanField(label=_("Abstain"), required=False)
        else:
            choices = [(c.value, c.label) for c in CHOICES_BY_KIND[BallotKind(self.kind)]]
            for c in self.candidates:
                self.fields[f"c_{c.pk}"] = forms.ChoiceField(
                    label=str(c),
                    choices=choices,
                    widget=forms.RadioSelect,
                    error_messages={"required": _("Give an answer for this candidate.")},
                )

    def initial_from(self, data) -> None:
        """Show what ``data`` (a paper sent to look a name up, not to be cast) had chosen,
        without judging it: no error is shown for a paper that was not cast."""
        initial = {}
        for name, field in self.fields.items():
            if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
                initial[name] = data.getlist(name)
            elif isinstance(field, forms.BooleanField):
                initial[name] = bool(data.get(name))
            else:
                initial[name] = data.get(name, "")
        self.initial = initial

    def per_candidate(self):
        """Bound fields with their candidate, for confidence and approval papers."""
        for c in self.candidates:
            yield c, self[f"c_{c.pk}"]

    def clean(self):
        data = super().clean()
        if self.kind != BallotKind.NOMINATION:
            return data
        if self.ballot.seats == 1:
            if data.get("pick") == OTHER and data.get("write_in") is None:
                self.add_error("write_in", _("Choose the cadre you name."))
            return data
        named = len(data.get("picks") or []) + len(data.get("write_ins") or [])
        if data.get("abstain") and named:
            raise forms.ValidationError(_("Either name people or abstain, not both."))
        if not data.get("abstain") and not named:
            raise forms.ValidationError(
                _("Name up to %(seats)s people, or abstain.") % {"seats": self.ballot.seats}
            )
        if named > self.ballot.seats:
            raise forms.ValidationError(
                _("Name at most %(seats)s people.") % {"seats": self.ballot.seats}
            )
        return data

    def marks(self) -> list[services.PaperMark]:
        data = self.cleaned_data
        if self.kind != BallotKind.NOMINATION:
            return [
                services.PaperMark(choice=data[f"c_{c.pk}"], candidate_id=c.pk)
                for c in self.candidates
            ]
        if self.ballot.seats == 1:
            pick = data["pick"]
            if pick == ABSTAIN:
                return [services.PaperMark(choice=Choice.ABSTAIN)]
            if pick == OTHER:
                return [
                    services.PaperMark(
                        choice=Choice.NOMINATE, write_in_cadre_id=data["write_in"].pk
                    )
                ]
            return [services.PaperMark(choice=Choice.NOMINATE, candidate_id=int(pick))]
        if data.get("abstain"):
            return [services.PaperMark(choice=Choice.ABSTAIN)]
        return [
            services.PaperMark(choice=Choice.NOMINATE, candidate_id=int(pk))
            for pk in data.get("picks") or []
        ] + [
            services.PaperMark(choice=Choice.NOMINATE, write_in_cadre_id=cadre.pk)
            for cadre in data.get("write_ins") or []
        ]


def _count_field(label):
    return forms.IntegerField(label=label, min_value=0, max_value=100_000)


class PaperCountsForm(forms.Form):
    """The counting group's totals, read off the paper ballots."""

    issued = _count_field(_("Ballots issued"))
    returned = _count_field(_("Ballots returned"))
    valid = _count_field(_("Valid ballots"))
    invalid = _count_field(_("Invalid ballots"))

    def __init__(self, *args, ballot: Ballot, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = list(candidates)
        self.choices = CHOICES_BY_KIND[BallotKind(ballot.kind)]
        self.columns = column_labels(ballot.kind)
        for c in self.candidates:
            for choice in self.choices:
                self.fields[f"n_{c.pk}_{choice.value}"] = _count_field(f"{c} — {choice.label}")

    def totals(self):
        return [self[name] for name in ("issued", "returned", "valid", "invalid")]

    def grid(self):
        for c in self.candidates:
            yield (
                c,
                [
                    (label, self[f"n_{c.pk}_{choice.value}"])
                    for choice, label in zip(self.choices, self.columns, strict=True)
                ],
            )

    def counts(self) -> services.PaperCounts:
        data = self.cleaned_data
        return services.PaperCounts(
            issued=data["issued"],
            returned=data["returned"],
            valid=data["valid"],
            invalid=data["invalid"],
            per_candidate={
                (c.pk, choice.value): data[f"n_{c.pk}_{choice.value}"]
                for c in self.candidates
                for choice in self.choices
            },
        )


class HeadDecisionForm(forms.Form):
    decision = forms.CharField(
        label=_("Decision of the head"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    differing_opinions = forms.CharField(
        label=_("Report of the differing opinions"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
