from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RotationConfig(AppConfig):
    name = "workflows.rotation"
    label = "rotation"
    verbose_name = _("Rotation and transfer")

    def ready(self) -> None:
        # The notification kinds must exist before the inbox renders one.
        from . import notices  # noqa: F401
