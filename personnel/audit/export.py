"""CSV export of audit events, and its offline verification.

Each row carries every field the hash covers plus the hash, so each row can be checked on its
own; an unfiltered export also chains row to row. Verify a file without the system:

    python -m personnel.audit.export verify events.csv
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable, Iterator

import orjson

from .canonical import FIELDS, event_hash, format_time

HEADER = [*FIELDS, "hash"]
_INT_FIELDS = {"seq", "actor_id", "actor_committee_id", "process_id", "cadre_id", "unit_id"}


def _cell(name: str, value) -> str:
    if value is None:
        return ""
    if name == "occurred_at":
        return format_time(value)
    if name == "changes":
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return str(value)


def csv_rows(rows: Iterable[tuple]) -> Iterator[str]:
    """CSV lines for value tuples in HEADER order (a streaming response body)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(name, value) for name, value in zip(HEADER, row, strict=True)])
        yield buffer.getvalue()


def parse_row(record: dict[str, str]) -> dict:
    values: dict = {}
    for name in HEADER:
        raw = record[name]
        if name in _INT_FIELDS:
            values[name] = int(raw) if raw != "" else None
        elif name == "changes":
            values[name] = orjson.loads(raw) if raw else {}
        else:
            values[name] = raw
    return values


def verify_file(stream) -> tuple[int, list[str]]:
    """Check every row's hash, and the chain between consecutive rows where they are adjacent."""
    problems: list[str] = []
    count = 0
    previous: dict | None = None
    for record in csv.DictReader(stream):
        values = parse_row(record)
        count += 1
        if event_hash(values) != values["hash"]:
            problems.append(f"row for event #{values['seq']}: content does not match its hash")
        if (
            previous is not None
            and values["seq"] == previous["seq"] + 1
            and values["prev_hash"] != previous["hash"]
        ):
            problems.append(f"event #{values['seq']} does not follow #{previous['seq']}")
        previous = values
    return count, problems


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "verify":
        print("usage: python -m personnel.audit.export verify FILE.csv", file=sys.stderr)
        return 2
    with open(argv[1], newline="", encoding="utf-8") as stream:
        count, problems = verify_file(stream)
    for problem in problems:
        print(problem)
    print(f"{count} rows checked, {len(problems)} problem(s).")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
