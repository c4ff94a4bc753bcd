"""End to end: ``ledger db upgrade``, ``ledger seed``, ``ledger serve`` on a free port, over HTTP."""

from __future__ import annotations

import httpx

from tests.support.api_fixtures import CENTRAL, WRITE_TOKEN, peskov_denial

def test_a_real_server_serves_the_story_and_takes_a_statement(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        assert (
            http.get(f"/v1/claims/{CENTRAL}", params={"as_of": "2024-10-24"}).json()["state"]
            == "asserted"
        )
        current = http.get(f"/v1/claims/{CENTRAL}")
        assert current.json()["state"] == "contested"
        headers = {
            "Authorization": f"Bearer {WRITE_TOKEN}",
            "If-Match": current.headers["ETag"],
            "Idempotency-Key": "e2e-1",
        }
        created = http.post("/v1/statements", json=peskov_denial(), headers=headers)
        assert created.status_code == 201, created.text
        assert http.get(created.headers["Location"]).json()["current"]["actor"] == "peskov"
        stale = http.post(
            "/v1/statements",
            json=peskov_denial(note="x"),
            headers=headers | {"Idempotency-Key": "e2e-2"},
        )
        assert stale.status_code == 412
        walk = {"Authorization": headers["Authorization"]}
        assert http.get("/v1/audit/verify", headers=walk).json()["ok"] is True
        position = created.json()["position"]
        stream = http.get("/v1/events/stream", params={"after": position - 1, "limit": 1})
        assert f"id: {position}" in stream.text
        assert "/v1/statements" in http.get("/openapi.json").json()["paths"]
        assert http.get("/docs").status_code == 200
