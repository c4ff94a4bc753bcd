"""Corrections told the way the sources tell them (issue 23), over HTTP, on both backends.

The Lindenau water-price story: the Tageblatt reports 18% on Monday 16 November 2026, the
utility's director denies it on Tuesday, a radio station relays the denial, and on Wednesday
the Tageblatt prints a Korrektur (8%, not 18%). On the said axis the paper asserts 18% from its
report until the Korrektur; on the recorded axis nothing is rewritten.
"""

from __future__ import annotations

from typing import Any

import pytest
import rdflib
from fastapi.testclient import TestClient

from tests.support import water_story
from tests.support.api_fixtures import WRITE, assert_problem, head

EIGHTEEN = water_story.EIGHTEEN
KORREKTUR = "2026-11-18T00:00:00.000000Z"

# (as_of, state, asserted_by, denied_by): written out by hand from the four texts
AS_OF_EACH_DAY = [
    ("2026-11-15", "unstated", [], []),
    ("2026-11-16", "asserted", ["tageblatt"], []),
    ("2026-11-17", "contested", ["tageblatt"], ["markus-brandt"]),
    ("2026-11-18", "denied", [], ["markus-brandt", "tageblatt"]),
    ("2026-11-19", "denied", [], ["markus-brandt", "tageblatt"]),
]
# (at, type, actor, stance before -> after, claim state before -> after)
SAID_STEPS = [
    (
        "2026-11-16T00:00:00.000000Z",
        "StatementRecorded",
        "tageblatt",
        None,
        "asserts",
        "unstated",
        "asserted",
    ),
    (
        "2026-11-17T00:00:00.000000Z",
        "StatementRecorded",
        "markus-brandt",
        None,
        "denies",
        "asserted",
        "contested",
    ),
    (
        "2026-11-17T17:00:00.000000Z",
        "StatementRecorded",
        "radio-lindenau",
        None,
        "reports",
        "contested",
        "contested",
    ),
    (KORREKTUR, "StatementCorrected", "tageblatt", "asserts", "denies", "contested", "denied"),
]


def said_steps(replay: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            s["at"],
            s["type"],
            s["statement"]["actor"],
            s["actor_stance"]["before"],
            s["actor_stance"]["after"],
            s["claim_state"]["before"],
            s["claim_state"]["after"],
        )
        for s in replay["steps"]
    ]


def told(step: dict[str, Any]) -> tuple[Any, ...]:
    """What a recorded-axis step tells: when, what, whose, and the states around it (the
    statement's own status is today's, so a corrected one reads ``corrected``)."""
    keys = ("at", "type", "position", "event_id", "claim_state", "actor_stance")
    return tuple(step[key] for key in keys)


@pytest.fixture
def written(client: TestClient) -> water_story.Written:
    return water_story.write_registrations_and_statements(client, WRITE)


def test_the_korrektur_is_a_step_on_its_day_and_the_report_stands_until_then(
    client: TestClient, written: water_story.Written
) -> None:
    recorded_before = client.get(f"/v1/replay?story={water_story.STORY}&axis=recorded").json()
    water_story.write_amendments(client, WRITE, written)

    said = client.get(f"/v1/replay?story={water_story.STORY}&claim={EIGHTEEN}").json()
    assert said_steps(said) == SAID_STEPS
    korrektur = said["steps"][-1]
    assert korrektur["replaces"]["stance"] == "asserts"
    assert korrektur["replaces"]["source"]["document"] == "tageblatt-2026-11-16.txt"
    assert korrektur["statement"]["source"]["document"] == "tageblatt-2026-11-18.txt"
    assert korrektur["changed_at"] == KORREKTUR
    assert korrektur["recorded_at"] > "2026-12"  # when the ledger recorded it: now
    assert korrektur["basis"] == "source_changed"
    for day, state, asserted, denied in AS_OF_EACH_DAY:
        view = client.get(f"/v1/claims/{EIGHTEEN}?as_of={day}").json()
        assert (day, view["state"], view["asserted_by"], view["denied_by"]) == (
            day,
            state,
            asserted,
            denied,
        )

    recorded = client.get(f"/v1/replay?story={water_story.STORY}&axis=recorded").json()
    kept = len(recorded_before["steps"])
    assert [told(s) for s in recorded["steps"][:kept]] == [
        told(s) for s in recorded_before["steps"]
    ]
    assert [s["type"] for s in recorded["steps"][kept:]] == [
        "StatementCorrected",
        "StatementRetracted",
    ]


def test_a_known_at_before_the_korrektur_still_shows_the_report(
    client: TestClient, written: water_story.Written
) -> None:
    water_story.write_amendments(client, WRITE, written)
    history = client.get(f"/v1/statements/{written.ids['tageblatt-18-prozent']}").json()
    old, new = history["versions"]
    assert (old["status"], old["withdrawn_at"], old["ended_at"]) == (
        "corrected",
        KORREKTUR,
        new["recorded_at"],
    )
    assert (new["said_key"], new["stance"]) == (KORREKTUR, "denies")
    before = old["ended_at"].replace("Z", "").rstrip("0")[:-1] + "Z"  # a moment earlier
    known = client.get(f"/v1/claims/{EIGHTEEN}?known_at={before}").json()
    assert "tageblatt" in known["asserted_by"]


def test_a_correction_without_corrected_at_takes_effect_when_recorded(
    client: TestClient, written: water_story.Written
) -> None:
    url = f"/v1/statements/{written.ids['tageblatt-18-prozent']}/corrections"
    body = korrektur_body()
    del body["corrected_at"]
    answer = client.post(url, json=body, headers=WRITE)
    assert answer.status_code == 201, answer.text
    corrected_at = answer.json()["data"]["corrected_at"]
    event = client.get(f"/v1/events?after={answer.json()['position'] - 1}&limit=1").json()
    assert corrected_at[:19] == event["events"][0]["recorded_at"][:19]
    view = client.get(f"/v1/claims/{EIGHTEEN}?as_of=2026-11-18").json()
    assert "tageblatt" in view["asserted_by"]  # the Korrektur's day is before the default


def test_a_ledger_error_correction_replaces_the_reading_from_the_start(
    client: TestClient, written: water_story.Written
) -> None:
    url = f"/v1/statements/{written.ids['tageblatt-18-prozent']}/corrections"
    body = {**korrektur_body(), "basis": "ledger_error", "reason": "We misread the report."}
    del body["corrected_at"]
    body["statement"]["said_at"] = {"precision": "day", "value": "2026-11-16"}
    assert client.post(url, json=body, headers=WRITE).status_code == 201
    view = client.get(f"/v1/claims/{EIGHTEEN}?as_of=2026-11-16").json()
    assert (view["asserted_by"], view["denied_by"]) == (["petra-kuehn"], ["tageblatt"])
    said = client.get(f"/v1/replay?story={water_story.STORY}&claim={EIGHTEEN}").json()
    first = next(s for s in said["steps"] if s["statement"]["actor"] == "tageblatt")
    assert (first["at"], first["type"], first["actor_stance"]["after"]) == (
        "2026-11-16T00:00:00.000000Z",
        "StatementCorrected",
        "denies",
    )
    assert "changed_at" not in first and first["replaces"]["stance"] == "asserts"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"basis": "ledger_error"}, "only for basis source_changed"),
        ({"corrected_at": "2999-01-01"}, "in the future"),
        ({"corrected_at": "2026-11-15T23:00:00Z"}, "before the statement was said"),
        ({"corrected_at": "2026-11-18T09:00:00"}, "UTC offset"),
    ],
)
def test_a_wrong_corrected_at_is_422_naming_it_and_writes_nothing(
    client: TestClient, written: water_story.Written, changes: dict[str, Any], message: str
) -> None:
    url = f"/v1/statements/{written.ids['tageblatt-18-prozent']}/corrections"
    before = head(client)
    problem = assert_problem(
        client.post(url, json={**korrektur_body(), **changes}, headers=WRITE), 422
    )
    fields = {error["field"]: error["message"] for error in problem["errors"]}  # type: ignore[attr-defined]
    assert message in fields["corrected_at"]
    assert head(client) == before


def test_a_story_replay_without_from_and_to_covers_its_extent_on_each_axis(
    client: TestClient, written: water_story.Written
) -> None:
    water_story.write_amendments(client, WRITE, written)
    extent = client.get(f"/v1/stories/{water_story.STORY}").json()["extent"]
    for axis in ("said", "recorded"):
        replay = client.get(f"/v1/replay?story={water_story.STORY}&axis={axis}").json()
        assert (replay["from"], replay["to"]) == (extent[axis]["from"], extent[axis]["to"])
        explicit = client.get(
            f"/v1/replay?story={water_story.STORY}&axis={axis}"
            f"&from={extent[axis]['from']}&to={extent[axis]['to']}"
        ).json()
        assert replay["steps"] == explicit["steps"] and replay["steps"]
    problem = assert_problem(client.get("/v1/replay?claim=" + EIGHTEEN), 422)
    assert problem["errors"][0]["field"] == "from"  # type: ignore[index]


def test_one_bound_past_the_story_s_other_end_is_an_empty_window_not_a_refusal(
    client: TestClient, written: water_story.Written
) -> None:
    """`from` after the story's last instant, `to` left to the story: nothing happened then."""
    late = client.get(f"/v1/replay?story={water_story.STORY}&from=2027-01-01")
    assert late.status_code == 200, late.text
    assert late.json()["steps"] == [] and late.json()["to"] == late.json()["from"]
    early = client.get(f"/v1/replay?story={water_story.STORY}&to=2026-01-01")
    assert early.status_code == 200, early.text
    assert early.json()["steps"] == []


def test_the_exports_keep_the_report_and_add_the_korrektur(
    client: TestClient, written: water_story.Written
) -> None:
    water_story.write_amendments(client, WRITE, written)
    claim = client.get(f"/v1/claims/{EIGHTEEN}/export/schema-org").json()
    report = next(a for a in claim["appearance"] if a["keywords"] == "asserts")
    assert (report["dateCreated"], report["correction"]["datePublished"]) == (
        "2026-11-16",
        KORREKTUR,
    )
    assert report["correction"]["@type"] == "CorrectionComment"
    assert claim["firstAppearance"]["@id"] == report["@id"]
    graph = rdflib.Graph().parse(
        data=client.get(f"/v1/claims/{EIGHTEEN}/export/prov.ttl").text, format="turtle"
    )
    rows = graph.query(
        "PREFIX prov: <http://www.w3.org/ns/prov#>\n"
        "SELECT ?old ?time WHERE { ?new prov:wasRevisionOf ?old ; prov:qualifiedRevision ?r . "
        "?r prov:entity ?old ; prov:hadActivity ?a . ?a prov:endedAtTime ?time }"
    )
    assert [(str(old), str(time)[:10]) for old, time in rows] == [(report["@id"], "2026-11-18")]


def korrektur_body() -> dict[str, Any]:
    return {
        "reason": "Korrektur vom 18. November",
        "basis": "source_changed",
        "corrected_at": "2026-11-18",
        "statement": {
            "claim": EIGHTEEN,
            "actor": "tageblatt",
            "stance": "denies",
            "conduit": ["tageblatt"],
            "said_at": {"precision": "day", "value": "2026-11-18"},
            "source": {
                "document": "tageblatt-2026-11-18.txt",
                "quote": {"exact": "Der Wasserpreis steigt um 8 Prozent, nicht um 18 Prozent."},
            },
        },
    }


def test_a_correction_dated_before_its_new_reading_was_said_is_refused(
    client: TestClient, written: water_story.Written
) -> None:
    """The Korrektur dated 17 November, its reading quoted from the paper of the 18th: the old
    reading would end on the 17th and the new begin on the 18th, a gap on the said axis with no
    step in the replay. It is refused, naming corrected_at, and nothing is written."""
    before = client.get("/v1/events?limit=1000").json()
    body = korrektur_body() | {"corrected_at": "2026-11-17"}
    answer = client.post(
        f"/v1/statements/{written.ids['tageblatt-18-prozent']}/corrections",
        json=body,
        headers=WRITE,
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "corrected_at"
    assert "before the corrected reading was said" in answer.json()["errors"][0]["message"]
    assert client.get("/v1/events?limit=1000").json() == before
