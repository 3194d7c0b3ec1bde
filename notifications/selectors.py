"""Reads: a user's notifications and preferences. Only ever the user's own."""

from __future__ import annotations

from django.db.models import Count, F, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from . import kinds
from .models import EmailPreference, Notification


def notifications_for_user(*, user) -> QuerySet[Notification]:
    """Unread first, newest first."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user).order_by(
        F("read_at").asc(nulls_first=True), "-id"
    )


def unread_count(*, user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def latest_id(*, user) -> int:
    """The id of the user's newest notification (0 without any): pages render it, so the live
    client knows which notifications arrived after the page was made."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user).aggregate(latest=Max("id"))["latest"] or 0


def unread_subquery(*, user):
    """The unread count as a subquery, to fetch it with a notification in one query."""
    return Subquery(
        Notification.objects.filter(recipient=user, read_at__isnull=True)
        .order_by()
        .values("recipient")
        .annotate(c=Count("id"))
        .values("c")[:1]
    )


def recipient_unread_subquery():
    """Each notification's recipient's unread count, as a subquery: to read many recipients'
    notifications with their counts in one query (the websocket consumers' batched read)."""
    return Coalesce(
        Subquery(
            Notification.objects.filter(recipient_id=OuterRef("recipient_id"), read_at__isnull=True)
            .order_by()
            .values("recipient_id")
            .annotate(c=Count("id"))
            .values("c")[:1]
        ),
        0,
    )


def missed_since(*, user, after_id: int, limit: int = 50) -> list[Notification]:
    """What arrived after ``after_id`` (oldest first), for a client that was offline."""
    return list(Notification.objects.filter(recipient=user, pk__gt=after_id).order_by("id")[:limit])


def email_preferences(*, user) -> dict[str, bool]:
    """Every kind with the user's choice, or its default."""
    chosen = dict(EmailPreference.objects.filter(user=user).values_list("kind", "enabled"))
    return {code: chosen.get(code, kind.email_default) for code, kind in kinds.KINDS.items()}


def email_recipients(*, user_ids, kind: str) -> set[int]:
    """Which of ``user_ids`` want ``kind`` e-mailed (the job skips those without an address)."""
    spec = kinds.get(kind)
    overrides = dict(
        EmailPreference.objects.filter(user_id__in=user_ids, kind=kind).values_list(
            "user_id", "enabled"
        )
    )
    return {uid for uid in user_ids if overrides.get(uid, spec.email_default)}
