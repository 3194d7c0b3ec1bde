"""Minimal flows built on workflows.core, to exercise the audited transitions and timers."""

import datetime as dt

from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.flow.views import UpdateProcessView

from workflows.core import nodes


class ProbeFlow(nodes.Flow):
    procedure = "appointment"

    start = flow.StartHandle().Next(this.review)
    review = nodes.View(UpdateProcessView.as_view(fields=[])).Next(this.end)
    end = flow.End()


class TimeoutProbeFlow(nodes.Flow):
    """A task that must be done within two days; if not, the timeout path runs (fired by the
    job engine's ``workflow_timers`` job)."""

    procedure = "appointment"
    TIMEOUT = dt.timedelta(days=2)

    start = flow.StartHandle().Next(this.review)
    review = (
        nodes.View(UpdateProcessView.as_view(fields=[]))
        .OnTimeout(TIMEOUT, this.escalate)
        .Next(this.end)
    )
    escalate = flow.Function(this.record_escalation).Next(this.end)
    end = flow.End()

    def record_escalation(self, activation):
        process = activation.process
        process.data = {**(process.data or {}), "escalated": True}
        process.save(update_fields=["data"])


def _assignee(activation):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=activation.process.data["assignee"])


def _queue(activation):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk__in=activation.process.data.get("queue", []))


class NoticeProbeFlow(nodes.Flow):
    """Tasks that tell people about themselves: one assigned on creation (to be done within
    three working days), then one waiting in a queue of candidates (within two).

    Started with ``NoticeProbeFlow.start.run(_process_data={"assignee": id, "queue": [ids]})``.
    """

    procedure = "appointment"

    start = flow.StartHandle().Next(this.prepare)
    prepare = (
        nodes.View(UpdateProcessView.as_view(fields=[]))
        .Assign(_assignee)
        .Within(3)
        .Next(this.decide)
    )
    decide = nodes.View(UpdateProcessView.as_view(fields=[])).Queue(_queue).Within(2).Next(this.end)
    end = flow.End()
