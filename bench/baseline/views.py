from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .models import Mark


@login_required
@require_http_methods(["GET", "POST"])
def write(request):
    """GET: the form (with its CSRF token). POST: one small transactional write, then 303."""
    if request.method == "POST":
        with transaction.atomic():
            Mark.objects.create(user=request.user, note=request.POST.get("note", "")[:200])
        response = redirect("write")
        response.status_code = 303
        return response
    return render(request, "write.html", {"count": 0})


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")
