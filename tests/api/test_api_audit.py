"""The transparency log over HTTP, on both backends: checkpoints, proofs, receipts, refusals.

Every proof here is checked with ``ledger.tlog.merkle`` (itself held to the RFC's vectors) and
every signature with the verifier key the server publishes, as an outside client would.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from ledger.tlog import merkle
from ledger.audit.note import Checkpoint, SigningKey, VerifierKey, open_checkpoint
from ledger.settings import Settings
from ledger_cli.main import app as cli
from tests.support.api_fixtures import WRITE, api_settings, head, peskov_denial, signing_key_file



@pytest.fixture
def signed_settings(seeded_settings: Settings, tmp_path: Path) -> Settings:
    return seeded_settings.model_copy(update={"signing_key_file": signing_key_file(tmp_path)})


@pytest.fixture
def signed(signed_settings: Settings) -> Iterator[TestClient]:
    """A seeded ledger that signs checkpoints (the timer off: signing happens on demand)."""
    settings = signed_settings.model_copy(update={"checkpoint_interval_seconds": 0})
    with TestClient(create_app(settings, api_settings())) as client:
        yield client


def verifier(client: TestClient) -> VerifierKey:
    answer = client.get("/v1/audit/verifier-key")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return VerifierKey.parse(answer.text)


def checkpoint(client: TestClient, **params: Any) -> Checkpoint:
    answer = client.get("/v1/audit/checkpoint", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    return open_checkpoint(answer.text, verifier(client))




def b64s(hashes: list[str]) -> list[bytes]:
    return [base64.b64decode(h) for h in hashes]


def test_the_seeded_log_has_a_signed_checkpoint_of_its_whole_tree(signed: TestClient) -> None:
    signed_checkpoint = checkpoint(signed)
    assert signed_checkpoint.origin == "ledger.test/log"
    assert signed_checkpoint.size == head(signed) == 132  # the seed: 131 events and its story
    verification = signed.get("/v1/audit/verify", headers=WRITE).json()
    assert base64.b64decode(verification["root"]) == signed_checkpoint.root
    assert verification["checkpoints_checked"] == 1


def test_every_seed_event_has_an_inclusion_proof_against_the_checkpoint(signed: TestClient) -> None:
    signed_checkpoint = checkpoint(signed)
    feed = signed.get("/v1/events", params={"limit": 500}).json()
    events = feed["events"]
    assert len(events) == signed_checkpoint.size
    for event in events:
        answer = signed.get(
            "/v1/audit/proofs/inclusion",
            params={"position": event["position"], "tree_size": signed_checkpoint.size},
        ).json()
        leaf = base64.b64decode(answer["leaf_hash"])
        assert leaf == merkle.leaf_hash(bytes.fromhex(event["hash"]))
        merkle.verify_inclusion(
            event["position"] - 1,
            signed_checkpoint.size,
            leaf,
            b64s(answer["proof"]),
            signed_checkpoint.root,
        )


def test_a_kept_checkpoint_is_consistent_with_the_tree_after_new_writes(signed: TestClient) -> None:
    before = checkpoint(signed)
    for n in range(3):
        created = signed.post(
            "/v1/statements", json=peskov_denial(note=f"again {n}"), headers=WRITE
        )
        assert created.status_code == 201, created.text
    after = checkpoint(signed)
    assert after.size == before.size + 3
    answer = signed.get(
        "/v1/audit/proofs/consistency", params={"from": before.size, "to": after.size}
    ).json()
    assert (answer["from"], answer["to"]) == (before.size, after.size)
    merkle.verify_consistency(
        before.size, after.size, b64s(answer["proof"]), before.root, after.root
    )
    assert checkpoint(signed, size=before.size) == before
    kept = signed.get("/v1/audit/checkpoints").json()
    assert [c["size"] for c in kept] == sorted({c["size"] for c in kept})
    assert before.size in [c["size"] for c in kept]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/audit/proofs/inclusion", {"position": 0}, "position"),
        ("/v1/audit/proofs/inclusion", {"position": 132, "tree_size": 131}, "position"),
        ("/v1/audit/proofs/inclusion", {"position": 1, "tree_size": 500}, "tree_size"),
        ("/v1/audit/proofs/inclusion", {"position": "x"}, "position"),
        ("/v1/audit/proofs/consistency", {"from": 10, "to": 5}, "from"),
        ("/v1/audit/proofs/consistency", {"from": 1, "to": 999}, "to"),
        ("/v1/audit/proofs/consistency", {"from": 0}, "from"),
        ("/v1/audit/checkpoint", {"size": -1}, "size"),
    ],
)
def test_a_size_or_position_outside_the_tree_is_a_problem_naming_the_field(
    signed: TestClient, path: str, params: dict[str, Any], field: str
) -> None:
    answer = signed.get(path, params=params)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in answer.json()["errors"]] == [field]


def test_a_checkpoint_never_signed_is_404(signed: TestClient) -> None:
    answer = signed.get("/v1/audit/checkpoint", params={"size": 7})
    assert answer.status_code == 404
    assert answer.json()["detail"] == "no checkpoint was signed at size 7"


def write_answer(client: TestClient, note: str) -> dict[str, Any]:
    created = client.post("/v1/statements", json=peskov_denial(note=note), headers=WRITE)
    assert created.status_code == 201, created.text
    return created.json()  # type: ignore[no-any-return]


def run_receipt(path: Path, key: VerifierKey) -> Any:
    return CliRunner().invoke(cli, ["audit", "receipt", str(path), "--key", key.text])


def test_a_write_answers_a_receipt_that_verifies_offline(signed: TestClient, tmp_path: Path) -> None:
    answer = write_answer(signed, "receipt")
    receipt = answer["receipt"]
    assert receipt["position"] == answer["position"]
    signed_checkpoint = open_checkpoint(receipt["checkpoint"], verifier(signed))
    assert signed_checkpoint.size >= answer["position"]
    saved = tmp_path / "answer.json"
    saved.write_text(json.dumps(answer))
    result = run_receipt(saved, verifier(signed))
    assert result.exit_code == 0, result.output
    assert f"event {answer['position']} is in the signed tree" in result.output


def test_a_receipt_for_another_event_or_with_a_changed_checkpoint_fails(
    signed: TestClient, tmp_path: Path
) -> None:
    first, second = write_answer(signed, "one"), write_answer(signed, "two")
    key = verifier(signed)
    swapped = tmp_path / "swapped.json"
    swapped.write_text(json.dumps(first | {"receipt": second["receipt"]}))
    result = run_receipt(swapped, key)
    assert result.exit_code == 1
    assert "another event" in result.output

    bare_swapped = tmp_path / "bare.json"  # the receipt alone, claiming the other event's hash
    bare_swapped.write_text(json.dumps(second["receipt"] | {"event_hash": first["hash"]}))
    assert run_receipt(bare_swapped, key).exit_code == 1

    receipt = second["receipt"]
    lines = receipt["checkpoint"].split("\n")
    lines[1] = str(int(lines[1]) + 1)  # the size changed, the signature kept
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(second | {"receipt": receipt | {"checkpoint": "\n".join(lines)}}))
    result = run_receipt(changed, key)
    assert result.exit_code == 1
    assert "invalid signature" in result.output

    other_key = SigningKey.generate("ledger.test/log").verifier
    saved = tmp_path / "good.json"
    saved.write_text(json.dumps(second))
    assert run_receipt(saved, other_key).exit_code == 1


def test_without_a_signing_key_the_audit_routes_say_so_and_writes_still_work(
    client: TestClient,
) -> None:
    answer = client.get("/v1/audit/checkpoint")
    assert answer.status_code == 503
    assert answer.json()["type"] == "urn:claims-ledger:problem:no-signing-key"
    assert "LEDGER_SIGNING_KEY_FILE" in answer.json()["detail"]
    assert write_answer(client, "unsigned")["receipt"] is None
    proof = client.get("/v1/audit/proofs/inclusion", params={"position": 1}).json()
    assert proof["tree_size"] == head(client)


def test_production_refuses_to_start_without_a_signing_key(seeded_settings: Settings) -> None:
    production = api_settings(environment="production")
    with pytest.raises(RuntimeError, match="LEDGER_SIGNING_KEY_FILE"):
        with TestClient(create_app(seeded_settings, production)):
            pass
