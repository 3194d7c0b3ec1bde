"""Daily tidy-up of guardian scope grants (memberships that ended by date)."""

from __future__ import annotations

from django.core.management import call_command
from procrastinate.contrib.django import app


# 01:15 in Vietnam. procrastinate reads cron in UTC; Vietnam is UTC+7 all year (no DST).
@app.periodic(cron="15 18 * * *", periodic_id="sync-scopes")
@app.task(queue="periodic", queueing_lock="sync-scopes")
def sync_scopes_daily(timestamp: int) -> None:
    call_command("sync_scopes", verbosity=0)
