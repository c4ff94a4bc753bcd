"""API tests: the FastAPI app in process (``client``, ``seeded_settings``: tests.support.api_fixtures)."""
