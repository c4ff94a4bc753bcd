"""Settings for every entry point, read once from the environment (prefix ``LEDGER_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def project_root() -> Path:
    """The source checkout when running from one, else the working directory (an install)."""
    return PROJECT_ROOT if (PROJECT_ROOT / "pyproject.toml").exists() else Path.cwd()


def default_database_url() -> str:
    """An SQLite file under the project's ``var/`` folder."""
    return f"sqlite:///{project_root() / 'var' / 'ledger.db'}"


class Settings(BaseSettings):
    """The ledger's configuration; pass an instance in, never read the environment elsewhere."""

    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")

    database_url: str = default_database_url()
    sqlite_busy_timeout_ms: int = 10_000
    seed_file: Path = project_root() / "seeds" / "story.yaml"
    # PostgreSQL streaming replicas for the read routes: one URL, or several (commas/spaces).
    read_database_url: str = ""
    # How long a read with min_position waits for a replica before the primary answers it.
    read_wait_ms: int = 200
    # The Ed25519 key that signs checkpoints (`ledger keys generate`): a file, never the database.
    # Without it the ledger keeps its tree but signs nothing; production refuses to start.
    signing_key_file: Path | None = None
    # The checkpoints' origin line; by default the signing key's name.
    log_origin: str | None = None
    # The witnesses asked to cosign every checkpoint, and the quorum (docs/audit.md): a file.
    witness_policy: Path | None = None
    # How often the server signs a checkpoint when the log has grown (0: only on demand).
    checkpoint_interval_seconds: float = 5.0
