"""``ledger audit``: an auditor's checks that need only the ledger's URL and its verifier key.

Nothing here opens the database. Each command fetches signed checkpoints and proofs over HTTP
and checks them with RFC 9162 and the signed-note format, so it holds the ledger to what it
signed before, whoever runs the server.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.audit.cosignature import CosignerVerifier
from ledger.tlog.merkle import ProofError, leaf_hash, verify_consistency, verify_inclusion
from ledger.audit.note import Checkpoint, NoteError, VerifierKey, open_checkpoint
from ledger.store.records import ENVELOPE_FIELDS, RecordedEvent, expected_hash

audit_app = typer.Typer(
    help="Check the ledger over HTTP with its verifier key, never its database.",
    no_args_is_help=True,
)

UrlOption = Annotated[str, typer.Option("--url", help="The ledger's base URL.")]
KeyOption = Annotated[
    str | None,
    typer.Option(
        "--key",
        help="The verifier key (<name>+<id>+<key>) or a file holding it. Without it the "
        "server's own key is fetched and trusted: pin it for a real audit.",
    ),
]
WitnessOption = Annotated[
    list[str] | None,
    typer.Option(
        "--witness",
        help="A witness's verifier key (a vkey of type 0x04, or a file holding it) whose "
        "cosignature the checkpoint needs; repeatable.",
    ),
]
QuorumOption = Annotated[
    int | None,
    typer.Option(
        "--quorum", min=1, help="How many of the --witness keys must have cosigned (default: all)."
    ),
]
TIMEOUT = 30


class AuditFailure(Exception):
    """A check that could not be made or failed: the message says what."""


class Inconsistent(AuditFailure):
    """The ledger contradicts what it signed: a monitor stops at the first one."""


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"FAILED: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=code)


def usage_error(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=2)


def fetch(url: str, path: str, params: dict[str, Any] | None = None) -> bytes:
    """GET ``path`` under ``url``; an HTTP error or an unreachable server is an AuditFailure."""
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    target = url.rstrip("/") + path + query
    try:
        with urllib.request.urlopen(target, timeout=TIMEOUT) as response:  # noqa: S310
            return response.read()  # type: ignore[no-any-return]
    except urllib.error.HTTPError as error:
        detail = error.read().decode("utf-8", "replace")
        try:
            detail = json.loads(detail).get("detail", detail)
        except (ValueError, AttributeError):
            pass
        raise AuditFailure(f"GET {path}{query} answered {error.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as error:
        raise AuditFailure(f"cannot reach {target}: {error}") from None


def fetch_json(url: str, path: str, params: dict[str, Any]) -> Any:
    try:
        return json.loads(fetch(url, path, params))
    except ValueError:
        raise AuditFailure(f"GET {path} did not answer JSON") from None


def resolve_key(key: str | None, url: str | None) -> VerifierKey:
    """The verifier key given (inline or as a file), or, failing that, the server's own."""
    try:
        if key is not None:
            path = Path(key)
            text = path.read_text(encoding="utf-8") if path.is_file() else key
            return VerifierKey.parse(text)
        if url is None:
            raise AuditFailure("--key is needed")
        typer.secho(
            "warning: trusting the server's own verifier key; pass --key to pin it",
            err=True,
            fg=typer.colors.YELLOW,
        )
        return VerifierKey.parse(fetch(url, "/v1/audit/verifier-key").decode())
    except NoteError as error:
        raise AuditFailure(f"verifier key: {error}") from None


def fetch_checkpoint(url: str, verifier: VerifierKey) -> tuple[str, Checkpoint]:
    note = fetch(url, "/v1/audit/checkpoint").decode("utf-8")
    try:
        return note, open_checkpoint(note, verifier)
    except NoteError as error:
        raise Inconsistent(f"the server's checkpoint: {error}") from None


def read_checkpoint(path: Path, verifier: VerifierKey) -> Checkpoint:
    try:
        return open_checkpoint(path.read_text(encoding="utf-8"), verifier)
    except OSError as error:
        raise AuditFailure(f"cannot read {path}: {error.strerror}") from None
    except NoteError as error:
        raise AuditFailure(f"the saved checkpoint {path}: {error}") from None


def check_extends(url: str, old: Checkpoint, new: Checkpoint) -> None:
    """Raise AuditFailure unless the tree ``new`` extends the tree ``old``, by the server's proof."""
    sizes = f"size {old.size} -> size {new.size}"
    if old.origin != new.origin:
        raise Inconsistent(f"the origin changed from {old.origin!r} to {new.origin!r}")
    if new.size < old.size:
        raise Inconsistent(f"the log shrank: {sizes}")
    if old.size == 0 or old.size == new.size:
        if old.size == new.size and old.root != new.root:
            raise Inconsistent(f"two different roots for size {old.size}: a rewritten history")
        return
    answer = fetch_json(url, "/v1/audit/proofs/consistency", {"from": old.size, "to": new.size})
    try:
        proof = [base64.b64decode(h, validate=True) for h in answer["proof"]]
        verify_consistency(old.size, new.size, proof, old.root, new.root)
    except (ProofError, KeyError, TypeError, ValueError) as error:
        raise Inconsistent(f"not consistent, {sizes}: {error}") from None


class Uncosigned(AuditFailure):
    """Too few of the required witnesses cosigned the checkpoint."""


@dataclass(frozen=True)
class Witnesses:
    """The witnesses an auditor requires, and how many of them must have cosigned."""

    verifiers: tuple[CosignerVerifier, ...] = ()
    quorum: int = 0

    def check(self, note: str) -> str | None:
        """Raise unless ``quorum`` of the witnesses cosigned ``note``; say who did.

        A cosignature by a required witness that does not verify is an Inconsistent (a forged
        or altered checkpoint); too few is Uncosigned, naming the witnesses missing.
        """
        if not self.verifiers:
            return None
        signed: list[str] = []
        missing: list[str] = []
        for verifier in self.verifiers:
            try:
                cosigned = verifier.cosigned(note)
            except NoteError as error:
                raise Inconsistent(str(error)) from None
            (signed if cosigned is not None else missing).append(verifier.name)
        size = note.split("\n", 2)[1] if note.count("\n") > 1 else "?"
        if len(signed) < self.quorum:
            raise Uncosigned(
                f"the checkpoint of size {size} is cosigned by {len(signed)} of the "
                f"{self.quorum} witnesses needed; missing: {', '.join(missing)}"
            )
        return f"cosigned by {', '.join(signed)}"


def resolve_witnesses(keys: list[str] | None, quorum: int | None) -> Witnesses:
    keys = keys or []
    if quorum is not None and quorum > len(keys):
        raise usage_error(f"--quorum {quorum} needs at least {quorum} --witness keys")
    verifiers = []
    for key in keys:
        path = Path(key)
        try:
            text = path.read_text(encoding="utf-8") if path.is_file() else key
            verifiers.append(CosignerVerifier.parse(text))
        except NoteError as error:
            raise usage_error(f"--witness {key!r}: {error}") from None
    return Witnesses(tuple(verifiers), len(verifiers) if quorum is None else quorum)


def _say(message: str | None) -> None:
    if message is not None:
        typer.secho(f"ok: {message}", err=True)


def _run(check: Any) -> Any:
    try:
        return check()
    except AuditFailure as error:
        raise fail(str(error)) from None


@audit_app.command("checkpoint")
def checkpoint(
    url: UrlOption,
    key: KeyOption = None,
    witness: WitnessOption = None,
    quorum: QuorumOption = None,
) -> None:
    """Fetch the latest checkpoint, check its signature (and cosignatures) and print it."""
    witnesses = resolve_witnesses(witness, quorum)

    def check() -> str:
        note, signed = fetch_checkpoint(url, resolve_key(key, url))
        typer.secho(f"ok: signed checkpoint of size {signed.size}", err=True)
        _say(witnesses.check(note))
        return note

    typer.echo(_run(check), nl=False)


@audit_app.command("consistency")
def consistency(
    url: UrlOption,
    since: Annotated[Path, typer.Option(help="A checkpoint saved earlier.")],
    key: KeyOption = None,
    witness: WitnessOption = None,
    quorum: QuorumOption = None,
) -> None:
    """Prove that today's tree extends the saved one; exit 1 naming both sizes if it does not."""
    witnesses = resolve_witnesses(witness, quorum)

    def check() -> str:
        verifier = resolve_key(key, url)
        old = read_checkpoint(since, verifier)
        note, new = fetch_checkpoint(url, verifier)
        _say(witnesses.check(note))
        check_extends(url, old, new)
        return f"ok: size {new.size} is consistent with the saved size {old.size}"

    typer.echo(_run(check))


@audit_app.command("receipt")
def receipt(
    file: Annotated[Path, typer.Argument(help="A write's 201 answer (or its receipt) as JSON.")],
    key: KeyOption = None,
    witness: WitnessOption = None,
    quorum: QuorumOption = None,
) -> None:
    """Verify a write's receipt offline: signature, inclusion proof and the event's own hash."""
    witnesses = resolve_witnesses(witness, quorum)

    def check() -> str:
        return verify_receipt_file(file, resolve_key(key, None), witnesses)

    typer.echo(_run(check))


def verify_receipt_file(
    file: Path, verifier: VerifierKey, witnesses: Witnesses = Witnesses()
) -> str:
    try:
        answer = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise AuditFailure(f"cannot read {file} as JSON: {error}") from None
    receipt = answer.get("receipt", answer) if isinstance(answer, dict) else None
    if not isinstance(receipt, dict):
        raise AuditFailure(f"{file} holds no receipt")
    try:
        signed = open_checkpoint(receipt["checkpoint"], verifier)
        position, event_hash = int(receipt["position"]), str(receipt["event_hash"])
        proof = [base64.b64decode(h, validate=True) for h in receipt["proof"]]
        if int(receipt["tree_size"]) != signed.size:
            raise AuditFailure("the receipt's tree size is not its checkpoint's")
        if "hash" in answer:  # the whole answer: the envelope must hash to what was proven
            _check_envelope(answer, position, event_hash)
        leaf = leaf_hash(bytes.fromhex(event_hash))
        verify_inclusion(position - 1, signed.size, leaf, proof, signed.root)
        _say(witnesses.check(receipt["checkpoint"]))
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, (NoteError, ProofError)):
            raise AuditFailure(f"position {receipt.get('position')}: {error}") from None
        raise AuditFailure(f"the receipt is malformed: {error!r}") from None
    return f"ok: event {position} is in the signed tree of size {signed.size}"


def _check_envelope(answer: dict[str, Any], position: int, event_hash: str) -> None:
    event = RecordedEvent.from_json({name: answer[name] for name in ENVELOPE_FIELDS})
    if event.position != position or event.hash != event_hash:
        raise AuditFailure("the receipt is for another event")
    if expected_hash(event) != event.hash:
        raise AuditFailure(f"the event at position {position} does not hash to its hash")


@audit_app.command("watch")
def watch(
    url: UrlOption,
    state: Annotated[Path, typer.Option(help="A folder for the last checkpoint seen.")],
    interval: Annotated[float, typer.Option(help="Seconds between polls.", min=0)] = 60,
    max_polls: Annotated[int | None, typer.Option(help="Stop after this many polls.")] = None,
    key: KeyOption = None,
    witness: WitnessOption = None,
    quorum: QuorumOption = None,
    stale_polls: Annotated[
        int,
        typer.Option(
            help="With --witness: exit 1 when this many polls in a row find the latest "
            "checkpoint without its quorum of cosignatures.",
            min=1,
        ),
    ] = 3,
) -> None:
    """Monitor the log: at every poll, check the signature and consistency with the last one.

    Exits 1 at the first inconsistency, keeping the evidence (both checkpoints) in --state.
    With --witness, a checkpoint short of its quorum is reported at each poll, and a ledger
    that cannot get one cosigned for --stale-polls polls in a row fails the watch.
    """
    verifier = _run(lambda: resolve_key(key, url))
    witnesses = resolve_witnesses(witness, quorum)
    state.mkdir(parents=True, exist_ok=True)
    saved = state / "checkpoint"
    polls = uncosigned = 0
    while max_polls is None or polls < max_polls:
        polls += 1
        try:
            note, new = fetch_checkpoint(url, verifier)
            uncosigned = _cosigned_or_count(witnesses, note, polls, uncosigned, stale_polls)
            if saved.exists():
                old = read_checkpoint(saved, verifier)
                try:
                    check_extends(url, old, new)
                except Inconsistent:
                    (state / "inconsistent-checkpoint").write_text(note, encoding="utf-8")
                    raise
            saved.write_text(note, encoding="utf-8")
            typer.echo(f"poll {polls}: size {new.size} ok")
        except Inconsistent as error:
            raise fail(str(error)) from None
        except AuditFailure as error:  # unreachable or refusing: try again at the next poll
            typer.secho(f"poll {polls}: {error}", err=True, fg=typer.colors.YELLOW)
        if max_polls is None or polls < max_polls:
            time.sleep(interval)


def _cosigned_or_count(
    witnesses: Witnesses, note: str, poll: int, uncosigned: int, limit: int
) -> int:
    """0 when the checkpoint meets the quorum, else the polls in a row it has not (reported);
    Inconsistent once that reaches ``limit``."""
    try:
        witnesses.check(note)
        return 0
    except Uncosigned as error:
        uncosigned += 1
        typer.secho(f"poll {poll}: {error}", err=True, fg=typer.colors.YELLOW)
        if uncosigned >= limit:
            raise Inconsistent(
                f"no quorum of witnesses cosigned the latest checkpoint for {uncosigned} polls "
                f"in a row: {error}"
            ) from None
        return uncosigned
