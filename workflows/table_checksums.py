"""A fingerprint of every table: its row count and a checksum over its rows, equal on SQLite and PostgreSQL.

Backups record them (``workflows.backup``), a restore recomputes and compares them, and
``migrate-data`` prints them for both databases: the same data gives the same digest whichever
database holds it. To get there each value is normalised before it is hashed:

* datetimes as UTC ISO 8601 (SQLite keeps naive UTC, PostgreSQL ``timestamptz``), dates as ISO;
* JSON as canonical JSON (keys sorted: PostgreSQL's JSONB reorders them and spaces its text
  otherwise), kept apart from SQL NULL;
* bytes as hex, decimals without trailing zeros, enums by value; booleans, numbers, text and NULL as
  JSON has them;
* columns by name (a SQLite table rebuilt by a migration may hold its columns in another order),
  rows by primary key, compared by value in Python (PostgreSQL's collation may order text differently).

The tables are read from the database itself (reflected), so a fingerprint needs no model and a
backup taken by an older Rectiflow is checked as it was taken. ``alembic_version`` is left out:
a backup records the schema revision on its own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, ColumnElement, Integer, MetaData, Table, Text, cast, select
from sqlalchemy.engine import Connection

VERSION_TABLE = "alembic_version"
FETCH_ROWS = 1000


@dataclasses.dataclass(frozen=True)
class TableFingerprint:
    """A table's row count and the SHA-256 (hex) of its normalised rows in primary-key order."""

    table: str
    rows: int
    checksum: str

    def as_dict(self) -> dict[str, Any]:
        """The fingerprint as a backup manifest records it."""
        return {"rows": self.rows, "checksum": self.checksum}


def fingerprint_database(connection: Connection) -> dict[str, TableFingerprint]:
    """Every table's fingerprint (``alembic_version`` excepted), by table name, names sorted."""
    metadata = MetaData()
    metadata.reflect(connection)
    return {name: fingerprint_table(connection, metadata.tables[name])
            for name in sorted(metadata.tables) if name != VERSION_TABLE}


def fingerprint_table(connection: Connection, table: Table) -> TableFingerprint:
    """One table's fingerprint, read on ``connection`` (inside its transaction, if one is open)."""
    names = sorted(column.name for column in table.columns)
    digest = hashlib.sha256(_canonical(names).encode())
    count = 0
    for row in _rows_in_key_order(connection, table, names):
        digest.update(b"\n")
        digest.update(_canonical(row).encode())
        count += 1
    return TableFingerprint(table.name, count, digest.hexdigest())


def differing_tables(expected: Mapping[str, TableFingerprint], found: Mapping[str, TableFingerprint]) -> list[str]:
    """The tables whose fingerprint differs, or which only one side has, sorted by name."""
    return sorted(name for name in set(expected) | set(found) if expected.get(name) != found.get(name))


def fingerprints_from_manifest(recorded: Mapping[str, Any]) -> dict[str, TableFingerprint]:
    """Fingerprints as a manifest recorded them (``{table: {"rows": n, "checksum": hex}}``).

    Raises ``ValueError`` for anything of another shape."""
    found = {}
    for name, entry in recorded.items():
        rows, checksum = (entry.get("rows"), entry.get("checksum")) if isinstance(entry, dict) else (None, None)
        if not isinstance(name, str) or not isinstance(rows, int) or not isinstance(checksum, str):
            raise ValueError(f"table entry {name!r} is not a row count and a checksum")
        found[name] = TableFingerprint(name, rows, checksum)
    return found


def _rows_in_key_order(connection: Connection, table: Table, names: Sequence[str]) -> Iterator[list[Any]]:
    columns = [table.columns[name] for name in names]
    json_columns = [isinstance(column.type, JSON) for column in columns]
    key = list(table.primary_key.columns) or columns
    query = select(*(_read(column) for column in columns))

    def normal_row(row: Sequence[Any]) -> list[Any]:
        return [_json_text(value) if is_json else normalise(value)
                for value, is_json in zip(row, json_columns, strict=True)]

    if all(isinstance(column.type, Integer) for column in key):
        # Integers order the same everywhere: let the database sort, and stream.
        result = connection.execute(query.order_by(*key).execution_options(yield_per=FETCH_ROWS))
        for row in result:
            yield normal_row(row)
        return
    positions = [names.index(column.name) for column in key]
    rows = [normal_row(row) for row in connection.execute(query)]
    rows.sort(key=lambda row: _sort_key(row[i] for i in positions))
    yield from rows


def _read(column: Any) -> ColumnElement[Any]:
    # JSON is read as its text, so that SQL NULL and a JSON null stay apart (both read as None).
    return cast(column, Text) if isinstance(column.type, JSON) else column


def _json_text(text: str | None) -> Any:
    return None if text is None else {"json": normalise(json.loads(text))}


def _sort_key(values: Iterable[Any]) -> tuple[tuple[int, Any], ...]:
    # NULLs first, then by value; text compares by code point, as on neither database by default.
    return tuple((0, "") if value is None else (1, _canonical(value) if isinstance(value, dict | list) else value)
                 for value in values)


def normalise(value: Any) -> Any:
    """``value`` as plain JSON data that reads the same from SQLite and PostgreSQL."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, enum.Enum):
        return normalise(value.value)
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else {"float": repr(value)}
    if isinstance(value, decimal.Decimal):
        return {"decimal": format(value.normalize(), "f")}
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)  # SQLite: naive UTC
        return aware.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return {"bytes": bytes(value).hex()}
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    raise TypeError(f"no normal form for a {type(value).__name__} value")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
