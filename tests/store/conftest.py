"""Store tests: the event store, migrations, projections, replay and archives on each backend.

The database fixtures (``database_url``, ``store``, ``app``, ``seeded_app``) are the root's.
"""
