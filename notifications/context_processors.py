"""The unread count for the navigation badge (one indexed COUNT per page)."""

from __future__ import annotations

from . import selectors


def notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_unread": selectors.unread_count(user=user)}
