"""The evaluation campaign as a viewflow flow (domain §3; design in ``models``' docstring).

```
start (campaign opened) → publish (organisation board) → end
                        └ cancelled (campaign_cancel)
```

The campaign's process row is the lock under which every evaluation of the campaign changes
(``services``); the evaluations themselves move through their §3.6 states in their own rows.
The one human task — publishing the results — sits in the organisation board's queue from the
opening and is completed by ``services.campaign_publish`` once every evaluation is decided.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from workflows.core import nodes

from . import selectors
from .models import EvaluationCampaign
from .views import task_page


def _org_board(activation):
    return selectors.org_board_members(activation.process.coerced.unit)


class EvaluationFlow(nodes.Flow):
    process_class = EvaluationCampaign
    process_title = _("Evaluation campaign")
    process_description = _(
        "Evaluation and quality rating of the collectives and cadres of a set of units for a "
        "period: self-assessment, appraisal, decision, complaints, publication."
    )
    procedure = "evaluation"

    start = flow.StartHandle(this.begin).Next(this.publish)
    publish = (
        nodes.View(task_page)
        .Annotation(title=_("Publish the campaign's results"))
        .Queue(_org_board)
        .Next(this.end)
    )
    end = flow.End()

    def begin(self, activation, **fields):
        for name, value in fields.items():
            setattr(activation.process, name, value)
        return activation.process

    # Scope: viewflow lets anyone holding the model-wide view permission see every process of a
    # flow; a campaign is visible only to the people whose scope covers it.
    def has_view_permission(self, user, obj=None):
        if not (user.is_authenticated and user.is_active):
            return False
        if obj is None:
            return True
        return selectors.campaigns_for_user(user=user).filter(pk=obj.pk).exists()
