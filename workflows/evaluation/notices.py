"""What the evaluation procedure tells people. Registered when the app loads (``apps.py``), so
the inbox can render them before any evaluation service has been imported.

A rating is personal: it goes only to the person evaluated (or, for a collective, its chair),
never to colleagues; the unit sees the published list through ``selectors.unit_results``.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from notifications import kinds
from personnel.models import EvaluationLevel

SELF_ASSESSMENT_DUE = kinds.register(
    kinds.Kind(
        "evaluation.self_assessment",
        title=_("File your self-assessment: %(campaign)s"),
        body=_("%(subject)s — due %(due)s."),
        label=_("An evaluation campaign asks for my self-assessment"),
        email_default=True,
        moments=("due",),
    )
)
AWAITING_DECISION = kinds.register(
    kinds.Kind(
        "evaluation.awaiting_decision",
        title=_("Ratings await your decision: %(campaign)s"),
        body=_("The organisation board has proposed levels."),
        label=_("Evaluations await my decision"),
        email_default=True,
    )
)
DECIDED = kinds.register(
    kinds.Kind(
        "evaluation.decided",
        title=_("Rating decided: %(campaign)s"),
        body=_("%(subject)s: %(level)s"),
        label=_("My quality rating is decided"),
        email_default=True,
        translated=("level",),
    )
)
COMPLAINT_FILED = kinds.register(
    kinds.Kind(
        "evaluation.complaint",
        title=_("Complaint to re-evaluate: %(subject)s"),
        body=_("%(campaign)s"),
        label=_("A complaint on a rating needs re-evaluation"),
        email_default=True,
    )
)
REEVALUATED = kinds.register(
    kinds.Kind(
        "evaluation.reevaluated",
        title=_("Rating re-evaluated: %(campaign)s"),
        body=_("%(subject)s: %(level)s"),
        label=_("My quality rating is re-evaluated"),
        email_default=True,
        translated=("level",),
    )
)
PUBLISHED = kinds.register(
    kinds.Kind(
        "evaluation.published",
        title=_("Evaluation result published: %(campaign)s"),
        body=_("%(subject)s: %(level)s"),
        label=_("My evaluation result is published"),
        email_default=True,
        translated=("level",),
    )
)


def level_msgid(level: int) -> str:
    """The level's untranslated name, translated for each recipient when shown (our English
    catalogue is the msgids themselves)."""
    with translation.override("en"):
        return str(EvaluationLevel(level).label)
