"""Who is asking, from where: request metadata for audit events, without passing it around.

``AuditContextMiddleware`` stores the client IP, user agent and a request id for the duration
of a request (a ``ContextVar``, so it is right under ASGI and in threads). Services never read
the request themselves; ``audit_record`` reads this.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestMeta:
    ip: str = ""
    user_agent: str = ""
    request_id: str = ""
    user: object = None


_current: ContextVar[RequestMeta | None] = ContextVar("cadreflow_audit_request", default=None)
_acting: ContextVar[object] = ContextVar("cadreflow_audit_actor", default=None)


def current() -> RequestMeta:
    return _current.get() or RequestMeta()


def current_user():
    """Who is acting: set by ``acting_as`` (commands, jobs), else the request's user, else None."""
    user = _acting.get() or current().user
    return user if user is not None and getattr(user, "is_authenticated", False) else None


@contextmanager
def acting_as(user):
    """Name the actor for code paths that run outside a request (commands, jobs, tests)."""
    token = _acting.set(user)
    try:
        yield
    finally:
        _acting.reset(token)


def _client_ip(request) -> str:
    # REMOTE_ADDR is the proxy in production; settings.AUDIT_TRUSTED_PROXY_HEADER names the header
    # the proxy sets (e.g. HTTP_X_REAL_IP). Never trust a client-supplied X-Forwarded-For.
    from django.conf import settings

    header = getattr(settings, "AUDIT_TRUSTED_PROXY_HEADER", None)
    value = request.META.get(header) if header else None
    return (value or request.META.get("REMOTE_ADDR") or "")[:45]


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = (request.META.get("HTTP_X_REQUEST_ID") or uuid.uuid4().hex)[:64]
        meta = RequestMeta(
            ip=_client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            request_id=request_id,
            user=getattr(request, "user", None),
        )
        token = _current.set(meta)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request_id
        return response
