"""The ``ledger`` command: migrations, integrity checks, seeding, replay and the server."""

from __future__ import annotations

import typer

import migrations
from ledger.settings import Settings
from ledger.store import open_store, verify

app = typer.Typer(help="The claims ledger: who said what about which claim, when, and where.")
db_app = typer.Typer(help="The database schema (Alembic migrations).")
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Create or migrate the schema to the latest revision."""
    settings = Settings()
    migrations.upgrade(settings.database_url, revision)
    typer.echo(f"schema at {revision} on {settings.database_url}")


@app.command("verify")
def verify_chain() -> None:
    """Walk the hash chain; exit 1 and name the first bad position if it is broken."""
    store = open_store(Settings())
    try:
        result = verify(store)
    finally:
        store.close()
    if result.ok:
        typer.echo(f"ok: {result.checked} events checked, chain intact")
        return
    typer.echo(
        f"BROKEN at position {result.first_bad_position}: {result.reason} "
        f"({result.checked} events checked)",
        err=True,
    )
    raise typer.Exit(code=1)
