"""A write's answer: the stored event and, where the ledger signs, its receipt."""

from __future__ import annotations

import logging
from typing import Any

from ledger.audit.log import TransparencyLog
from ledger.errors import LedgerError
from ledger.store import RecordedEvent

log = logging.getLogger("ledger.api")


def with_receipt(event: RecordedEvent, transparency: TransparencyLog) -> dict[str, Any]:
    """The envelope plus ``receipt``: a signed checkpoint covering the event and its proof.

    The event is durable before this runs, so a receipt that cannot be made now (no signing
    key; the database refusing the checkpoint's row) leaves ``receipt`` null rather than turning
    a committed write into an error: ``GET /v1/audit/proofs/inclusion`` gives the proof later.
    """
    answer = event.to_json()
    answer["receipt"] = None
    if transparency.key is None:
        return answer
    try:
        answer["receipt"] = transparency.receipt(event)
    except LedgerError as error:
        log.warning("no receipt for position %s: %s", event.position, error)
    return answer
