"""What every procedure's pages share: the 303 after a POST, the one way a POST is handled, and
lists shown a page at a time (``page_of`` with the ``cadreflow/_pager.html`` include).

A procedure's page module keeps only what is its own — how its object is found in the user's
scope, how its page is rendered with a form sent back, where its refusal page leads — and hands
the rest to ``form_action``::

    def _action(request, review_id, **kwargs):
        review = _get(request, review_id)            # 404 outside the user's scope
        return pages.form_action(
            request, review,
            render=_render, refuse=lambda r, exc: refused(r, exc, review=review),
            done=lambda anchor: _url(review, anchor), **kwargs)
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpResponseRedirect

from .errors import Invalid, Refused

PER_PAGE = 25


def page_of(request, items, per_page: int | None = None) -> Page:
    """The page of ``items`` (an ordered queryset) that ``?page=`` asks for: the first for a
    missing or unreadable number, the last past the end — a list never answers 404 or 500 for
    its page number, and nothing beyond the first rows is out of reach."""
    return Paginator(items, per_page or PER_PAGE).get_page(request.GET.get("page"))


class HttpResponseSeeOther(HttpResponseRedirect):
    """303 See Other: after a successful POST the browser GETs the page, so a reload never
    posts twice."""

    status_code = 303


def form_action(
    request,
    obj,
    *,
    name: str,
    form_class,
    run: Callable,
    render: Callable,
    refuse: Callable,
    done: Callable[[str], str],
    check: Callable | None = None,
    form_kwargs: Callable | None = None,
    anchor: str = "",
    files: bool = False,
):
    """One POST on ``obj`` (already found in the user's scope):

    1. ``check(user, obj)`` → a ``Refused`` or None: who may act, before the form is read (403);
    2. the form (``form_class(request.POST[, request.FILES], **form_kwargs(request, obj))``):
       invalid → ``render(request, obj, status=400, **{name: form})``, the page as sent;
    3. ``run(user, obj, form)``, one service call: ``Invalid`` or a model ``ValidationError``
       goes on the form (400); any other refusal (403/409) → ``refuse(request, exc)``;
    4. success → 303 to ``done(anchor)``.
    """
    if check is not None:
        refusal = check(request.user, obj)
        if refusal is not None:
            return refuse(request, refusal)
    kwargs = form_kwargs(request, obj) if form_kwargs else {}
    form = form_class(request.POST, request.FILES if files else None, **kwargs)
    if not form.is_valid():
        return render(request, obj, status=400, **{name: form})
    try:
        run(request.user, obj, form)
    except (Invalid, ValidationError) as exc:
        message = exc.message if isinstance(exc, Refused) else " ".join(exc.messages)
        form.add_error(None, message)
        return render(request, obj, status=400, **{name: form})
    except Refused as exc:
        return refuse(request, exc)
    return HttpResponseSeeOther(done(anchor))
