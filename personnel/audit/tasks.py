"""Nightly verification of the audit chain; a broken chain alerts auditors and administrators."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from procrastinate.contrib.django import app

from notifications import kinds
from notifications.services import notify
from personnel.models import CommitteeKind, CommitteeMembership
from personnel.selectors import active_on

from .verify import verify_chain

logger = logging.getLogger(__name__)


def alert_recipients():
    """Active inspection-committee members and administrators."""
    inspection = CommitteeMembership.objects.filter(
        active_on(timezone.localdate()), committee__kind=CommitteeKind.INSPECTION
    )
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(memberships__in=inspection))
        .distinct()
    )


def audit_chain_check() -> bool:
    """Verify the whole chain; on failure notify (deduplicated per first broken event)."""
    result = verify_chain()
    if result.ok:
        logger.info("audit chain OK: %d events, head #%d", result.checked, result.head_seq)
        return True
    first = result.problems[0]
    logger.error("audit chain BROKEN: %s", first)
    notify(
        recipients=alert_recipients(),
        kind=kinds.AUDIT_CHAIN_BROKEN,
        params={"seq": first.seq, "problem": first.kind},
        link="/audit/",
        dedupe_key=f"audit:broken:{first.seq}:{first.kind}",
    )
    return False


# 01:30 in Vietnam. procrastinate reads cron in UTC; Vietnam is UTC+7 all year (no DST).
@app.periodic(cron="30 18 * * *", periodic_id="audit-verify")
@app.task(queue="periodic", queueing_lock="audit-verify")
def audit_verify_nightly(timestamp: int) -> bool:
    return audit_chain_check()
