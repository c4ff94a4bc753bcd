"""Crashes: SIGKILL the server mid-load, restart it, and lose nothing that was acknowledged.

Each round starts ``ledger serve``, has 4 clients append as fast as they can while logging every
acknowledgement, and kills the server with SIGKILL at a random moment. After every round the
database is audited (``reliability_checks.audit_ledger``); at the end the appends that were in
flight at a kill are retried with their Idempotency-Key and must be stored exactly once.
``make test`` runs 20 rounds per backend; ``make soak`` 100. The seed is printed (and taken from
``LEDGER_CRASH_SEED``) so a failing round can be replayed.
"""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from api.deps import idempotency_scope
from ledger.service import event_id_for
from ledger.settings import Settings
from tests.support.api_fixtures import peskov_denial
from tests.support.reliability_checks import audit_ledger
from tests.support.server import LedgerServer, Outcomes, post_statement, scaled


ROUNDS = scaled(20, 100)
CLIENTS = 4
KILL_AFTER = (0.05, 0.6)  # seconds of load before the SIGKILL, drawn per round
MAX_APPENDS_PER_CLIENT = 2_000  # per round: the load stops by itself


class CrashClient(threading.Thread):
    """Appends until the server dies under it; remembers the append that was in flight."""

    def __init__(self, base: str, name: str, outcomes: Outcomes) -> None:
        super().__init__(daemon=True)
        self.base, self.name, self.outcomes = base, name, outcomes
        self.in_flight: tuple[str, dict[str, Any]] | None = None

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as http:
            for n in range(MAX_APPENDS_PER_CLIENT):
                key, body = f"{self.name}-{n}", peskov_denial(note=f"crash load {self.name} {n}")
                try:
                    response = post_statement(http, body, key=key)
                except httpx.TransportError:
                    self.in_flight = (key, body)
                    return
                self.outcomes.record(response, key=key)
                if response.status_code != 201:
                    self.outcomes.note(f"{key}: {response.status_code} {response.text[:200]}")


def crash_round(
    server: LedgerServer, round_: int, rng: random.Random, outcomes: Outcomes
) -> list[tuple[str, dict[str, Any]]]:
    """One start, load, SIGKILL; the appends in flight when it died."""
    base = server.start()
    clients = [CrashClient(base, f"r{round_}c{c}", outcomes) for c in range(CLIENTS)]
    for client in clients:
        client.start()
    time.sleep(rng.uniform(*KILL_AFTER))
    server.kill()
    for client in clients:
        client.join(timeout=60)
    return [client.in_flight for client in clients if client.in_flight is not None]


def test_acknowledged_appends_survive_sigkill_at_random_moments(
    seeded_settings: Settings, tmp_path: Path
) -> None:
    seed = int(os.environ.get("LEDGER_CRASH_SEED", time.time_ns() % 1_000_000))
    rng, outcomes = random.Random(seed), Outcomes()
    server = LedgerServer(seeded_settings.database_url, tmp_path)
    in_flight: list[tuple[str, dict[str, Any]]] = []
    for round_ in range(ROUNDS):
        in_flight += crash_round(server, round_, rng, outcomes)
        # after every kill, before the restart; the projections' rebuild every fifth round
        audit_ledger(seeded_settings, outcomes.acks, rebuild=round_ % 5 == 4)

    committed_unacknowledged, retried = retry_in_flight(server, in_flight, seeded_settings)
    audit = audit_ledger(seeded_settings, outcomes.acks + retried)

    assert not outcomes.unexpected, outcomes.unexpected[:10]
    assert len(outcomes.acks) > ROUNDS, "the load barely ran: the kills proved little"
    print(
        f"\nseed {seed}: {ROUNDS} SIGKILLs, {len(outcomes.acks)} acknowledged appends, "
        f"{len(in_flight)} in flight at a kill ({committed_unacknowledged} of them committed), "
        f"{audit.events} events checked, 0 lost, 0 twice"
    )


def retry_in_flight(
    server: LedgerServer, in_flight: list[tuple[str, dict[str, Any]]], settings: Settings
) -> tuple[int, list[dict[str, Any]]]:
    """Send each interrupted append again with its key: it must be stored, and only once."""
    stored_before = {str(e.event_id) for e in audit_ledger(settings, [], rebuild=False).log}
    scope = idempotency_scope("writer")  # the server's token (tests.support.api_fixtures.API_TOKENS)
    committed = sum(str(event_id_for(key, None, scope)) in stored_before for key, _ in in_flight)
    acks = []
    with server, httpx.Client(base_url=server.base, timeout=30) as http:
        for key, body in in_flight:
            response = post_statement(http, body, key=key)
            assert response.status_code == 201, response.text
            acks.append(response.json())
    return committed, acks
