"""One seeded ledger per backend shared by a module's read-only tests (PYTEST_DONT_REWRITE).

Copying the seeded rows into PostgreSQL costs a quarter of a second; the hostile-input and
access tables run hundreds of requests that must not write, so each module copies once per
backend. Tests that write use the function-scoped ``client`` of ``tests.support.api_fixtures``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import migrations
from api.app import create_app
from ledger.settings import Settings
from tests.support.api_fixtures import api_settings, copy_rows
from tests.support.databases import BACKENDS, fresh_database_url


def seeded_copy(
    backend: str, workdir: Path, template: Path, rows: dict[str, list[dict[str, Any]]]
) -> Settings:
    """A fresh database of ``backend`` holding the seed story."""
    url = fresh_database_url(backend, workdir)
    if backend == "sqlite":
        shutil.copyfile(template, workdir / "ledger.db")
    else:
        migrations.upgrade(url)
        copy_rows(Settings(database_url=url), rows)
    return Settings(database_url=url)


@pytest.fixture(scope="module", params=BACKENDS)
def shared_client(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    seeded_sqlite_template: Path,
    seeded_rows: dict[str, list[dict[str, Any]]],
) -> Iterator[TestClient]:
    """A TestClient on a seeded ledger shared by a module's tests on one backend."""
    workdir = tmp_path_factory.mktemp("shared")
    settings = seeded_copy(str(request.param), workdir, seeded_sqlite_template, seeded_rows)
    with TestClient(create_app(settings, api_settings())) as client:
        yield client
