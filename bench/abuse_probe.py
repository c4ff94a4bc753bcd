"""``python -m bench.abuse_probe``: what the pathological requests of issue 28 cost a real server.

Starts ``ledger serve`` on a fresh, seeded SQLite file (127.0.0.1, a free port), registers a
document of 100,000 "a", then sends, with no token: the anchors of 5,000 "a" and of "a", the
same 5,000 "a" as a statement's quote (with the write token), and a 100 MB body streamed to
the write route. For each: the status, the answer's size, the seconds taken, and the server's
resident memory (VmRSS) and its peak (VmHWM) afterwards. Figures, not assertions: the tests
bound the answers' sizes; this shows the time and memory on the machine it runs on.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.support.server import WRITE, LedgerServer, run_ledger

DOCUMENT = "a" * 100_000


def memory(pid: int) -> dict[str, int]:
    """The server process's VmRSS and VmHWM in kB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def timed(pid: int, label: str, send: Any) -> dict[str, Any]:
    started = time.perf_counter()
    response = send()
    seconds = time.perf_counter() - started
    line = {
        "request": label,
        "status": response.status_code,
        "bytes": len(response.content),
        "seconds": round(seconds, 4),
        **memory(pid),
    }
    print(json.dumps(line), flush=True)
    return line


def hundred_mb() -> Iterator[bytes]:
    chunk = b'{"note": "' + b"x" * (1 << 20)
    yield chunk
    for _ in range(99):
        yield b"x" * (1 << 20)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        server = LedgerServer(f"sqlite:///{folder}/ledger.db", Path(folder))
        run_ledger(server.env, "db", "upgrade")
        run_ledger(server.env, "seed")
        with server, httpx.Client(base_url=server.base, timeout=120) as http:
            pid = server.process.pid  # type: ignore[attr-defined]
            digest = hashlib.sha256(DOCUMENT.encode()).hexdigest()
            document = {"document_id": "aaa.txt", "language": "en", "sha256": digest}
            http.post("/v1/documents", json=document | {"text": DOCUMENT}, headers=WRITE)
            print(json.dumps({"request": "after start and setup", **memory(pid)}), flush=True)
            anchors = "/v1/documents/aaa.txt/anchors"
            timed(pid, 'anchors {"exact": 5000 x "a"}', lambda: http.post(anchors, json={"exact": "a" * 5000}))
            timed(pid, 'anchors {"exact": "a"}', lambda: http.post(anchors, json={"exact": "a"}))
            statement = {
                "claim": "musk-putin-regular-contact-since-2022",
                "actor": "peskov",
                "stance": "denies",
                "conduit": ["peskov"],
                "said_at": {"precision": "unknown"},
                "source": {"document": "aaa.txt", "quote": {"exact": "a" * 5000}},
            }
            timed(pid, "statement quoting 5000 x a", lambda: http.post("/v1/statements", json=statement, headers=WRITE))
            timed(
                pid,
                "100 MB body streamed, no token",
                lambda: http.post(
                    "/v1/statements", content=hundred_mb(), headers={"Content-Type": "application/json"}
                ),
            )
    sys.exit(0)


if __name__ == "__main__":
    main()
