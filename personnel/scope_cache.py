"""A request's memory of each user's scope.

Every scoped list asks ``selectors.units_for_user`` for the unit paths the user may see — the
workflow pages and the menu's counters once per mounted flow, some thirty times a page. Inside
``scope_cache()`` (``ScopeCacheMiddleware`` opens one per request) the paths are read once per
user and day; outside it nothing is kept. A scope change (``services.scope_sync_for_user``)
forgets what the request knew.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

_paths: ContextVar[dict | None] = ContextVar("cadreflow_scope_paths", default=None)


@contextmanager
def scope_cache():
    token = _paths.set({})
    try:
        yield
    finally:
        _paths.reset(token)


def remembered(key, compute):
    """``compute()``, kept under ``key`` while a ``scope_cache()`` is open."""
    cache = _paths.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def forget() -> None:
    cache = _paths.get()
    if cache is not None:
        cache.clear()


class ScopeCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with scope_cache():
            return self.get_response(request)
