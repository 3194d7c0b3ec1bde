"""Bulk loading with PostgreSQL COPY (psycopg 3 ``cursor.copy``), with progress per table.

Rows are formatted here in COPY's text format and sent in batches. Primary keys are chosen by
the generator (so rows can refer to each other without a round trip) and the identity
sequences are moved past them at the end. The tables keep their constraints, triggers and
B-tree indexes while they load, so what lands satisfies them; only a GIN index may be dropped
for a load and built again before its phase commits (``gin_rebuilt``): building one over the
loaded rows costs far less than growing it row by row. Django's foreign keys are ``DEFERRABLE
INITIALLY DEFERRED``: they are checked when the phase commits.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import queue
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal

import orjson

NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_SPECIAL = re.compile(r"[\\\t\n\r]").search


def cell(value) -> str:
    """One value in COPY's text format."""
    kind = type(value)
    if kind is str:
        return value.translate(_ESCAPES) if _SPECIAL(value) else value
    if kind is int:
        return str(value)
    if value is None:
        return NULL
    if kind is bool:
        return "t" if value else "f"
    if kind is dt.datetime or kind is dt.date:
        return value.isoformat()
    if kind is dict or kind is list:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode().translate(_ESCAPES)
    if kind is Decimal or kind is float or kind is uuid.UUID:
        return str(value)
    if isinstance(value, enum.Enum):  # TextChoices / IntegerChoices members
        return cell(value.value)
    raise TypeError(f"cannot load {value!r} ({kind.__name__})")


class Progress:
    """Rows per table and rows per second, printed at most every ``every`` seconds."""

    def __init__(self, stream=sys.stderr, every: float = 2.0, quiet: bool = False):
        self.stream = stream
        self.every = every
        self.quiet = quiet
        self._last = 0.0

    def say(self, message: str) -> None:
        if not self.quiet:
            self.stream.write(message + "\n")
            self.stream.flush()

    def tick(self, table: Table, *, force: bool = False) -> None:
        now = time.perf_counter()
        if self.quiet or not (force or now - self._last >= self.every):
            return
        self._last = now
        self.say(f"  {table.name:<42} {table.rows:>11,} rows {table.rate():>10,.0f} rows/s")


class Table:
    """A table being loaded: rows are buffered and sent with COPY in batches."""

    def __init__(
        self,
        loader: Loader,
        name: str,
        columns: Sequence[str],
        *,
        first_id: int | None,
        batch: int,
    ):
        self.loader = loader
        self.name = name
        self.columns = tuple(columns)
        self.rows = 0
        self.copy_seconds = 0.0
        self.started: float | None = None
        self.last_id = first_id - 1 if first_id is not None else None
        self._lines: list[str] = []
        self._batch = batch
        quoted = ", ".join(f'"{c}"' for c in columns)
        self._sql = f'COPY "{name}" ({quoted}) FROM STDIN'

    def new_id(self) -> int:
        self.last_id += 1
        return self.last_id

    def add(self, *values) -> None:
        if len(values) != len(self.columns):
            raise ValueError(f"{self.name}: {len(values)} values for {len(self.columns)} columns")
        if self.started is None:
            self.started = time.perf_counter()
        self._lines.append("\t".join([cell(v) for v in values]))
        self.rows += 1
        if len(self._lines) >= self._batch:
            self.flush()

    def flush(self) -> None:
        if not self._lines:
            return
        data = "\n".join(self._lines) + "\n"
        self._lines = []
        self.loader.submit(self, data)
        self.loader.progress.tick(self)

    def copy(self, cursor, data: str) -> None:
        started = time.perf_counter()
        with cursor.copy(self._sql) as copy:
            copy.write(data)
        self.copy_seconds += time.perf_counter() - started

    def rate(self) -> float:
        if self.started is None:
            return 0.0
        return self.rows / max(time.perf_counter() - self.started, 1e-6)


class Loader:
    """The tables of one generator run, on the Django connection's psycopg connection.

    Batches go to PostgreSQL from a writer thread, so the server loads one batch while the
    generator builds the next (two cores). The main thread touches the connection only after
    ``sync()``, which waits for the writer to be idle.
    """

    def __init__(self, connection, progress: Progress, *, batch: int = 20_000):
        connection.ensure_connection()
        self.connection = connection
        self.raw = connection.connection
        self.cursor = self.raw.cursor()
        self.progress = progress
        self.batch = batch
        self.tables: dict[str, Table] = {}
        self._jobs: queue.Queue = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._writer = threading.Thread(target=self._write, name="datagen-copy", daemon=True)
        self._writer.start()

    def _write(self) -> None:
        cursor = self.raw.cursor()
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                if self._error is None:
                    table, data = job
                    table.copy(cursor, data)
            except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                self._error = exc
            finally:
                self._jobs.task_done()

    def submit(self, table: Table, data: str) -> None:
        self._raise()
        self._jobs.put((table, data))

    def sync(self) -> None:
        """Wait until every batch is loaded (and raise the writer's error, if any)."""
        self._jobs.join()
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def close(self) -> None:
        self.sync()
        self._jobs.put(None)
        self._writer.join()

    def table(self, name: str, columns: Sequence[str], *, ids: bool = True) -> Table:
        """The loader of ``name``; with ``ids`` its new primary keys continue after the
        largest in the table (the first column is the key)."""
        if name not in self.tables:
            self.sync()
            first = None
            if ids:
                self.cursor.execute(f'SELECT COALESCE(MAX("{columns[0]}"), 0) FROM "{name}"')
                first = self.cursor.fetchone()[0] + 1
            self._check_columns(name, columns)
            self.tables[name] = Table(self, name, columns, first_id=first, batch=self.batch)
        return self.tables[name]

    def _check_columns(self, name: str, columns: Sequence[str]) -> None:
        """Fail early, naming the difference, when the schema changed under the generator."""
        self.cursor.execute(
            "SELECT column_name, is_nullable, column_default IS NOT NULL OR is_identity = 'YES' "
            "FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = %s",
            [name],
        )
        found = {row[0]: (row[1] == "NO" and not row[2]) for row in self.cursor.fetchall()}
        unknown = set(columns) - set(found)
        required = {c for c, needed in found.items() if needed} - set(columns)
        if unknown or required:
            raise RuntimeError(
                f"{name}: the generator writes unknown columns {sorted(unknown)} and leaves out "
                f"required columns {sorted(required)}; update bench/datagen for the new schema"
            )

    def flush(self, *names: str) -> None:
        for table in [self.tables[n] for n in names] if names else list(self.tables.values()):
            table.flush()
        self.sync()

    def reset_sequences(self) -> None:
        """Move each identity sequence past the keys the generator chose."""
        self.sync()
        for table in self.tables.values():
            if table.last_id is None:
                continue
            key = table.columns[0]
            self.cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [f'"{table.name}"', key])
            sequence = self.cursor.fetchone()[0]
            if sequence:
                self.cursor.execute(
                    f'SELECT setval(%s, GREATEST((SELECT MAX("{key}") FROM "{table.name}"), 1))',
                    [sequence],
                )

    # ----------------------------------------------------------------- GIN indexes in bulk

    @contextlib.contextmanager
    def gin_rebuilt(self, table: str):
        """Drop ``table``'s GIN indexes for what is loaded inside, then create them again with
        their own definitions (``pg_get_indexdef``), in the same transaction.

        PostgreSQL's own advice for a bulk load ("Populating a Database"): a GIN index built
        once over the loaded rows costs far less than growing it row by row under COPY.
        """
        self.sync()
        self.cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam "
            "WHERE x.indrelid = %s::regclass AND am.amname = 'gin' ORDER BY i.relname",
            [table],
        )
        indexes = self.cursor.fetchall()
        for name, _definition in indexes:
            self.cursor.execute(f'DROP INDEX "{name}"')
        yield
        self.sync()
        if indexes:
            started = time.perf_counter()
            self.cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for _name, definition in indexes:
                self.cursor.execute(definition)
            names = ", ".join(name for name, _ in indexes)
            self.progress.say(f"  {names} built in {time.perf_counter() - started:.1f} s")

    # ----------------------------------------------------------------- foreign keys in bulk

    def defer_foreign_keys(self) -> bool:
        """Skip the row-by-row foreign-key triggers for the rest of this transaction
        (``SET LOCAL session_replication_role = replica``; superuser only). The keys are then
        checked set by set with ``check_foreign_keys`` before the commit. Ordinary triggers are
        skipped as well: ``with_triggers`` turns them back on where a table has them."""
        self.sync()
        self.cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not self.cursor.fetchone()[0]:
            return False  # the checks stay row by row, at commit
        self.cursor.execute("SET LOCAL session_replication_role = replica")
        self.deferred = True
        return True

    def with_triggers(self, on: bool) -> None:
        """Ordinary triggers back on (or off again) for what is loaded next."""
        if getattr(self, "deferred", False):
            self.sync()
            role = "origin" if on else "replica"
            self.cursor.execute(f"SET LOCAL session_replication_role = {role}")

    def check_foreign_keys(self, tables) -> int:
        """Every foreign key of ``tables`` points at an existing row (one anti-join per key);
        raises naming the key and a sample of the missing rows. Returns how many were checked."""
        self.sync()
        self.cursor.execute(
            """
            SELECT c.conname, c.conrelid::regclass::text, a.attname,
                   c.confrelid::regclass::text, fa.attname
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
            WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 1
              AND c.conrelid::regclass::text = ANY(%s)
            """,
            [list(tables)],
        )
        keys = self.cursor.fetchall()
        for name, child, column, parent, key in keys:
            self.cursor.execute(
                f'SELECT c."{column}" FROM {child} c WHERE c."{column}" IS NOT NULL AND NOT '  # noqa: S608
                f'EXISTS (SELECT 1 FROM {parent} p WHERE p."{key}" = c."{column}") LIMIT 5'
            )
            missing = [row[0] for row in self.cursor.fetchall()]
            if missing:
                raise RuntimeError(
                    f"{child}.{column} ({name}) points at missing {parent} rows: {missing}"
                )
        return len(keys)

    def counts(self) -> dict[str, int]:
        return {name: table.rows for name, table in sorted(self.tables.items())}

    def report(self, say: Callable[[str], None]) -> None:
        for table in sorted(self.tables.values(), key=lambda t: -t.rows):
            if table.rows:
                say(
                    f"  {table.name:<42} {table.rows:>11,} rows, "
                    f"{table.rows / max(table.copy_seconds, 1e-6):>10,.0f} rows/s in COPY"
                )
