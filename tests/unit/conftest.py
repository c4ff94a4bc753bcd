"""Unit tests: pure functions and the domain's rules, with no database and no server."""
