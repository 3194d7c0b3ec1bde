"""The planning review and the removal from the plan as viewflow flows (domain §4.3–4.5).

```
PlanningReviewFlow:
start → source_list (board) → leadership (board) → key_officials (board) → standing (board)
      → decide (competent chair) ─ approved → publish (board) → end
                                 └ rejected → closed
RemovalFlow:
start (scan or board) → confirm (board) → end
```

Every human task is done through ``workflows.planning.services``, which check who may act,
lock the process and complete the task. Voting happens in the meeting and ballot engine: a
step's task waits while its meeting runs and is completed when the organisation board
records the closed ballots' outcome (as in the appointment flow).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from workflows.core import nodes

from . import selectors
from .models import PlanningReview, RemovalProposal, Stage
from .views import task_page

#: Working days for the tasks that follow a decision (design defaults: the regulations set no
#: limit, §4 Q11; reminders go to whoever the task waits for, and the limit shows on the task)
APPROVE_WITHIN = 10
PUBLISH_WITHIN = 5
REMOVAL_WITHIN = 10


def _board(activation):
    return selectors.board_members(activation.process.coerced.unit)


def _competent_chair(activation):
    return selectors.competent_chair(activation.process.coerced)


def _board_task(title):
    return nodes.View(task_page).Annotation(title=title).Queue(_board)


def _in_scope(selector, user, obj) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    if obj is None:
        return True
    return selector(user=user).filter(pk=obj.pk).exists()


class PlanningReviewFlow(nodes.Flow):
    """Planning review

    The annual review of a unit's plan for a term: source list, leadership collective, key
    officials, standing committee, approval by the competent level, publication."""

    process_class = PlanningReview
    process_title = _("Planning review")
    process_description = _(
        "Annual review of a unit's plan for a term: source list, leadership collective, key "
        "officials, standing committee, approval, publication."
    )
    procedure = "planning"

    start = flow.StartHandle(this.begin).Next(this.source_list)
    source_list = _board_task(_("Propose the source list per post")).Next(this.leadership)
    leadership = _board_task(_("Leadership collective: approve the source list")).Next(
        this.key_officials
    )
    key_officials = _board_task(_("Key officials: nominate by secret ballot")).Next(this.standing)
    standing = _board_task(_("Standing committee: vote on each cadre")).Next(this.decide)
    decide = (
        nodes.View(task_page)
        .Annotation(title=_("Approve the plan"))
        .Assign(_competent_chair)
        .Within(APPROVE_WITHIN)
        .Next(this.approved)
    )
    approved = (
        flow.If(lambda activation: activation.process.coerced.stage == Stage.APPROVED)
        .Then(this.publish)
        .Else(this.closed)
    )
    publish = _board_task(_("Publish the approved list")).Within(PUBLISH_WITHIN).Next(this.end)
    closed = flow.End()
    end = flow.End()

    def begin(self, activation, **fields):
        for name, value in fields.items():
            setattr(activation.process, name, value)
        return activation.process

    # Scope: a process is visible only within the user's units (viewflow would show every
    # process of the flow to anyone holding the model-wide view permission).
    def has_view_permission(self, user, obj=None):
        return _in_scope(selectors.reviews_for_user, user, obj)


class RemovalFlow(nodes.Flow):
    """Removal from the plan

    An approved planning entry to be taken out of the plan: an automatic ground (over the
    planning age, discipline, political standard) or the board's written reason."""

    process_class = RemovalProposal
    process_title = _("Removal from the plan")
    process_description = _("An approved planning entry taken out of the plan, with its reason.")
    procedure = "planning"

    start = flow.StartHandle(this.begin).Next(this.confirm)
    confirm = (
        _board_task(_("Confirm the removal from the plan")).Within(REMOVAL_WITHIN).Next(this.end)
    )
    end = flow.End()

    @staticmethod
    def cadre_of(process):
        return process.coerced.entry.cadre_id

    def begin(self, activation, **fields):
        for name, value in fields.items():
            setattr(activation.process, name, value)
        return activation.process

    def has_view_permission(self, user, obj=None):
        return _in_scope(selectors.removals_for_user, user, obj)
