"""Reads of the audit explorer (and future reports) from a PostgreSQL read replica.

With ``DATABASE_REPLICA_URL`` set, the ``replica`` alias exists and GET requests to the paths in
``REPLICA_READ_PATHS`` (the audit explorer: ``/audit/``) read from it — the heavy, read-only
pages move off the primary. Everything else, and every write, uses ``default``.

Within such a request every model reads from the replica (a query and its subqueries must use
one database), except sessions: a session row written a moment ago on the primary may not
have reached the replica yet, and reading it there would sign the user out. A replica a few
seconds behind shows the newest events a few seconds late, and a scope granted a moment ago
not yet: it never shows more than the primary would.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import connections

REPLICA = "replica"
_reading: ContextVar[bool] = ContextVar("cadreflow_replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextmanager
def replica_reads():
    """Route this block's reads to the replica (when there is one)."""
    token = _reading.set(replica_configured())
    try:
        yield
    finally:
        _reading.reset(token)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _reading.get() and model._meta.app_label != "sessions":
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class ReplicaReadMiddleware:
    """GET/HEAD requests to ``REPLICA_READ_PATHS`` read from the replica."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.paths = tuple(getattr(settings, "REPLICA_READ_PATHS", ()))

    def __call__(self, request):
        if request.method in ("GET", "HEAD") and request.path.startswith(self.paths):
            with replica_reads():
                return self.get_response(request)
        return self.get_response(request)
