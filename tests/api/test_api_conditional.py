"""Conditional reads on every read route: ETag, If-None-Match → 304, Cache-Control, HEAD."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.api_fixtures import CENTRAL, WRITE, peskov_denial


DOCUMENT = "000_439eb0cae6d670e2.txt"
READS = [
    "/healthz",
    "/v1/claims",
    "/v1/claims?as_of=2024-10-24",
    "/v1/claims?known_at=2024-10-25T12:00:00Z",
    f"/v1/claims/{CENTRAL}",
    f"/v1/claims/{CENTRAL}?as_of=2024-10-25&known_at=2024-10-25",
    f"/v1/claims/{CENTRAL}/history",
    "/v1/actors",
    "/v1/actors/peskov",
    "/v1/documents",
    f"/v1/documents/{DOCUMENT}",
    "/v1/events?after=0&limit=10",
    "/v1/replay?from=2024-10-24&to=2024-10-26",
    "/v1/audit/verify",
    f"/v1/claims/{CENTRAL}/export/schema-org",
    f"/v1/documents/{DOCUMENT}/export/annotations?page=0",
    "/v1/export/prov.ttl",
    "/",
]


def test_every_read_route_answers_304_to_its_own_etag_and_supports_head(
    client: TestClient,
) -> None:
    for url in READS:
        first = client.get(url)
        assert first.status_code == 200, url
        tag = first.headers["ETag"]
        assert first.headers["Cache-Control"], url
        again = client.get(url, headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b"", url
        assert again.headers["ETag"] == tag
        weak = client.get(url, headers={"If-None-Match": f'"other", W/{tag}'})
        assert weak.status_code == 304, url
        assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
        head = client.head(url)
        assert head.status_code == 200 and head.content == b"", url
        assert head.headers["ETag"] == tag and head.headers["content-length"] == str(
            len(first.content)
        )


def test_a_write_changes_the_current_etag_and_leaves_a_pinned_view_alone(
    client: TestClient,
) -> None:
    current = f"/v1/claims/{CENTRAL}"
    pinned = f"/v1/claims/{CENTRAL}?known_at=2024-10-25T12:00:00Z"
    said_only = f"/v1/claims/{CENTRAL}?as_of=2024-10-25"
    before = {url: client.get(url) for url in (current, pinned, said_only)}
    assert before[pinned].headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert int(before[pinned].headers["Ledger-Log-Position"]) > 0
    assert before[current].headers["Cache-Control"] == "no-cache"
    assert before[said_only].headers["Cache-Control"] == "no-cache"
    written = client.post("/v1/statements", json=peskov_denial(), headers=WRITE)
    assert written.status_code == 201
    after = {url: client.get(url) for url in (current, pinned, said_only)}
    assert after[current].headers["ETag"] != before[current].headers["ETag"]
    assert after[current].headers["ETag"] == f'"{written.json()["version"]}"'
    assert after[pinned].headers["ETag"] == before[pinned].headers["ETag"]
    assert after[pinned].content == before[pinned].content
    stale = client.get(current, headers={"If-None-Match": before[current].headers["ETag"]})
    assert stale.status_code == 200
    exported = f"/v1/claims/{CENTRAL}/export/prov.ttl"
    tag = client.get(exported).headers["ETag"]
    client.post("/v1/statements", json=peskov_denial(note="again"), headers=WRITE)
    assert client.get(exported, headers={"If-None-Match": tag}).status_code == 200


@pytest.mark.parametrize("url", ["/v1/claims/nope", "/v1/claims?as_of=tomorrow"])
def test_errors_carry_no_etag_and_head_of_an_error_has_its_status(
    client: TestClient, url: str
) -> None:
    response = client.get(url)
    assert response.status_code in (404, 422) and "ETag" not in response.headers
    assert client.head(url).status_code == response.status_code
