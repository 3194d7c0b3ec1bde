"""Training dispatch as viewflow flows (domain §5).

```
TrainingPlanFlow:
start → prepare (board: courses, quotas, candidates; submit) → approve (competent chair)
      → approved? ─ yes → end                 (each approved candidate gets a DispatchFlow)
                  └ no (returned) → prepare
DispatchFlow:
start (approval) → decide (board: commitment, decision "cử đi học") → enrol (board)
      → complete (board: completed, or dropped out / failed) → end
BreachFlow:
start (nightly scan) → review (board: reimbursement or waiver; or dismissed) → end
```

Every human task is done through ``workflows.training.services``, which check who may act,
lock the process and complete the task. Time limits in working days (design defaults: no
limit was found in the sources, §5) put a ``Deadline`` on the task, with reminders to whoever
it waits for.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from workflows.core import nodes

from . import selectors
from .models import CommitmentBreach, Dispatch, PlanStage, TrainingPlan
from .views import task_page

#: working days for the competent chair's approval, the dispatch decision after approval, and
#: the board's decision on a breach (design defaults)
APPROVE_WITHIN = 10
DECIDE_WITHIN = 15
BREACH_WITHIN = 10


def _plan_board(activation):
    return selectors.board_members(activation.process.coerced.unit)


def _dispatch_board(activation):
    return selectors.board_members(activation.process.coerced.plan.unit)


def _breach_board(activation):
    return selectors.board_members(activation.process.coerced.commitment.dispatch.plan.unit)


def _competent_chair(activation):
    return selectors.competent_chair(activation.process.coerced)


def _in_scope(selector, user, obj) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    if obj is None:
        return True
    return selector(user=user).filter(pk=obj.pk).exists()


def _begin(activation, fields):
    for name, value in fields.items():
        setattr(activation.process, name, value)
    return activation.process


class TrainingPlanFlow(nodes.Flow):
    """Training plan

    A unit's training plan for a year: courses, quotas per unit, candidates from the planning
    pool, approval of the list by the competent body's chair."""

    process_class = TrainingPlan
    process_title = _("Training plan")
    process_description = _(
        "A unit's training plan for a year: courses, quotas per unit, candidates, approval."
    )
    procedure = "training"

    start = flow.StartHandle(this.begin).Next(this.prepare)
    prepare = (
        nodes.View(task_page)
        .Annotation(title=_("Prepare the plan and submit the candidate list"))
        .Queue(_plan_board)
        .Next(this.approve)
    )
    approve = (
        nodes.View(task_page)
        .Annotation(title=_("Approve the training candidate list"))
        .Assign(_competent_chair)
        .Within(APPROVE_WITHIN)
        .Next(this.approved)
    )
    approved = (
        flow.If(lambda activation: activation.process.coerced.stage == PlanStage.APPROVED)
        .Then(this.end)
        .Else(this.prepare)
    )
    end = flow.End()

    def begin(self, activation, **fields):
        return _begin(activation, fields)

    def has_view_permission(self, user, obj=None):
        return _in_scope(selectors.plans_for_user, user, obj)


class DispatchFlow(nodes.Flow):
    """Dispatch to study

    One approved candidate sent to study: the written commitment and the dispatch decision,
    the enrolment, and the outcome."""

    process_class = Dispatch
    process_title = _("Dispatch to study")
    process_description = _("An approved candidate sent to study: decision, enrolment, completion.")
    procedure = "training"

    start = flow.StartHandle(this.begin).Next(this.decide)
    decide = (
        nodes.View(task_page)
        .Annotation(title=_("Record the decision to send to study"))
        .Queue(_dispatch_board)
        .Within(DECIDE_WITHIN)
        .Next(this.enrol)
    )
    enrol = (
        nodes.View(task_page)
        .Annotation(title=_("Record the enrolment"))
        .Queue(_dispatch_board)
        .Next(this.complete)
    )
    complete = (
        nodes.View(task_page)
        .Annotation(title=_("Record the outcome of the study"))
        .Queue(_dispatch_board)
        .Next(this.end)
    )
    end = flow.End()

    @staticmethod
    def cadre_of(process):
        return process.coerced.cadre_id

    def begin(self, activation, **fields):
        return _begin(activation, fields)

    def has_view_permission(self, user, obj=None):
        return _in_scope(selectors.dispatches_for_user, user, obj)


class BreachFlow(nodes.Flow):
    """Commitment breach

    A cadre left the unit they committed to serve before the commitment ended: the
    organisation board decides on reimbursement."""

    process_class = CommitmentBreach
    process_title = _("Commitment breach")
    process_description = _("A cadre left before the commitment to serve ended: the board decides.")
    procedure = "training"

    start = flow.StartHandle(this.begin).Next(this.review)
    review = (
        nodes.View(task_page)
        .Annotation(title=_("Decide on the commitment breach"))
        .Queue(_breach_board)
        .Within(BREACH_WITHIN)
        .Next(this.end)
    )
    end = flow.End()

    @staticmethod
    def cadre_of(process):
        return process.coerced.cadre_id

    def begin(self, activation, **fields):
        return _begin(activation, fields)

    def has_view_permission(self, user, obj=None):
        return _in_scope(selectors.breaches_for_user, user, obj)
