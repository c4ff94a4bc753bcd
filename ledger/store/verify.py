"""The integrity walk: recompute every hash and link, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.store.records import GENESIS_HASH, expected_hash
from ledger.store.sql import SqlEventStore


@dataclass(frozen=True, slots=True)
class Verification:
    """How many events were checked, and the first position that is wrong, if any."""

    checked: int
    first_bad_position: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_bad_position is None

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_bad_position": self.first_bad_position,
            "reason": self.reason,
        }


def verify(store: SqlEventStore, *, page_size: int = 1000) -> Verification:
    """Walk the chain from the genesis; memory stays constant whatever the log's length."""
    checked, previous_position, previous_hash = 0, 0, GENESIS_HASH
    for event in store.read_all(page_size=page_size):
        fault = _fault(event.position, previous_position, event.prev_hash, previous_hash)
        if fault is None and expected_hash(event) != event.hash:
            fault = "its hash does not match its content"
        if fault is not None:
            return Verification(checked + 1, event.position, fault)
        checked, previous_position, previous_hash = checked + 1, event.position, event.hash
    return Verification(checked)


def _fault(position: int, previous_position: int, prev_hash: str, previous_hash: str) -> str | None:
    if position != previous_position + 1:
        return f"position follows {previous_position}: a gap or a removed event"
    if prev_hash != previous_hash:
        return "its prev_hash does not link to the event before it"
    return None
