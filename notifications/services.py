"""Writes: ``notify`` (what every procedure calls), marking read, preferences.

``notify`` may be called anywhere inside a service's transaction: it does nothing until that
transaction commits (``transaction.on_commit``), and nothing at all if it rolls back. It never
writes inside the caller's locked transaction, so a slow channel layer or mail server cannot
hold a process row lock.

Marking read and e-mail preferences are a person's own inbox state, not decisions about
cadres, so they are not written to the audit trail (which would otherwise fill with clicks).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from functools import partial

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from . import jobs, kinds, realtime, selectors
from .models import EmailPreference, Notification

logger = logging.getLogger(__name__)


def _ids(recipients: Iterable) -> list[int]:
    ids = set()
    for r in recipients:
        if r is None:
            continue
        ids.add(r if isinstance(r, int) else r.pk)
    return sorted(ids)


def notify(
    *,
    recipients: Iterable,
    kind: kinds.Kind | str,
    params: dict | None = None,
    link: str = "",
    dedupe_key: str = "",
) -> None:
    """Tell ``recipients`` (users or ids) about something, once the current transaction commits.

    Persists one notification each, pushes it to their open browsers, and queues an e-mail for
    those who want this kind by e-mail. With ``dedupe_key``, a recipient who already has a
    notification with that key gets nothing new (reminders use this: once per threshold).
    """
    code = kind.code if isinstance(kind, kinds.Kind) else kind
    kinds.get(code)  # unknown kinds fail here, in the caller's transaction, not after commit
    params = dict(params or {})
    json.dumps(params)  # and so do parameters that cannot be stored
    ids = _ids(recipients)
    if not ids:
        return
    transaction.on_commit(
        partial(
            deliver,
            recipient_ids=ids,
            kind=code,
            params=params,
            link=link,
            dedupe_key=dedupe_key,
        ),
        robust=True,
    )


def deliver(
    *, recipient_ids: list[int], kind: str, params: dict, link: str = "", dedupe_key: str = ""
) -> list[Notification]:
    """Write, queue e-mail and push. ``notify`` calls it after commit; jobs may call it."""
    from .tasks import send_notification_email

    active = list(
        get_user_model()
        .objects.filter(pk__in=recipient_ids, is_active=True)
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        if dedupe_key:
            created = _insert_once(active, kind, params, link, dedupe_key)
        else:
            created = Notification.objects.bulk_create(
                Notification(recipient_id=uid, kind=kind, params=params, link=link)
                for uid in active
            )
        if created:
            wanted = selectors.email_recipients(
                user_ids=[n.recipient_id for n in created], kind=kind
            )
            for n in created:
                if n.recipient_id in wanted:
                    jobs.defer_with_transaction(send_notification_email, notification_id=n.pk)
        # One message per recipient for a few; ONE broadcast of (user id, id) pairs for many.
        transaction.on_commit(
            partial(
                realtime.push,
                realtime.new_notification_messages((n.recipient_id, n.pk) for n in created),
            ),
            robust=True,
        )
    return created


def _insert_once(user_ids, kind, params, link, dedupe_key) -> list[Notification]:
    created = []
    now = timezone.now()
    with connection.cursor() as cursor:
        for uid in user_ids:
            cursor.execute(
                "INSERT INTO notifications_notification"
                " (recipient_id, kind, params, link, created, dedupe_key)"
                " VALUES (%s, %s, %s::jsonb, %s, %s, %s)"
                " ON CONFLICT (recipient_id, dedupe_key) WHERE dedupe_key <> ''"
                " DO NOTHING RETURNING id",
                [uid, kind, json.dumps(params), link, now, dedupe_key],
            )
            row = cursor.fetchone()
            if row:
                created.append(
                    Notification(
                        pk=row[0],
                        recipient_id=uid,
                        kind=kind,
                        params=params,
                        link=link,
                        created=now,
                        dedupe_key=dedupe_key,
                    )
                )
    return created


def _push_read(user_id: int) -> None:
    transaction.on_commit(
        partial(realtime.push, [(realtime.user_group(user_id), {"type": "notification.read"})]),
        robust=True,
    )


def notification_mark_read(*, user, notification_id: int) -> bool:
    """Mark one of the user's own notifications read; False if there is no such (own) one."""
    own = Notification.objects.filter(recipient=user, pk=notification_id)
    if own.filter(read_at__isnull=True).update(read_at=timezone.now()):
        _push_read(user.pk)
        return True
    return own.exists()  # already read, or not theirs


def notification_mark_all_read(*, user) -> int:
    count = Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if count:
        _push_read(user.pk)
    return count


@transaction.atomic
def preferences_set(*, user, email: dict[str, bool], language: str | None = None) -> None:
    """Store the user's e-mail choice per kind (only where it differs from the default)."""
    for code, enabled in email.items():
        spec = kinds.get(code)
        if bool(enabled) == spec.email_default:
            EmailPreference.objects.filter(user=user, kind=code).delete()
        else:
            EmailPreference.objects.update_or_create(
                user=user, kind=code, defaults={"enabled": bool(enabled)}
            )
    if language and language != user.language:
        user.language = language
        user.full_clean(validate_unique=False)
        user.save(update_fields=["language"])
