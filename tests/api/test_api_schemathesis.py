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
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis import GenerationMode

from api.app import create_app
from ledger.settings import Settings
from tests.support.api_fixtures import api_settings, signing_key_file
from tests.support.fuzzing import exercise_every_operation

EXAMPLES = {GenerationMode.POSITIVE: 40, GenerationMode.NEGATIVE: 25}


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
    calls = exercise_every_operation(app, EXAMPLES)
    print(f"{len(calls)} requests:", Counter(calls).most_common())
    assert len(calls) >= 500, len(calls)
