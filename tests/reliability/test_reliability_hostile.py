"""Hostile input, table-driven: each request is a 4xx problem+json and the log does not move.

The malformed bodies of ``test_api_problems.BAD_BODIES`` (NaN, Infinity, lone surrogates, NUL,
duplicate keys, huge integers, deep nesting, truncation) are taken from there, not copied; this
table adds what an attacker would try next. Free-text fields are the exception that proves the
rule: SQL metacharacters in a note are a note, stored byte for byte.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.api_fixtures import CENTRAL, WRITE, head, peskov_denial
from tests.support.bodies import BAD_BODIES, VALID
from tests.support.api_fixtures import assert_problem


JSON = {"Content-Type": "application/json"}
TEN_MB = 10 * 1024 * 1024
SQL_METACHARACTERS = [
    "'; DROP TABLE events; --",
    '" OR 1=1 --',
    "%' OR '1'='1",
    "1); DELETE FROM events WHERE (1=1",
    "$$; TRUNCATE events; $$",
    "*/ UNION SELECT hash FROM events /*",
    "\\'; SELECT pg_sleep(5); --",
]
ZERO_WIDTH = "\u200b"
NFD_E = "e\u0301"  # é as e + combining acute: looks like é, is not the key


def body(**changes: Any) -> bytes:
    return json.dumps(peskov_denial(**changes), ensure_ascii=False).encode()


def with_path(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """The valid statement with one value, deep inside it, replaced."""
    statement = copy.deepcopy(peskov_denial())
    target: Any = statement
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return statement


def renamed_key(old: str, new: str) -> bytes:
    return VALID.replace(f'"{old}":', f'"{new}":', 1).encode()


def deep_objects(depth: int) -> bytes:
    return VALID.replace(
        '"note": ', '"note": ' + '{"a": ' * depth + "1" + "}" * depth + ', "x": ', 1
    ).encode()


# name: (body bytes, extra headers, the statuses that are right)
BODIES: dict[str, tuple[bytes, dict[str, str], set[int]]] = {
    **{
        f"bad json: {name}": (text.encode("utf-8", "surrogatepass"), {}, {400})
        for name, text in BAD_BODIES.items()
    },
    "trailing garbage": (VALID.encode() + b" garbage", {}, {400}),
    "a second document": (VALID.encode() + b"{}", {}, {400}),
    "a raw NUL byte": (VALID.replace('"note": "', '"note": "\x00', 1).encode(), {}, {400}),
    "a raw control character": (VALID.replace('"note": "', '"note": "\x07', 1).encode(), {}, {400}),
    "5,000-deep objects": (deep_objects(5000), {}, {400}),
    "invalid UTF-8": (VALID.encode().replace(b"Peskov", b"P\xc3\x28skov", 1), {}, {400}),
    "UTF-16 body": (VALID.encode("utf-16"), {}, {400}),
    "overlong UTF-8 slash": (VALID.encode().replace(b"Peskov", b"P\xc0\xafskov", 1), {}, {400}),
    "text/plain": (VALID.encode(), {"Content-Type": "text/plain"}, {415}),
    "form encoded": (b"claim=x", {"Content-Type": "application/x-www-form-urlencoded"}, {415}),
    "xml": (b"<statement/>", {"Content-Type": "application/xml"}, {415}),
    "json in latin-1": (
        VALID.encode(),
        {"Content-Type": "application/json; charset=latin-1"},
        {415},
    ),
    "multipart": (VALID.encode(), {"Content-Type": "multipart/form-data; boundary=x"}, {415}),
    "a 20-digit integer": (
        body(source={**peskov_denial()["source"], "position": {"start": 2345, "end": 10**19}}),
        {},
        {422},
    ),
    "a negative offset": (
        body(source={**peskov_denial()["source"], "position": {"start": -1, "end": 2434}}),
        {},
        {422},
    ),
    "a float offset": (VALID.replace('"start": 2345', '"start": 2345.5').encode(), {}, {422}),
    "a zero-width space in a JSON key": (renamed_key("stance", f"stan{ZERO_WIDTH}ce"), {}, {422}),
    "an NFD look-alike JSON key": (renamed_key("note", f"not{NFD_E}"), {}, {422}),
    "a zero-width space in the claim key": (
        body(claim=CENTRAL.replace("-", f"-{ZERO_WIDTH}", 1)),
        {},
        {422},
    ),
    "an NFD look-alike actor": (body(actor=f"p{NFD_E}skov"), {}, {422}),
    "a fullwidth look-alike actor": (body(actor="ｐeskov"), {}, {422}),
    "a Cyrillic look-alike actor": (body(actor="pеskov"), {}, {422}),
    "a zero-width space in the document id": (
        body(
            source={
                **peskov_denial()["source"],
                "document": f"000_{ZERO_WIDTH}439eb0cae6d670e2.txt",
            }
        ),
        {},
        {422},
    ),
    "30 February": (body(said_at={"precision": "day", "value": "2024-02-30"}), {}, {422}),
    "month 13": (body(said_at={"precision": "day", "value": "2024-13-01"}), {}, {422}),
    "25 o'clock": (
        body(said_at={"precision": "instant", "value": "2024-10-25T25:00:00Z"}),
        {},
        {422},
    ),
    "year 0": (body(said_at={"precision": "year", "value": "0000"}), {}, {422}),
    "a five-digit year": (body(said_at={"precision": "year", "value": "20245"}), {}, {422}),
    "an instant without a zone": (
        body(said_at={"precision": "instant", "value": "2024-10-25T10:00:00"}),
        {},
        {422},
    ),
    "a day before the calendar": (
        body(said_at={"precision": "instant", "value": "0001-01-01T00:00:00+14:00"}),
        {},
        {422},
    ),
    "a quote not in the document": (
        body(source=with_path(("source", "quote", "exact"), "Peskow bestätigte alles.")["source"]),
        {},
        {422},
    ),
    "a quote one character off": (
        body(source=with_path(("source", "position", "start"), 2346)["source"]),
        {},
        {422},
    ),
    "a wrong prefix": (
        body(source=with_path(("source", "quote", "prefix"), "erfunden ")["source"]),
        {},
        {422},
    ),
    "a wrong suffix": (
        body(source=with_path(("source", "quote", "suffix"), " erfunden")["source"]),
        {},
        {422},
    ),
    "offsets past the end": (
        body(
            source=with_path(("source", "position"), {"start": 10**6, "end": 10**6 + 89})["source"]
        ),
        {},
        {422},
    ),
    "a quote from another document": (
        body(source=with_path(("source", "document"), "001_3a35a853e56bc0de.txt")["source"]),
        {},
        {422},
    ),
    "a garbage If-Match": (VALID.encode(), {"If-Match": "'; DROP TABLE events; --"}, {422}),
    "a huge If-Match": (VALID.encode(), {"If-Match": '"' + "9" * 40 + '"'}, {422}),
    "an Idempotency-Key with spaces": (VALID.encode(), {"Idempotency-Key": "a b"}, {422}),
    "a 201-character Idempotency-Key": (VALID.encode(), {"Idempotency-Key": "k" * 201}, {422}),
}

# Every string the statement has that names something: none may carry SQL.
NAMED_FIELDS = [
    ("claim",),
    ("actor",),
    ("stance",),
    ("conduit", 0),
    ("conduit", 1),
    ("relays",),
    ("said_at", "precision"),
    ("said_at", "value"),
    ("source", "document"),
    ("source", "quote", "exact"),
    ("source", "quote", "prefix"),
    ("source", "quote", "suffix"),
]
FREE_TEXT_FIELDS = [("note",)]


@pytest.fixture
def guarded(shared_client: TestClient) -> Iterator[TestClient]:
    """The shared client; afterwards, the log has not moved and still verifies."""
    before = head(shared_client)
    yield shared_client
    assert head(shared_client) == before, "a refused request wrote to the log"
    assert shared_client.get("/v1/audit/verify", headers=WRITE).json()["ok"] is True


@pytest.mark.parametrize("name", list(BODIES))
def test_hostile_bodies_are_refused_with_a_problem(guarded: TestClient, name: str) -> None:
    content, headers, statuses = BODIES[name]
    response = guarded.post("/v1/statements", content=content, headers=WRITE | JSON | headers)
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    assert_problem(response, response.status_code)
    assert "DROP TABLE" not in response.text


def test_a_10_mb_body_is_413_declared_or_streamed(guarded: TestClient) -> None:
    big = body(note="x" * TEN_MB)
    assert_problem(guarded.post("/v1/statements", content=big, headers=WRITE | JSON), 413)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 1 << 16):
            yield big[start : start + (1 << 16)]

    streamed = guarded.post("/v1/statements", content=chunks(), headers=WRITE | JSON)
    assert "content-length" not in streamed.request.headers
    assert_problem(streamed, 413)


@pytest.mark.parametrize("injection", SQL_METACHARACTERS)
@pytest.mark.parametrize("field", NAMED_FIELDS, ids=lambda path: ".".join(map(str, path)))
def test_sql_metacharacters_in_every_named_field_are_refused(
    guarded: TestClient, field: tuple[Any, ...], injection: str
) -> None:
    statement = with_path(field, injection)
    if field == ("said_at", "value"):
        statement["said_at"]["precision"] = "day"
    response = guarded.post("/v1/statements", json=statement, headers=WRITE)
    assert_problem(response, 422)
    assert injection not in response.text


def test_sql_metacharacters_in_free_text_are_stored_byte_for_byte(client: TestClient) -> None:
    before = head(client)
    for n, injection in enumerate(SQL_METACHARACTERS, start=1):
        note = f"{injection} \u202e{ZERO_WIDTH}{NFD_E}\u202c"  # a closed override: kept
        response = client.post("/v1/statements", json=peskov_denial(note=note), headers=WRITE)
        assert response.status_code == 201, response.text
        assert head(client) == before + n
        assert client.get(response.headers["Location"]).json()["current"]["note"] == note
    verification = client.get("/v1/audit/verify", headers=WRITE).json()
    assert verification["ok"] is True
    assert verification["checked"] == before + len(SQL_METACHARACTERS)


QUERY_PARAMETERS = {
    "/v1/claims": ["as_of", "known_at"],
    f"/v1/claims/{CENTRAL}": ["as_of", "known_at"],
    "/v1/events": ["after", "limit"],
    "/v1/events/stream": ["after", "limit"],
    "/v1/replay": ["from", "to", "axis", "claim"],
}
PATHS = [
    "/v1/claims/{}",
    "/v1/claims/{}/history",
    "/v1/actors/{}",
    "/v1/documents/{}",
    "/v1/statements/{}",
]


@pytest.mark.parametrize("injection", SQL_METACHARACTERS[:4])
def test_sql_metacharacters_in_every_query_parameter_and_path_are_refused(
    guarded: TestClient, injection: str
) -> None:
    window = {"from": "2024-10-24", "to": "2024-10-26"}
    for path, names in QUERY_PARAMETERS.items():
        for name in names:
            params = (window if path == "/v1/replay" else {}) | {name: injection}
            response = guarded.get(path, params=params)
            assert_problem(response, 422)
    for template in PATHS:
        response = guarded.get(template.format(injection))
        assert response.status_code in {404, 422}, (template, response.status_code)
        assert_problem(response, response.status_code)
    response = guarded.post(
        f"/v1/statements/{injection}/retractions",
        json={"reason": injection, "basis": "ledger_error"},
        headers=WRITE,
    )
    assert response.status_code in {404, 422}
    assert_problem(response, response.status_code)


@pytest.mark.parametrize(
    "params",
    [
        {"as_of": "2024-02-30"},
        {"known_at": "2024-10-25T24:00:01Z"},
        {"as_of": "-2024-10-25"},
        {"as_of": "2024-10-25T10:00:00+25:00"},
        {"known_at": "99999-01-01"},
    ],
)
def test_impossible_dates_in_queries_are_refused(
    guarded: TestClient, params: dict[str, str]
) -> None:
    assert_problem(guarded.get("/v1/claims", params=params), 422)
    window = {"from": "2024-10-24", "to": "2024-10-26"} | {"from": next(iter(params.values()))}
    assert_problem(guarded.get("/v1/replay", params=window), 422)


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/v1/actors", {"key": f"p{NFD_E}skov", "name": "Peskov", "kind": "person"}),
        ("/v1/actors", {"key": f"peskov{ZERO_WIDTH}", "name": "Peskov", "kind": "person"}),
        ("/v1/actors", {"key": "x'; DROP TABLE events; --", "name": "x", "kind": "person"}),
        ("/v1/claims", {"key": "a b", "proposition_en": "x", "proposition_de": "x"}),
        (
            "/v1/documents",
            {"document_id": "../../etc/passwd", "language": "de", "sha256": "0" * 64, "text": "x"},
        ),
        (
            "/v1/documents",
            {"document_id": "new.txt", "language": "de", "sha256": "0" * 64, "text": "x"},
        ),
    ],
)
def test_registrations_refuse_look_alike_and_hostile_keys(
    guarded: TestClient, path: str, payload: dict[str, Any]
) -> None:
    assert_problem(guarded.post(path, json=payload, headers=WRITE), 422)
