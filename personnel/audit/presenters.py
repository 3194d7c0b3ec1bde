"""Audit events as rows a person can read: labels resolved once, URLs built once per page."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from .actions import Action


@dataclass(frozen=True)
class Row:
    seq: int
    time: str
    actor: str
    role: str
    action: str
    target: str
    cadre_url: str
    process_url: str
    process_id: int | None
    changes: list[tuple[str, str, str]]
    reason: str


def _model(label: str):
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


@lru_cache(maxsize=512)
def _target_label(label: str, language: str) -> str:
    model = _model(label)
    return str(model._meta.verbose_name).capitalize() if model else label


@lru_cache(maxsize=2048)
def _field(label: str, field: str, language: str) -> tuple[str, dict]:
    model = _model(label)
    try:
        found = model._meta.get_field(field) if model else None
    except FieldDoesNotExist:
        found = None
    if found is None:
        return field, {}
    if found.auto_created and not found.concrete:  # a reverse relation: named by its model
        return str(found.related_model._meta.verbose_name_plural), {}
    return str(found.verbose_name), {k: str(v) for k, v in (found.flatchoices or [])}


@lru_cache(maxsize=256)
def _action_label(action: str, language: str) -> str:
    try:
        return str(Action(action).label)
    except ValueError:
        return action


def _value(choices: dict, value) -> str:
    if value is None or value == "":
        return "∅"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return choices.get(value, str(value))


def rows(events, *, system_label: str) -> list[Row]:
    language = get_language()
    cadre_base = reverse("audit:events:cadre", args=[0])[:-2]
    process_base = reverse("audit:events:process", args=[0])[:-2]
    out = []
    for e in events:
        changes = []
        for field, pair in (e.changes or {}).items():
            label, choices = _field(e.target_type, field, language)
            before, after = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
            changes.append((label, _value(choices, before), _value(choices, after)))
        out.append(
            Row(
                seq=e.seq,
                time=timezone.localtime(e.occurred_at).strftime("%d/%m/%Y %H:%M:%S"),
                actor=e.actor_username or system_label,
                role=e.actor_role,
                action=_action_label(e.action, language),
                target=_target_label(e.target_type, language)
                + (f" #{e.target_id}" if e.target_id else ""),
                cadre_url=f"{cadre_base}{e.cadre_id}/" if e.cadre_id else "",
                process_url=f"{process_base}{e.process_id}/" if e.process_id else "",
                process_id=e.process_id,
                changes=changes,
                reason=e.reason,
            )
        )
    return out
