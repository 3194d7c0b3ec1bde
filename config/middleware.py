"""Session idle timeout (ASVS L2 3.3.2): a session unused for SESSION_IDLE_TIMEOUT seconds ends."""

import time

from django.conf import settings
from django.contrib.auth import logout

_KEY = "_cadreflow_last_seen"


def session_is_idle(session, now: int | None = None) -> bool:
    """True once the session has gone SESSION_IDLE_TIMEOUT seconds without a request (the
    websocket consumers apply the same rule, so an idle session stops receiving pushes)."""
    last_seen = session.get(_KEY)
    now = int(time.time()) if now is None else now
    return last_seen is not None and now - last_seen > settings.SESSION_IDLE_TIMEOUT


class SessionIdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(_KEY)
            if session_is_idle(request.session, now):
                logout(request)
            else:
                # Write at most once a minute so every request does not rewrite the session.
                if last_seen is None or now - last_seen >= 60:
                    request.session[_KEY] = now
        return self.get_response(request)


class LockContentionMiddleware:
    """A request that could not get a row lock in time lost a race: answer 409, not 500.

    Services wait for a procedure's row lock (decision 0007); PostgreSQL's ``lock_timeout``
    (set on the runtime role in production) ends a wait that lasts too long with SQLSTATE 55P03,
    and viewflow's own lock raises ``FlowLockFailed`` after its retries.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.db import OperationalError
        from django.shortcuts import render
        from viewflow.workflow.exceptions import FlowLockFailed

        lost = isinstance(exception, FlowLockFailed) or (
            isinstance(exception, OperationalError)
            and getattr(exception.__cause__, "sqlstate", None) == "55P03"
        )
        if lost:
            return render(request, "409.html", status=409)
        return None
