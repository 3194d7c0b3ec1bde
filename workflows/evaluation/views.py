"""The evaluation procedure's pages are not built yet (issue #7, page slice); only the flow's
task URL is needed now."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect
from django.urls import NoReverseMatch


def task_page(request, **kwargs):
    """A campaign task's own URL (from the inbox or the queue) opens the campaign's page, where
    the task is done."""
    try:
        return redirect("evaluation:campaign:detail", campaign_id=request.activation.process.pk)
    except NoReverseMatch:
        raise Http404 from None
