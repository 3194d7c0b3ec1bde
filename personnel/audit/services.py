"""Writing to the audit trail. Every state-changing service calls ``audit_record`` in its own
transaction; reads of sensitive material call it too.

Writers are serialised by a transaction-level advisory lock, so the chain never forks: the lock
is held from the ``audit_record`` call until the surrounding transaction ends, which is why
services call it last, after their own writes.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.functional import Promise

from . import context
from .actions import Action
from .canonical import GENESIS, event_hash
from .models import AuditCheckpoint, AuditEvent

# An arbitrary constant naming the audit chain's advisory lock (pg_advisory_xact_lock).
CHAIN_LOCK_KEY = 0x43_46_41_55_44_49_54  # "CFAUDIT"


class AuditError(RuntimeError):
    pass


def jsonable(value: Any) -> Any:
    """A JSON-native value that survives a round trip through jsonb unchanged."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal | float):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Field values of ``instance`` (foreign keys as ids), ready for ``changes_between``."""
    out = {}
    for name in fields:
        field = instance._meta.get_field(name)
        out[name] = jsonable(getattr(instance, field.attname))
    return out


def changes_between(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list]:
    """``{field: [before, after]}`` for the fields whose value differs."""
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def created(instance: models.Model, fields: Iterable[str]) -> dict[str, list]:
    return changes_between({}, snapshot(instance, fields))


def _capacity(capacity) -> tuple[int | None, str]:
    if capacity is None:
        return None, ""
    committee = getattr(capacity, "committee_id", None)
    if committee is not None:  # a CommitteeMembership
        return committee, capacity.role
    committee, role = capacity
    return (getattr(committee, "pk", committee), str(role))


def _target(target) -> tuple[str, str]:
    if isinstance(target, models.Model):
        return target._meta.label_lower, str(target.pk)
    kind, pk = target
    return str(kind), "" if pk is None else str(pk)


def _cadre_id(target, cadre) -> int | None:
    if cadre is not None:
        return getattr(cadre, "pk", cadre)
    if isinstance(target, models.Model):
        if target._meta.label_lower == "personnel.cadre":
            return target.pk
        return getattr(target, "cadre_id", None)
    return None


def _unit_id(target, cadre, unit) -> int | None:
    """The unit an event concerns: given, or read off the target (cadre, committee, ...)."""
    if unit is not None:
        return getattr(unit, "pk", unit)
    if cadre is not None and hasattr(cadre, "unit_id"):
        return cadre.unit_id
    if not isinstance(target, models.Model):
        return None
    label = target._meta.label_lower
    if label == "personnel.orgunit":
        return target.pk
    for path in ("unit_id", "cadre.unit_id", "committee.unit_id", "position.unit_id"):
        obj = target
        for part in path.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                break
        if obj is not None:
            return obj
    return None


def audit_record(
    *,
    actor,
    action: Action | str,
    target,
    changes: Mapping[str, Any] | None = None,
    reason: str = "",
    cadre=None,
    unit=None,
    process=None,
    procedure: str = "",
    capacity=None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction.

    ``target`` is a model instance or a ``(type, id)`` pair; ``capacity`` is the membership the
    actor acted through, or a ``(committee, role)`` pair. Must never be given a ballot choice.
    """
    if not connection.in_atomic_block:
        raise AuditError("audit_record must run inside the transaction of the change it records")
    action = Action(action)
    target_type, target_id = _target(target)
    committee_id, role = _capacity(capacity)
    meta = context.current()
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
        cursor.execute("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1")
        head = cursor.fetchone()
    seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS)
    values = {
        "seq": seq,
        # Taken under the lock, so time never runs backwards along the chain.
        "occurred_at": timezone.now(),
        "actor_id": actor.pk if is_user else None,
        "actor_username": actor.get_username() if is_user else "",
        "actor_committee_id": committee_id,
        "actor_role": role,
        "action": action.value,
        "target_type": target_type,
        "target_id": target_id,
        "procedure": procedure,
        "process_id": getattr(process, "pk", process),
        "cadre_id": _cadre_id(target, cadre),
        "unit_id": _unit_id(target, cadre, unit),
        "changes": jsonable(dict(changes or {})),
        "reason": reason or "",
        "ip": meta.ip,
        "user_agent": meta.user_agent,
        "request_id": meta.request_id,
        "prev_hash": prev_hash,
    }
    values["hash"] = event_hash(values)
    return AuditEvent.objects.create(**values)


@transaction.atomic
def audit_checkpoint_create(*, actor, note: str = "") -> AuditCheckpoint:
    """Record the current chain head (itself an audited action, which becomes the new head)."""
    event = audit_record(
        actor=actor, action=Action.AUDIT_CHECKPOINT, target=("audit.chain", None), reason=note
    )
    return AuditCheckpoint.objects.create(seq=event.seq, hash=event.hash, note=note[:200])
