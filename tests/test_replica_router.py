"""The read replica for the audit explorer (config/db_router.py): which reads go where."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import RequestFactory

from config import db_router
from config.db_router import ReplicaReadMiddleware, ReplicaRouter, replica_reads
from personnel.audit.models import AuditEvent
from personnel.models import User

router = ReplicaRouter()


@pytest.fixture
def with_replica(monkeypatch):
    monkeypatch.setattr(db_router, "replica_configured", lambda: True)


def test_without_a_replica_everything_reads_the_primary():
    with replica_reads():
        assert router.db_for_read(AuditEvent) is None  # Django's default: "default"


def test_inside_a_replica_block_reads_go_to_the_replica_but_sessions_and_writes_do_not(
    with_replica,
):
    assert router.db_for_read(AuditEvent) is None
    with replica_reads():
        assert router.db_for_read(AuditEvent) == "replica"
        assert router.db_for_read(User) == "replica"  # one database per query and subqueries
        assert router.db_for_read(Session) is None  # a fresh session may not be there yet
        assert router.db_for_write(AuditEvent) == "default"
    assert router.db_for_read(AuditEvent) is None
    assert router.allow_migrate("replica", "audit") is False
    assert router.allow_migrate("default", "audit") is True


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("get", "/audit/events/", "replica"),
        ("head", "/audit/events/", "replica"),
        ("post", "/audit/events/", None),
        ("get", "/workflow/queue/", None),
    ],
)
def test_the_middleware_routes_only_explorer_reads(with_replica, settings, method, path, expected):
    settings.REPLICA_READ_PATHS = ("/audit/",)
    seen = []

    def view(request):
        seen.append(router.db_for_read(AuditEvent))
        return None

    ReplicaReadMiddleware(view)(getattr(RequestFactory(), method)(path))
    assert seen == [expected]
    assert router.db_for_read(AuditEvent) is None  # nothing leaks into the next request
