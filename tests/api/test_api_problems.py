"""Every error is problem+json, never echoes input, and no 4xx ever writes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import get_queries
from ledger.settings import Settings
from tests.support.api_fixtures import WRITE, api_settings, assert_problem, head, peskov_denial
from tests.support.bodies import BAD_BODIES, VALID


JSON = {"Content-Type": "application/json"}
@pytest.mark.parametrize("name", sorted(BAD_BODIES))
def test_bodies_python_would_accept_badly_are_400(client: TestClient, name: str) -> None:
    before = head(client)
    response = client.post(
        "/v1/statements",
        content=BAD_BODIES[name].encode("utf-8", "surrogatepass"),
        headers=WRITE | JSON,
    )
    assert_problem(response, 400)
    assert head(client) == before


def test_invalid_utf8_is_400(client: TestClient) -> None:
    body = VALID.encode().replace(b"Peskov denies", b"Peskov \xff\xfe")
    assert_problem(client.post("/v1/statements", content=body, headers=WRITE | JSON), 400)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (peskov_denial(unexpected="x"), "unexpected"),
        (peskov_denial(stance="MARKER-stance"), "stance"),
        (peskov_denial(claim="MARKER KEY"), "claim"),
        (peskov_denial(conduit=[]), "conduit"),
        (peskov_denial(said_at={"precision": "day", "value": "2024-02-30"}), "said_at"),
        (peskov_denial(event_id="MARKER-not-a-uuid"), "event_id"),
        ([], "(body)"),
    ],
)
def test_invalid_fields_are_422_with_field_errors_and_no_input_echo(
    client: TestClient, body: object, field: str
) -> None:
    before = head(client)
    response = client.post("/v1/statements", json=body, headers=WRITE)
    problem = assert_problem(response, 422)
    assert field in [error["field"] for error in problem["errors"]]
    assert "MARKER" not in response.text
    assert all(set(error) <= {"field", "message", "location"} for error in problem["errors"])
    assert head(client) == before


def test_instants_out_of_range_are_422_not_500(client: TestClient) -> None:
    before = head(client)
    said_at = {"precision": "instant", "value": "0001-01-01T00:00:00+01:00"}
    response = client.post("/v1/statements", json=peskov_denial(said_at=said_at), headers=WRITE)
    assert_problem(response, 422)
    assert head(client) == before
    as_of = {"as_of": "0001-01-01T00:00:00+01:00"}
    assert_problem(client.get("/v1/claims", params=as_of), 422)
    window = {"from": "2024-10-24", "to": "9999-12-31T23:59:59-05:00"}
    assert_problem(client.get("/v1/replay", params=window), 422)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
def test_other_media_types_are_415(client: TestClient, content_type: str) -> None:
    before = head(client)
    response = client.post(
        "/v1/statements", content=VALID.encode(), headers=WRITE | {"Content-Type": content_type}
    )
    assert_problem(response, 415)
    assert head(client) == before


def test_a_body_without_a_content_type_is_415(client: TestClient) -> None:
    response = client.post("/v1/statements", content=VALID.encode(), headers=WRITE)
    assert "content-type" not in response.request.headers
    assert_problem(response, 415)


def test_an_empty_body_is_422(client: TestClient) -> None:
    assert_problem(client.post("/v1/statements", content=b"", headers=WRITE | JSON), 422)


def test_a_declared_oversized_body_is_413(client: TestClient) -> None:
    body = json.dumps(peskov_denial(note="x" * (1024 * 1024)))
    before = head(client)
    assert_problem(client.post("/v1/statements", content=body, headers=WRITE | JSON), 413)
    assert head(client) == before


def test_a_streamed_oversized_body_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"note": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    response = client.post("/v1/statements", content=chunks(), headers=WRITE | JSON)
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)


def test_query_errors_are_422_problems(client: TestClient) -> None:
    problem = assert_problem(client.get("/v1/events", params={"limit": 0}), 422)
    assert problem["errors"][0] == {
        "field": "limit",
        "message": problem["errors"][0]["message"],
        "location": "query",
    }
    assert_problem(client.get("/v1/statements/not-a-uuid"), 422)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/claims/a%00b",
        "/v1/claims/a%00/history",
        "/v1/claims/%ED%A0%80",
        "/v1/actors/a%00",
        "/v1/documents/x%00.txt",
        "/v1/replay?from=2024-10-24&to=2024-10-26&claim=a%00",
        "/v1/claims?as_of=2024-10-24%00",
    ],
)
def test_nul_and_bad_bytes_in_paths_and_queries_are_422(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert_problem(response, 422)
    assert "\\x00" not in response.text and "\\u0000" not in response.text


def test_unknown_routes_and_methods_are_problems(client: TestClient) -> None:
    assert assert_problem(client.get("/v1/nothing"), 404)["type"] == "about:blank"
    response = client.delete("/v1/claims")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_an_unexpected_error_is_a_500_problem_without_details(seeded_settings: Settings) -> None:
    app = create_app(seeded_settings, api_settings())

    def broken() -> None:
        raise RuntimeError("secret internals")

    app.dependency_overrides[get_queries] = broken
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/v1/claims")
    assert_problem(response, 500)
    assert "secret" not in response.text
