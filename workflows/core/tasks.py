"""Periodic jobs of the workflow engine, run by procrastinate workers.

Periodic tasks are deferred by whichever worker sees the tick first (procrastinate's periodic
deferrer takes a lock per tick), so several workers on several hosts send each reminder once.
"""

from __future__ import annotations

import logging

from procrastinate.contrib.django import app
from viewflow.workflow import timers

from personnel.audit import context

from .deadlines import deadline_reminders_send

logger = logging.getLogger(__name__)


@app.periodic(cron="*/10 * * * *", periodic_id="deadline-reminders")
@app.task(queue="periodic", queueing_lock="deadline-reminders")
def deadline_reminders(timestamp: int) -> int:
    """Every 10 minutes: reminders for deadlines that reached a threshold or passed."""
    return deadline_reminders_send()


@app.periodic(cron="* * * * *", periodic_id="workflow-timers")
@app.task(queue="periodic", queueing_lock="workflow-timers")
def workflow_timers(timestamp: int) -> int:
    """Every minute: fire viewflow's due timers (``.OnTimeout``, ``flow.Timer``), conditional
    catches and start timers — what ``manage.py workflow_timers`` would do from cron."""
    with context.acting_as(None):
        fired = timers.fire_due_timers() + timers.fire_due_conditions()
        fired += timers.fire_due_start_timers()
    if fired:
        logger.info("fired %d workflow timer(s)", fired)
    return fired
