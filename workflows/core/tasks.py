"""Periodic jobs of the workflow engine, run by procrastinate workers.

Periodic tasks are deferred by whichever worker sees the tick first (procrastinate's periodic
deferrer takes a lock per tick), so several workers on several hosts send each reminder once.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

from django.db import connection
from procrastinate.contrib.django import app
from viewflow.workflow import timers

from personnel.audit import context

from .deadlines import deadline_reminders_send

logger = logging.getLogger(__name__)


# Cron is read in UTC: 01–10 UTC is 08:00–17:50 in Vietnam, so reminders (and their e-mails)
# arrive in office hours, not at midnight.
@app.periodic(cron="*/10 1-10 * * *", periodic_id="deadline-reminders")
@app.task(queue="periodic", queueing_lock="deadline-reminders")
def deadline_reminders(timestamp: int) -> int:
    """Every 10 minutes in office hours: reminders for deadlines at a threshold or passed."""
    return deadline_reminders_send()


# An arbitrary constant naming the timer sweep's advisory lock.
TIMERS_LOCK_KEY = 0x43_46_54_49_4D_45_52  # "CFTIMER"


@contextmanager
def _alone(key: int):
    """True when this connection holds the session advisory lock ``key`` (taken without
    waiting); released at the end. PostgreSQL releases it too if the worker dies, so unlike
    procrastinate's job ``lock`` a crashed run cannot block every later one."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


@app.periodic(cron="* * * * *", periodic_id="workflow-timers")
@app.task(queue="periodic", queueing_lock="workflow-timers")
def workflow_timers(timestamp: int) -> int:
    """Every minute: fire viewflow's due timers (``.OnTimeout``, ``flow.Timer``), conditional
    catches and start timers — what ``manage.py workflow_timers`` would do from cron.

    A sweep still running when the next minute's starts (on another worker) makes the new one
    skip: viewflow re-checks each timer under its process lock, but start timers have no row
    to lock and would start a process twice if two sweeps overlapped."""
    with _alone(TIMERS_LOCK_KEY) as alone:
        if not alone:
            logger.info("previous workflow timer sweep still running: skipped")
            return 0
        with context.acting_as(None):
            fired = timers.fire_due_timers() + timers.fire_due_conditions()
            fired += timers.fire_due_start_timers()
    if fired:
        logger.info("fired %d workflow timer(s)", fired)
    return fired


@app.task(queue="default")
def queue_refresh_user(user_id: int) -> dict:
    """After someone's scope changed: offer them the open queued tasks they are now a
    candidate for, withdraw the rest (``workflows.core.queues``)."""
    from django.contrib.auth import get_user_model

    from .queues import queue_refresh_for_user

    user = get_user_model().objects.filter(pk=user_id).first()
    return {} if user is None else queue_refresh_for_user(user)


# 01:20 in Vietnam, after the scope tidy-up (01:15).
@app.periodic(cron="20 18 * * *", periodic_id="queue-refresh")
@app.task(queue="periodic", queueing_lock="queue-refresh")
def queue_refresh_nightly(timestamp: int) -> dict:
    """Every night: recompute who each open queued task is offered to (memberships that ended
    or began by date, a unit's board taking over from the one above)."""
    from .queues import queue_refresh

    counts = queue_refresh()
    logger.info("queue refresh: %s", counts)
    return counts
