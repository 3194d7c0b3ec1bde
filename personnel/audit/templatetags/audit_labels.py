"""Human labels for audit rows: model and field verbose names, choice labels."""

import json

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

register = template.Library()


def _model(label: str):
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


@register.filter
def target_label(label: str) -> str:
    model = _model(label)
    return str(model._meta.verbose_name).capitalize() if model else label


@register.simple_tag
def field_label(label: str, field: str) -> str:
    model = _model(label)
    try:
        return str(model._meta.get_field(field).verbose_name) if model else field
    except FieldDoesNotExist:
        return field


@register.simple_tag
def value_label(label: str, field: str, value) -> str:
    """The choice label for a stored choice value; anything else as it is (∅ for none)."""
    if value is None or value == "":
        return "∅"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    model = _model(label)
    try:
        choices = dict(model._meta.get_field(field).flatchoices) if model else {}
    except FieldDoesNotExist:
        choices = {}
    return str(choices.get(value, value))
