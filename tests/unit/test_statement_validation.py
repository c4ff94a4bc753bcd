"""Every statement is checked before it is appended, whoever sends it; a refusal names the field.

The checks run against the registry's protocol, so these tests use the in-memory registry of
the seed story (the one ``ledger seed`` checks its file with) and need no database;
``tests/store/test_statement_refusals.py`` shows a refusal through the ledger writes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from ledger.domain.model import Statement, StatementDraft
from ledger.domain.validation import anchored_statement, validate_statement
from ledger.errors import InvalidEvent
from ledger.seeding import SeedStory, StoryRegistry
from tests.support.factories import as_statement, changed, statement_json

PESKOV_DENIAL = "004-peskov-denies-regular-contact"


@pytest.fixture(scope="module")
def registry(story: SeedStory) -> StoryRegistry:
    return StoryRegistry(story)


def check(statement: Statement | StatementDraft, registry: StoryRegistry) -> Statement:
    """What the ledger does before an append: anchor the quote, then validate."""
    anchored = anchored_statement(statement, registry)
    validate_statement(anchored, registry)
    return anchored


def test_every_seed_statement_passes(story: SeedStory, registry: StoryRegistry) -> None:
    for entry in story.data.statements:
        anchored = check(entry.statement(), registry)
        assert anchored.source.position.end > anchored.source.position.start


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("claim", "no-such-claim", "claim"),
        ("actor", "no-such-actor", "actor"),
        ("source.document", "999_missing.txt", "source.document"),
        ("source.quote.exact", "Peskow hat alles bestätigt", "source.quote.exact"),
        ("source.position.start", 10, "source.quote.exact"),
        ("source.position.end", 99_999, "source.position.end"),
        ("source.quote.prefix", "ganz anderer Text", "source.quote.prefix"),
        ("source.quote.suffix", "ganz anderer Text", "source.quote.suffix"),
        ("conduit", ["dan-tri", "wsj"], "conduit"),
        ("conduit", ["outlet-000", "peskov"], "conduit"),
        ("conduit", ["dan-tri", "ghost", "peskov"], "conduit[1]"),
        ("relays", "wsj", "relays"),
    ],
)
def test_a_wrong_statement_is_refused_naming_the_field(
    story: SeedStory, registry: StoryRegistry, path: str, value: Any, field: str
) -> None:
    bad = as_statement(changed(statement_json(story, PESKOV_DENIAL), path, value))

    with pytest.raises(InvalidEvent) as refused:
        check(bad, registry)

    assert refused.value.field == field


def test_a_report_must_name_whom_it_relays(story: SeedStory, registry: StoryRegistry) -> None:
    report = changed(statement_json(story, "004-dan-tri-reports-peskov-denial"), "relays", None)
    with pytest.raises(InvalidEvent, match="relays"):
        check(as_statement(report), registry)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("stance", "endorses"),
        ("said_at", {"precision": "day", "value": "2024-02-30"}),
        ("said_at", {"precision": "instant", "value": "2024-10-25T10:00:00"}),
        ("said_at", {"precision": "unknown", "value": "2024-10-25"}),
        ("said_at", {"precision": "year", "value": "zwei Jahre"}),
        ("source.position.end", 0),
        ("conduit", []),
        ("actor", "Peskov Dmitri"),
        ("unexpected", "field"),
    ],
)
def test_malformed_statements_are_refused_by_the_model(
    story: SeedStory, path: str, value: Any
) -> None:
    with pytest.raises(ValidationError):
        as_statement(changed(statement_json(story, PESKOV_DENIAL), path, value))


def test_a_date_at_the_edge_of_the_calendar_is_refused_not_crashed(story: SeedStory) -> None:
    edge = {"precision": "instant", "value": "0001-01-01T00:00:00+01:00"}
    with pytest.raises(ValidationError):
        as_statement(changed(statement_json(story, PESKOV_DENIAL), "said_at", edge))
