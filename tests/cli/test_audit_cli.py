"""``ledger audit`` against a real server, as an auditor holding only the URL and the key.

The insider test is the reason the transparency log exists: someone with the database rewrites
an event, recomputes every later chain hash, rebuilds the tree and deletes the checkpoints;
``ledger verify`` then passes, but a checkpoint saved earlier catches the rewrite.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import select
from typer.testing import CliRunner

from api.app import create_app
from ledger.tlog import merkle
from ledger.audit.note import SigningKey, VerifierKey, open_checkpoint
from ledger.settings import Settings
from ledger.store import open_store
from ledger.store.schema import events
from ledger_cli.main import app as cli
from tests.support.api_fixtures import WRITE, api_settings, peskov_denial, signing_key_file
from tests.support.tampering import rewrite_history, rewrite_history_and_tree
from tests.support.server import free_port



@dataclass
class LiveLedger:
    url: str
    settings: Settings
    key: str  # the verifier key, as an auditor is given it

    def write(self, note: str) -> int:
        answer = httpx.post(
            f"{self.url}/v1/statements", json=peskov_denial(note=note), headers=WRITE, timeout=10
        )
        assert answer.status_code == 201, answer.text
        return int(answer.json()["position"])


@pytest.fixture
def live(seeded_settings: Settings, tmp_path: Path) -> Iterator[LiveLedger]:
    """The seeded ledger with a signing key, served by uvicorn on a free port in a thread."""
    settings = seeded_settings.model_copy(
        update={"signing_key_file": signing_key_file(tmp_path), "checkpoint_interval_seconds": 0}
    )
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, api_settings()), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    key = httpx.get(f"{url}/v1/audit/verifier-key").text.strip()
    try:
        yield LiveLedger(url, settings, key)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def audit(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["audit", *args])
    return result.exit_code, result.stdout, result.stderr


def save_checkpoint(live: LiveLedger, path: Path) -> int:
    code, out, err = audit("checkpoint", "--url", live.url, "--key", live.key)
    assert code == 0, err
    path.write_text(out)
    return open_checkpoint(out, VerifierKey.parse(live.key)).size


def test_the_checkpoint_command_prints_a_checkpoint_that_checks(live: LiveLedger) -> None:
    code, out, err = audit("checkpoint", "--url", live.url, "--key", live.key)
    assert code == 0
    assert out.startswith("ledger.test/log\n132\n")
    assert "ok: signed checkpoint of size 132" in err


def test_a_checkpoint_under_another_key_is_refused(live: LiveLedger) -> None:
    stranger = SigningKey.generate("ledger.test/log").verifier.text
    code, _, err = audit("checkpoint", "--url", live.url, "--key", stranger)
    assert code == 1
    assert "no signature by ledger.test/log" in err


def test_consistency_passes_on_an_honest_ledger_after_new_writes(
    live: LiveLedger, tmp_path: Path
) -> None:
    saved = tmp_path / "saved"
    size = save_checkpoint(live, saved)
    for n in range(4):
        live.write(f"honest {n}")
    code, out, err = audit("consistency", "--url", live.url, "--since", str(saved), "--key", live.key)
    assert code == 0, err
    assert out.strip() == f"ok: size {size + 4} is consistent with the saved size {size}"


def test_the_insider_rewrite_is_caught_by_a_kept_checkpoint(
    live: LiveLedger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = tmp_path / "saved"
    size = save_checkpoint(live, saved)
    kept = open_checkpoint(saved.read_text(), VerifierKey.parse(live.key))

    store = open_store(live.settings)
    try:
        rewrite_history(store.engine, 40, {"via": "seed", "rewritten": True})
        with store.read_connection() as connection:
            assert connection.execute(
                select(events.c.metadata).where(events.c.position == 40)
            ).scalar_one() == {"via": "seed", "rewritten": True}
    finally:
        store.close()
    monkeypatch.setenv("LEDGER_DATABASE_URL", live.settings.database_url)
    monkeypatch.setenv("LEDGER_SIGNING_KEY_FILE", str(live.settings.signing_key_file))
    runner = CliRunner()
    rebuilt = runner.invoke(cli, ["projections", "rebuild"])  # the tree too: the insider's tool
    assert rebuilt.exit_code == 0, rebuilt.output
    verified = runner.invoke(cli, ["verify"])
    assert verified.exit_code == 0, verified.output  # the database alone cannot tell

    live.write("after the rewrite")
    code, _, err = audit("consistency", "--url", live.url, "--since", str(saved), "--key", live.key)
    assert code == 1
    assert f"not consistent, size {size} -> size {size + 1}" in err

    proof = httpx.get(
        f"{live.url}/v1/audit/proofs/consistency", params={"from": size, "to": size + 1}
    ).json()
    latest = open_checkpoint(
        httpx.get(f"{live.url}/v1/audit/checkpoint").text, VerifierKey.parse(live.key)
    )
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(
            size, latest.size, [base64.b64decode(h) for h in proof["proof"]], kept.root, latest.root
        )


def test_the_monitor_keeps_state_and_stops_at_the_first_inconsistency(
    live: LiveLedger, tmp_path: Path
) -> None:
    state = tmp_path / "monitor"
    args = ["watch", "--url", live.url, "--state", str(state), "--key", live.key, "--interval", "0"]
    code, out, _ = audit(*args, "--max-polls", "2")
    assert code == 0
    assert out.splitlines() == ["poll 1: size 132 ok", "poll 2: size 132 ok"]
    live.write("monitored")
    code, out, _ = audit(*args, "--max-polls", "1")
    assert (code, out.strip()) == (0, "poll 1: size 133 ok")

    rewrite_history_and_tree(live.settings, 100, {"via": "seed", "rewritten": True})
    live.write("after the rewrite")
    code, _, err = audit(*args, "--max-polls", "3")
    assert code == 1
    assert "not consistent, size 133 -> size 134" in err
    assert (state / "inconsistent-checkpoint").read_text().startswith("ledger.test/log\n134\n")
    assert (state / "checkpoint").read_text().startswith("ledger.test/log\n133\n")
