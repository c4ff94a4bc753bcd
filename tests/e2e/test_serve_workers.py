"""``ledger serve --workers 2``: two server processes on one SQLite database, over HTTP."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.support.api_fixtures import CENTRAL, peskov_denial
from tests.support.server import (
    WRITE,
    LedgerServer,
    post_statement,
    read_whole_log,
    run_ledger,
)

WRITES = 24


def test_two_server_processes_share_one_database(tmp_path: Path) -> None:
    server = LedgerServer(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path, args=("--workers", "2"))
    run_ledger(server.env, "db", "upgrade")
    run_ledger(server.env, "seed")
    with server, httpx.Client(base_url=server.base, timeout=30) as http:
        before = http.get(f"/v1/claims/{CENTRAL}")
        head = len(read_whole_log(http))

        def write(number: int) -> httpx.Response:
            with httpx.Client(base_url=server.base, timeout=30) as own:  # a connection each
                return post_statement(own, peskov_denial(note=f"w{number}"), key=f"w-{number}")

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(write, range(WRITES)))
        assert [answer.status_code for answer in answers] == [201] * WRITES
        positions = sorted(answer.json()["position"] for answer in answers)
        assert positions == list(range(head + 1, head + WRITES + 1))
        after = http.get(f"/v1/claims/{CENTRAL}")
        assert after.status_code == 200
        assert _version(after) == _version(before) + WRITES
        assert len(read_whole_log(http)) == head + WRITES
        assert http.get("/v1/audit/verify", headers=WRITE).json()["ok"] is True
    log = server.log.read_text()
    assert "2 processes" in log
    assert len(set(re.findall(r"Started server process \[(\d+)\]", log))) == 2



def _version(claim: httpx.Response) -> int:
    return int(claim.headers["ETag"].strip('"'))
