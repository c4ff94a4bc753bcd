"""The ledger's side of witnessing: the policy file, and asking witnesses for cosignatures.

A policy (``LEDGER_WITNESS_POLICY``) names the witnesses and what counts as enough of them::

    # comments and blank lines are ignored
    witness w1 witness.example/w1+1a2b3c4d+BAbc… https://w1.example/tlog
    witness w2 witness.example/w2+5e6f7a8b+BAde… https://w2.example/tlog
    witness w3 witness.example/w3+9c0d1e2f+BAfg… https://w3.example/tlog
    group majority 2 w1 w2 w3
    quorum majority

``witness <name> <vkey> <submission URL prefix>``; ``group <name> <k> <member>…`` is satisfied
when k of its members are (a member is a witness or a group defined above it; k may also be
``all`` or ``any``); ``quorum <name>`` names the witness or group a checkpoint needs (``none``:
no quorum). Names are local to the file.

After the ledger signs a checkpoint, ``WitnessPusher`` asks every witness for a cosignature in
a background thread, so a write never waits for one: ``POST <prefix>/add-checkpoint`` with a
consistency proof from the size that witness last cosigned (0 at first; a 409 tells the real
one, and the request is made again from it). Each cosignature that verifies under the witness's
key is kept in ``checkpoint_cosignatures``; the published checkpoint carries it.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from ledger.audit.cosignature import CosignerVerifier
from ledger.audit.note import NoteError, split_note, valid_key_name
from ledger.audit.witness import SIZE_CONTENT_TYPE, AddCheckpoint
from ledger.errors import PolicyError

log = logging.getLogger("ledger.witnessing")
TIMEOUT: Final = 10


@dataclass(frozen=True)
class PolicyWitness:
    name: str
    verifier: CosignerVerifier
    url: str


@dataclass(frozen=True)
class WitnessPolicy:
    witnesses: dict[str, PolicyWitness]
    groups: dict[str, tuple[int, tuple[str, ...]]]
    quorum: str | None

    @classmethod
    def read(cls, path: Path) -> WitnessPolicy:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise PolicyError(f"cannot read {path}: {error.strerror}") from None
        return cls.parse(text, str(path))

    @classmethod
    def parse(cls, text: str, source: str = "the policy") -> WitnessPolicy:
        witnesses: dict[str, PolicyWitness] = {}
        groups: dict[str, tuple[int, tuple[str, ...]]] = {}
        quorum: str | None = None
        quorum_seen = False
        for number, raw in enumerate(text.splitlines(), start=1):
            words = raw.split("#", 1)[0].split()
            if not words:
                continue
            where = f"{source} line {number}"
            kind, args = words[0], words[1:]
            if kind in ("witness", "group") and args and args[0] in {*witnesses, *groups, "none"}:
                raise PolicyError(f"{where}: the name {args[0]!r} is taken")
            if kind == "witness":
                witnesses[args[0] if args else ""] = _witness(args, where)
            elif kind == "group":
                name, k, members = _group(args, where, {*witnesses, *groups})
                groups[name] = (k, members)
            elif kind == "quorum":
                if quorum_seen or len(args) != 1:
                    raise PolicyError(f"{where}: one 'quorum <name>' line, naming one name")
                if args[0] != "none" and args[0] not in {*witnesses, *groups}:
                    raise PolicyError(f"{where}: quorum {args[0]!r} is no witness or group above")
                quorum, quorum_seen = (None if args[0] == "none" else args[0]), True
            else:
                raise PolicyError(f"{where}: a line is 'witness', 'group' or 'quorum', not {kind!r}")
        if not quorum_seen:
            raise PolicyError(f"{source}: no 'quorum <name>' line (write 'quorum none' for none)")
        return cls(witnesses, groups, quorum)

    def by_label(self, labels: Iterable[str]) -> set[str]:
        """The policy's names of the witnesses whose keys (``<name>+<hex id>``) are given."""
        wanted = set(labels)
        return {name for name, w in self.witnesses.items() if w.verifier.label in wanted}

    def satisfied(self, cosigned: set[str], name: str | None = None) -> bool:
        """Whether the witnesses ``cosigned`` (policy names) meet ``name`` (default: the quorum)."""
        target = self.quorum if name is None else name
        if target is None:
            return True
        if target in self.witnesses:
            return target in cosigned
        k, members = self.groups[target]
        return sum(self.satisfied(cosigned, member) for member in members) >= k


def _witness(args: list[str], where: str) -> PolicyWitness:
    if len(args) != 3 or not valid_key_name(args[0]):
        raise PolicyError(f"{where}: 'witness <name> <vkey> <submission URL prefix>'")
    try:
        verifier = CosignerVerifier.parse(args[1])
    except NoteError as error:
        raise PolicyError(f"{where}: {error}") from None
    if not args[2].startswith(("http://", "https://")):
        raise PolicyError(f"{where}: the submission prefix is an http(s) URL")
    return PolicyWitness(args[0], verifier, args[2].rstrip("/"))


def _group(args: list[str], where: str, known: set[str]) -> tuple[str, int, tuple[str, ...]]:
    if len(args) < 3 or not valid_key_name(args[0]):
        raise PolicyError(f"{where}: 'group <name> <k> <member>...'")
    members = tuple(args[2:])
    unknown = [m for m in members if m not in known]
    if unknown:
        raise PolicyError(f"{where}: {', '.join(unknown)} is no witness or group above")
    if len(set(members)) != len(members):
        raise PolicyError(f"{where}: a member is named twice")
    k_text = args[1]
    k = {"all": len(members), "any": 1}.get(k_text) or (int(k_text) if k_text.isdigit() else 0)
    if not 1 <= k <= len(members):
        raise PolicyError(f"{where}: k is 1 to {len(members)}, 'any' or 'all'")
    return args[0], k, members


@dataclass
class Pending:
    """The newest checkpoint waiting for cosignatures: its size and the log's signed note."""

    size: int
    note: str


@dataclass
class WitnessPusher:
    """Asks every witness of the policy to cosign each new checkpoint, in one background thread.

    A round starts ``min_interval`` after a checkpoint is submitted and pushes the newest one
    then pending, so a burst of writes costs one round, not one push per write.
    ``proof(old, new)`` gives a consistency proof between two tree sizes; ``keep(size, label,
    line)`` stores a verified cosignature. Only the newest checkpoint submitted is pushed: one
    that a newer one overtakes while waiting is skipped (the newer one extends it).
    """

    policy: WitnessPolicy
    proof: Callable[[int, int], list[bytes]]
    keep: Callable[[int, str, str], None]
    known: dict[str, int] = field(default_factory=dict)  # witness -> the size it last cosigned
    min_interval: float = 0.2  # between rounds: under load, one push per round, not per write
    _pending: Pending | None = None
    _wake: threading.Event = field(default_factory=threading.Event)
    _idle: threading.Event = field(default_factory=threading.Event)
    _stop: bool = False
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def submit(self, size: int, note: str) -> None:
        """Queue a signed checkpoint; returns at once (the caller may hold a write's lock)."""
        with self._lock:
            if self._pending is None or size > self._pending.size:
                self._pending = Pending(size, note)
            self._idle.clear()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="witnesses", daemon=True)
                self._thread.start()
        self._wake.set()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every submitted checkpoint was pushed (tests, and a clean shutdown)."""
        return self._idle.wait(timeout)

    def close(self) -> None:
        self._stop = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT + 1)

    def _run(self) -> None:
        while not self._stop:
            self._wake.wait()
            time.sleep(self.min_interval)  # let the checkpoints of a burst of writes gather
            self._wake.clear()
            if self._stop:
                return
            with self._lock:
                pending, self._pending = self._pending, None
                if pending is None:
                    self._idle.set()
                    continue
            for witness in self.policy.witnesses.values():
                try:
                    self.push(witness, pending)
                except Exception:  # a witness's failure never stops the others, nor the ledger
                    log.exception("witness %s: the push of size %s failed", witness.name, pending.size)
            with self._lock:
                if self._pending is None:
                    self._idle.set()

    def push(self, witness: PolicyWitness, pending: Pending) -> str | None:
        """Ask one witness to cosign; return its verified cosignature line, or None."""
        old = self.known.get(witness.name, 0)
        for _ in range(2):  # a 409 tells the size it cosigned last: one retry from there
            if old > pending.size:
                return None  # it cosigned a newer checkpoint already
            proof = self.proof(old, pending.size) if 0 < old < pending.size else []
            status, content_type, body = _post(witness.url, AddCheckpoint(old, proof, pending.note))
            if status == 409 and content_type.startswith(SIZE_CONTENT_TYPE) and body.strip().isdigit():
                old = int(body.strip())
                self.known[witness.name] = old
                continue
            if status != 200:
                log.warning("witness %s refused size %s: %s %s", witness.name, pending.size,
                            status, body.strip())
                return None
            return self._accept(witness, pending, body)
        return None

    def _accept(self, witness: PolicyWitness, pending: Pending, body: str) -> str | None:
        text, _ = split_note(pending.note)
        for line in body.splitlines():
            try:
                if witness.verifier.timestamp_of(text, line) is None:
                    continue
            except NoteError as error:
                log.warning("%s", error)
                return None
            self.keep(pending.size, witness.verifier.label, line)
            self.known[witness.name] = pending.size
            return line
        log.warning("witness %s answered no cosignature by its key", witness.name)
        return None


def _post(prefix: str, request: AddCheckpoint) -> tuple[int, str, str]:
    call = urllib.request.Request(
        f"{prefix}/add-checkpoint",
        data=request.body().encode(),
        method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(call, timeout=TIMEOUT) as answer:  # noqa: S310
            return answer.status, answer.headers.get("Content-Type", ""), answer.read().decode()
    except urllib.error.HTTPError as error:
        body = error.read().decode("utf-8", "replace")
        return error.code, error.headers.get("Content-Type", ""), body
    except (urllib.error.URLError, OSError) as error:
        return 0, "", f"unreachable: {error}"
