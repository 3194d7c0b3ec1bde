"""Periodic job of the rotation procedure, run by procrastinate workers."""

from __future__ import annotations

import logging

from procrastinate.contrib.django import app

from personnel.audit import context

logger = logging.getLogger(__name__)


# 02:00 in Vietnam. procrastinate reads cron in UTC; Vietnam is UTC+7 all year (no DST).
@app.periodic(cron="0 19 * * *", periodic_id="rotation-reminders")
@app.task(queue="periodic", queueing_lock="rotation-reminders")
def rotation_reminders(timestamp: int) -> int:
    """Every night: the receiving unit's board is reminded of each report due on a rotated
    cadre, and the plan's board of each rotation past its planned end without a review. Each
    reminder goes out once (dedupe keys), however often the job runs."""
    from .services import reminders_send

    with context.acting_as(None):
        due = reminders_send()
    if due:
        logger.info("%d rotation reminder(s) due", due)
    return due
