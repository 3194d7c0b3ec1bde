"""The unread count for the navigation badge and the newest notification's id (two indexed
queries per page)."""

from __future__ import annotations

from . import selectors


def notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "notifications_unread": selectors.unread_count(user=user),
        "notifications_last_id": selectors.latest_id(user=user),
    }
