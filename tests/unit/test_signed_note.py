"""Signed notes and checkpoints against the Go reference implementation's own test vectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.audit.note import (
    Checkpoint,
    NoteError,
    SigningKey,
    VerifierKey,
    open_checkpoint,
    open_note,
    sign_note,
)

VECTORS = json.loads((Path(__file__).parent / "data" / "signed_note_vectors.json").read_text())


def test_signing_the_reference_text_gives_the_reference_note_byte_for_byte() -> None:
    key = SigningKey.parse(VECTORS["signing_key"])
    assert key.text == VECTORS["signing_key"]
    assert key.verifier.text == VECTORS["verifier_key"]
    assert sign_note(VECTORS["text"], key) == VECTORS["signed"]


def test_the_reference_note_opens_with_its_key_and_a_witness_signature_is_passed_over() -> None:
    verifier = VerifierKey.parse(VECTORS["verifier_key"])
    assert open_note(VECTORS["signed"], verifier) == VECTORS["text"]
    cosigned = VECTORS["signed"] + VECTORS["other_signature_line"]
    assert open_note(cosigned, verifier) == VECTORS["text"]
    other = VerifierKey.parse(VECTORS["other_verifier_key"])
    assert open_note(cosigned, other) == VECTORS["text"]
    with pytest.raises(NoteError, match="no signature by EnochRoot"):
        open_note(VECTORS["signed"], other)


@pytest.mark.parametrize("bad", VECTORS["bad_verifier_keys"])
def test_malformed_verifier_keys_are_refused(bad: str) -> None:
    with pytest.raises(NoteError):
        VerifierKey.parse(bad)


def test_every_one_character_change_to_the_verifier_key_is_refused() -> None:
    good = VECTORS["verifier_key"]
    for i in range(len(good)):
        mangled = good[:i] + chr(ord(good[i]) + 1) + good[i + 1 :]
        with pytest.raises(NoteError):
            VerifierKey.parse(mangled)


def test_a_changed_text_or_signature_does_not_open() -> None:
    verifier = VerifierKey.parse(VECTORS["verifier_key"])
    signed = VECTORS["signed"]
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(signed.replace("cryptography", "cryptographY"), verifier)
    line_start = signed.index("\u2014")
    tampered = signed[: line_start + 60] + "ABCD" + signed[line_start + 60 :]
    with pytest.raises(NoteError):
        open_note(tampered, verifier)
    for malformed in (VECTORS["text"], VECTORS["text"] + "\n", signed + "Unexpected line.\n"):
        with pytest.raises(NoteError, match="malformed"):
            open_note(malformed, verifier)


def test_a_checkpoint_round_trips_and_refuses_a_bad_body() -> None:
    key = SigningKey.generate("example.com/log")
    checkpoint = Checkpoint("example.com/log", 131, bytes(range(32)))
    signed = sign_note(checkpoint.text, key)
    assert signed.startswith("example.com/log\n131\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n")
    assert open_checkpoint(signed, key.verifier) == checkpoint
    for body in ("example.com/log\n0131\nAAAA\n", "example.com/log\nten\nAAAA\n", "x\n1\nAAAA\n"):
        with pytest.raises(NoteError):
            Checkpoint.parse(body)
