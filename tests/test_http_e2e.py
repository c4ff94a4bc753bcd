"""End to end: ``ledger db upgrade``, ``ledger seed``, ``ledger serve`` on a free port, over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api_fixtures import CENTRAL, WRITE_TOKEN, peskov_denial, sha256

LEDGER = str(Path(sys.executable).with_name("ledger"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A real server on a fresh, migrated and seeded SQLite database."""
    env = os.environ | {
        "LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'e2e.db'}",
        "LEDGER_API_TOKENS": f"e2e:read+write:{sha256(WRITE_TOKEN)}",
        "LEDGER_ENVIRONMENT": "test",
    }
    for command in (["db", "upgrade"], ["seed"]):
        subprocess.run([LEDGER, *command], env=env, check=True, capture_output=True, timeout=60)
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [LEDGER, "serve", "--port", str(port)], env=env, stdout=output, stderr=output
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, process, log)
        assert f"serving the claims ledger on {base}" in log.read_text()
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def wait_until_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"ledger serve exited: {log.read_text()}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("ledger serve did not become ready in 20 s")


def test_a_real_server_serves_the_story_and_takes_a_statement(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        assert (
            http.get(f"/v1/claims/{CENTRAL}", params={"as_of": "2024-10-24"}).json()["state"]
            == "asserted"
        )
        current = http.get(f"/v1/claims/{CENTRAL}")
        assert current.json()["state"] == "contested"
        headers = {
            "Authorization": f"Bearer {WRITE_TOKEN}",
            "If-Match": current.headers["ETag"],
            "Idempotency-Key": "e2e-1",
        }
        created = http.post("/v1/statements", json=peskov_denial(), headers=headers)
        assert created.status_code == 201, created.text
        assert http.get(created.headers["Location"]).json()["current"]["actor"] == "peskov"
        stale = http.post(
            "/v1/statements",
            json=peskov_denial(note="x"),
            headers=headers | {"Idempotency-Key": "e2e-2"},
        )
        assert stale.status_code == 412
        assert http.get("/v1/audit/verify").json()["ok"] is True
        position = created.json()["position"]
        stream = http.get("/v1/events/stream", params={"after": position - 1, "limit": 1})
        assert f"id: {position}" in stream.text
        assert "/v1/statements" in http.get("/openapi.json").json()["paths"]
        assert http.get("/docs").status_code == 200
