"""Witnesses: C2SP tlog-witness served by ``ledger witness serve``'s app, and the ledger asking
them for cosignatures under a policy, as auditors check them with ``ledger audit --witness``.

The protocol tests follow the spec's list of answers one by one. The end-to-end tests run a
real ledger and a real witness over HTTP; the insider test shows that a rewritten tree cannot
get a cosignature and that the monitor says so. Go's standard Ed25519 (tests/support/tlog_go)
checks the cosignatures independently of ``ledger.audit.cosignature``.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.witness_app import create_witness_app
from ledger.audit.cosignature import CosignerKey, CosignerVerifier
from ledger.tlog.merkle import consistency_ranges, range_hash, root_of
from ledger.audit.note import Checkpoint, SigningKey, sign_note
from ledger.audit.witness import AddCheckpoint, Witness, origin_dir
from ledger.audit.witnessing import PolicyError, WitnessPolicy
from ledger.settings import Settings
from ledger_cli.main import app as cli
from tests.support.api_fixtures import WRITE, api_settings, peskov_denial, signing_key_file
from tests.support.go_tlog import go_verify
from tests.support.live import served
from tests.support.server import LEDGER, free_port
from tests.support.merkle_oracle import mth, oracle_leaf
from tests.support.tampering import rewrite_history_and_tree

ORIGIN = "log.example/a"


# -- the witness protocol ---------------------------------------------------------------------


class ToyLog:
    """A log of n leaves b'0', b'1', … signed by ``key``: checkpoints and proofs to submit."""

    def __init__(self, key: SigningKey) -> None:
        self.key = key

    def leaves(self, n: int, salt: bytes = b"") -> list[bytes]:
        return [salt + str(i).encode() for i in range(n)]

    def note(self, n: int, salt: bytes = b"") -> str:
        return sign_note(Checkpoint(self.key.name, n, mth(self.leaves(n, salt))).text, self.key)

    def proof(self, old: int, new: int, salt: bytes = b"") -> list[bytes]:
        hashes = [oracle_leaf(x) for x in self.leaves(new, salt)]
        return [
            range_hash(a, b, lambda node: _subtree(hashes, node))
            for a, b in consistency_ranges(old, new)
        ]


def _subtree(hashes: list[bytes], node: tuple[int, int]) -> bytes:
    level, index = node
    return root_of(hashes[index << level : (index + 1) << level])


@dataclass
class WitnessRig:
    client: TestClient
    key: CosignerKey
    log: ToyLog
    state: Path

    def add(self, old: int, new: int, proof: list[bytes] | None = None, note: str | None = None):  # type: ignore[no-untyped-def]
        body = AddCheckpoint(
            old, self.log.proof(old, new) if proof is None and 0 < old < new else proof or [],
            note or self.log.note(new),
        ).body()
        return self.client.post("/add-checkpoint", content=body.encode())

    def evidence(self, kind: str) -> list[str]:
        folder = origin_dir(self.state, ORIGIN) / kind
        return sorted(p.read_text() for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[WitnessRig]:
    log_key, cosigner = SigningKey.generate(ORIGIN), CosignerKey.generate("witness.test/w1")
    witness = Witness(cosigner, [log_key.verifier], tmp_path / "state", clock=lambda: 1_700_000_000)
    with TestClient(create_witness_app(witness)) as client:
        yield WitnessRig(client, cosigner, ToyLog(log_key), tmp_path / "state")


def test_a_first_checkpoint_is_cosigned_and_persisted_before_the_answer(rig: WitnessRig) -> None:
    answer = rig.add(0, 10)
    assert answer.status_code == 200, answer.text
    line = answer.text.rstrip("\n")
    assert answer.text.endswith("\n") and line.startswith("\u2014 witness.test/w1 ")
    note = rig.log.note(10)
    assert rig.key.verifier.cosigned(note + line + "\n") == 1_700_000_000
    latest = (origin_dir(rig.state, ORIGIN) / "latest").read_text()
    assert latest.startswith(f"{ORIGIN}\n10\n") and latest.endswith(line + "\n")
    assert len(rig.evidence("cosigned")) == 1


def test_the_next_checkpoint_needs_a_proof_from_the_size_last_cosigned(rig: WitnessRig) -> None:
    assert rig.add(0, 10).status_code == 200
    assert rig.add(10, 300).status_code == 200
    assert rig.add(300, 300).status_code == 200  # the same tree again: cosigned again
    assert len(rig.evidence("cosigned")) == 3


def test_an_old_size_other_than_the_last_cosigned_is_409_with_that_size(rig: WitnessRig) -> None:
    assert rig.add(0, 10).status_code == 200
    for old in (0, 5):
        answer = rig.add(old, 20)
        assert answer.status_code == 409
        assert answer.headers["content-type"] == "text/x.tlog.size"
        assert answer.text == "10\n"


def test_the_spec_s_refusals(rig: WitnessRig) -> None:
    stranger = ToyLog(SigningKey.generate("log.example/other"))
    impostor = ToyLog(SigningKey.generate(ORIGIN))  # the right origin, an untrusted key
    assert rig.add(0, 10, note=stranger.note(10)).status_code == 404
    assert rig.add(0, 10, note=impostor.note(10)).status_code == 403
    assert rig.add(11, 10).status_code == 400
    assert rig.client.post("/add-checkpoint", content=b"old 01\n\n" + rig.log.note(3).encode()).status_code == 400
    assert rig.add(0, 10, proof=[b"\x00" * 32]).status_code == 422  # from 0: no proof
    assert rig.add(0, 10).status_code == 200
    assert rig.add(10, 20, proof=rig.log.proof(10, 20, salt=b"x")).status_code == 422
    assert rig.add(10, 20, proof=[]).status_code == 422
    rewritten = rig.log.note(10, salt=b"rewritten")
    same_size = rig.add(10, 10, note=rewritten)
    assert (same_size.status_code, same_size.text) == (409, "10\n")
    # kept as evidence: every refusal whose log signature verified (not the 404 and 403)
    refused = rig.evidence("refused")
    assert len(refused) == 5
    assert any(rewritten in body for body in refused)
    assert (origin_dir(rig.state, ORIGIN) / "latest").read_text().startswith(f"{ORIGIN}\n10\n")


def test_concurrent_requests_never_roll_the_witness_back(rig: WitnessRig) -> None:
    assert rig.add(0, 10).status_code == 200
    answers: list[int] = []

    def submit(new: int) -> None:
        answers.append(rig.add(10, new).status_code)

    threads = [threading.Thread(target=submit, args=(n,)) for n in (20, 30, 40, 50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200, 409, 409, 409]
    latest = (origin_dir(rig.state, ORIGIN) / "latest").read_text()
    assert len(rig.evidence("cosigned")) == 2 and latest.split("\n")[1] in {"20", "30", "40", "50"}


# -- keys and policies ------------------------------------------------------------------------


def test_witness_keys_generate_prints_a_type_4_vkey_and_keeps_the_key_private(
    tmp_path: Path,
) -> None:
    out = tmp_path / "w.key"
    result = CliRunner().invoke(
        cli, ["witness", "keys", "generate", "--out", str(out), "--name", "witness.test/w9"]
    )
    assert result.exit_code == 0, result.output
    verifier = CosignerVerifier.parse(result.stdout.strip())
    assert base64.b64decode(result.stdout.strip().split("+", 2)[2])[0] == 0x04
    assert CosignerKey.parse(out.read_text()).verifier == verifier
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    again = CliRunner().invoke(
        cli, ["witness", "keys", "generate", "--out", str(out), "--name", "witness.test/w9"]
    )
    assert again.exit_code == 2 and "exists" in again.output


def vkey(name: str) -> str:
    return CosignerKey.generate(name).verifier.text


def test_a_policy_names_witnesses_groups_and_a_quorum() -> None:
    policy = WitnessPolicy.parse(
        f"# three witnesses, two of them needed\n"
        f"witness a {vkey('w/a')} https://a.example/\n"
        f"witness b {vkey('w/b')} https://b.example\n"
        f"witness c {vkey('w/c')} http://c.example\n"
        f"group two 2 a b c\n"
        f"group both all two a\n"
        f"quorum both\n"
    )
    assert policy.witnesses["a"].url == "https://a.example"
    assert not policy.satisfied({"a"})
    assert not policy.satisfied({"b", "c"})  # two of three, but not a
    assert policy.satisfied({"a", "c"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("quorum none\nwitness a x https://a\n", "line 2: a witness verifier key is"),
        (f"witness a {vkey('w/a')} ftp://a\nquorum a\n", "line 1: the submission prefix"),
        (f"witness a {vkey('w/a')} https://a\ngroup g 2 a\nquorum g\n", "line 2: k is 1 to 1"),
        (f"witness a {vkey('w/a')} https://a\ngroup g 1 b\nquorum g\n", "line 2: b is no witness"),
        (f"witness a {vkey('w/a')} https://a\n", "no 'quorum <name>' line"),
        ("quorum nobody\n", "line 1: quorum 'nobody' is no witness or group"),
        ("witnesses a\nquorum none\n", "line 1: a line is 'witness', 'group' or 'quorum'"),
        (f"witness a {SigningKey.generate('w/a').verifier.text} https://a\nquorum a\n",
         "not an Ed25519 cosignature key"),
    ],
)
def test_a_bad_policy_is_refused_naming_its_line(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        WitnessPolicy.parse(text, "policy.txt")


def test_the_ledger_refuses_to_start_with_a_bad_policy(tmp_path: Path) -> None:
    policy = tmp_path / "policy.txt"
    policy.write_text("witness\n")
    result = CliRunner().invoke(
        cli, ["verify"],
        env={"LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
             "LEDGER_WITNESS_POLICY": str(policy)},
    )
    assert result.exit_code == 2
    assert "witness_policy" in result.output and "policy.txt line 1" in result.output


# -- a ledger and its witnesses, over HTTP ----------------------------------------------------


@dataclass
class Witnessed:
    url: str  # the ledger
    settings: Settings
    log_key: str
    witness_key: str  # the witness's vkey
    witness: Witness
    app: object

    def write(self, note: str) -> dict[str, object]:
        answer = httpx.post(
            f"{self.url}/v1/statements", json=peskov_denial(note=note), headers=WRITE, timeout=10
        )
        assert answer.status_code == 201, answer.text
        return answer.json()  # type: ignore[no-any-return]

    def settle(self) -> None:
        """Wait until the ledger has pushed every checkpoint to the witnesses."""
        pusher = self.app.state.ledger.log.witnesses  # type: ignore[attr-defined]
        assert pusher.wait_idle(20)


def audit(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["audit", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def witnessed(seeded_settings: Settings, tmp_path: Path) -> Iterator[Witnessed]:
    """The seeded ledger, with one witness in its policy, both served over HTTP."""
    key_file = signing_key_file(tmp_path)
    log_verifier = SigningKey.parse(key_file.read_text()).verifier
    cosigner = CosignerKey.generate("witness.test/w1")
    witness = Witness(cosigner, [log_verifier], tmp_path / "witness")
    with served(create_witness_app(witness)) as witness_url:
        policy = tmp_path / "policy.txt"
        policy.write_text(f"witness w1 {cosigner.verifier.text} {witness_url}\nquorum w1\n")
        settings = seeded_settings.model_copy(
            update={"signing_key_file": key_file, "checkpoint_interval_seconds": 0,
                    "witness_policy": policy}
        )
        app = create_app(settings, api_settings())
        with served(app) as url:
            yield Witnessed(url, settings, log_verifier.text, cosigner.verifier.text, witness, app)


def test_a_witnessed_ledger_publishes_cosigned_checkpoints_that_auditors_accept(
    witnessed: Witnessed, tmp_path: Path
) -> None:
    first = witnessed.write("witnessed 1")
    witnessed.settle()
    code, out, err = audit(
        "checkpoint", "--url", witnessed.url, "--key", witnessed.log_key,
        "--witness", witnessed.witness_key,
    )
    assert code == 0, err
    assert out.startswith(f"ledger.test/log\n{first['position']}\n")
    assert "ok: cosigned by witness.test/w1" in err
    assert out.count("\n\u2014 ") == 2  # the log's signature and the witness's
    tiles = httpx.get(f"{witnessed.url}/v1/audit/tlog/checkpoint").text
    assert tiles == out

    second_witness = vkey("witness.test/w2")
    code, _, err = audit(
        "checkpoint", "--url", witnessed.url, "--key", witnessed.log_key,
        "--witness", witnessed.witness_key, "--witness", second_witness, "--quorum", "2",
    )
    assert code == 1
    assert "cosigned by 1 of the 2 witnesses needed; missing: witness.test/w2" in err

    # Go's standard library checks the cosignature, Go's tlog the tiles
    done = go_verify(
        f"{witnessed.url}/v1/audit/tlog", witnessed.log_key, "-witness", witnessed.witness_key
    )
    assert done.returncode == 0, done.stdout
    assert "cosignature ok: witness.test/w1" in done.stdout.splitlines()


def test_the_witness_learns_nothing_twice_and_the_ledger_follows_its_size(
    witnessed: Witnessed,
) -> None:
    witnessed.write("one")
    witnessed.settle()
    for n in range(3):
        witnessed.write(f"more {n}")
        witnessed.settle()
    latest, _ = witnessed.witness.latest("ledger.test/log")
    assert latest is not None and latest.size == 136
    cosigned = origin_dir(witnessed.witness.state, "ledger.test/log") / "cosigned"
    assert len(list(cosigned.iterdir())) == 4  # one a write: each proved from the one before
    assert not (origin_dir(witnessed.witness.state, "ledger.test/log") / "refused").exists()


def test_a_receipt_carries_the_newest_checkpoint_its_quorum_cosigned(
    witnessed: Witnessed, tmp_path: Path
) -> None:
    answer = witnessed.write("receipted")
    witnessed.settle()
    path = tmp_path / "answer.json"
    # a fresh write's receipt: the ledger's own checkpoint; witnesses are asked afterwards
    path.write_text(json.dumps(answer))
    code, _, err = audit("receipt", str(path), "--key", witnessed.log_key,
                         "--witness", witnessed.witness_key)
    assert code == 1 and "missing: witness.test/w1" in err
    # the same event's receipt now: the checkpoint the witness cosigned
    ledger_app = witnessed.app.state.ledger  # type: ignore[attr-defined]
    event = next(e for e in ledger_app.store.read_all() if e.position == answer["position"])
    answer["receipt"] = ledger_app.log.receipt(event)
    path.write_text(json.dumps(answer))
    code, out, err = audit("receipt", str(path), "--key", witnessed.log_key,
                           "--witness", witnessed.witness_key)
    assert code == 0, err
    assert "ok: cosigned by witness.test/w1" in err


def test_a_witness_that_does_not_answer_never_holds_a_write(
    seeded_settings: Settings, tmp_path: Path
) -> None:
    key_file = signing_key_file(tmp_path)
    cosigner = CosignerKey.generate("witness.test/slow")
    witness = Witness(cosigner, [SigningKey.parse(key_file.read_text()).verifier], tmp_path / "w")
    release = threading.Event()
    inner = create_witness_app(witness)

    async def held(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "http":
            await anyio.to_thread.run_sync(release.wait)
        await inner(scope, receive, send)

    with served(held) as witness_url:
        policy = tmp_path / "policy.txt"
        policy.write_text(f"witness s {cosigner.verifier.text} {witness_url}\nquorum s\n")
        settings = seeded_settings.model_copy(
            update={"signing_key_file": key_file, "checkpoint_interval_seconds": 0,
                    "witness_policy": policy}
        )
        with TestClient(create_app(settings, api_settings())) as client:
            for n in range(3):  # every write answers while the witness still holds the first
                answer = client.post("/v1/statements", json=peskov_denial(note=f"n{n}"),
                                     headers=WRITE)
                assert answer.status_code == 201
                assert answer.json()["receipt"]["checkpoint"].count("\u2014") == 1
            assert not release.is_set()
            release.set()
            assert client.app.state.ledger.log.witnesses.wait_idle(20)  # type: ignore[attr-defined]
            latest = client.get("/v1/audit/checkpoint").text
    assert CosignerVerifier.parse(cosigner.verifier.text).cosigned(latest) is not None


def test_an_insider_s_rewrite_gets_no_cosignature_and_the_monitor_says_so(
    witnessed: Witnessed, tmp_path: Path
) -> None:
    witnessed.write("before the rewrite")
    witnessed.settle()
    state = tmp_path / "monitor"
    args = ["watch", "--url", witnessed.url, "--state", str(state), "--key", witnessed.log_key,
            "--witness", witnessed.witness_key, "--interval", "0"]
    code, out, err = audit(*args, "--max-polls", "1")
    assert (code, out.strip()) == (0, "poll 1: size 133 ok"), err

    rewrite_history_and_tree(witnessed.settings, 40, {"via": "seed", "rewritten": True})
    witnessed.write("after the rewrite")
    witnessed.settle()

    latest = httpx.get(f"{witnessed.url}/v1/audit/checkpoint").text
    assert latest.startswith("ledger.test/log\n134\n") and latest.count("\u2014") == 1
    refused = origin_dir(witnessed.witness.state, "ledger.test/log") / "refused"
    evidence = [p for p in refused.iterdir() if p.name.endswith("-422")]
    assert len(evidence) == 1 and "ledger.test/log\n134\n" in evidence[0].read_text()

    code, _, err = audit(*args, "--max-polls", "1")
    assert code == 1
    assert "the checkpoint of size 134 is cosigned by 0 of the 1 witnesses needed; " \
           "missing: witness.test/w1" in err
    assert "not consistent, size 133 -> size 134" in err

    fresh = tmp_path / "fresh-monitor"  # one that saved nothing before: the witness still tells
    code, _, err = audit("watch", "--url", witnessed.url, "--state", str(fresh), "--key",
                         witnessed.log_key, "--witness", witnessed.witness_key, "--interval", "0",
                         "--max-polls", "5", "--stale-polls", "2")
    assert code == 1
    assert "no quorum of witnesses cosigned the latest checkpoint for 2 polls in a row" in err


def test_ledger_witness_serve_is_a_witness_over_http(tmp_path: Path) -> None:
    """The real command, as an operator runs it: keys generate, then serve."""
    key_file = tmp_path / "w.key"
    made = CliRunner().invoke(
        cli, ["witness", "keys", "generate", "--out", str(key_file), "--name", "witness.test/cli"]
    )
    assert made.exit_code == 0, made.output
    witness_vkey = CosignerVerifier.parse(made.stdout.strip())
    toy = ToyLog(SigningKey.generate(ORIGIN))
    port = free_port()
    command = [LEDGER, "witness", "serve", "--key", str(key_file), "--log-key",
               toy.key.verifier.text, "--state", str(tmp_path / "state"), "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}/add-checkpoint"
        deadline = time.monotonic() + 20
        while True:
            try:
                first = httpx.post(url, content=AddCheckpoint(0, [], toy.note(5)).body())
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.1)
        assert first.status_code == 200
        assert witness_vkey.cosigned(toy.note(5) + first.text) is not None
        stale = httpx.post(url, content=AddCheckpoint(0, [], toy.note(9)).body())
        assert (stale.status_code, stale.headers["content-type"], stale.text) == (
            409, "text/x.tlog.size", "5\n"
        )
    finally:
        process.terminate()
        process.wait(timeout=10)

    bad = CliRunner().invoke(
        cli, ["witness", "serve", "--key", str(key_file), "--log-key", "nonsense",
              "--state", str(tmp_path / "s2")]
    )
    assert bad.exit_code == 2 and "--log-key 'nonsense'" in bad.output
