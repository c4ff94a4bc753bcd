"""Concurrency over HTTP against a real ``ledger serve``: racing writers lose and duplicate nothing.

16 writers race read-then-append cycles on one claim with If-Match, retrying on 412; 16 more
append to claims of their own; a reader follows ``/v1/events?after=`` all along. Then the same
Idempotency-Key is sent by 4 clients at once, through two server processes on one database.
``make test`` runs 16 x 20 cycles; ``make soak`` (LEDGER_SOAK=1) 16 x 100.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.settings import Settings
from tests.support.api_fixtures import CENTRAL, peskov_denial
from tests.support.reliability_checks import audit_ledger, prefix_of
from tests.support.server import (
    WRITE,
    LedgerServer,
    Outcomes,
    post_statement,
    read_whole_log,
    scaled,
)


WRITERS = 16
CYCLES = scaled(20, 100)
MAX_ATTEMPTS = 2_000  # per cycle: a writer that never wins is a bug, not a hang
RACES = scaled(12, 60)


@pytest.fixture
def server(seeded_settings: Settings, tmp_path: Path) -> Iterator[LedgerServer]:
    with LedgerServer(seeded_settings.database_url, tmp_path) as running:
        yield running


def hot_writer(base: str, writer: int, outcomes: Outcomes) -> None:
    """Read the claim's version, append with If-Match; on 412 read again and retry."""
    with httpx.Client(base_url=base, timeout=60) as http:
        for cycle in range(CYCLES):
            for _ in range(MAX_ATTEMPTS):
                tag = http.get(f"/v1/claims/{CENTRAL}").headers["ETag"]
                body = peskov_denial(note=f"hot writer {writer}, cycle {cycle}")
                response = post_statement(http, body, key=f"hot-{writer}-{cycle}", if_match=tag)
                outcomes.record(response, expected=int(tag.strip('"')), hot=True)
                if response.status_code != 412:
                    if response.status_code != 201:
                        outcomes.note(f"hot {writer}.{cycle}: {response.status_code}")
                    break
            else:
                outcomes.note(f"hot {writer}.{cycle}: never won in {MAX_ATTEMPTS} attempts")


def own_claim_writer(base: str, writer: int, outcomes: Outcomes) -> None:
    """Append to a claim no one else writes: If-Match should never fail."""
    claim = f"reliability-claim-{writer}"
    with httpx.Client(base_url=base, timeout=60) as http:
        for cycle in range(CYCLES):
            tag = http.get(f"/v1/claims/{claim}").headers["ETag"]
            body = peskov_denial(claim=claim, note=f"own writer {writer}, cycle {cycle}")
            response = post_statement(http, body, key=f"own-{writer}-{cycle}", if_match=tag)
            outcomes.record(response, expected=int(tag.strip('"')), hot=False)
            if response.status_code != 201:
                outcomes.note(f"own {writer}.{cycle}: {response.status_code} {response.text}")


class Follower(threading.Thread):
    """Pages through ``/v1/events?after=`` until told to stop, then reads to the end once."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base, self.polls = base, 0
        self.seen: list[dict[str, Any]] = []
        self.seen_during_load = 0
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=60) as http:
            after = 0
            while True:
                stopping = self.stop.is_set()
                page = http.get("/v1/events", params={"after": after, "limit": 200}).json()
                self.seen.extend(page["events"])
                after, self.polls = page["next"], self.polls + 1
                if not stopping:
                    self.seen_during_load = len(self.seen)
                if stopping and not page["has_more"]:
                    return
                if not page["has_more"]:
                    time.sleep(0.05)


def register_claims(base: str) -> None:
    with httpx.Client(base_url=base, timeout=30) as http:
        for writer in range(WRITERS):
            claim = {
                "key": f"reliability-claim-{writer}",
                "proposition_en": f"Reliability claim {writer}.",
                "proposition_de": f"Zuverlässigkeitsbehauptung {writer}.",
            }
            assert http.post("/v1/claims", json=claim, headers=WRITE).status_code == 201


def test_racing_writers_over_http_lose_and_duplicate_nothing(
    server: LedgerServer, seeded_settings: Settings
) -> None:
    register_claims(server.base)
    with httpx.Client(base_url=server.base) as http:
        start_version = int(http.get(f"/v1/claims/{CENTRAL}").headers["ETag"].strip('"'))
    outcomes, follower = Outcomes(), Follower(server.base)
    follower.start()
    threads = [
        threading.Thread(target=work, args=(server.base, writer, outcomes))
        for writer in range(WRITERS)
        for work in (hot_writer, own_claim_writer)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    elapsed = time.monotonic() - started
    follower.stop.set()
    follower.join(timeout=60)
    server.stop()

    assert not outcomes.unexpected, outcomes.unexpected[:10]
    hot = [ack for ack in outcomes.acks if ack["hot"]]
    own = [ack for ack in outcomes.acks if not ack["hot"]]
    assert len(hot) == len(own) == WRITERS * CYCLES
    conflicts = outcomes.statuses[412]
    assert conflicts > 0, "no writer ever lost a race: the race did not run"
    assert set(outcomes.statuses) == {201, 412}
    assert all(ack["version"] == ack["expected"] + 1 for ack in outcomes.acks)
    assert sorted(ack["version"] for ack in hot) == list(
        range(start_version + 1, start_version + 1 + WRITERS * CYCLES)
    )
    audit = audit_ledger(seeded_settings, outcomes.acks)
    log = audit.log
    assert follower.seen_during_load > 0 and follower.polls > 1
    assert prefix_of(follower.seen, log) and len(follower.seen) == len(log)
    print(
        f"\n{len(outcomes.acks)} appends acknowledged in {elapsed:.1f} s, {conflicts} answered"
        f" 412, follower polled {follower.polls} times and saw {follower.seen_during_load}"
        f" events during the load; {audit.events} events checked, 0 lost"
    )


def test_one_idempotency_key_sent_by_four_clients_at_once_is_stored_once(
    seeded_settings: Settings, tmp_path: Path
) -> None:
    """Two clients through each of two server processes on one database, per key."""
    first = LedgerServer(seeded_settings.database_url, tmp_path / "a")
    second = LedgerServer(seeded_settings.database_url, tmp_path / "b")
    for server in (first, second):
        server.log.parent.mkdir()
    with first, second:
        answers = [
            race_one_key(f"race-{n}", [first.base, first.base, second.base, second.base], n)
            for n in range(RACES)
        ]
        with httpx.Client(base_url=first.base) as http:
            log = read_whole_log(http)
    for race in answers:
        assert [r.status_code for r in race] == [201] * 4, [r.text for r in race]
        first = race[0].json()  # the same JSON (the stored copy may order keys otherwise)
        assert all(r.json() == first for r in race), differences([r.json() for r in race])
        assert len({r.headers["Location"] for r in race}) == 1
    event_ids = [race[0].json()["event_id"] for race in answers]
    stored = [event["event_id"] for event in log]
    assert all(stored.count(event_id) == 1 for event_id in event_ids)
    audit = audit_ledger(seeded_settings, [race[0].json() for race in answers])
    print(f"\n{RACES} keys x 4 racing clients: {RACES} events stored; {audit.events} checked")


def differences(answers: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """The fields in which the answers to one key differ."""
    keys = set().union(*answers)
    return {
        k: [a.get(k) for a in answers] for k in keys if len({repr(a.get(k)) for a in answers}) > 1
    }


def race_one_key(key: str, bases: list[str], n: int) -> list[httpx.Response]:
    """Four clients send the same key and body at the same instant; half with If-Match."""
    body = peskov_denial(note=f"idempotency race {n}")
    barrier = threading.Barrier(len(bases))
    answers: list[httpx.Response | None] = [None] * len(bases)
    with httpx.Client(base_url=bases[0]) as http:
        tag = http.get(f"/v1/claims/{CENTRAL}").headers["ETag"] if n % 2 else None

    def send(index: int) -> None:
        with httpx.Client(base_url=bases[index], timeout=60) as http:
            http.get("/healthz")  # connect first, so the barrier lines up the POSTs
            barrier.wait(timeout=30)
            answers[index] = post_statement(http, body, key=key, if_match=tag)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bases))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(answer is not None for answer in answers)
    return answers  # type: ignore[return-value]
