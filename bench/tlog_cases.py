"""Tiles and witnesses over HTTP: a full tile against the same bytes as a static file, and a
write's latency with a witness in the policy against the same write without one."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import httpx

from bench.harness import Databases, Figure
from bench.http_cases import TOKEN, ledger_env, ledger_server, load, seeded_ledger, statement_body
from ledger.audit.cosignature import CosignerKey
from ledger.audit.note import SigningKey
from ledger.settings import Settings
from ledger.store import NewEvent, open_store

TOKEN_HEADER = "Authorization"


def tile_serving(dbs: Databases, requests: int, runs: int) -> list[Figure]:
    """GET a full level-0 tile (8 KiB, one stored row) vs. StaticFiles serving its bytes."""
    figure = Figure("HTTP full tile (GET tlog/tile/0/000)", "sqlite", "req/s", target=0.8)
    for _ in range(runs):
        url = seeded_ledger(dbs, "sqlite")
        store = open_store(Settings(database_url=url))
        try:
            store.append("bench:tiles", [NewEvent("Noted", {"n": i}) for i in range(300)])
        finally:
            store.close()
        folder = Path(dbs.folder) / "static-tiles"
        folder.mkdir(exist_ok=True)
        env = {**ledger_env(url, Path(dbs.folder)), "BENCH_STATIC_DIR": str(folder)}
        command = [sys.executable, "-m", "uvicorn", "bench.tile_app:app", "--no-access-log"]
        with ledger_server(command, env) as port:
            tile = httpx.get(f"http://127.0.0.1:{port}/v1/audit/tlog/tile/0/000")
            assert tile.status_code == 200 and len(tile.content) == 8192, tile.text
            (folder / "000").write_bytes(tile.content)
            tiles = load(port, requests, "GET", "/v1/audit/tlog/tile/0/000")
            static = load(port, requests, "GET", "/static-bench/000")
        figure.ledger.append(tiles.rate)
        figure.baseline.append(static.rate)
    figure.note = "(the same process and bytes; StaticFiles reads the file each time)"
    return [figure]


def witness_latency(dbs: Databases, requests: int, runs: int) -> tuple[list[Figure], dict[str, Any]]:
    """POST /v1/statements with a witness in the policy vs. without: p50 and p99 (lower is better)."""
    p50 = Figure("POST p50 with a witness", "sqlite", "ms", target=1.1, higher_is_better=False)
    p99 = Figure("POST p99 with a witness", "sqlite", "ms", target=1.1, higher_is_better=False)
    cosigned: list[int] = []
    body = statement_body()
    folder = Path(dbs.folder)
    for _ in range(runs):
        plain_url = seeded_ledger(dbs, "sqlite")
        env = ledger_env(plain_url, folder)
        ledger = [str(Path(sys.executable).with_name("ledger")), "serve", "--no-access-log"]
        headers = {TOKEN_HEADER: f"Bearer {_token()}"}
        with ledger_server(ledger, env) as port:
            without = load(port, requests, "POST", "/v1/statements", body, headers)
        witnessed_url = seeded_ledger(dbs, "sqlite")
        env = ledger_env(witnessed_url, folder)
        log_key = SigningKey.parse(Path(env["LEDGER_SIGNING_KEY_FILE"]).read_text()).verifier.text
        witness_key = folder / "bench-witness.key"
        cosigner = CosignerKey.generate("bench.local/witness")
        witness_key.write_text(cosigner.text + "\n")
        state = folder / f"witness-state-{len(cosigned)}"
        witness = [str(Path(sys.executable).with_name("ledger")), "witness", "serve",
                   "--key", str(witness_key), "--log-key", log_key, "--state", str(state)]
        with ledger_server(witness, {}, processes=0) as witness_port:
            policy = folder / "bench-policy.txt"
            policy.write_text(
                f"witness w {cosigner.verifier.text} http://127.0.0.1:{witness_port}\nquorum w\n"
            )
            with ledger_server(ledger, {**env, "LEDGER_WITNESS_POLICY": str(policy)}) as port:
                with_witness = load(port, requests, "POST", "/v1/statements", body, headers)
                note = httpx.get(f"http://127.0.0.1:{port}/v1/audit/checkpoint").text
        cosigned.append(note.count("\u2014 bench.local/witness "))
        p50.ledger.append(with_witness.p50_ms)
        p50.baseline.append(without.p50_ms)
        p99.ledger.append(with_witness.p99_ms)
        p99.baseline.append(without.p99_ms)
    p50.note = f"(the witness cosigned during the run: {sum(cosigned)} of {len(cosigned)} runs' latest checkpoints)"
    return [p50, p99], {"witness_cosigned_runs": cosigned}


def _token() -> str:
    return TOKEN
