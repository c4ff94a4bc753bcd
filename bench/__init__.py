"""Benchmarks: the ledger against the raw database drivers, measured in the same run."""
