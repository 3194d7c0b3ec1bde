"""What the training procedure tells people. Registered when the app loads (``apps.py``), so
the inbox can render them before any training service has been imported.

A dispatch concerns one cadre: the decision and the outcome go to that cadre only; the plan's
decision goes to the organisation board. A commitment breach is the board's matter (its task).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from notifications import kinds

PLAN_DECIDED = kinds.register(
    kinds.Kind(
        "training.plan_decided",
        title=_("Training plan decided: %(plan)s"),
        body=_("%(decision)s"),
        label=_("The committee decides on a training plan"),
        email_default=True,
        translated=("decision",),
    )
)
DISPATCHED = kinds.register(
    kinds.Kind(
        "training.dispatched",
        title=_("You are sent to study: %(course)s"),
        body=_("Decision %(decision)s of %(on)s."),
        label=_("I am sent to study"),
        email_default=True,
        moments=("on",),
    )
)
COMPLETED = kinds.register(
    kinds.Kind(
        "training.completed",
        title=_("Training recorded: %(course)s"),
        body=_("%(outcome)s"),
        label=_("The outcome of my study is recorded"),
        email_default=True,
        translated=("outcome",),
    )
)
