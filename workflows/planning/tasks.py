"""Periodic job of the planning procedure, run by procrastinate workers."""

from __future__ import annotations

import logging

from procrastinate.contrib.django import app

from personnel.audit import context

logger = logging.getLogger(__name__)


# 01:45 in Vietnam. procrastinate reads cron in UTC; Vietnam is UTC+7 all year (no DST).
@app.periodic(cron="45 18 * * *", periodic_id="planning-removals")
@app.task(queue="periodic", queueing_lock="planning-removals")
def planning_removal_scan(timestamp: int) -> int:
    """Every night: a removal task for each approved planning entry whose cadre is over the
    planning age, disciplined, or found not to meet the political standard (I-19). The scan
    is idempotent, so a repeated or overlapping run adds nothing."""
    from .services import removal_scan

    with context.acting_as(None):
        created = removal_scan()
    if created:
        logger.info("proposed %d removal(s) from the plan", len(created))
    return len(created)
