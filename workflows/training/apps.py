from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "workflows.training"
    label = "training"
    verbose_name = _("Training and fostering dispatch")

    def ready(self) -> None:
        # The notification kinds must exist before the inbox renders one.
        from . import notices  # noqa: F401
