"""The HTTP API over the ledger: thin routes, one error vocabulary, the core does the work."""
