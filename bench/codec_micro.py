"""``python -m bench.codec_micro``: the store's row codec on 100,000 event rows, per backend.

Decoding is what every read of the log does per row; encoding what every append and import
does. A micro-measurement, no database: the figures compare revisions of the codec on one
machine, never against a target.
"""

from __future__ import annotations

import timeit
import uuid
from datetime import UTC, datetime
from typing import Any

from ledger.store.codec import Codec, PostgresCodec, SqliteCodec
from ledger.store.records import RecordedEvent

ROWS = 100_000
RECORDED_AT = datetime(2024, 10, 25, 19, 0, tzinfo=UTC)
EVENT = RecordedEvent(
    1, uuid.UUID(int=1), "claim:k", 1, "StatementRecorded", {"a": 1}, {}, RECORDED_AT,
    "0" * 64, "f" * 64,
)


def stored_row(codec: Codec) -> tuple[Any, ...]:
    """``EVENT`` as the codec's driver returns its row (JSON as the driver gives it back)."""
    row = codec.events.encode(EVENT)
    json_columns = {5: {"a": 1}, 6: {}} if codec.name == "postgresql" else {5: '{"a":1}', 6: "{}"}
    return tuple(json_columns.get(i, value) for i, value in enumerate(row))


def best_of_five(run: Any) -> float:
    return min(timeit.repeat(run, number=1, repeat=5))


def main() -> None:
    for codec in (SqliteCodec(), PostgresCodec()):
        rows = [stored_row(codec)] * ROWS
        decode, encode = codec.events.decode, codec.events_row
        decoding = best_of_five(lambda: [decode(row) for row in rows])
        encoding = best_of_five(lambda: [encode(EVENT, '{"a":1}', "{}") for _ in range(ROWS)])
        print(
            f"{codec.name}: decode {ROWS:,} rows {decoding * 1000:.0f} ms, "
            f"encode {ROWS:,} rows {encoding * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
