"""The envelope codec: one declaration, one canonical text, one chain check, same bytes as ever."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import rfc8785

from ledger.store.records import (
    ENVELOPE_FIELDS,
    GENESIS_HASH,
    Chain,
    RecordedEvent,
    event_hash,
    expected_hash,
)

# The SHA-256 of the archive lines of ``fixed_events()``, as the ledger wrote them before the
# codec was one (commit 922674b's ``archive.envelope_line``): an export must not change a byte.
FIXED_EXPORT_SHA256 = "4781cb55b04c4f13c69195d38b9edb16edc61a697fd1fd360f1e76c2ddb19bf8"


def fixed_events() -> list[RecordedEvent]:
    """Four chained events whose data takes every path of the canonical text: escapes, floats,
    the largest safe integer, characters above U+E000, nesting."""
    start = datetime(2024, 10, 25, 19, 0, tzinfo=UTC)
    datas = [
        {"note": "Peskow \u201eRegelm\u00e4\u00dfige Gespr\u00e4che\u201c", "n": 1},
        {"float": 1.5, "tiny": 1e-7, "big": 2**53 - 1, "neg": -0.0},
        {"\ue000": "high", "\U0001f600": "emoji", "a": '\u2028 "quoted" \\ \n\t'},
        {"nested": {"z": [1, 2.25, None, True], "a": {}}},
    ]
    prev, events = GENESIS_HASH, []
    for i, data in enumerate(datas, start=1):
        fields = dict(
            position=i,
            event_id=uuid.UUID(int=i),
            stream=f"claim:k\u00e9y-{i % 2}",
            version=(i + 1) // 2,
            type="StatementRecorded",
            data=data,
            metadata={"by": "t\u00e9st", "i": i},
            recorded_at=start + timedelta(microseconds=i),
            prev_hash=prev,
        )
        prev = event_hash(**fields)
        events.append(RecordedEvent(**fields, hash=prev))  # type: ignore[arg-type]
    return events


def test_the_archive_lines_are_the_bytes_the_ledger_always_wrote() -> None:
    text = "".join(event.canonical_line() + "\n" for event in fixed_events())
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == FIXED_EXPORT_SHA256


@pytest.mark.parametrize("event", fixed_events(), ids=lambda event: str(event.position))
def test_each_text_is_rfc_8785_and_reads_back(event: RecordedEvent) -> None:
    shown = event.to_json()
    assert list(shown) == list(ENVELOPE_FIELDS)
    assert event.canonical_line() == rfc8785.dumps(shown).decode("utf-8")
    unhashed = {name: value for name, value in shown.items() if name != "hash"}
    assert expected_hash(event) == hashlib.sha256(rfc8785.dumps(unhashed)).hexdigest()
    assert RecordedEvent.from_json(shown) == event


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"position": 0}, "position: a positive integer"),
        ({"version": True}, "version: a positive integer"),
        ({"event_id": "not-a-uuid"}, "event_id: a UUID"),
        ({"stream": ""}, "stream: a non-empty string"),
        ({"data": []}, "data: a JSON object"),
        ({"recorded_at": "2024-10-25"}, "recorded_at: an instant like"),
        ({"hash": "abc"}, "hash: 64 hexadecimal digits"),
        ({"extra": 1}, "unknown fields extra"),
    ],
)
def test_a_bad_field_is_named(change: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        RecordedEvent.from_json({**fixed_events()[0].to_json(), **change})


def test_a_missing_field_is_named() -> None:
    shown = fixed_events()[0].to_json()
    del shown["prev_hash"]
    with pytest.raises(ValueError, match="missing prev_hash"):
        RecordedEvent.from_json(shown)


def test_the_chain_takes_the_log_and_names_each_fault() -> None:
    first, second, third, _ = fixed_events()
    chain = Chain()
    for event in (first, second):
        assert chain.fault(event) is None
        chain.take(event)
    assert "follows position 2" in (chain.fault(replace(third, position=4)) or "")
    assert "prev_hash does not link" in (chain.fault(replace(third, prev_hash=first.hash)) or "")
    changed = replace(third, metadata={"by": "someone else"})
    assert chain.fault(changed) == "its hash does not match its content"
    assert chain.fault(third, also=lambda event: "the caller's own") == "the caller's own"
    assert chain.fault(third) is None
