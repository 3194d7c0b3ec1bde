"""A minimal flow built on workflows.core, to exercise the audited transitions."""

from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.flow.views import UpdateProcessView

from workflows.core import nodes


class ProbeFlow(nodes.Flow):
    procedure = "appointment"

    start = flow.StartHandle().Next(this.review)
    review = nodes.View(UpdateProcessView.as_view(fields=[])).Next(this.end)
    end = flow.End()
