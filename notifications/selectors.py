"""Reads: a user's notifications and preferences. Only ever the user's own."""

from __future__ import annotations

from django.db.models import F, QuerySet

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


def missed_since(*, user, after_id: int, limit: int = 50) -> list[Notification]:
    """What arrived after ``after_id`` (oldest first), for a client that was offline."""
    return list(Notification.objects.filter(recipient=user, pk__gt=after_id).order_by("id")[:limit])


def email_preferences(*, user) -> dict[str, bool]:
    """Every kind with the user's choice, or its default."""
    chosen = dict(EmailPreference.objects.filter(user=user).values_list("kind", "enabled"))
    return {code: chosen.get(code, kind.email_default) for code, kind in kinds.KINDS.items()}


def email_recipients(*, user_ids, kind: str) -> set[int]:
    """Which of ``user_ids`` want ``kind`` e-mailed (and have an address)."""
    spec = kinds.get(kind)
    overrides = dict(
        EmailPreference.objects.filter(user_id__in=user_ids, kind=kind).values_list(
            "user_id", "enabled"
        )
    )
    return {uid for uid in user_ids if overrides.get(uid, spec.email_default)}
