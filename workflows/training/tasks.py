"""Periodic job of the training procedure, run by procrastinate workers."""

from __future__ import annotations

import logging

from procrastinate.contrib.django import app

from personnel.audit import context

logger = logging.getLogger(__name__)


# 01:55 in Vietnam. procrastinate reads cron in UTC; Vietnam is UTC+7 all year (no DST).
@app.periodic(cron="55 18 * * *", periodic_id="training-commitments")
@app.task(queue="periodic", queueing_lock="training-commitments")
def training_commitment_scan(timestamp: int) -> int:
    """Every night: a breach task for each cadre who left the unit they committed to serve
    before the commitment ended, and fulfilled commitments closed. The scan is idempotent,
    so a repeated or overlapping run adds nothing. Returns the breaches found."""
    from .services import commitment_scan

    with context.acting_as(None):
        result = commitment_scan()
    if result.breaches or result.fulfilled:
        logger.info(
            "%d commitment breach(es) found, %d commitment(s) fulfilled",
            len(result.breaches),
            len(result.fulfilled),
        )
    return len(result.breaches)
