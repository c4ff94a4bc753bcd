"""Property-based: requests generated from /openapi.json never get a 5xx or an off-schema answer.

Runs on SQLite through the ASGI transport: for each operation, valid requests and requests that
break the schema, about 1,000 in all. The live SSE stream is left out: without ``limit`` it never
ends, by design.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from ledger.settings import Settings
from tests.support.api_fixtures import WRITE, api_settings, signing_key_file


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 40, GenerationMode.NEGATIVE: 25}
LEFT_OUT = {"GET /v1/events/stream"}


@pytest.fixture
def app(seeded_sqlite_template: Path, tmp_path: Path) -> Iterator[FastAPI]:
    """The app on a copy of the seeded SQLite database, its lifespan started."""
    path = tmp_path / "fuzz.db"
    shutil.copyfile(seeded_sqlite_template, path)
    settings = Settings(database_url=f"sqlite:///{path}", signing_key_file=signing_key_file(tmp_path))
    application = create_app(settings, api_settings())
    with TestClient(application):
        yield application


def test_the_api_conforms_to_its_openapi_document(app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures, calls = [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in LEFT_OUT:
            continue
        for mode, examples in EXAMPLES.items():
            try:
                exercise(operation, mode, examples, calls)
            except Unsatisfiable:
                pass  # no way to break the schema of an operation without parameters
            except Exception as error:  # noqa: BLE001 - collect every operation's failure
                failures.append(f"{operation.label} ({mode.value}): {error}")
    assert not failures, "\n\n".join(failures)
    print(f"{len(calls)} requests:", Counter(calls).most_common())
    assert len(calls) >= 500, len(calls)


def exercise(
    operation: schemathesis.APIOperation, mode: GenerationMode, examples: int, calls: list[str]
) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        calls.append(operation.label)
        case.call_and_validate(headers=dict(WRITE), checks=CHECKS)

    run()
