"""A request that cannot get a row lock in time answers 409 (LockContentionMiddleware)."""

import threading

import psycopg
import pytest
from django.db import OperationalError, connection, transaction
from django.test import RequestFactory
from viewflow.workflow.exceptions import FlowLockFailed

from config.middleware import LockContentionMiddleware
from personnel.models import OrgUnit

pytestmark = pytest.mark.django_db(transaction=True)


def _middleware():
    return LockContentionMiddleware(lambda request: None)


def _request(user=None):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().post("/appointments/1/record/")
    request.user = user or AnonymousUser()
    return request


def test_a_lock_timeout_from_postgresql_is_a_409(province):
    """Hold a row lock in another connection; this connection's wait times out for real."""
    held, release = threading.Event(), threading.Event()
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)

    def hold():
        with psycopg.connect(**params) as other:
            other.execute("BEGIN")
            other.execute("SELECT 1 FROM personnel_orgunit WHERE id = %s FOR UPDATE", [province.pk])
            held.set()
            release.wait(10)
            other.execute("ROLLBACK")

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    error = None
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '100ms'")
            OrgUnit.objects.select_for_update().filter(pk=province.pk).exists()
    except OperationalError as exc:
        error = exc
    finally:
        release.set()
        holder.join()
    assert error is not None
    response = _middleware().process_exception(_request(), error)
    assert response.status_code == 409


def test_viewflow_lock_failures_are_a_409(db):
    response = _middleware().process_exception(_request(), FlowLockFailed("busy"))
    assert response.status_code == 409


def test_other_errors_are_left_to_the_500_handler(db):
    assert _middleware().process_exception(_request(), ValueError("bug")) is None
