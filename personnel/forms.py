from django import forms
from django.utils.translation import gettext_lazy as _

from .formfields import LabelledModelChoiceField
from .models import EducationLevel, Gender, PoliticalTheoryLevel
from .selectors import AgeBand, DirectoryFilters

AGE_BAND_CHOICES = [
    ("", _("Any age")),
    (AgeBand.UNDER_35.value, _("Under 35")),
    (AgeBand.FROM_35_TO_44.value, _("35 to 44")),
    (AgeBand.FROM_45_TO_54.value, _("45 to 54")),
    (AgeBand.FROM_55.value, _("55 and over")),
]


class DirectoryFilterForm(forms.Form):
    """The directory's search box and filters. Choices are limited to the user's scope."""

    q = forms.CharField(label=_("Name"), required=False, max_length=100)
    # Every unit and post in the user's scope (a province: hundreds and a thousand options).
    unit = LabelledModelChoiceField(
        label=_("Unit"),
        queryset=None,
        required=False,
        empty_label=_("All units"),
        label_fields=("name",),  # OrgUnit.__str__
    )
    position = LabelledModelChoiceField(
        label=_("Position"),
        queryset=None,
        required=False,
        empty_label=_("Any position"),
        label_fields=("title", "unit__name"),  # Position.__str__: "title — unit"
    )
    political_theory_level = forms.TypedChoiceField(
        label=_("Political theory"),
        choices=[("", _("Any level"))] + list(PoliticalTheoryLevel.choices),
        coerce=int,
        empty_value=None,
        required=False,
    )
    education_level = forms.TypedChoiceField(
        label=_("Education"),
        choices=[("", _("Any level"))] + list(EducationLevel.choices),
        coerce=int,
        empty_value=None,
        required=False,
    )
    gender = forms.ChoiceField(
        label=_("Gender"), choices=[("", _("Any gender"))] + list(Gender.choices), required=False
    )
    age_band = forms.ChoiceField(label=_("Age"), choices=AGE_BAND_CHOICES, required=False)

    def __init__(self, *args, units, positions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["position"].queryset = positions

    def to_filters(self) -> DirectoryFilters:
        data = self.cleaned_data
        return DirectoryFilters(
            query=data.get("q") or "",
            unit=data.get("unit"),
            position=data.get("position"),
            political_theory_level=data.get("political_theory_level"),
            education_level=data.get("education_level"),
            gender=data.get("gender") or "",
            age_band=AgeBand(data["age_band"]) if data.get("age_band") else None,
        )
