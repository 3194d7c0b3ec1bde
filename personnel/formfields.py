"""Form fields for filters with long lists of choices (every unit, post or committee of a
province: hundreds to a thousand and more options on one page)."""

from __future__ import annotations

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.html import escape
from django.utils.safestring import mark_safe


class FastSelect(forms.Select):
    """A ``<select>`` rendered in Python, with the markup of Django's own template.

    Django renders every ``<option>`` through an ``{% include %}`` of its own (two, with the
    attributes): on a filter form listing a thousand options that was most of the page's
    time. Same name, attributes, values, labels, ``selected`` and optgroups; one string join
    instead of two template renders per option.
    """

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            final_attrs["multiple"] = True
        chosen = set(self.format_value(value))
        has_selected = False
        parts = [f'<select name="{escape(name)}"{_attributes(final_attrs)}>']
        for option_value, option_label in self.choices:
            if isinstance(option_label, list | tuple):  # an optgroup
                parts.append(f'<optgroup label="{escape(option_value)}">')
                group = option_label
            else:
                group = ((option_value, option_label),)
            for sub_value, sub_label in group:
                text = "" if sub_value is None else str(sub_value)
                selected = (not has_selected or self.allow_multiple_selected) and text in chosen
                has_selected |= selected
                parts.append(
                    f'<option value="{escape(text)}"{" selected" if selected else ""}>'
                    f"{escape(sub_label)}</option>"
                )
            if group is option_label:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("\n".join(parts))  # noqa: S308 - every name, value and label escaped


def _attributes(attrs: dict) -> str:
    """As ``django/forms/widgets/attrs.html``: in order, ``True`` bare, ``False`` left out."""
    return "".join(
        f" {key}" if value is True else f' {key}="{escape(value)}"'
        for key, value in attrs.items()
        if value is not False
    )


class _LabelRows(ModelChoiceIterator):
    """``(pk, label)`` from one ``values_list`` query: no model instance per option (and no
    server-side cursor, which ``ModelChoiceIterator`` opens)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        separator = self.field.label_separator
        for pk, *parts in self.queryset.values_list("pk", *self.field.label_fields):
            yield (pk, separator.join(str(part) for part in parts))


class LabelledModelChoiceField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` whose option labels are read as values (``label_fields`` joined
    by ``label_separator``) — keep them the same as the model's ``__str__``. Validation is
    unchanged: the chosen pk must be in the queryset (the user's scope), else a form error."""

    iterator = _LabelRows

    def __init__(self, *args, label_fields: tuple[str, ...], label_separator=" — ", **kwargs):
        kwargs.setdefault("widget", FastSelect)
        super().__init__(*args, **kwargs)
        self.label_fields = label_fields
        self.label_separator = label_separator
