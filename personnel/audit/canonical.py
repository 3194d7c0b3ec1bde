"""The canonical bytes an audit event's hash covers, shared by writing, verifying and exports.

``hash = sha256(prev_hash_ascii || canonical_json)``, where canonical_json is the event's fields
as a JSON object with sorted keys, no insignificant white space and UTF-8 text (orjson with
``OPT_SORT_KEYS``). Times are UTC ISO 8601 with microseconds. Nothing here may change once
events exist: a change would make every stored hash wrong (add a versioned scheme instead).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

GENESIS = "0" * 64

# The fields covered, in the order exports list them.
FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_username",
    "actor_committee_id",
    "actor_role",
    "action",
    "target_type",
    "target_id",
    "procedure",
    "process_id",
    "cadre_id",
    "unit_id",
    "changes",
    "reason",
    "ip",
    "user_agent",
    "request_id",
    "prev_hash",
)


def format_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical(values: Mapping[str, Any]) -> bytes:
    """Canonical JSON of an event given as a mapping with every name in FIELDS."""
    content = {name: values[name] for name in FIELDS}
    if isinstance(content["occurred_at"], dt.datetime):
        content["occurred_at"] = format_time(content["occurred_at"])
    return orjson.dumps(content, option=orjson.OPT_SORT_KEYS)


def event_hash(values: Mapping[str, Any]) -> str:
    return hashlib.sha256(values["prev_hash"].encode("ascii") + canonical(values)).hexdigest()
