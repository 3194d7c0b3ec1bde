from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "workflows.evaluation"
    label = "evaluation"
    verbose_name = _("Evaluation and quality rating")

    def ready(self) -> None:
        # The notification kinds must exist before the inbox renders one.
        from . import notices  # noqa: F401
