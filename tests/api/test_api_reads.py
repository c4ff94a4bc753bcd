"""Reading through the API: the story at points in time, registries, replay, feed, SSE, probes."""

from __future__ import annotations

import base64
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.settings import Settings
from tests.support.api_fixtures import CENTRAL, WRITE, api_settings, head, peskov_denial, sse_events



def claim(client: TestClient, **params: str) -> dict[str, Any]:
    response = client.get(f"/v1/claims/{CENTRAL}", params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_the_central_claim_is_contested_now_with_stances_conduits_and_quotes(
    client: TestClient,
) -> None:
    view = claim(client)
    assert view["state"] == "contested"
    assert "peskov" in view["denied_by"] and "wsj" in view["asserted_by"]
    peskov = next(stance for stance in view["stances"] if stance["actor"] == "peskov")
    assert peskov["stance"] == "denies"
    assert peskov["conduit"][-1] == "peskov"
    assert "Peskow" in peskov["source"]["quote"]["exact"]


def test_as_of_said_time_tells_the_story(client: TestClient) -> None:
    assert claim(client, as_of="2024-10-24")["state"] == "asserted"
    assert claim(client, as_of="2024-10-25")["state"] == "contested"
    assert claim(client, as_of="2024-10-24")["point_in_time"]["as_of"].startswith("2024-10-24T23")


def test_known_at_recorded_time_tells_what_the_ledger_knew(client: TestClient) -> None:
    noon = claim(client, known_at="2024-10-25T12:00:00Z")
    assert noon["state"] != "contested"
    assert "peskov" not in noon["denied_by"]
    assert claim(client, known_at="2024-10-25T19:00:00Z")["state"] == "contested"
    listing = client.get("/v1/claims", params={"known_at": "2024-10-24"}).json()
    assert listing["claims"] == []
    assert listing["point_in_time"]["known_at"].startswith("2024-10-24")


def test_the_claim_list_holds_every_claim(client: TestClient) -> None:
    claims = client.get("/v1/claims").json()["claims"]
    assert CENTRAL in {c["key"] for c in claims}
    assert len(claims) == len({c["key"] for c in claims}) > 5


def test_a_bad_instant_or_unknown_claim_is_a_problem(client: TestClient) -> None:
    bad = client.get(f"/v1/claims/{CENTRAL}", params={"as_of": "2024-13-01"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "as_of"
    missing = client.get("/v1/claims/no-such-claim")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_claim_etag_is_the_stream_version_for_the_current_view(client: TestClient) -> None:
    etag = client.get(f"/v1/claims/{CENTRAL}").headers["ETag"]
    response = client.post("/v1/statements", json=peskov_denial(), headers=WRITE)
    assert etag == f'"{response.json()["version"] - 1}"'
    as_of = client.get(f"/v1/claims/{CENTRAL}", params={"as_of": "2024-10-25"}).headers
    assert as_of["ETag"] not in (etag, f'"{response.json()["version"]}"')  # a tag of its own


def test_claim_history_lists_every_statement_in_order(client: TestClient) -> None:
    history = client.get(f"/v1/claims/{CENTRAL}/history").json()
    positions = [entry["position"] for entry in history["statements"]]
    assert positions == sorted(positions) and len(positions) == 20
    assert client.get("/v1/claims/nope/history").status_code == 404


def test_actors_and_one_actor(client: TestClient) -> None:
    actors = {a["key"]: a for a in client.get("/v1/actors").json()["actors"]}
    assert actors["peskov"]["name"] == "Dmitry Peskov"
    peskov = client.get("/v1/actors/peskov").json()
    assert CENTRAL in peskov["claims"]
    assert len(peskov["statements"]) == actors["peskov"]["statements"]
    assert client.get("/v1/actors/nobody").status_code == 404


def test_documents_give_text_hash_and_anchors(client: TestClient) -> None:
    documents = client.get("/v1/documents").json()["documents"]
    assert len(documents) == 5 and all("text" not in d for d in documents)
    document = client.get("/v1/documents/000_439eb0cae6d670e2.txt").json()
    anchor = document["anchors"][0]["source"]
    start, end = anchor["position"]["start"], anchor["position"]["end"]
    assert document["text"][start:end] == anchor["quote"]["exact"]
    assert len(document["sha256"]) == 64
    assert client.get("/v1/documents/nope.txt").status_code == 404


@pytest.mark.parametrize("axis", ["said", "recorded"])
def test_replay_is_byte_deterministic(client: TestClient, axis: str) -> None:
    params = {"from": "2024-10-24", "to": "2024-10-26", "axis": axis}
    first, second = client.get("/v1/replay", params=params), client.get("/v1/replay", params=params)
    assert first.status_code == 200
    assert first.content == second.content
    steps = first.json()["steps"]
    assert steps and [s["step"] for s in steps] == list(range(1, len(steps) + 1))


def test_replay_of_one_claim_shows_when_it_became_contested(client: TestClient) -> None:
    params = {"from": "2024-10-24", "to": "2024-10-26", "axis": "recorded", "claim": CENTRAL}
    steps = client.get("/v1/replay", params=params).json()["steps"]
    change = next(s for s in steps if s["claim_state"]["after"] == "contested")
    assert change["statement"]["actor"] == "peskov"
    assert change["at"].startswith("2024-10-25T19:00")


def test_replay_refuses_a_window_ending_before_it_starts(client: TestClient) -> None:
    response = client.get("/v1/replay", params={"from": "2024-10-26", "to": "2024-10-24"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "to"


def test_audit_verify_walks_the_chain(client: TestClient) -> None:
    result = client.get("/v1/audit/verify", headers=WRITE).json()
    root = result.pop("root")
    assert result.pop("verified_at") is not None
    assert result == {
        "ok": True,
        "checked": head(client),
        "first_bad_position": None,
        "reason": None,
        "tree_size": head(client),
        "checkpoints_checked": 0,
    }
    assert len(base64.b64decode(root)) == 32


def test_the_feed_pages_in_position_order_with_link_headers(client: TestClient) -> None:
    total, after, seen = head(client), 0, []
    while True:
        response = client.get("/v1/events", params={"after": after, "limit": 50})
        page = response.json()
        seen += [event["position"] for event in page["events"]]
        if not page["has_more"]:
            assert "Link" not in response.headers
            break
        link = response.headers["Link"]
        assert link == f'</v1/events?after={page["next"]}&limit=50>; rel="next"'
        after = page["next"]
    assert seen == list(range(1, total + 1))
    end = client.get("/v1/events", params={"after": total}).json()
    assert end == {"events": [], "after": total, "next": total, "has_more": False}


def test_the_stream_sends_events_with_their_position_as_id(client: TestClient) -> None:
    with client.stream("GET", "/v1/events/stream", params={"limit": 3}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response)
    assert [event_id for event_id, _ in events] == [1, 2, 3]
    assert [data["position"] for _, data in events] == [1, 2, 3]


def test_the_stream_resumes_after_last_event_id_or_after(client: TestClient) -> None:
    headers = {"Last-Event-ID": "40"}
    params = {"limit": 2, "after": 5}
    with client.stream("GET", "/v1/events/stream", params=params, headers=headers) as response:
        assert [i for i, _ in sse_events(response)] == [41, 42]
    with client.stream("GET", "/v1/events/stream", params=params) as response:
        assert [i for i, _ in sse_events(response)] == [6, 7]
    bad = client.get("/v1/events/stream", headers={"Last-Event-ID": "x"})
    assert bad.status_code == 422


def test_the_stream_is_live(client: TestClient) -> None:
    tail = head(client)

    def append_soon() -> None:
        time.sleep(0.3)
        client.post("/v1/statements", json=peskov_denial(), headers=WRITE)

    writer = threading.Thread(target=append_soon)
    writer.start()
    params = {"after": tail, "limit": 1}
    with client.stream("GET", "/v1/events/stream", params=params) as response:
        events = sse_events(response)
    writer.join()
    assert [(i, data["type"]) for i, data in events] == [(tail + 1, "StatementRecorded")]


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready"
    assert all(check["ok"] for check in ready["checks"].values())


def test_readyz_names_unapplied_migrations(empty_database_url: str) -> None:
    with TestClient(create_app(Settings(database_url=empty_database_url), api_settings())) as c:
        response = c.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["detail"] == "failed: migrations"
    assert body["checks"]["database"]["ok"] and not body["checks"]["migrations"]["ok"]


def test_readyz_names_an_unreachable_database(tmp_path: Path) -> None:
    url = "postgresql://ledger:ledger@127.0.0.1:1/nowhere"
    with TestClient(create_app(Settings(database_url=url), api_settings())) as c:
        response = c.get("/readyz")
        assert c.get("/healthz").status_code == 200
    assert response.status_code == 503
    assert response.json()["checks"]["database"]["ok"] is False
    assert "ledger:ledger" not in response.text
