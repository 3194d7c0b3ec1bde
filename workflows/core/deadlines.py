"""Deadlines in working days: setting, meeting, and the reminders the job engine sends.

Services here follow the house rules (keyword-only, audited in the caller's transaction).
``deadline_reminders_send`` is what the periodic job runs; it is idempotent — each responsible
person hears once per threshold (``DEADLINE_REMINDER_DAYS``, e.g. 5 and 1 working days
before) and once when the deadline has passed, however often the job runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from notifications import kinds
from notifications.services import notify
from personnel.audit.actions import Action
from personnel.audit.services import audit_record

from . import calendar
from .models import Deadline


def _msgid(text) -> str:
    """Deadlines store the untranslated title so each recipient reads it in their language.
    Our English catalogue is the msgids themselves, so English rendering gives the msgid."""
    with translation.override("en"):
        return str(text)


@transaction.atomic
def deadline_set(
    *,
    actor,
    title: str,
    starts_on: dt.date,
    working_days: int,
    responsible: Iterable,
    subject: str = "",
    link: str = "",
    source: str = "",
    process=None,
    task=None,
) -> Deadline:
    """Start a limit of ``working_days`` counted from ``starts_on``."""
    deadline = Deadline(
        title=_msgid(title),
        subject=subject[:300],
        link=link,
        source=source,
        starts_on=starts_on,
        working_days=working_days,
        due=calendar.add_working_days(starts_on, working_days),
        process=process,
        task=task,
    )
    deadline.full_clean()
    deadline.save()
    deadline.responsible.set(list(responsible))
    audit_record(
        actor=actor,
        action=Action.DEADLINE_SET,
        target=deadline,
        changes={
            "due": [None, deadline.due.isoformat()],
            "working_days": [None, working_days],
        },
        process=getattr(process, "pk", process) if process is not None else None,
    )
    return deadline


@transaction.atomic
def deadline_meet(*, actor, deadline: Deadline) -> Deadline:
    """Record that what the deadline asked for is done; reminders stop. Idempotent."""
    deadline = Deadline.objects.select_for_update().get(pk=deadline.pk)
    if deadline.met_at is not None:
        return deadline
    deadline.met_at = timezone.now()
    deadline.save(update_fields=["met_at"])
    audit_record(
        actor=actor,
        action=Action.DEADLINE_MET,
        target=deadline,
        changes={
            "met_at": [None, deadline.met_at.isoformat()],
            "late": [None, timezone.localdate() > deadline.due],
        },
        process=deadline.process_id,
    )
    return deadline


def deadline_reminders_send(*, today: dt.date | None = None) -> int:
    """Remind the responsible people of every open deadline that has reached a threshold.
    Returns how many deadlines were considered due for a reminder."""
    today = today or timezone.localdate()
    thresholds = sorted(set(settings.DEADLINE_REMINDER_DAYS))
    horizon = calendar.add_working_days(today, max(thresholds, default=0))
    reminded = 0
    open_deadlines = (
        Deadline.objects.filter(met_at__isnull=True, due__lte=horizon)
        .prefetch_related("responsible")
        .order_by("due", "pk")
    )
    for deadline in open_deadlines:
        left = calendar.working_days_left(today, deadline.due)
        params = {
            "deadline": deadline.title,
            "subject": deadline.subject,
            "due": deadline.due.isoformat(),
            "days": max(left, 0),
        }
        if left < 0:
            kind, key = kinds.DEADLINE_PASSED, f"deadline:{deadline.pk}:overdue"
        else:
            reached = [t for t in thresholds if left <= t]
            if not reached:
                continue
            kind, key = kinds.DEADLINE_APPROACHING, f"deadline:{deadline.pk}:{reached[0]}"
        notify(
            recipients=deadline.responsible.all(),
            kind=kind,
            params=params,
            link=deadline.link,
            dedupe_key=key,
        )
        reminded += 1
    return reminded
