"""A C2SP tlog-witness (c2sp.org/tlog-witness): cosigns a log's checkpoints, append-only.

``Witness.add_checkpoint`` is the ``POST <prefix>/add-checkpoint`` call, transport aside. The
request is ``old <size>``, up to 63 consistency proof lines (base64), a blank line and a signed
checkpoint. In the spec's order: an unknown origin is 404; no signature by a trusted key of that
origin 403; an old size above the checkpoint's 400; an old size other than the last one this
witness cosigned for the origin (0 if none) 409 with that size as ``text/x.tlog.size``; the same
size with another root 409; a consistency proof that does not verify 422. Otherwise the new
checkpoint is persisted (atomically: check and write under one lock, the file replaced whole and
synced) before the cosignature line is answered.

State, per origin, in ``<state>/<hex sha256 of origin>/``: ``latest`` (the last cosigned
checkpoint, with this witness's cosignature), ``cosigned/<size>-<ns>`` (every checkpoint it
cosigned) and ``refused/<ns>-<status>`` (every refused request whose log signature verified:
evidence of a log's misbehaviour, such as a rewritten tree). ``origin`` holds the origin's text.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ledger.audit.cosignature import CosignerKey
from ledger.tlog.merkle import ProofError, verify_consistency
from ledger.audit.note import Checkpoint, NoteError, VerifierKey, split_note

MAX_PROOF_LINES: Final = 63
SIZE_CONTENT_TYPE: Final = "text/x.tlog.size"
TEXT_CONTENT_TYPE: Final = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Answer:
    """An HTTP answer, transport aside."""

    status: int
    body: str
    content_type: str = TEXT_CONTENT_TYPE


@dataclass(frozen=True)
class AddCheckpoint:
    """A parsed add-checkpoint request."""

    old_size: int
    proof: list[bytes]
    note: str

    def body(self) -> str:
        lines = [f"old {self.old_size}", *(base64.b64encode(h).decode() for h in self.proof)]
        return "\n".join(lines) + "\n\n" + self.note

    @classmethod
    def parse(cls, body: str) -> AddCheckpoint:
        head, blank, note = body.partition("\n\n")
        if not blank:
            raise ValueError("the body is an old size line, proof lines, a blank line, a checkpoint")
        lines = head.split("\n")
        old = lines[0].removeprefix("old ")
        if not lines[0].startswith("old ") or not (old.isascii() and old.isdigit()) or (old != "0" and old[0] == "0"):
            raise ValueError("the first line is 'old <size>' in decimal without leading zeroes")
        if len(lines) - 1 > MAX_PROOF_LINES:
            raise ValueError(f"at most {MAX_PROOF_LINES} consistency proof lines")
        try:
            proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
        except ValueError:
            raise ValueError("each proof line is one base64 hash") from None
        if any(len(h) != 32 for h in proof):
            raise ValueError("each proof line is one base64 SHA-256 hash")
        return cls(int(old), proof, note)


def origin_dir(state: Path, origin: str) -> Path:
    return state / hashlib.sha256(origin.encode()).hexdigest()


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` whole: a reader (or a crash) sees the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    with open(temporary, "w", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class Witness:
    """Cosigns checkpoints of the logs whose keys it trusts, each origin append-only."""

    def __init__(
        self,
        key: CosignerKey,
        log_keys: Sequence[VerifierKey],
        state: Path,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.key = key
        self.state = state
        self.clock = clock
        self.trusted: dict[str, list[VerifierKey]] = {}
        for log_key in log_keys:  # a log's origin is its key's name (LEDGER_LOG_ORIGIN's default)
            self.trusted.setdefault(log_key.name, []).append(log_key)
        self._lock = threading.Lock()

    def latest(self, origin: str) -> tuple[Checkpoint | None, str | None]:
        """The last checkpoint cosigned for ``origin`` and its note, if any."""
        path = origin_dir(self.state, origin) / "latest"
        if not path.exists():
            return None, None
        note = path.read_text(encoding="utf-8")
        return Checkpoint.parse(split_note(note)[0]), note

    def add_checkpoint(self, body: str) -> Answer:
        try:
            request = AddCheckpoint.parse(body)
            text, signatures = split_note(request.note)
            checkpoint = Checkpoint.parse(text)
        except (ValueError, NoteError) as error:
            return Answer(400, f"{error}\n")
        keys = self.trusted.get(checkpoint.origin)
        if keys is None:
            return Answer(404, f"unknown log origin {checkpoint.origin!r}\n")
        if not _signed_by_one_of(keys, text, signatures):
            return Answer(403, "no signature by a key this witness trusts for the origin\n")
        with self._lock:
            answer = self._check_and_cosign(request, text, checkpoint)
            if answer.status != 200:
                self._keep_refused(checkpoint.origin, body, answer)
            return answer

    def _check_and_cosign(self, request: AddCheckpoint, text: str, new: Checkpoint) -> Answer:
        if request.old_size > new.size:
            return Answer(400, f"old size {request.old_size} is above the size {new.size}\n")
        latest, _ = self.latest(new.origin)
        known = 0 if latest is None else latest.size
        if request.old_size != known:
            return Answer(409, f"{known}\n", SIZE_CONTENT_TYPE)
        fault = _inconsistency(request, latest, new)
        if fault is not None:
            return fault
        timestamp = int(self.clock())
        line = self.key.cosign(text, timestamp)
        note = f"{text}\n{line}\n"
        directory = origin_dir(self.state, new.origin)
        write_atomically(directory / "origin", new.origin + "\n")
        write_atomically(directory / "cosigned" / f"{new.size}-{time.time_ns()}", note)
        write_atomically(directory / "latest", note)
        return Answer(200, line + "\n")

    def _keep_refused(self, origin: str, body: str, answer: Answer) -> None:
        name = f"{time.time_ns()}-{answer.status}"
        write_atomically(origin_dir(self.state, origin) / "refused" / name, body)


def _inconsistency(request: AddCheckpoint, latest: Checkpoint | None, new: Checkpoint) -> Answer | None:
    if latest is None or request.old_size == 0:
        if request.proof:
            return Answer(422, "the proof from size 0 must be empty\n")
        return None
    if latest.size == new.size:
        if latest.root != new.root:
            return Answer(409, f"{latest.size}\n", SIZE_CONTENT_TYPE)
        return None if not request.proof else Answer(422, "trees of one size need no proof\n")
    try:
        verify_consistency(latest.size, new.size, request.proof, latest.root, new.root)
    except ProofError as error:
        return Answer(422, f"the consistency proof does not verify: {error}\n")
    return None


def _signed_by_one_of(keys: list[VerifierKey], text: str, signatures: list[tuple[str, bytes]]) -> bool:
    for name, signature in signatures:
        for key in keys:
            if name == key.name and int.from_bytes(signature[:4], "big") == key.key_id:
                if key.verifies(text.encode(), signature[4:]):
                    return True
    return False
