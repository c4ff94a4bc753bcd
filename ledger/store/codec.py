"""How each driver stores the schema's column types: one codec a backend, used by every read.

The driver-level paths (appends, log pages, the projection's live writes) bypass SQLAlchemy's
type processing, so they must store values exactly as SQLAlchemy would and read them back the
same way. Which conversion a column needs follows from its type in ``schema.py``; a codec only
says what each type looks like to its driver. A ``RowMapper`` pairs a dataclass with a table by
column name, so no code depends on a column order matching a field order.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import operator
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

from psycopg.types.json import Jsonb
from sqlalchemy import JSON, Column, Date, Table, Uuid

from ledger.store.records import RecordedEvent
from ledger.store.schema import UtcDateTime, events

Convert = Callable[[Any], Any]
T = TypeVar("T")
# SQLAlchemy's storage format for DateTime on SQLite: the store's rows must read back through it.
SQLITE_INSTANT = "%Y-%m-%d %H:%M:%S.%f"


class Codec:
    """Python values to one driver's parameters and back, chosen by the column's type.

    A converter of ``None`` means the driver's value is the Python value already.
    """

    name: str
    # The column types whose values the driver returns as the Python values already.
    native: frozenset[str] = frozenset()

    def encode_uuid(self, value: uuid.UUID) -> Any:
        """A UUID as the driver stores it in a ``Uuid`` column."""
        raise NotImplementedError

    def encode_instant(self, value: datetime) -> Any:
        """An aware datetime as the driver stores it in a ``UtcDateTime`` column."""
        raise NotImplementedError

    def encode_json(self, text: str) -> Any:
        """JSON text as the driver stores it in a ``JsonType`` column."""
        raise NotImplementedError

    def decode_instant(self, value: Any) -> datetime:
        """A ``UtcDateTime`` value as the driver returns it, as an aware UTC datetime."""
        raise NotImplementedError

    def decode_uuid(self, value: Any) -> uuid.UUID:
        return value  # type: ignore[no-any-return]

    def decode_json(self, value: Any) -> Any:
        """A ``JsonType`` value as the driver returns it, as Python values."""
        return value

    def decode_date(self, value: Any) -> date | None:
        return value  # type: ignore[no-any-return]

    def encoder(self, column: Column[Any]) -> Convert | None:
        """What turns a Python value into this column's driver parameter."""
        kind = column.type
        convert: Convert | None = None
        if isinstance(kind, Uuid):
            convert = self.encode_uuid
        elif isinstance(kind, UtcDateTime):
            convert = self.encode_instant
        elif isinstance(kind, JSON):
            encode_json = self.encode_json
            convert = lambda value: encode_json(json.dumps(value))  # noqa: E731
        return _nullable(convert) if column.nullable else convert

    def decoder(self, column: Column[Any]) -> Convert | None:
        """What turns this column's value, as the driver returns it, into the Python value."""
        kind = column.type
        convert: Convert | None = None
        if isinstance(kind, Uuid) and "uuid" not in self.native:
            convert = self.decode_uuid
        elif isinstance(kind, UtcDateTime):
            convert = self.decode_instant
        elif isinstance(kind, JSON) and "json" not in self.native:
            convert = self.decode_json
        elif isinstance(kind, Date) and "date" not in self.native:
            convert = self.decode_date
        return _nullable(convert) if column.nullable else convert

    def params(self, table: Table, **values: Any) -> list[Any]:
        """Parameters for an INSERT of every column of ``table``, given by column name."""
        return [
            value if convert is None else convert(value)
            for (key, convert), value in zip(
                self._encoders(table), (values[column.key] for column in table.c), strict=True
            )
        ]

    def _encoders(self, table: Table) -> list[tuple[str, Convert | None]]:
        cached = self._table_encoders.get(table.name)
        if cached is None:
            cached = self._table_encoders[table.name] = [
                (column.key, self.encoder(column)) for column in table.c
            ]
        return cached

    @functools.cached_property
    def _table_encoders(self) -> dict[str, list[tuple[str, Convert | None]]]:
        return {}

    @functools.cached_property
    def events(self) -> RowMapper[RecordedEvent]:
        """The event log's rows: the one place a ``RecordedEvent`` is built from a row."""
        return RowMapper(RecordedEvent, events, self)

    @functools.cached_property
    def events_row(self) -> Callable[..., list[Any]]:
        """``events_row(event, data, metadata)``: an INSERT's parameters, the JSON given encoded."""
        return self.events.encoder("data", "metadata")


class RowMapper(Generic[T]):
    """A dataclass and a table's rows, both ways, matched by column name through a codec."""

    def __init__(self, kind: type[T], table: Table, codec: Codec) -> None:
        keys = [column.key for column in table.c]
        fields = [field.name for field in dataclasses.fields(kind)]  # type: ignore[arg-type]
        self.kind = kind
        decoders = [codec.decoder(table.c[name]) for name in fields]
        # The fields' columns picked in one call, then only those that need it converted.
        self._pick = operator.itemgetter(*[keys.index(name) for name in fields])
        self._convert = [(i, convert) for i, convert in enumerate(decoders) if convert]
        self._to_row = [(key, codec.encoder(table.c[key])) for key in keys]

    def decode(self, row: Sequence[Any]) -> T:
        """A row of all the table's columns, in the table's order, as the dataclass."""
        values = list(self._pick(row))
        for i, convert in self._convert:
            values[i] = convert(values[i])
        return self.kind(*values)

    def encode(self, value: object) -> list[Any]:
        """``value``'s attributes as parameters for all the table's columns, in its order."""
        return self._encode_all(value)

    @functools.cached_property
    def _encode_all(self) -> Callable[..., list[Any]]:
        return self.encoder()

    def encoder(self, *given: str) -> Callable[..., list[Any]]:
        """``encode`` with the columns ``given`` passed in already encoded, in that order.

        ``encoder("data", "metadata")(event, data, metadata)``: an event's canonical JSON is
        made once, before the row, so the row takes it as it is.
        """
        # Generated once per table and codec, so the hot path runs one flat expression: an
        # attribute or a given value per column, through its converter where it has one. The
        # code reads public attributes only; the same list built by a loop over the columns
        # (operator.attrgetter, then the converters) took 2.2 times as long per row.
        scope: dict[str, Any] = {}
        terms = []
        for i, (key, convert) in enumerate(self._to_row):
            if key in given:
                terms.append(f"given_{given.index(key)}")
            elif convert is None:
                terms.append(f"value.{key}")
            else:
                scope[f"convert_{i}"] = convert
                terms.append(f"convert_{i}(value.{key})")
        arguments = "".join(f", given_{i}" for i in range(len(given)))
        source = f"def encode(value{arguments}):\n    return [{', '.join(terms)}]\n"
        exec(compile(source, f"<row encoder of {self.kind.__name__}>", "exec"), scope)  # noqa: S102
        encode: Callable[..., list[Any]] = scope["encode"]
        return encode


class SqliteCodec(Codec):
    """Stored the way SQLAlchemy stores them on SQLite: hex UUIDs, JSON text, naive UTC text."""

    name = "sqlite"

    def decode_uuid(self, value: Any) -> uuid.UUID:
        return uuid.UUID(hex=value)

    def decode_json(self, value: Any) -> Any:
        return json.loads(value)

    def decode_date(self, value: Any) -> date | None:
        return None if value is None else date.fromisoformat(value)

    def encode_uuid(self, value: uuid.UUID) -> Any:
        return value.hex

    def encode_instant(self, value: datetime) -> Any:
        return _sqlite_instant(value)

    def encode_json(self, text: str) -> Any:
        return text

    def decode_instant(self, value: Any) -> datetime:
        instant = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        return instant.replace(tzinfo=UTC)


class PostgresCodec(Codec):
    """psycopg reads UUIDs, aware datetimes, dates and jsonb natively; JSON text is wrapped."""

    name = "postgresql"
    native = frozenset({"uuid", "json", "date"})

    def encode_uuid(self, value: uuid.UUID) -> Any:
        return value

    def encode_instant(self, value: datetime) -> Any:
        return value

    def encode_json(self, text: str) -> Any:
        return Jsonb(text, dumps=_as_is)

    def decode_instant(self, value: Any) -> datetime:
        return value.astimezone(UTC)  # type: ignore[no-any-return]


def _nullable(convert: Convert | None) -> Convert | None:
    if convert is None:
        return None
    return lambda value: None if value is None else convert(value)


def _as_is(text: str) -> str:
    """The JSON text is canonical already: hand it to PostgreSQL without encoding it again."""
    return text


@functools.lru_cache(maxsize=64)
def _sqlite_instant(value: datetime) -> str:
    return value.astimezone(UTC).strftime(SQLITE_INSTANT)
