"""Hostile input and abuse, round two (issue 28): one test per finding of the probe.

Each test was run on the code before the fix and failed there (docs/reliability.md lists them
with what they showed). Database findings run on both backends (the ``client`` fixture); the
connection-level ones run against a real ``ledger serve``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import stat
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from ledger.domain.anchoring import counting_cap
from ledger.settings import Settings
from ledger_cli.main import app as cli
from tests.support.api_fixtures import (
    CENTRAL,
    READ,
    WRITE,
    api_settings,
    assert_problem,
    head,
    peskov_denial,
    sha256,
)
from tests.support.server import LedgerServer, run_ledger

A_TOKEN, B_TOKEN, AUDIT_TOKEN = "writer-a-token", "writer-b-token", "auditor-token"
TWO_WRITERS = (
    f"writera:read+write:{sha256(A_TOKEN)},writerb:read+write:{sha256(B_TOKEN)},"
    f"auditor:audit:{sha256(AUDIT_TOKEN)},reader:read:{sha256('test-read-token')}"
)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def document(document_id: str, text: str, **fields: Any) -> dict[str, Any]:
    digest = hashlib.sha256(text.encode()).hexdigest()
    return {"document_id": document_id, "language": "en", "sha256": digest, "text": text} | fields


def assert_refused_naming(
    client: TestClient, path: str, payload: dict[str, Any], field: str
) -> None:
    """A 422 problem whose errors name ``field`` (or a field inside it)."""
    problem = assert_problem(client.post(path, json=payload, headers=WRITE), 422)
    assert any(error["field"].startswith(field) for error in problem["errors"]), problem


def encoded_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


# 1. Amplification: the anchors of a pathological quote, and the same quote in a statement.

A_TEXT = "a" * 100_000


def test_anchors_of_a_pathological_quote_are_capped_counted_and_paged(
    client: TestClient,
) -> None:
    assert client.post("/v1/documents", json=document("aaa.txt", A_TEXT), headers=WRITE).is_success
    answer = client.post("/v1/documents/aaa.txt/anchors", json={"exact": "a" * 5000})
    assert answer.status_code == 200
    assert len(answer.content) < 2_000_000, len(answer.content)  # was 985 MB
    found = answer.json()
    assert len(found["occurrences"]) == 100
    assert found["total"] == counting_cap("a" * 5000) == 1000 and found["total_complete"] is False
    assert [o["occurrence"] for o in found["occurrences"]] == list(range(1, 101))
    following = client.post(
        "/v1/documents/aaa.txt/anchors", json={"exact": "a" * 5000, "after": found["next"]}
    ).json()
    assert following["occurrences"][0]["occurrence"] == 101
    assert following["occurrences"][0]["position"] == {"start": 100, "end": 5100}
    one = client.post("/v1/documents/aaa.txt/anchors", json={"exact": "a", "limit": 3}).json()
    assert [o["position"]["start"] for o in one["occurrences"]] == [0, 1, 2]
    assert one["next"] == 3
    few = client.post("/v1/documents/aaa.txt/anchors", json={"exact": "b"}).json()
    assert few["occurrences"] == [] and few["total"] == 0 and few["total_complete"] is True
    assert few["next"] is None


def test_a_pathological_quote_in_a_statement_is_refused_within_the_cap(
    client: TestClient,
) -> None:
    text = "peskov " + A_TEXT
    assert client.post("/v1/documents", json=document("aaa.txt", text), headers=WRITE).is_success
    before = head(client)
    statement = peskov_denial(
        conduit=["peskov"], source={"document": "aaa.txt", "quote": {"exact": "a" * 5000}}
    )
    problem = assert_problem(client.post("/v1/statements", json=statement, headers=WRITE), 422)
    assert "occurs 1,000 times or more" in problem["detail"]
    assert len(problem["occurrences"]) <= 20
    assert head(client) == before


# 2. Keys, ids and language tags are matched in full: no trailing newline.


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/v1/actors", {"key": "peskov\n", "name": "Peskov", "kind": "person"}, "key"),
        ("/v1/claims", {"key": "new-claim\n", "propositions": {"en": "x"}}, "key"),
        ("/v1/claims", {"key": "new-claim", "propositions": {"en\n": "x"}}, "propositions"),
        ("/v1/stories", {"key": "story\n", "title": "A story"}, "key"),
        ("/v1/documents", document("new.txt\n", "text"), "document_id"),
        ("/v1/documents", document("new.txt", "text", language="en\n"), "language"),
    ],
)
def test_keys_ids_and_language_tags_with_a_trailing_newline_are_refused(
    client: TestClient, path: str, payload: dict[str, Any], field: str
) -> None:
    before = head(client)
    assert_refused_naming(client, path, payload, field)
    statement = client.post("/v1/statements", json=peskov_denial(actor="peskov\n"), headers=WRITE)
    assert_problem(statement, 422)
    assert head(client) == before


# 3. The integrity walk needs the audit (or write) scope; others get the last result.


def test_anonymous_verify_reads_the_last_result_and_walks_nothing(
    seeded_settings: Settings,
) -> None:
    with TestClient(create_app(seeded_settings, api_settings(api_tokens=TWO_WRITERS))) as client:
        never = client.get("/v1/audit/verify").json()
        assert never["ok"] is None and never["verified_at"] is None
        walked = client.get("/v1/audit/verify", headers=bearer(AUDIT_TOKEN)).json()
        assert walked["ok"] is True and walked["checked"] == head(client)
        assert walked["verified_at"] is not None
        actor = {"key": "new-actor", "name": "New", "kind": "person"}
        assert client.post("/v1/actors", json=actor, headers=bearer(A_TOKEN)).is_success
        stored = client.get("/v1/audit/verify").json()
        assert stored == walked  # the stored result: the new event was not walked
        assert client.get("/v1/audit/verify", headers=READ).json() == walked
        fresh = client.get("/v1/audit/verify", headers=bearer(B_TOKEN)).json()
        assert fresh["checked"] == walked["checked"] + 1


# 4. A forged cursor is a 4xx naming the cursor.

FORGED = [
    {"list": "claims", "after": {"x": 1}},
    {"list": "claims", "after": [1, 2]},
    {"list": "claims", "after": "a", "extra": 1},
    {"list": "claims", "after": "x" * 5000},
    {"list": "statements", "after": 2**70},
]


@pytest.mark.parametrize("path", ["claims", "statements", "actors", "documents", "stories"])
def test_forged_cursors_are_refused_naming_the_cursor(client: TestClient, path: str) -> None:
    wrong_type = "abc" if path in ("statements", "documents") else 7  # a key for a position
    for forged in [*FORGED, {"list": path, "after": wrong_type}]:
        cursor = encoded_cursor({**forged, "list": path})
        response = client.get(f"/v1/{path}", params={"cursor": cursor})
        assert response.status_code in (400, 422), (forged, response.status_code)
        problem = assert_problem(response, response.status_code)
        assert "cursor" in problem["detail"]


# 5. Idempotency-Keys are scoped by the token.


def test_idempotency_keys_are_scoped_by_token(seeded_settings: Settings) -> None:
    with TestClient(create_app(seeded_settings, api_settings(api_tokens=TWO_WRITERS))) as client:
        key = {"Idempotency-Key": "shared-key-1"}
        first = {"key": "actor-a", "name": "A", "kind": "person"}
        second = {"key": "actor-b", "name": "B", "kind": "person"}
        a = client.post("/v1/actors", json=first, headers=bearer(A_TOKEN) | key)
        b = client.post("/v1/actors", json=second, headers=bearer(B_TOKEN) | key)
        assert a.status_code == b.status_code == 201, b.text
        assert a.json()["event_id"] != b.json()["event_id"]
        again = client.post("/v1/actors", json=first, headers=bearer(A_TOKEN) | key)
        assert again.json()["event_id"] == a.json()["event_id"]

        recorded = client.post("/v1/statements", json=peskov_denial(), headers=bearer(A_TOKEN))
        target = recorded.headers["Location"] + "/retractions"
        retraction = {"reason": "misread", "basis": "ledger_error"}
        retry = {"Idempotency-Key": "retraction-1"}
        mine = client.post(target, json=retraction, headers=bearer(A_TOKEN) | retry)
        assert mine.status_code == 201
        theirs = client.post(target, json=retraction, headers=bearer(B_TOKEN) | retry)
        assert theirs.status_code == 409, theirs.text  # was 201 with writer A's event
        assert "writera" not in theirs.text
        event_id = {"event_id": mine.json()["event_id"]}  # public in /v1/events
        by_id = client.post(target, json=retraction | event_id, headers=bearer(B_TOKEN))
        assert_problem(by_id, 422)  # another writer's stored event is not B's retry
        assert client.post(target, json=retraction | event_id, headers=bearer(A_TOKEN)).is_success


# 6 and 11 (the connection-level ones): a real server with short deadlines.


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("strict")
    server = LedgerServer(
        f"sqlite:///{folder / 'ledger.db'}",
        folder,
        LEDGER_API_TOKENS=TWO_WRITERS,
        LEDGER_BODY_TIMEOUT_SECONDS="1",
        LEDGER_HEADER_TIMEOUT_SECONDS="1",
        LEDGER_FEED_MAX_PER_CLIENT="2",
    )
    run_ledger(server.env, "db", "upgrade")
    run_ledger(server.env, "seed")
    with server:
        yield server.base


def raw_exchange(base: str, request: bytes, *, wait: float = 5.0) -> bytes:
    """Send raw bytes; what the server answered (b'' if it closed), or TimeoutError."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as connection:
        connection.sendall(request)
        chunks = []
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and _complete(b"".join(chunks)):
                return b"".join(chunks)


def _complete(answer: bytes) -> bool:
    head_part, _, body = answer.partition(b"\r\n\r\n")
    for line in head_part.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def status_and_type(answer: bytes) -> tuple[int, str]:
    lines = answer.split(b"\r\n")
    headers = dict(
        (n.strip().lower(), v.strip()) for n, _, v in (line.partition(b":") for line in lines[1:])
    )
    return int(lines[0].split()[1]), headers.get(b"content-type", b"").decode()


def test_the_token_is_checked_before_the_body_is_read(strict_server: str) -> None:
    request = (
        b"POST /v1/statements HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1048575\r\n\r\n"
    )
    answer = raw_exchange(strict_server, request, wait=0.9)  # under the body deadline
    assert status_and_type(answer) == (401, "application/problem+json")


def test_a_body_that_never_comes_is_cut_off(strict_server: str) -> None:
    request = (
        f"POST /v1/actors HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {A_TOKEN}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    ).encode()
    answer = raw_exchange(strict_server, request, wait=5)
    assert status_and_type(answer) == (408, "application/problem+json")


def test_headers_that_never_end_are_cut_off(strict_server: str) -> None:
    started = time.monotonic()
    answer = raw_exchange(strict_server, b"GET /v1/claims HTTP/1.1\r\nHost: x\r\n", wait=5)
    assert time.monotonic() - started < 5
    assert answer == b"" or status_and_type(answer)[0] == 408


def test_live_feeds_are_limited_per_client(strict_server: str) -> None:
    with ExitStack() as stack, httpx.Client(base_url=strict_server, timeout=5) as http:
        for _ in range(2):
            feed = stack.enter_context(http.stream("GET", "/v1/events/stream", headers=READ))
            assert feed.status_code == 200
        refused = http.get("/v1/events/stream", headers=READ)
        assert_problem(refused, 429)
        assert "Retry-After" in refused.headers
        other = stack.enter_context(http.stream("GET", "/v1/events/stream", headers=bearer(A_TOKEN)))
        assert other.status_code == 200  # another client (token) has its own allowance
    with httpx.Client(base_url=strict_server, timeout=5) as http:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # the closed feeds give their places back
            with http.stream("GET", "/v1/events/stream", headers=READ) as again:
                if again.status_code == 200:
                    break
            time.sleep(0.1)
        assert again.status_code == 200


def test_the_servers_own_400s_are_problems(strict_server: str) -> None:
    bad_length = b"POST /v1/actors HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"
    assert status_and_type(raw_exchange(strict_server, bad_length)) == (
        400,
        "application/problem+json",
    )
    garbage = b"\x16\x03\x01 not http\r\n\r\n"
    assert status_and_type(raw_exchange(strict_server, garbage)) == (
        400,
        "application/problem+json",
    )


def test_two_authorization_headers_are_refused(strict_server: str) -> None:
    request = (
        f"GET /v1/claims HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {A_TOKEN}\r\n"
        f"Authorization: Bearer nonsense\r\nConnection: close\r\n\r\n"
    ).encode()
    assert status_and_type(raw_exchange(strict_server, request)) == (
        400,
        "application/problem+json",
    )


# 7. Unknown query parameters, on every route, writes included.

UNKNOWN_QUERIES = [
    ("GET", "/v1/events"),
    ("GET", "/v1/events/stream"),
    ("GET", "/v1/audit/verify"),
    ("GET", "/v1/audit/checkpoints"),
    ("GET", "/v1/export/events.jsonl"),
    ("GET", "/healthz"),
    ("POST", "/v1/actors"),
    ("POST", "/v1/documents/000_439eb0cae6d670e2.txt/anchors"),
]


def test_unknown_query_parameters_are_refused_everywhere(client: TestClient) -> None:
    before = head(client)
    for method, path in UNKNOWN_QUERIES:
        body = (
            {"key": "bogus-actor", "name": "B", "kind": "person"}
            if path == "/v1/actors"
            else {"exact": "Peskow"}
        )
        response = client.request(
            method, path, params={"bogus": "1"}, json=body if method == "POST" else None,
            headers=WRITE,
        )
        problem = assert_problem(response, 400)
        assert "bogus" in problem["detail"], path
    assert head(client) == before


# 8. said_at in the future of its document or of the recording.


def dated_statement(value: str) -> dict[str, Any]:
    return peskov_denial(
        conduit=["peskov"],
        said_at={"precision": "day", "value": value},
        source={"document": "dated.txt", "quote": {"exact": "denied it"}},
    )


def test_said_at_later_than_the_document_or_the_recording_is_refused(client: TestClient) -> None:
    text = document("dated.txt", "Peskov denied it.", dated="2024-10-25")
    assert client.post("/v1/documents", json=text, headers=WRITE).status_code == 201
    before = head(client)
    for value in ["9999-12-31", "2024-10-27", "2099-01-01"]:
        problem = assert_problem(
            client.post("/v1/statements", json=dated_statement(value), headers=WRITE), 422
        )
        assert problem["errors"][0]["field"].startswith("said_at"), problem
    assert head(client) == before
    for value in ["2024-10-26", "2024-10-25"]:  # a day of slack for time zones
        assert client.post("/v1/statements", json=dated_statement(value), headers=WRITE).is_success
    future = peskov_denial(said_at={"precision": "year", "value": "2999"})
    problem = assert_problem(client.post("/v1/statements", json=future, headers=WRITE), 422)
    assert problem["errors"][0]["field"].startswith("said_at")


# 9. Bidi controls and invisible format characters.

RLO, PDF, RLI, PDI = "\u202e", "\u202c", "\u2067", "\u2069"


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/v1/actors", {"key": "rlo", "name": f"Peskov{RLO}lanif", "kind": "person"}, "name"),
        ("/v1/actors", {"key": "zw", "name": "Pes\u200bkov", "kind": "person"}, "name"),
        ("/v1/actors", {"key": "lrm", "name": "Peskov\u200e", "kind": "person"}, "name"),
        ("/v1/stories", {"key": "s", "title": f"{RLI}title"}, "title"),
        ("/v1/actors", {"key": "n", "name": "N", "kind": "person", "note": f"x{RLO}y"}, "note"),
        ("/v1/stories", {"key": "s", "title": "t", "description": f"{RLI}x"}, "description"),
        ("/v1/claims", {"key": "c", "propositions": {"en": f"{RLO}x"}}, "propositions"),
    ],
)
def test_bidi_controls_are_refused_in_names_and_unbalanced_in_free_text(
    client: TestClient, path: str, payload: dict[str, Any], field: str
) -> None:
    before = head(client)
    assert_refused_naming(client, path, payload, field)
    assert head(client) == before


def test_bidi_controls_closed_within_free_text_are_kept_as_given(client: TestClient) -> None:
    note = f"he said {RLI}שלום{PDI} and {RLO}olleh{PDF}, then left"
    response = client.post("/v1/statements", json=peskov_denial(note=note), headers=WRITE)
    assert response.status_code == 201, response.text
    assert client.get(response.headers["Location"]).json()["current"]["note"] == note
    answer = client.post("/v1/statements", json=peskov_denial(note=f"{RLO}x"), headers=WRITE)
    assert_problem(answer, 422)


# 10. Key files are 0600, created or replaced.


def test_a_replaced_key_file_is_0600(tmp_path: Path) -> None:
    path = tmp_path / "signing.key"
    path.write_text("old\n")
    path.chmod(0o644)
    result = CliRunner().invoke(cli, ["keys", "generate", "--out", str(path), "--force"])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() != "old\n"
    fresh = tmp_path / "new" / "signing.key"
    assert CliRunner().invoke(cli, ["keys", "generate", "--out", str(fresh)]).exit_code == 0
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600


# 11. The API's own documentation and headers.


def test_the_docs_page_is_served_from_the_package_under_the_csp(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "Content-Security-Policy" in page.headers
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    assert "<script>" not in page.text  # no inline script: the CSP would block it
    for asset in ("/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/docs/swagger-init.js"):
        answer = client.get(asset)
        assert answer.status_code == 200, asset
        assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_docs_and_openapi_follow_reads_require_token(seeded_settings: Settings) -> None:
    app = create_app(seeded_settings, api_settings(reads_require_token=True))
    with TestClient(app) as client:
        for path in ("/docs", "/openapi.json"):
            assert_problem(client.get(path), 401)
            assert client.get(path, headers=READ).status_code == 200


def test_every_answer_says_nosniff(client: TestClient) -> None:
    for response in (
        client.get("/v1/claims"),
        client.get(f"/v1/claims/{CENTRAL}"),
        client.get("/v1/claims/no-such-claim"),
        client.post("/v1/actors", json={}),
        client.get("/openapi.json"),
        client.get("/healthz"),
        client.get("/no/such/route"),
    ):
        assert response.headers.get("X-Content-Type-Options") == "nosniff", response.url
