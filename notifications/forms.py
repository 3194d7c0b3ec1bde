"""The preferences form: which kinds are e-mailed, and in which language people are written to."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from . import kinds


def email_field_name(code: str) -> str:
    """``task.assigned`` → ``email__task__assigned`` (a safe HTML name and template key)."""
    return "email__" + code.replace(".", "__")


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of my notifications and e-mails"),
        choices=settings.LANGUAGES,
    )

    def __init__(self, *args, email: dict[str, bool], **kwargs):
        super().__init__(*args, **kwargs)
        self._codes = {}
        for code, kind in kinds.KINDS.items():
            name = email_field_name(code)
            self._codes[name] = code
            self.fields[name] = forms.BooleanField(
                label=kind.label,
                required=False,
                initial=email.get(code, kind.email_default),
            )

    def email_fields(self):
        """The bound checkboxes, one per kind, in registration order."""
        return [self[name] for name in self._codes]

    def email_choices(self) -> dict[str, bool]:
        return {code: bool(self.cleaned_data.get(name)) for name, code in self._codes.items()}
