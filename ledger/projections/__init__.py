"""Read models computed from the events alone: registries, statement versions, stances, states."""
