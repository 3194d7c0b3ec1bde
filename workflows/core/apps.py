from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "workflows.core"
    label = "core"
    verbose_name = _("Meetings and ballots")

    def ready(self) -> None:
        from personnel.signals import scope_changed

        scope_changed.connect(_refresh_queue_after_scope_change, dispatch_uid="core-queue-refresh")


def _refresh_queue_after_scope_change(sender, *, user, **kwargs) -> None:
    """The user's scope changed: re-offer them the open queued tasks (a job, after commit)."""
    from notifications.jobs import defer_with_transaction

    from .tasks import queue_refresh_user

    defer_with_transaction(queue_refresh_user, user_id=user.pk)
