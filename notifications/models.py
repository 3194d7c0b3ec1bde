"""Persisted notifications and each user's e-mail preferences."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import kinds


class Notification(models.Model):
    """One message to one person. Parameters are rendered in the recipient's language."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=64)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    # "deadline:42:5" — makes a reminder go out once per threshold, however often the job runs.
    dedupe_key = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["recipient", "-id"],
                name="notification_unread",
                condition=Q(read_at__isnull=True),
            ),
            models.Index(fields=["recipient", "-id"], name="notification_inbox"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_once_per_key",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def kind_spec(self) -> kinds.Kind | None:
        return kinds.KINDS.get(self.kind)

    def rendered(self, language: str | None = None) -> tuple[str, str]:
        spec = self.kind_spec
        if spec is None:  # a kind removed from the code since: still show something
            return self.kind, ""
        return spec.render(self.params, language)

    @property
    def title(self) -> str:
        return self.rendered()[0]

    @property
    def body(self) -> str:
        return self.rendered()[1]

    @property
    def unread(self) -> bool:
        return self.read_at is None


class EmailPreference(models.Model):
    """A user's choice for one kind; without a row the kind's default applies."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_preferences"
    )
    kind = models.CharField(_("kind"), max_length=64)
    enabled = models.BooleanField(_("send by e-mail"))

    class Meta:
        verbose_name = _("e-mail preference")
        verbose_name_plural = _("e-mail preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="email_preference_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.kind}={'on' if self.enabled else 'off'}"
