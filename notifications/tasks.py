"""Jobs run by procrastinate workers (``manage.py procrastinate worker``)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from .models import Notification

logger = logging.getLogger(__name__)


@app.task(queue="email", retry=RetryStrategy(max_attempts=12, wait=60, exponential_wait=2))
def send_notification_email(notification_id: int) -> None:
    """E-mail one notification in its recipient's language. Idempotent: sent at most once
    once it has succeeded (a crash between sending and recording may send twice). Retries
    back off exponentially for about four hours, to ride out a mail-server outage."""
    n = (
        Notification.objects.select_related("recipient")
        .filter(pk=notification_id, emailed_at__isnull=True)
        .first()
    )
    if n is None or not n.recipient.email or not n.recipient.is_active:
        return
    language = n.recipient.language or settings.LANGUAGE_CODE
    title, body = n.rendered(language)
    with translation.override(language):
        context = {
            "user": n.recipient,
            "title": title,
            "body": body,
            "url": settings.SITE_URL + (n.link or "/notifications/"),
            "inbox_url": settings.SITE_URL + "/notifications/",
        }
        text = render_to_string("notifications/email/notification.txt", context)
    send_mail(
        subject=title[:200],
        message=text,
        from_email=None,
        recipient_list=[n.recipient.email],
    )
    Notification.objects.filter(pk=n.pk).update(emailed_at=timezone.now())
    logger.info("notification %s e-mailed", n.pk)
