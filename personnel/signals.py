"""Signals other apps listen to (personnel depends on no workflow app)."""

from __future__ import annotations

from django.dispatch import Signal

#: A user's scope grants changed (``services.scope_sync_for_user``), inside its transaction.
#: Sent with ``user``. ``workflows.core`` re-offers the open queued tasks in the new scope.
scope_changed = Signal()
