"""A person's own notifications: the inbox and the e-mail preferences.

Views parse input and call ``services``/``selectors``; everything here is the signed-in user's
own, and another person's notification answers 404 exactly like one that does not exist.
Successful POSTs answer 303 See Other (Hotwire Turbo follows it).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import selectors, services
from .forms import PreferencesForm
from .models import Notification

PAGE_SIZE = 30


class HttpResponseSeeOther(HttpResponseRedirect):
    status_code = 303


def _inbox_url() -> str:
    return reverse("notifications:inbox:index")


def _language(user) -> str:
    """Notifications are written in the user's chosen language, whatever the browser asks for."""
    return getattr(user, "language", None) or translation.get_language() or settings.LANGUAGE_CODE


def local_link(link: str, request=None) -> str:
    """``link`` if it is a path on this site, else "" (never follow or print anything else)."""
    if not link or not link.startswith("/") or link.startswith(("//", "/\\")):
        return ""
    hosts = {request.get_host()} if request is not None else set()
    return link if url_has_allowed_host_and_scheme(link, allowed_hosts=hosts) else ""


@dataclass(frozen=True)
class Item:
    notification: Notification
    title: str
    body: str
    link: str

    @property
    def pk(self) -> int:
        return self.notification.pk

    @property
    def unread(self) -> bool:
        return self.notification.unread


@require_GET
@never_cache
def inbox(request):
    user = request.user
    page = Paginator(selectors.notifications_for_user(user=user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    language = _language(user)
    items = []
    for n in page.object_list:
        title, body = n.rendered(language)
        items.append(Item(n, title, body, local_link(n.link, request)))
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "items": items, "unread": selectors.unread_count(user=user)},
    )


@require_POST
def mark_read(request, notification_id: int):
    """Mark one of my notifications read, then open what it is about (or go back)."""
    user = request.user
    notification = (
        selectors.notifications_for_user(user=user).filter(pk=notification_id).only("link").first()
    )
    if notification is None or not services.notification_mark_read(
        user=user, notification_id=notification_id
    ):
        raise Http404
    target = local_link(notification.link, request)
    if not target:
        back = request.POST.get("next", "")
        target = local_link(back, request) or _inbox_url()
    return HttpResponseSeeOther(target)


@require_POST
def mark_all_read(request):
    count = services.notification_mark_all_read(user=request.user)
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)d notification marked as read.",
                "%(count)d notifications marked as read.",
                count,
            )
            % {"count": count},
        )
    return HttpResponseSeeOther(_inbox_url())


@require_http_methods(["GET", "POST"])
@never_cache
def preferences(request):
    user = request.user
    current = selectors.email_preferences(user=user)
    if request.method == "GET":
        form = PreferencesForm(email=current, initial={"language": user.language})
        return render(request, "notifications/preferences.html", {"form": form})
    form = PreferencesForm(request.POST, email=current)
    if form.is_valid():
        try:
            services.preferences_set(
                user=user, email=form.email_choices(), language=form.cleaned_data["language"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your notification preferences have been saved."))
            return HttpResponseSeeOther(reverse("notifications:preferences:index"))
    return render(request, "notifications/preferences.html", {"form": form}, status=400)
