from django import forms
from django.utils.translation import gettext_lazy as _

from personnel.formfields import FastSelect, LabelledModelChoiceField

from .actions import Action
from .selectors import EventFilters

PROCEDURES = [
    ("", _("Any procedure")),
    ("evaluation", _("Evaluation")),
    ("planning", _("Planning")),
    ("appointment", _("Appointment")),
    ("rotation", _("Rotation and transfer")),
    ("training", _("Training")),
]


class EventFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    procedure = forms.ChoiceField(label=_("Procedure"), choices=PROCEDURES, required=False)
    process = forms.IntegerField(label=_("Process no."), required=False, min_value=1)
    cadre = forms.CharField(label=_("Cadre"), required=False, max_length=100)
    actor = forms.CharField(label=_("Actor (username)"), required=False, max_length=150)
    # Every action, and every committee in the auditor's scope (a province: hundreds): rendered
    # without a template per option.
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[("", _("Any action"))] + list(Action.choices),
        required=False,
        widget=FastSelect,
    )
    committee = LabelledModelChoiceField(
        label=_("Acting for"),
        queryset=None,
        required=False,
        empty_label=_("Any committee"),
        label_fields=("name",),  # Committee.__str__
    )
    q = forms.CharField(label=_("Text in reason"), required=False, max_length=200)

    def __init__(self, *args, committees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].queryset = committees

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def to_filters(self) -> EventFilters:
        data = self.cleaned_data
        committee = data.get("committee")
        return EventFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            procedure=data.get("procedure") or "",
            process_id=data.get("process"),
            cadre_name=data.get("cadre") or "",
            actor=data.get("actor") or "",
            action=data.get("action") or "",
            committee_id=committee.pk if committee else None,
            text=data.get("q") or "",
        )

    def describe(self) -> dict:
        """The filters as given, for the export's own audit event."""
        return {k: str(v) for k, v in self.cleaned_data.items() if v not in (None, "")}
