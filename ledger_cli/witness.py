"""``ledger witness``: run a C2SP tlog-witness for ledgers (or any log with Ed25519 checkpoints).

``keys generate`` writes the witness's private key (mode 0600) and prints its verifier key, a
vkey of signature type 0x04, for the logs' policies and the auditors' ``--witness``. ``serve``
answers ``POST /add-checkpoint`` for the logs whose keys it is given, keeping its state (the
last cosigned checkpoint per origin, every checkpoint it cosigned, every refused request that
a log signed) in ``--state``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ledger.audit.cosignature import CosignerKey
from ledger.audit.note import NoteError, VerifierKey

witness_app = typer.Typer(help="A witness that cosigns logs' checkpoints.", no_args_is_help=True)
keys_app = typer.Typer(help="The witness's own key.", no_args_is_help=True)
witness_app.add_typer(keys_app, name="keys")


def _error(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=2)


@keys_app.command("generate")
def generate(
    out: Annotated[Path, typer.Option(help="Where to write the witness key (mode 0600).")],
    name: Annotated[str, typer.Option(help="The witness's name, e.g. witness.example/w1.")],
    force: Annotated[bool, typer.Option(help="Overwrite an existing key file.")] = False,
) -> None:
    """Create an Ed25519 cosigning key; print its verifier key (vkey, type 0x04)."""
    if out.exists() and not force:
        raise _error(f"{out} exists; pass --force to replace it")
    try:
        key = CosignerKey.generate(name)
    except NoteError as error:
        raise _error(f"--name: {error}") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(key.text + "\n")
    typer.echo(key.verifier.text)


def _load(key: Path, log_keys: list[str]) -> tuple[CosignerKey, list[VerifierKey]]:
    try:
        cosigner = CosignerKey.parse(key.read_text(encoding="utf-8"))
    except OSError as error:
        raise _error(f"--key: cannot read {key}: {error.strerror}") from None
    except NoteError as error:
        raise _error(f"--key: {error}") from None
    verifiers = []
    for text in log_keys:
        try:
            path = Path(text)
            verifiers.append(VerifierKey.parse(path.read_text() if path.is_file() else text))
        except (NoteError, OSError) as error:
            raise _error(f"--log-key {text!r}: {error}") from None
    return cosigner, verifiers


@witness_app.command("serve")
def serve(
    key: Annotated[Path, typer.Option(help="The witness key file (`ledger witness keys generate`).")],
    log_key: Annotated[
        list[str],
        typer.Option(
            "--log-key",
            help="A log's verifier key (or a file holding it); its name is the log's origin. "
            "Repeat for more logs or keys.",
        ),
    ],
    state: Annotated[Path, typer.Option(help="A folder for the witness's state and evidence.")],
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on.", min=1, max=65535)] = 8100,
) -> None:
    """Serve POST /add-checkpoint (C2SP tlog-witness) until stopped."""
    import uvicorn

    from api.witness_app import create_witness_app
    from ledger.audit.witness import Witness

    cosigner, verifiers = _load(key, log_key)
    state.mkdir(parents=True, exist_ok=True)
    witness = Witness(cosigner, verifiers, state)
    typer.echo(f"witness {cosigner.verifier.text} on http://{host}:{port}/add-checkpoint", err=True)
    uvicorn.run(create_witness_app(witness), host=host, port=port, log_level="warning")
