"""The ``ledger`` command: migrations, integrity checks, seeding, replay and the server."""

from __future__ import annotations

import base64
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

import migrations
from ledger import archive, backup, sources
from ledger.audit.note import NoteError, SigningKey
from ledger.bootstrap import Wiring, open_app
from ledger.errors import LedgerError
from ledger.projections.replay import Axis, parse_instant, to_json_text
from ledger.projections.views import AnchorAnswer
from ledger.seeding import SeedClock, SeedReport, load_story, seed
from ledger.settings import Settings
from ledger_cli import drafts_file
from ledger_cli.audit import audit_app
from ledger_cli.witness import witness_app
from ledger_cli.replay_text import render_replay

app = typer.Typer(
    help="The claims ledger: who said what about which claim, when, and where it was read.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="The database schema (Alembic migrations).", no_args_is_help=True)
projections_app = typer.Typer(help="The read models computed from the log.", no_args_is_help=True)
keys_app = typer.Typer(help="The key that signs checkpoints.", no_args_is_help=True)
checkpoint_app = typer.Typer(help="Signed checkpoints of the log's Merkle tree.", no_args_is_help=True)
stories_app = typer.Typer(help="Stories: claims followed together.", no_args_is_help=True)
documents_app = typer.Typer(help="Source documents: text, HTML, PDF.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(projections_app, name="projections")
app.add_typer(keys_app, name="keys")
app.add_typer(checkpoint_app, name="checkpoint")
app.add_typer(audit_app, name="audit")
app.add_typer(witness_app, name="witness")
app.add_typer(stories_app, name="stories")
app.add_typer(documents_app, name="documents")


@contextmanager
def ledger_errors() -> Iterator[None]:
    """Print the ledger's own errors as one line and exit 2, never a traceback."""
    try:
        yield
    except LedgerError as error:
        typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=2) from None


@contextmanager
def opened(settings: Settings, clock: Any = None) -> Iterator[Wiring]:
    """The ledger on the configured database, refusing a schema that is not at head."""
    with ledger_errors():
        ledger_app = open_app(settings) if clock is None else open_app(settings, clock=clock)
        try:
            _require_migrated(ledger_app)
            yield ledger_app
        finally:
            ledger_app.close()


def _require_migrated(ledger_app: Wiring) -> None:
    current = migrations.current_revision(ledger_app.store.engine)
    if current != migrations.head_revision():
        typer.secho(
            f"error: the database schema is at {current or 'nothing'}, "
            f"not {migrations.head_revision()}: run `ledger db upgrade` first",
            err=True,
            fg=typer.colors.RED,
        )
        raise typer.Exit(code=2)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Create or migrate the schema to the latest revision."""
    settings = Settings()
    with ledger_errors():
        migrations.upgrade(settings.database_url, revision)
    typer.echo(f"schema at {revision} on {settings.database_url}")


@app.command("verify")
def verify_chain() -> None:
    """Walk the hash chain, the Merkle tree and the kept checkpoints; exit 1 at a fault."""
    with opened(Settings()) as ledger_app:
        result = ledger_app.verify()
    if result.ok:
        typer.echo(
            f"ok: {result.checked} events checked, chain intact; tree of size "
            f"{result.tree_size}, root {base64.b64encode(result.root).decode()}; "
            f"{result.checkpoints_checked} kept checkpoints match"
        )
        return
    where = "" if result.first_bad_position is None else f" at position {result.first_bad_position}"
    typer.secho(
        f"BROKEN{where}: {result.reason} ({result.checked} events checked)",
        err=True,
        fg=typer.colors.RED,
    )
    raise typer.Exit(code=1)


@keys_app.command("generate")
def generate_key(
    out: Annotated[Path, typer.Option(help="Where to write the signing key (mode 0600).")],
    name: Annotated[
        str, typer.Option(help="The key's name, usually the log's origin.")
    ] = "claims-ledger",
    force: Annotated[bool, typer.Option(help="Overwrite an existing key file.")] = False,
) -> None:
    """Create an Ed25519 signing key; print its verifier key for auditors."""
    if out.exists() and not force:
        typer.secho(f"error: {out} exists; pass --force to replace it", err=True, fg="red")
        raise typer.Exit(code=2)
    try:
        key = SigningKey.generate(name)
    except NoteError as error:
        typer.secho(f"error: --name: {error}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=2) from None
    write_private(out, key.text + "\n")
    typer.echo(key.verifier.text)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (0600), created or replaced.

    ``O_CREAT``'s mode applies only to a new file: a replaced one kept its old mode (0644, say).
    The text goes to a new 0600 file beside it, which then takes the old one's place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(descriptor, 0o600)  # whatever the umask
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(fresh, path)
    except BaseException:
        fresh.unlink(missing_ok=True)
        raise


@checkpoint_app.command("sign")
def sign_checkpoint() -> None:
    """Sign a checkpoint of the tree as it is now (kept; at most one per size) and print it."""
    with opened(Settings()) as ledger_app, ledger_errors():
        signed = ledger_app.log.sign()
    typer.echo(signed.note, nl=False)


@app.command("seed")
def seed_story(
    file: Annotated[
        Path | None, typer.Option(help="The seed data file (default: seeds/story.yaml).")
    ] = None,
) -> None:
    """Load the seed story through the ordinary append path; a second run appends nothing."""
    settings = Settings()
    path = file or settings.seed_file
    clock = SeedClock()
    with ledger_errors():
        story = load_story(path)
    typer.echo(f"seeding from {path}")
    with opened(settings, clock) as ledger_app, ledger_errors():
        report = seed(
            ledger_app.ledger, story, clock, progress=lambda line: typer.echo(f"  {line}")
        )
    _print_report(report)


@stories_app.command("load")
def load_story_file(
    file: Annotated[Path, typer.Argument(help="A story file (docs/story-files.md).")],
) -> None:
    """Load a story file through the ordinary write path, recorded now; a re-run appends nothing."""
    with ledger_errors():
        story = load_story(file)
    typer.echo(f"loading {file}")
    with opened(Settings()) as ledger_app, ledger_errors():
        report = seed(ledger_app.ledger, story, None, progress=lambda line: typer.echo(f"  {line}"))
    _print_report(report)


@documents_app.command("add")
def add_document(
    file: Annotated[Path, typer.Argument(help="A .txt, .html or .pdf file.")],
    url: Annotated[str | None, typer.Option(help="Where the source was read.")] = None,
    publisher: Annotated[str | None, typer.Option(help="The publisher's actor key.")] = None,
    language: Annotated[str, typer.Option(help="The text's language (BCP 47).")] = "de",
    document_id: Annotated[
        str | None, typer.Option("--id", help="The document id (default: the file's name).")
    ] = None,
    dated: Annotated[
        str | None, typer.Option(help="The date it prints (default: its publication date).")
    ] = None,
    note: Annotated[str | None, typer.Option(help="A note on the document.")] = None,
) -> None:
    """Register a document: a text file as it is, or an HTML page or a PDF whose article text,
    title, author and publication time are extracted, the original kept with it."""
    with ledger_errors():
        document = sources.document_from_file(
            file, document_id or file.name, language, publisher, dated, url, note
        )
    with opened(Settings()) as ledger_app, ledger_errors():
        event = ledger_app.ledger.register_document(document)
    typer.echo(
        f"registered {document.document_id} at position {event.position}: "
        f"{len(document.text)} code points of text"
        + (f", from {document.original.media_type} ({document.extractor.name} "
           f"{document.extractor.version})" if document.original and document.extractor else "")
    )
    for name in ("title", "author", "published", "url"):
        if getattr(document, name):
            typer.echo(f"  {name}: {getattr(document, name)}")


@app.command("drafts")
def drafts(
    document: Annotated[str, typer.Argument(help="The document id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    story_file: Annotated[
        Path | None,
        typer.Option(help="Write the drafts as a story file to edit, the document beside it."),
    ] = None,
) -> None:
    """The statements a document appears to make, proposed for a person to confirm; nothing is
    written to the ledger. With --story-file, a story file whose statements a person completes
    (each needs its claim) and loads with `ledger stories load`."""
    with opened(Settings()) as ledger_app, ledger_errors():
        queries = ledger_app.queries
        found = queries.drafts(document)
        if story_file is not None:
            drafted = drafts_file.story_file(queries, document, found, str(story_file))
            story_file.write_text(drafted, encoding="utf-8")
            (story_file.parent / document).write_bytes(queries.original(document)[1])
            typer.echo(f"wrote {len(found)} drafts to {story_file} (and {document} beside it)")
            return
    if as_json:
        payload = {"drafts": [draft.to_json() for draft in found]}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    for number, draft in enumerate(found, start=1):
        who = draft.actor or f"(unregistered: {draft.speaker})"
        relays = f" relaying {draft.relays}" if draft.relays else ""
        typer.echo(
            f"{number:>3}. {who} {draft.stance}{relays}  [{draft.kind}: {draft.cue}]"
            f"  {draft.start}-{draft.end}  confidence {draft.confidence}"
        )
        typer.echo(f"     {json.dumps(draft.exact, ensure_ascii=False)}")


@app.command("anchor")
def anchor(
    document: Annotated[str, typer.Argument(help="The document id.")],
    exact: Annotated[str, typer.Argument(help="The quote's exact text.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Every occurrence of a quote in a document, as W3C selectors in code points."""
    with opened(Settings()) as ledger_app, ledger_errors():
        found = ledger_app.queries.anchors(document, exact)
    if as_json:
        typer.echo(json.dumps(_anchor_json(found), ensure_ascii=False, indent=2))
        return
    occurrences = found.occurrences
    if not occurrences:
        typer.secho(f"error: not found in {document}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=1)
    for item in occurrences:
        quote, position = item.quote, item.position
        typer.echo(f"occurrence {item.occurrence}: code points {position.start}-{position.end}")
        typer.echo(f"  prefix: {json.dumps(quote.prefix, ensure_ascii=False)}")
        typer.echo(f"  exact:  {json.dumps(quote.exact, ensure_ascii=False)}")
        typer.echo(f"  suffix: {json.dumps(quote.suffix, ensure_ascii=False)}")
    if found.next is not None:
        more = "" if found.total_complete else " or more"
        typer.echo(f"(the first {len(occurrences)} of {found.total:,}{more} occurrences)")


def _anchor_json(found: AnchorAnswer) -> dict[str, Any]:
    """The answer as ``anchor --json`` has always printed it: each occurrence's number first."""
    fields = found.model_dump(mode="json")
    occurrences = [
        {"occurrence": item.pop("occurrence"), **item} for item in fields["occurrences"]
    ]
    return {**fields, "occurrences": occurrences}


def _print_report(report: SeedReport) -> None:
    if report.total_appended == 0:
        typer.echo(f"nothing appended: all {sum(report.present.values())} entries already present")
    else:
        typer.echo(f"appended {report.total_appended} events: {_counts(report.appended)}")
        if report.present:
            typer.echo(f"already present: {_counts(report.present)}")
    _print_counter("statements per document", report.statements_per_document)
    _print_counter("statements per actor", report.statements_per_actor)


def _counts(counter: Counter[str]) -> str:
    order = (
        "stories", "actors", "claims", "documents", "statements", "corrections", "retractions"
    )
    return ", ".join(f"{counter[kind]} {kind}" for kind in order if counter[kind])


def _print_counter(title: str, counter: Counter[str]) -> None:
    typer.echo(f"{title}:")
    for name, count in sorted(counter.items()):
        typer.echo(f"  {name:<30} {count:>3}")


@app.command("replay")
def replay(
    start: Annotated[
        str | None,
        typer.Option("--from", help="Start: a date or ISO instant (default: the story's first)."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            "--to", help="End: a date (the whole day) or an instant (default: the story's last)."
        ),
    ] = None,
    axis: Annotated[
        Axis, typer.Option(help="said: when it was said; recorded: when recorded.")
    ] = Axis.SAID,
    claim: Annotated[str | None, typer.Option(help="Only this claim's steps.")] = None,
    story: Annotated[str | None, typer.Option(help="Only the steps of this story's claims.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """How the story changed between two instants, step by step; with --story, --from and
    --to default to the story's extent on the axis."""
    with ledger_errors():
        window = (
            None if start is None else parse_instant(start, field="--from"),
            None if end is None else parse_instant(end, field="--to", end_of_day=True),
        )
    with opened(Settings()) as ledger_app, ledger_errors():
        result = ledger_app.queries.replay(
            start=window[0], end=window[1], axis=axis, claim=claim, story=story
        )
    typer.echo(to_json_text(result) if as_json else render_replay(result))


@projections_app.command("rebuild")
def rebuild_projections() -> None:
    """Rebuild every projection table, and the stored Merkle nodes, from position 0."""
    with opened(Settings()) as ledger_app:
        folded = ledger_app.queries.rebuild_projections()
        size, root = ledger_app.queries.rebuild_tree()
    typer.echo(f"projections rebuilt from {folded} events")
    typer.echo(f"merkle tree rebuilt: size {size}, root {base64.b64encode(root).decode()}")


@app.command("export")
def export_log(
    out: Annotated[Path, typer.Option("--out", help="The archive to write (JSON Lines).")],
) -> None:
    """Write every event in position order, then every kept checkpoint, as JSON Lines."""
    with opened(Settings()) as ledger_app, ledger_errors():
        total = archive.export_size(ledger_app.store)
        with progress_bar("exporting", total) as advance, out.open("w", encoding="utf-8") as file:
            lines = archive.export_lines(
                ledger_app.store, ledger_app.checkpoints, progress=advance
            )
            written = -1  # the header is not an event
            for line in lines:
                file.write(line + "\n")
                written += 1
    typer.echo(f"exported {min(written, total)} events to {out}")


@app.command("import")
def import_log(
    file: Annotated[Path, typer.Argument(help="An archive written by `ledger export`.")],
) -> None:
    """Verify an archive and write it into an empty database; projections are rebuilt.

    The schema is migrated first. Any fault is refused at its line with nothing written.
    """
    settings = Settings()
    if not file.is_file():
        typer.secho(f"error: no archive at {file}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=2)
    with ledger_errors():
        migrations.upgrade(settings.database_url)
    with opened(settings) as ledger_app, ledger_errors():
        with progress_bar("importing", None) as advance, file.open(encoding="utf-8") as lines:
            report = archive.import_lines(
                ledger_app.store,
                (line.rstrip("\n") for line in lines),
                checkpoints=ledger_app.checkpoints,
                projection=ledger_app.queries.projection,
                progress=advance,
            )
    _print_import(report)


@app.command("copy")
def copy_ledger(
    source: Annotated[str, typer.Option("--from", help="The database URL to copy from.")],
    target: Annotated[str, typer.Option("--to", help="An empty database URL to copy into.")],
) -> None:
    """Copy the whole log into an empty database (SQLite to PostgreSQL, say), verified."""
    with ledger_errors():
        migrations.upgrade(target)
    with opened(Settings(database_url=source)) as origin:
        with opened(Settings(database_url=target)) as destination, ledger_errors():
            total = archive.export_size(origin.store)
            with progress_bar("copying", total) as advance:
                report = archive.copy_log(
                    archive.Log(origin.store, origin.checkpoints),
                    archive.Log(destination.store, destination.checkpoints),
                    projection=destination.queries.projection,
                    progress=advance,
                )
    _print_import(report)


def _print_import(report: archive.ImportReport) -> None:
    typer.echo(
        f"imported {report.events} events, chain verified, head {report.head_hash}; "
        f"projections rebuilt from {report.projected} events"
    )
    if report.checkpoint is not None:
        typer.echo(
            f"the archive's {report.checkpoints} checkpoint(s) verified and kept: "
            "each root is the imported events' root at its size"
        )


@contextmanager
def progress_bar(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr when it is a terminal; silent otherwise."""
    import sys

    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    with Progress(console=console, disable=not sys.stderr.isatty(), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda count: bar.advance(task, count)


@app.command("backup")
def backup_database(
    file: Annotated[Path, typer.Argument(help="The new file to write the copy to.")],
) -> None:
    """Copy the SQLite database with SQLite's backup API; safe while the service writes."""
    with ledger_errors():
        pages = backup.backup(Settings().database_url, file)
    typer.echo(f"backed up {pages} pages to {file}; integrity_check ok")


@app.command("restore")
def restore_database(
    file: Annotated[Path, typer.Argument(help="A file written by `ledger backup`.")],
) -> None:
    """Copy a backup over the configured SQLite database (stop the service first)."""
    with ledger_errors():
        pages = backup.restore(file, Settings().database_url)
    typer.echo(f"restored {pages} pages from {file}; run `ledger verify` to check the chain")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8000,
    access_log: Annotated[
        bool, typer.Option(help="Log every request as one JSON line on stderr.")
    ] = True,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes on the one database (each group-commits its own writes).",
        ),
    ] = 1,
) -> None:
    """Serve the HTTP API with uvicorn (the database must be migrated: ledger db upgrade)."""
    from api import server

    # Each server process reads its settings from the environment it inherits.
    with _environment({} if access_log else {"LEDGER_ACCESS_LOG": "false"}):
        _check_serve_settings()
        shown = f"[{host}]" if ":" in host else host
        processes = "" if workers == 1 else f", {workers} processes"
        typer.echo(f"serving the claims ledger on http://{shown}:{port}{processes} (docs at /docs)")
        server.serve(host, port, workers)


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` set in the environment for the block, as they were afterwards."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _check_serve_settings() -> None:
    """Refuse bad settings before any server process starts (exit 2, the reason on stderr)."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from api.app import require_signing_key
    from api.settings import ApiSettings

    try:
        api_settings = ApiSettings()  # refuse bad tokens or the dev token in production up front
    except ValidationError as error:
        problems = "; ".join(str(e["msg"]) for e in error.errors())
        typer.secho(f"error: API settings: {problems}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=2) from None
    except SettingsError as error:  # a list setting whose value is not JSON
        field = re.search(r'field "(\w+)"', str(error))
        name = f"LEDGER_{field.group(1).upper()}" if field else "a list setting"
        typer.secho(
            f"error: API settings: {name} is not a JSON list: give one like "
            '\'["https://factcheck.example"]\'',
            err=True,
            fg=typer.colors.RED,
        )
        raise typer.Exit(code=2) from None
    try:
        require_signing_key(Settings(), api_settings)
    except RuntimeError as error:
        typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
        raise typer.Exit(code=2) from None


if __name__ == "__main__":
    app()
