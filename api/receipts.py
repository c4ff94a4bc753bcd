"""A write's answer: the stored event and, where the ledger signs, its receipt."""

from __future__ import annotations

from typing import Any

from ledger.audit.log import TransparencyLog
from ledger.store import RecordedEvent


def with_receipt(event: RecordedEvent, transparency: TransparencyLog) -> dict[str, Any]:
    """The envelope plus ``receipt`` (null when none can be made now): ``TransparencyLog.written``
    assembles it, in the ledger, for every writer."""
    return transparency.written(event)
