"""Stances and claim states from the events alone; corrections and retractions as new events."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from ledger.bootstrap import Wiring
from ledger.domain.model import RetractionBasis
from ledger.errors import NotFound, StateConflict
from ledger.projections.memory import InMemoryProjection
from ledger.projections.queries import PointInTime
from ledger.projections.snapshot import sql_snapshot
from ledger.projections.replay import parse_instant
from ledger.seeding import SEED_NAMESPACE, SeedStory
from ledger.service import WriteOptions
from tests.support.factories import (
    CENTRAL_CLAIM,
    as_statement,
    changed,
    seed_entries,
    statement_json,
)


def seeded_id(key: str) -> uuid.UUID:
    return uuid.uuid5(SEED_NAMESPACE, f"statements:{key}")


def at(as_of: str | None = None, known_at: str | None = None) -> PointInTime:
    return PointInTime(
        as_of=None if as_of is None else parse_instant(as_of, field="as_of", end_of_day=True),
        known_at=None
        if known_at is None
        else parse_instant(known_at, field="known_at", end_of_day=True),
    )


def test_each_actor_holds_its_latest_stance_with_its_conduit_and_quote(seeded_app: Wiring) -> None:
    central = seeded_app.queries.claim(CENTRAL_CLAIM)
    peskov = next(s for s in central.stances if s.actor == "peskov")

    # 000 does not date Peskov's words and prints no date of its own, so they sit on the said
    # axis where the ledger read them (25 Oct, 19:00): later than 004's "am 25. Oktober" (00:00).
    assert peskov.stance == "denies"
    assert peskov.conduit == ["outlet-000", "peskov"]
    assert peskov.said_at.model_dump(mode="json") == {
        "precision": "unknown",
        "value": None,
        "basis": None,
    }
    assert peskov.said_key_basis == "recorded_at"
    assert peskov.source.quote.exact.startswith("Regelmäßige Gespräche")
    assert peskov.relayed_by == ["dan-tri", "outlet-000"]


def test_retracting_the_denials_turns_the_claim_back_to_asserted_and_keeps_the_originals(
    seeded_app: Wiring, story: SeedStory
) -> None:
    denials = seed_entries(story, claim=CENTRAL_CLAIM, stance="denies")
    for entry in denials:
        seeded_app.ledger.retract_statement(
            seeded_id(entry.key), reason="test: ledger misread", basis=RetractionBasis.LEDGER_ERROR
        )

    central = seeded_app.queries.claim(CENTRAL_CLAIM)
    history = seeded_app.queries.claim_history(CENTRAL_CLAIM)

    assert central.state == "asserted" and central.denied_by == []
    retracted = [h for h in history if h.status == "retracted"]
    assert sorted(h.statement_id for h in retracted) == sorted(
        str(seeded_id(e.key)) for e in denials
    )
    assert seeded_app.queries.verify().ok


def test_a_correction_replaces_the_reading_from_then_on(seeded_app: Wiring, story: SeedStory) -> None:
    key = "000-peskov-denies-regular-contact"
    corrected = as_statement(changed(statement_json(story, key), "stance", "questions"))

    event = seeded_app.ledger.correct_statement(
        seeded_id(key),
        corrected,
        reason="reads as doubt, not denial",
        basis=RetractionBasis.LEDGER_ERROR,
    )

    view = seeded_app.queries.statement(seeded_id(key))
    assert [v.status for v in view.versions] == ["corrected", "standing"]
    assert view.current.version_id == str(event.event_id)
    assert view.current.stance == "questions"
    central = seeded_app.queries.claim(CENTRAL_CLAIM)
    peskov = next(s for s in central.stances if s.actor == "peskov")
    assert peskov.stance == "questions" and peskov.corrected is True
    assert (
        central.state == "asserted"
    )  # the corrected reading is Peskov's latest; no denial stands


def test_a_retracted_statement_cannot_be_retracted_or_corrected_again(
    seeded_app: Wiring, story: SeedStory
) -> None:
    key = "000-peskov-denies-regular-contact"
    seeded_app.ledger.retract_statement(
        seeded_id(key), reason="r", basis=RetractionBasis.SOURCE_CHANGED
    )
    head = seeded_app.store.head_position()

    with pytest.raises(StateConflict):
        seeded_app.ledger.retract_statement(
            seeded_id(key), reason="r", basis=RetractionBasis.SOURCE_CHANGED
        )
    with pytest.raises(StateConflict):
        corrected = as_statement(statement_json(story, key))
        seeded_app.ledger.correct_statement(
            seeded_id(key), corrected, reason="r", basis=RetractionBasis.LEDGER_ERROR
        )
    with pytest.raises(NotFound):
        seeded_app.ledger.retract_statement(
            uuid.uuid4(), reason="r", basis=RetractionBasis.LEDGER_ERROR
        )
    assert seeded_app.store.head_position() == head


def test_a_retried_retraction_returns_the_stored_event(seeded_app: Wiring) -> None:
    key = "000-peskov-denies-regular-contact"
    first = seeded_app.ledger.retract_statement(
        seeded_id(key),
        reason="r",
        basis=RetractionBasis.SOURCE_CHANGED,
        options=WriteOptions(idempotency_key="retract-1"),
    )
    again = seeded_app.ledger.retract_statement(
        seeded_id(key),
        reason="r",
        basis=RetractionBasis.SOURCE_CHANGED,
        options=WriteOptions(idempotency_key="retract-1"),
    )
    assert again == first


@pytest.mark.parametrize(
    ("point", "state"),
    [
        (at(as_of="2024-10-23"), "unstated"),
        (at(as_of="2024-10-24"), "asserted"),
        (at(as_of="2024-10-25"), "contested"),
        (at(known_at="2024-10-25T12:00:00Z"), "asserted"),
        (at(known_at="2024-10-25T19:00:00Z"), "contested"),
        (at(as_of="2024-10-24", known_at="2024-10-26"), "asserted"),
    ],
)
def test_the_central_claim_as_of_a_said_time_and_as_known_at_a_recorded_time(
    seeded_app: Wiring, point: PointInTime, state: str
) -> None:
    assert seeded_app.queries.claim(CENTRAL_CLAIM, point).state == state


def test_before_the_ledger_read_anything_it_knew_no_claims(seeded_app: Wiring) -> None:
    assert seeded_app.queries.claims(at(known_at="2024-10-24")).items == []


def test_a_statement_recorded_on_the_26th_about_the_25th_moves_only_the_said_axis(
    seeded_app: Wiring,
) -> None:
    claim = "musk-putin-call-before-february-2022"  # only Peskov via Dan Tri: said 25th, read 26th

    said_by_25th = seeded_app.queries.claim(claim, at(as_of="2024-10-25"))
    known_by_25th = seeded_app.queries.claim(claim, at(known_at="2024-10-25"))

    assert said_by_25th.state == "asserted" and said_by_25th.asserted_by == ["peskov"]
    assert known_by_25th.state == "unstated"


def test_as_of_now_equals_the_stored_current_view(seeded_app: Wiring) -> None:
    now = PointInTime(known_at=parse_instant("2999-01-01", field="known_at"))
    current = seeded_app.queries.claims().items
    derived = seeded_app.queries.claims(now).items
    strip = lambda views: [
        view.model_dump(mode="json", exclude={"point_in_time"}) for view in views
    ]  # noqa: E731
    assert strip(derived) == strip(current)


def test_live_projections_equal_a_rebuild_and_the_in_memory_model(
    seeded_app: Wiring, story: SeedStory
) -> None:
    seeded_app.ledger.retract_statement(
        seeded_id("004-peskov-denies-regular-contact"),
        reason="r",
        basis=RetractionBasis.SOURCE_CHANGED,
    )
    with seeded_app.store.read_connection() as connection:
        live = sql_snapshot(connection)
    model = InMemoryProjection().apply_all(seeded_app.store.read_all()).snapshot()

    folded = seeded_app.queries.rebuild_projections()

    with seeded_app.store.read_connection() as connection:
        rebuilt = sql_snapshot(connection)
    assert folded == seeded_app.store.head_position()
    assert live == rebuilt == model
    assert live["position"] == folded


def test_sources_and_aliases_project_alike_live_rebuilt_and_in_memory(seeded_app: Wiring) -> None:
    """An HTML document (its metadata, original and extractor) and an actor's aliases are in
    the live tables, a rebuild and the in-memory model alike."""
    from ledger.domain.model import Actor
    from ledger.sources import HTML, SourceFields, document_from_original
    from tests.support.sources import article_html

    seeded_app.ledger.register_actor(
        Actor(key="anna-berg", name="Anna Berg", kind="person", aliases=["Bürgermeisterin"])
    )
    page = article_html().encode()
    fields = SourceFields("berg.html", "de", url="https://example.org/berg")
    seeded_app.ledger.register_document(document_from_original(fields, HTML, page, field="html"))
    with seeded_app.store.read_connection() as connection:
        live = sql_snapshot(connection)
    model = InMemoryProjection().apply_all(seeded_app.store.read_all()).snapshot()
    seeded_app.queries.rebuild_projections()
    with seeded_app.store.read_connection() as connection:
        rebuilt = sql_snapshot(connection)
    assert live == rebuilt == model
    berg = next(d for d in live["documents"] if d["document_id"] == "berg.html")
    assert berg["original"]["length"] == len(page) and berg["title"]
    assert seeded_app.queries.original("berg.html") == ("text/html", page)
    assert seeded_app.queries.actor("anna-berg").aliases == ["Bürgermeisterin"]


def test_version_of_maps_columns_by_name_not_by_order(seeded_app: Wiring) -> None:
    """A select naming the columns in reverse order still reads the same versions."""
    from sqlalchemy import select

    from ledger.projections.schema import statement_versions
    from ledger.projections.sql import version_of

    columns = list(statement_versions.c)
    with seeded_app.store.read_connection() as connection:
        forward = [version_of(r) for r in connection.execute(select(*columns))]
        backward = [version_of(r) for r in connection.execute(select(*reversed(columns)))]
    assert forward and forward == backward
    assert all(isinstance(v.said_key, datetime) and v.said_key.tzinfo for v in forward)



def _search_entries(app: Wiring) -> list[tuple[str, ...]]:
    from ledger.store.backend import dbapi

    with app.store.read_connection() as connection:
        rows = dbapi(connection).execute(
            "SELECT kind, ref, claim, language, body FROM search_entries"
        )
        return sorted(tuple(row) for row in rows)


def test_a_rebuild_indexes_the_same_search_entries_as_the_live_projection(
    seeded_app: Wiring,
) -> None:
    """The rebuild fills the search index in SQL (``INSERT ... SELECT`` with the dialect's
    JSON functions); it must give exactly the entries ``search.version_entry`` derives."""
    from ledger.projections import search
    from ledger.projections.sql import version_of
    from ledger.projections.schema import claims, statement_versions
    from sqlalchemy import select

    seeded_app.ledger.retract_statement(
        seeded_id("004-peskov-denies-regular-contact"),
        reason="r",
        basis=RetractionBasis.SOURCE_CHANGED,
    )
    live = _search_entries(seeded_app)
    with seeded_app.store.read_connection() as connection:
        versions = [version_of(row) for row in connection.execute(select(statement_versions))]
        claim_rows = connection.execute(select(claims.c.key, claims.c.propositions)).all()
        languages = search.document_languages(
            connection, {version.body["source"]["document"] for version in versions}
        )
    derived = sorted(
        search.stored(
            seeded_app.store.backend,
            [
                search.version_entry(version, languages[version.body["source"]["document"]])
                for version in versions
            ]
            + [e for key, propositions in claim_rows for e in search.claim_entries(key, propositions)],
        )
    )
    assert any(kind == "statement" for kind, *_ in live)

    seeded_app.queries.rebuild_projections()

    assert live == _search_entries(seeded_app) == derived
    kind, ref, claim, language, body = next(entry for entry in live if entry[0] == "statement")
    quote = next(str(v.body["source"]["quote"]["exact"]) for v in versions if str(v.version_id) == ref)
    with seeded_app.store.read_connection() as connection:
        found = search.matching_statements(connection, seeded_app.store.backend, quote)
    assert uuid.UUID(ref) in found


def _texts(app: Wiring, sql: str) -> dict[object, str]:
    from ledger.store.backend import dbapi

    with app.store.read_connection() as connection:
        return {key: text for key, text in dbapi(connection).execute(sql)}


def test_a_recorded_version_keeps_the_logs_data_text_live_and_rebuilt(seeded_app: Wiring) -> None:
    """The live fold stores a recorded statement's body as the text the pipeline encoded for
    the log (not encoded again), byte for byte what a rebuild stores."""
    bodies = "SELECT version_id, CAST(body AS TEXT) FROM statement_versions"
    live = _texts(seeded_app, bodies)
    logged = _texts(
        seeded_app, "SELECT event_id, CAST(data AS TEXT) FROM events WHERE type = 'StatementRecorded'"
    )
    assert logged and all(live[event_id] == text for event_id, text in logged.items())
    seeded_app.queries.rebuild_projections()
    assert _texts(seeded_app, bodies) == live


def test_an_append_reads_its_document_at_most_once_and_not_on_a_warm_cache(
    seeded_app: Wiring, story: SeedStory
) -> None:
    """The check and the live fold take a statement's document (its text, date, language)
    from the one cache of registrations: a miss reads it once; a hit not at all."""
    from sqlalchemy import event

    statement = as_statement(statement_json(story, "000-peskov-denies-regular-contact"))
    reads: list[str] = []

    def count(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        if "documents" in sql:
            reads.append(sql)

    event.listen(seeded_app.store.engine, "before_cursor_execute", count)
    try:
        seeded_app.ledger.record_statement(statement)
        assert len(reads) <= 1  # a cold cache: the check reads it once, the fold takes it
        reads.clear()
        seeded_app.ledger.record_statement(statement)
        assert reads == []
    finally:
        event.remove(seeded_app.store.engine, "before_cursor_execute", count)
