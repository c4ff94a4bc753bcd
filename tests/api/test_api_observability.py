"""Operating the service: /metrics in Prometheus format, JSON access logs, the instant feed."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from ledger.bootstrap import open_app
from ledger.domain.events import ActorRegistered
from ledger.settings import Settings
from tests.support.api_fixtures import (
    API_TOKENS,
    READ,
    WRITE,
    WRITE_TOKEN,
    api_settings,
    head,
    peskov_denial,
    sha256,
    sse_events,
)


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient, **headers: str) -> Samples:
    """Every sample of /metrics, parsed by prometheus-client's own parser."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_parse_and_move_with_requests_and_writes(client: TestClient) -> None:
    before = scrape(client)
    assert value(before, "ledger_log_head_position") == head(client)
    assert value(before, "ledger_projection_lag_events") == 0
    assert ("ledger_checkpoint_size", ()) not in before  # no checkpoints on this ledger
    for _ in range(3):
        assert client.post("/v1/statements", json=peskov_denial(), headers=WRITE).status_code == 201
    assert client.post("/v1/statements", json={}, headers=WRITE).status_code == 422
    assert client.post("/v1/statements", json=peskov_denial()).status_code == 401
    client.get("/v1/claims/nope")
    after = scrape(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    route = {"method": "POST", "route": "/v1/statements"}
    assert moved("ledger_http_requests_total", **route, status="201") == 3
    assert moved("ledger_http_requests_total", **route, status="422") == 1
    claim = {"method": "GET", "route": "/v1/claims/{key}", "status": "404"}
    assert moved("ledger_http_requests_total", **claim) == 1
    assert moved("ledger_http_request_duration_seconds_count", method="POST", route=route["route"]) == 5
    assert moved("ledger_writes_refused_total", reason="invalid-input") == 1
    assert moved("ledger_writes_refused_total", reason="unauthenticated") == 1
    assert moved("ledger_append_duration_seconds_count") >= 3
    assert moved("ledger_group_commit_batch_size_count") >= 3
    assert moved("ledger_group_commit_batch_size_sum") >= 3
    assert moved("ledger_log_head_position") == 3


def test_metrics_count_connected_feed_clients(client: TestClient) -> None:
    assert value(scrape(client), "ledger_feed_clients") == 0
    with client.stream("GET", "/v1/events/stream", params={"after": 0}) as response:
        next(response.iter_lines())
        assert value(scrape(client), "ledger_feed_clients") == 1


def test_metrics_can_require_a_metrics_token(seeded_settings: Settings) -> None:
    scraper = "scraper-token"
    settings = api_settings(
        metrics_require_token=True, api_tokens=f"{API_TOKENS},prom:metrics:{sha256(scraper)}"
    )
    with TestClient(create_app(seeded_settings, settings)) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers=READ).status_code == 403
        assert scrape(client, Authorization=f"Bearer {scraper}")


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [
        getattr(record, "fields")
        for record in caplog.records
        if record.name == "ledger.access"
    ]


def test_each_request_logs_one_line_with_its_id_and_token_name_only(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ledger.access")
    body = peskov_denial()
    response = client.post("/v1/statements", json=body, headers=WRITE)
    own = client.get("/v1/claims/nope", headers={"X-Request-ID": "trace-42"})
    odd = client.get("/healthz", headers={"X-Request-ID": "no spaces; or quotes"})
    lines = access_lines(caplog)
    assert [line["route"] for line in lines] == ["/v1/statements", "/v1/claims/{key}", "/healthz"]
    written, missing, health = lines
    assert written["request_id"] == response.headers["X-Request-ID"]
    assert written["status"] == 201 and written["token"] == "writer"
    assert written["method"] == "POST" and written["duration_ms"] > 0
    assert missing == missing | {"request_id": "trace-42", "status": 404, "token": None}
    assert own.headers["X-Request-ID"] == "trace-42"
    assert health["request_id"] == odd.headers["X-Request-ID"] != "no spaces; or quotes"
    text = "\n".join(json.dumps(line) for line in lines)
    assert WRITE_TOKEN not in text and body["source"]["quote"]["exact"] not in text


def test_a_write_reaches_the_feed_without_waiting_for_a_poll(seeded_settings: Settings) -> None:
    """The poll interval is a minute: only the wake-up can deliver within the test's time."""
    with TestClient(create_app(seeded_settings, api_settings(feed_poll_seconds=60))) as client:
        arrived = follow_one_append(client, lambda: client.post(
            "/v1/statements", json=peskov_denial(), headers=WRITE
        ))
    assert arrived < 5


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_another_process_append_reaches_the_feed_by_notify(seeded_settings: Settings) -> None:
    """A second ledger on the same PostgreSQL database stands in for another process."""
    with TestClient(create_app(seeded_settings, api_settings(feed_poll_seconds=60))) as client:
        listener_ready(client)
        other = open_app(seeded_settings)
        try:
            arrived = follow_one_append(client, lambda: other.ledger.register_actor(
                ActorRegistered(key="someone-else", name="Someone Else", kind="person")
            ))
        finally:
            other.close()
    assert arrived < 5


def listener_ready(client: TestClient) -> None:
    for _ in range(100):
        thread = [t for t in threading.enumerate() if t.name == "ledger-listen"]
        if thread:
            time.sleep(0.2)  # LISTEN issued on connect
            return
        time.sleep(0.05)
    raise AssertionError("no LISTEN thread started")


def follow_one_append(client: TestClient, append: Any) -> float:
    """Seconds from the append's answer to its arrival on the feed."""
    tail = head(client)
    answered: list[float] = []

    def append_soon() -> None:
        time.sleep(0.3)
        append()
        answered.append(time.monotonic())

    writer = threading.Thread(target=append_soon)
    writer.start()
    with client.stream("GET", "/v1/events/stream", params={"after": tail, "limit": 1}) as response:
        events = sse_events(response)
    arrived = time.monotonic()
    writer.join()
    assert [i for i, _ in events] == [tail + 1]
    return arrived - answered[0]
