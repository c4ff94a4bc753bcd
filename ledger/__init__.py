"""The claims ledger's core: events, the append-only store, projections and replay.

It knows nothing of HTTP; ``api`` and ``ledger_cli`` are built on it.
"""
