"""Schemathesis on both backends: at least 1,000 generated requests each, counted and asserted.

``test_api_schemathesis`` explores the API on SQLite; this runs the same driver with more
examples on each backend, so the count provably reaches 1,000 per backend, and then audits the
ledger the fuzzer wrote to: whatever it sent, the log is whole and the projections equal a
rebuild. ``make soak`` (LEDGER_SOAK=1) generates five times as many.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis import GenerationMode

from api.app import create_app
from ledger.settings import Settings
from tests.support.api_fixtures import api_settings, signing_key_file
from tests.support.reliability_checks import audit_ledger
from tests.support.server import scaled
from tests.support.fuzzing import exercise_every_operation


MINIMUM = 1_000
EXAMPLES = {
    GenerationMode.POSITIVE: scaled(42, 210),
    GenerationMode.NEGATIVE: scaled(26, 130),
}


@pytest.fixture
def fuzzed_app(seeded_settings: Settings, tmp_path: Path) -> Iterator[FastAPI]:
    """The seeded app, signing checkpoints (the audit routes answer 503 without a key)."""
    signing = seeded_settings.model_copy(update={"signing_key_file": signing_key_file(tmp_path)})
    application = create_app(signing, api_settings())
    with TestClient(application):
        yield application


def test_a_thousand_generated_requests_get_no_5xx_and_no_off_schema_answer(
    fuzzed_app: FastAPI, seeded_settings: Settings
) -> None:
    calls = exercise_every_operation(fuzzed_app, EXAMPLES)
    audit = audit_ledger(seeded_settings, [])
    print(
        f"\n{len(calls)} generated requests over {len(set(calls))} operations, 0 answered 5xx"
        f" or off-schema; {audit.events} events checked afterwards:",
        Counter(calls).most_common(),
    )
    assert len(calls) >= MINIMUM, f"only {len(calls)} requests were generated"
