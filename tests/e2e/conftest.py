"""End-to-end tests: a real ``ledger serve`` (the root's ``server`` fixture) over HTTP."""
