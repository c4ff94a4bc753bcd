"""The claims domain: actors, claims, documents and the statements that tie them together."""
