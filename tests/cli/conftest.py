"""CLI tests: the ``ledger`` command, run in process with typer's runner or as a real process."""
