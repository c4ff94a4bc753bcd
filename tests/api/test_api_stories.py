"""A second story over HTTP: stories, exact-text quotes, lists that page and search, withdrawals."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.support import second_story
from tests.support.api_fixtures import WRITE, head

SEED_STORY = "musk-putin-contacts"


@pytest.fixture
def story_client(client: TestClient) -> TestClient:
    second_story.write_story(client, WRITE)
    return client


def test_a_three_document_story_takes_seventeen_requests_with_exact_quotes_only(
    client: TestClient,
) -> None:
    written = second_story.write_story(client, WRITE)
    assert written.requests == 17
    stored = client.get(f"/v1/statements/{written.statement_ids[2]}").json()["versions"][0]
    text = second_story.TEXTS["river-2025-03-04.txt"][2]
    quote, position = stored["source"]["quote"], stored["source"]["position"]
    assert text[position["start"] : position["end"]] == quote["exact"] == "The cost has not doubled"
    assert text[: position["start"]].endswith(quote["prefix"]) and len(quote["prefix"]) == 32
    assert text[position["end"] :].startswith(quote["suffix"]) and len(quote["suffix"]) == 32


def test_stories_list_the_seed_and_the_new_one_with_claims_actors_documents_and_extent(
    story_client: TestClient,
) -> None:
    stories = story_client.get("/v1/stories").json()["stories"]
    assert [s["key"] for s in stories] == ["harbour-bridge", SEED_STORY]
    assert {s["key"]: s["claims"] for s in stories} == {"harbour-bridge": 3, SEED_STORY: 30}
    story = story_client.get("/v1/stories/harbour-bridge").json()
    assert [c["key"] for c in story["claims"]] == sorted(c["key"] for c in second_story.CLAIMS)
    assert {a["key"]: a["name"] for a in story["actors"]} == {
        a["key"]: a["name"] for a in second_story.ACTORS
    }
    assert [d["document_id"] for d in story["documents"]] == list(second_story.TEXTS)
    assert story["extent"]["said"] == {
        "from": "2025-03-03T00:00:00.000000Z",
        "to": "2025-03-05T08:00:00.000000Z",  # the withdrawal
    }
    seed = story_client.get(f"/v1/stories/{SEED_STORY}").json()
    assert seed["extent"]["recorded"]["from"].startswith("2024-10-25")
    assert "harbour-bridge" not in {c["story"] for c in seed["claims"]}
    assert story_client.get("/v1/stories/nope").status_code == 404


def test_claims_filter_by_story_actor_and_state(story_client: TestClient) -> None:
    def keys(query: str) -> list[str]:
        answer = story_client.get(f"/v1/claims?{query}")
        assert answer.status_code == 200, answer.text
        return [claim["key"] for claim in answer.json()["claims"]]

    assert keys("story=harbour-bridge") == [
        "bridge-cost-34-million",
        "bridge-cost-doubled",
        "council-kept-cost-report-back",
    ]
    assert keys("story=harbour-bridge&state=denied") == ["bridge-cost-doubled"]
    assert keys("story=harbour-bridge&state=contested") == ["council-kept-cost-report-back"]
    assert keys("actor=anna-berg") == ["bridge-cost-doubled", "council-kept-cost-report-back"]
    # Before the withdrawal, on the said axis, the newspaper's figure still stood.
    assert keys("story=harbour-bridge&state=contested&as_of=2025-03-04") == [
        "bridge-cost-doubled",
        "council-kept-cost-report-back",
    ]


def test_lists_page_with_a_cursor_and_a_link_header(story_client: TestClient) -> None:
    for path, name, total in (
        ("/v1/claims", "claims", 33),
        ("/v1/actors", "actors", 21),
        ("/v1/documents", "documents", 8),
        ("/v1/stories", "stories", 2),
        ("/v1/statements", "statements", 84),
    ):
        seen, url, pages = [], f"{path}?limit=5", 0
        while url:
            answer = story_client.get(url)
            assert answer.status_code == 200, answer.text
            body, pages = answer.json(), pages + 1
            seen += body[name]
            link = answer.headers.get("link")
            if body["next"] is None:
                assert link is None
                url = ""
            else:
                target = re.fullmatch(r'<([^>]+)>; rel="next"', link).group(1)
                assert parse_qs(urlsplit(target).query)["cursor"] == [body["next"]]
                url = target
        assert len(seen) == total and pages == -(-total // 5), path
        assert len({str(item) for item in seen}) == total


def test_statements_filter_by_actor_document_claim_and_stance(story_client: TestClient) -> None:
    def actors(query: str) -> list[tuple[str, str]]:
        statements = story_client.get(f"/v1/statements?{query}").json()["statements"]
        return [(s["actor"], s["stance"]) for s in statements]

    assert actors("actor=anna-berg") == [("anna-berg", "denies"), ("anna-berg", "denies")]
    assert actors("document=river-2025-03-04.txt&stance=reports") == [("river-news", "reports")]
    assert actors("claim=bridge-cost-doubled&story=harbour-bridge") == [
        ("coastal-herald", "asserts"),
        ("anna-berg", "denies"),
        ("river-news", "reports"),
    ]
    withdrawn = story_client.get("/v1/statements?claim=bridge-cost-doubled").json()["statements"]
    assert withdrawn[0]["status"] == "retracted"
    assert withdrawn[0]["withdrawn_at"] == "2025-03-05T08:00:00.000000Z"


def test_search_finds_quotes_and_propositions_in_full_text(story_client: TestClient) -> None:
    found = story_client.get("/v1/statements?q=anyone REPORT").json()["statements"]
    assert [s["source"]["quote"]["exact"] for s in found] == ["no report was kept from anyone"]
    claims = story_client.get("/v1/claims?q=COUNCIL public").json()["claims"]
    assert [c["key"] for c in claims] == ["council-kept-cost-report-back"]
    seed = story_client.get("/v1/claims?q=Peskow").json()["claims"]  # a quote in the seed
    assert "musk-putin-regular-contact-since-2022" in [c["key"] for c in seed]
    assert story_client.get("/v1/claims?q=zzzqqq").json()["claims"] == []
    assert story_client.get("/v1/claims?q=%22%2A").status_code == 422  # no word in it


def test_unknown_query_parameters_are_400_naming_the_allowed_ones(client: TestClient) -> None:
    answer = client.get("/v1/claims?actr=peskov&limit=2")
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["errors"][0]["field"] == "actr"
    assert {"actor", "story", "state", "q", "cursor", "limit", "as_of", "known_at"} <= set(
        problem["allowed"]
    )
    assert client.get("/v1/replay?from=2024-10-24&to=2024-10-26&claimz=x").status_code == 400
    assert client.get("/v1/claims?cursor=garbage").status_code == 422


def test_anchors_answer_every_occurrence_as_selectors(client: TestClient) -> None:
    body = second_story.document("herald-2025-03-03.txt")
    second_story.write_story(client, WRITE)
    text = body["text"]
    answer = client.post(
        "/v1/documents/herald-2025-03-03.txt/anchors", json={"exact": "the cost report"}
    )
    assert answer.status_code == 200, answer.text
    found = answer.json()["occurrences"]
    assert [o["occurrence"] for o in found] == [1, 2]
    for occurrence in found:
        quote, position = occurrence["quote"], occurrence["position"]
        assert text[position["start"] : position["end"]] == "the cost report"
        assert text[: position["start"]].endswith(quote["prefix"])
        assert [s["type"] for s in occurrence["selectors"]] == [
            "TextQuoteSelector",
            "TextPositionSelector",
        ]
    assert client.post("/v1/documents/nope.txt/anchors", json={"exact": "x"}).status_code == 404


def test_an_ambiguous_quote_is_422_listing_the_occurrences_and_occurrence_picks_one(
    story_client: TestClient,
) -> None:
    ambiguous = second_story.statement(
        "council-kept-cost-report-back", "coastal-herald", "asserts", ["coastal-herald"],
        "2025-03-03", "herald-2025-03-03.txt", "the cost report",
    )
    before = head(story_client)
    answer = story_client.post("/v1/statements", json=ambiguous, headers=WRITE)
    assert answer.status_code == 422
    assert len(answer.json()["occurrences"]) == 2
    assert "occurs 2 times" in answer.json()["errors"][0]["message"]
    assert head(story_client) == before
    ambiguous["source"]["occurrence"] = 2
    picked = story_client.post("/v1/statements", json=ambiguous, headers=WRITE)
    assert picked.status_code == 201, picked.text
    second = picked.json()["data"]["source"]["position"]["start"]
    text = second_story.TEXTS["herald-2025-03-03.txt"][2]
    assert second == text.index("the cost report", text.index("the cost report") + 1)


def test_byte_offsets_are_refused_saying_where_the_quote_is_in_code_points(
    client: TestClient,
) -> None:
    second_story.write_story(client, WRITE)
    text = second_story.TEXTS["river-2025-03-04.txt"][2]
    exact = "no report was kept from anyone"
    start = text.index(exact)
    byte_start = len(text[:start].encode("utf-8"))
    assert byte_start != start  # the typographic quote before it takes three bytes
    body = second_story.statement(
        "council-kept-cost-report-back", "anna-berg", "denies", ["river-news", "anna-berg"],
        "2025-03-04", "river-2025-03-04.txt", exact,
    )
    body["source"]["position"] = {"start": byte_start, "end": byte_start + len(exact)}
    answer = client.post("/v1/statements", json=body, headers=WRITE)
    assert answer.status_code == 422
    message = answer.json()["errors"][0]["message"]
    assert f"{start}-{start + len(exact)}" in message and "byte" in message


def test_a_claim_may_have_one_language_and_naming_an_unknown_story_is_422(
    client: TestClient,
) -> None:
    claim = {"key": "only-english", "propositions": {"en": "Only English."}}
    assert client.post("/v1/claims", json=claim, headers=WRITE).status_code == 201
    view = client.get("/v1/claims/only-english").json()
    assert view["propositions"] == {"en": "Only English."} and view["proposition_de"] is None
    assert view["story"] is None
    lost = {"key": "lost", "propositions": {"en": "x"}, "story": "no-such-story"}
    answer = client.post("/v1/claims", json=lost, headers=WRITE)
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "story"
    empty = client.post("/v1/claims", json={"key": "empty", "propositions": {}}, headers=WRITE)
    assert empty.status_code == 422
    bad_tag = {"key": "bad", "propositions": {"English": "x"}}
    assert client.post("/v1/claims", json=bad_tag, headers=WRITE).status_code == 422


def test_replay_by_story_shows_the_withdrawal_on_the_said_axis(story_client: TestClient) -> None:
    said = story_client.get(
        "/v1/replay?from=2025-03-01&to=2025-03-31&axis=said&story=harbour-bridge"
    ).json()
    steps = [(s["at"], s["type"], s["statement"]["claim"]) for s in said["steps"]]
    assert ("2025-03-03T00:00:00.000000Z", "StatementRecorded", "bridge-cost-doubled") in steps
    withdrawal = [s for s in said["steps"] if s["type"] == "StatementRetracted"]
    assert [(s["at"], s["basis"]) for s in withdrawal] == [("2025-03-05T08:00:00.000000Z", "source_changed")]
    assert withdrawal[0]["claim_state"] == {
        "claim": "bridge-cost-doubled",
        "before": "contested",
        "after": "denied",
        "changed": True,
    }
    assert {s["statement"]["claim"] for s in said["steps"]} <= {
        c["key"] for c in second_story.CLAIMS
    }
    recorded = story_client.get(
        "/v1/replay?from=2025-01-01&to=2030-01-01&axis=recorded&story=harbour-bridge"
    ).json()
    assert recorded["steps"] == [] or {s["statement"]["claim"] for s in recorded["steps"]} <= {
        c["key"] for c in second_story.CLAIMS
    }


def test_a_ledger_error_retraction_leaves_the_said_axis_and_withdrawn_at_needs_source_changed(
    story_client: TestClient,
) -> None:
    target = story_client.get("/v1/statements?actor=anna-berg").json()["statements"][0]
    url = f"/v1/statements/{target['statement_id']}/retractions"
    wrong = {"reason": "x", "basis": "ledger_error", "withdrawn_at": "2025-03-05T00:00:00Z"}
    assert story_client.post(url, json=wrong, headers=WRITE).status_code == 422
    early = {"reason": "x", "basis": "source_changed", "withdrawn_at": "2025-03-01T00:00:00Z"}
    assert story_client.post(url, json=early, headers=WRITE).status_code == 422
    error = {"reason": "Misattributed.", "basis": "ledger_error"}
    assert story_client.post(url, json=error, headers=WRITE).status_code == 201
    said = story_client.get(
        "/v1/replay?from=2025-03-01&to=2025-03-31&axis=said&claim=bridge-cost-doubled"
    ).json()
    assert target["statement_id"] not in {s["statement"]["statement_id"] for s in said["steps"]}
    as_of = story_client.get("/v1/claims/bridge-cost-doubled?as_of=2025-03-04").json()
    assert "anna-berg" not in as_of["denied_by"]


def test_a_rebuild_refills_the_search_index_and_the_story_tables(story_client: TestClient) -> None:
    def answers() -> tuple[object, ...]:
        return (
            story_client.get("/v1/statements?q=anyone&limit=1000").json(),
            story_client.get("/v1/claims?q=bridge&limit=1000").json(),
            story_client.get("/v1/stories/harbour-bridge").json(),
        )

    before = answers()
    assert before[0]["statements"] and before[1]["claims"]
    story_client.app.state.ledger.queries.rebuild_projections()  # type: ignore[attr-defined]
    assert answers() == before
