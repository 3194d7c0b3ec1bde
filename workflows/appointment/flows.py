"""The appointment procedure as a viewflow flow (domain §7; design: docs/design/appointment.md).

```
start → decide_policy (chair) ─ rejected → closed
                               └ approved → Split ┬ limit (timer) → explain_and_report
                                                  └ internal: step1 → step2 → step3 → step4
                                                    external: conversation → consultation
                                                              → verification
                                                    → appraisal → appraisal_review
                                                    → final_vote ─ failed → closed
                                                                 └ passed → decide → finish
```

Every human task is done on the appointment's page through ``workflows.appointment.services``,
which check who may act, lock the process and complete the task; the task's own URL (from the
inbox and the queue) opens that page. Voting happens in the meeting and ballot engine
(decision 0004): a step's task waits while its meeting runs, and is completed when the
organisation board records the closed ballot's outcome.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.status import STATUS

from workflows.core import nodes

from . import selectors
from .models import Appointment, Source, Stage
from .views import task_page


def _competent_chair(activation):
    return selectors.competent_chair(activation.process.coerced)


def _org_board(activation):
    return selectors.org_board_members(activation.process.coerced)


def _reviewers(activation):
    return selectors.appraisal_reviewers(activation.process.coerced)


def _limit_passes(activation):
    """The moment the time limit has passed: midnight after its last working day."""
    deadline = activation.process.coerced.deadline
    return timezone.make_aware(dt.datetime.combine(deadline.due + dt.timedelta(days=1), dt.time()))


def _board_task(title):
    return nodes.View(task_page).Annotation(title=title).Queue(_org_board)


class AppointmentFlow(nodes.Flow):
    process_class = Appointment
    process_title = _("Appointment")
    process_description = _("Appointment to a post: policy, five steps, appraisal, decision.")
    procedure = "appointment"

    start = flow.StartHandle(this.begin).Next(this.decide_policy)
    decide_policy = (
        nodes.View(task_page)
        .Annotation(title=_("Decide on the policy request"))
        .Assign(_competent_chair)
        .Next(this.policy_approved)
    )
    policy_approved = (
        flow.If(lambda activation: activation.process.coerced.stage == Stage.POLICY_APPROVED)
        .Then(this.run_steps)
        .Else(this.closed)
    )
    run_steps = flow.Split().Next(this.limit).Next(this.by_source)
    limit = flow.Timer(_limit_passes).Next(this.explain_and_report)
    explain_and_report = _board_task(_("Explain and report the missed time limit")).Next(
        this.reported
    )
    by_source = (
        flow.If(lambda activation: activation.process.coerced.source == Source.INTERNAL)
        .Then(this.step1)
        .Else(this.conversation)
    )

    step1 = _board_task(_("Step 1: agree the criteria and the list of eligible cadres")).Next(
        this.step2
    )
    step2 = _board_task(_("Step 2: expanded meeting, nomination ballot")).Next(this.step3)
    step3 = _board_task(_("Step 3: leadership collective, nomination ballot")).Next(this.step4)
    step4 = _board_task(_("Step 4: key officials, ballot on the nominee")).Next(this.appraisal)

    conversation = _board_task(_("Conversation with the candidate")).Next(this.consultation)
    consultation = _board_task(_("Consult the candidate's current unit")).Next(this.verification)
    verification = _board_task(_("Verify the candidate's background")).Next(this.appraisal)

    appraisal = _board_task(_("Prepare the dossier and the appraisal")).Next(this.appraisal_review)
    appraisal_review = (
        nodes.View(task_page)
        .Annotation(title=_("Approve the appraisal"))
        .Queue(_reviewers)
        .Next(this.appraisal_approved)
    )
    appraisal_approved = (
        flow.If(lambda activation: activation.process.coerced.stage == Stage.APPRAISED)
        .Then(this.final_vote)
        .Else(this.appraisal)
    )
    final_vote = _board_task(_("Final vote of the competent body")).Next(this.vote_passed)
    vote_passed = (
        flow.If(lambda activation: activation.process.coerced.stage == Stage.VOTE_PASSED)
        .Then(this.decide)
        .Else(this.closed)
    )
    decide = (
        nodes.View(task_page)
        .Annotation(title=_("Issue the appointment decision"))
        .Assign(_competent_chair)
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

        disarm_timer(activation.process)
        limit_disarm(appointment=activation.process.coerced)

    # Scope: viewflow lets anyone holding the model-wide view permission see every process of a
    # flow. Personnel files are confidential, so a process is visible only within the user's
    # units (the list querysets are filtered the same way in the viewset).
    def has_view_permission(self, user, obj=None):
        if not (user.is_authenticated and user.is_active):
            return False
        if obj is None:
            return True
        return selectors.appointments_for_user(user=user).filter(pk=obj.pk).exists()


def disarm_timer(process) -> None:
    for task in process.task_set.filter(flow_task=AppointmentFlow.limit, status=STATUS.SCHEDULED):
        timer = task.flow_task.activation_class(task)
        if timer.cancel.can_proceed():
            timer.cancel()
