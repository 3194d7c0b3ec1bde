"""Glue between our services and the procrastinate job engine."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from procrastinate.contrib.django import app
from procrastinate.contrib.django.django_connector import DjangoConnector


def defer_with_transaction(task, **kwargs) -> None:
    """Queue ``task`` so that the job exists exactly when the caller's transaction commits.

    In web processes procrastinate writes the job through Django's own connection, inside the
    open transaction. Inside a worker (whose app talks to PostgreSQL over its own connection)
    the job is queued after commit instead, so it can never run before the rows it reads exist.
    """
    if isinstance(app.connector, DjangoConnector):
        task.defer(**kwargs)
    else:
        transaction.on_commit(partial(task.defer, **kwargs), robust=True)


def worker_app():
    """The app with a connector that can LISTEN, for workers started in-process."""
    return app.with_connector(app.connector.get_worker_connector())
