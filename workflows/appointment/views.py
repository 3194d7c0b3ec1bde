"""Pages of the appointment procedure."""

from __future__ import annotations

from django.shortcuts import redirect, render

from . import selectors


def task_page(request, **kwargs):
    """A task's own URL (from the inbox or the queue) opens the appointment's page, where the
    task is done."""
    activation = request.activation
    return redirect("appointments:appointment:detail", appointment_id=activation.process.pk)


def appointment_list(request):
    appointments = selectors.appointments_for_user(user=request.user).order_by("-created")[:100]
    return render(request, "appointments/list.html", {"appointments": appointments})


def appointment_detail(request, appointment_id: int):
    appointment = selectors.appointment_get_for_user(user=request.user, pk=appointment_id)
    return render(request, "appointments/detail.html", {"appointment": appointment})
