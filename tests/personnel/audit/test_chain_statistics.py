"""The statistics step of migration audit 0005 must not analyse an empty audit trail.

An empty table analysed as empty makes PostgreSQL plan the chain trigger's head lookup (``ORDER BY
seq DESC LIMIT 1``) as a sequential scan and sort; a session keeps that plan while the table
grows, so every event written after it walks the whole trail (a bulk load of the medium dataset
fell to about 100 events/s). Left unanalysed, the planner assumes a few pages and takes the
primary key's index.
"""

import importlib

import pytest
from django.db import connection, migrations, transaction

from personnel.audit.models import AuditEvent
from personnel.audit.services import audit_record

pytestmark = pytest.mark.django_db


def _statistics_sql() -> str:
    module = importlib.import_module("personnel.audit.migrations.0005_reason_upper_trgm")
    (step,) = [op for op in module.Migration.operations if isinstance(op, migrations.RunSQL)]
    return step.sql


def _reltuples(cursor) -> float:
    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'audit_event'::regclass")
    return cursor.fetchone()[0]


def test_an_empty_trail_is_left_unanalysed():
    assert not AuditEvent.objects.exists()
    with connection.cursor() as cursor:
        # A marker no ANALYZE of an empty table would leave (rolled back with the test).
        cursor.execute("UPDATE pg_class SET reltuples = 7 WHERE oid = 'audit_event'::regclass")
        cursor.execute(_statistics_sql())
        assert _reltuples(cursor) == 7


def test_a_trail_with_events_is_analysed(django_user_model):
    user = django_user_model.objects.create_user("statistics")
    with transaction.atomic():
        audit_record(actor=user, action="task.execute", target=user, reason="statistics")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE pg_class SET reltuples = 7 WHERE oid = 'audit_event'::regclass")
        cursor.execute(_statistics_sql())
        assert _reltuples(cursor) == 1
