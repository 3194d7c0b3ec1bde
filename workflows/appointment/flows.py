"""The appointment procedure as a viewflow flow (design: docs/design/appointment.md).

Built so far: the policy request and decision, the 30-working-day limit (a Deadline with
reminders, and a timer that opens an "explain and report" task for the organisation board when
the limit passes), and the end of the procedure that disarms the limit. The five steps, the
appraisal and the decision come next; ``step1`` is where they start.

Tasks are executed through ``workflows.appointment.services`` (which check who may act); the
flow is not mounted in the site until its pages exist.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.flow.views import UpdateProcessView
from viewflow.workflow.status import STATUS

from workflows.core import nodes

from . import selectors
from .models import Appointment, Stage


def _competent_chair(activation):
    return selectors.competent_chair(activation.process.coerced)


def _org_board(activation):
    return selectors.org_board_members(activation.process.coerced)


def _limit_passes(activation):
    """The moment the time limit has passed: midnight after its last working day."""
    deadline = activation.process.coerced.deadline
    return timezone.make_aware(dt.datetime.combine(deadline.due + dt.timedelta(days=1), dt.time()))


class AppointmentFlow(nodes.Flow):
    process_class = Appointment
    process_title = _("Appointment")
    process_description = _("Appointment to a post: policy, five steps, appraisal, decision.")
    procedure = "appointment"

    start = flow.StartHandle(this.begin).Next(this.decide_policy)
    decide_policy = (
        nodes.View(UpdateProcessView.as_view(fields=[]))
        .Annotation(title=_("Decide on the policy request"))
        .Assign(_competent_chair)
        .Next(this.policy_approved)
    )
    policy_approved = (
        flow.If(lambda activation: activation.process.coerced.stage == Stage.POLICY_APPROVED)
        .Then(this.run_steps)
        .Else(this.closed)
    )
    run_steps = flow.Split().Next(this.limit).Next(this.step1)
    limit = flow.Timer(_limit_passes).Next(this.explain_and_report)
    explain_and_report = (
        nodes.View(UpdateProcessView.as_view(fields=[]))
        .Annotation(title=_("Explain and report the missed time limit"))
        .Queue(_org_board)
        .Next(this.reported)
    )
    step1 = (
        nodes.View(UpdateProcessView.as_view(fields=[]))
        .Annotation(title=_("Step 1: agree the criteria and the list of eligible cadres"))
        .Queue(_org_board)
        .Next(this.finish)
    )
    finish = flow.Function(this.disarm_limit).Next(this.end)
    closed = flow.Function(this.disarm_limit).Next(this.end)
    reported = flow.End()
    end = flow.End()

    @staticmethod
    def cadre_of(process):
        return process.coerced.candidate_id

    def begin(self, activation, **fields):
        for name, value in fields.items():
            setattr(activation.process, name, value)
        return activation.process

    def disarm_limit(self, activation):
        """The procedure is over: the limit's timer must not fire, its reminders stop."""
        from .services import limit_disarm

        for task in activation.process.task_set.filter(
            flow_task=self.limit, status=STATUS.SCHEDULED
        ):
            timer = task.flow_task.activation_class(task)
            if timer.cancel.can_proceed():
                timer.cancel()
        limit_disarm(appointment=activation.process.coerced)
