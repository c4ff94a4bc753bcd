"""The seed story: five texts kept byte for byte, every quote verbatim, loaded idempotently."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ledger.bootstrap import Wiring, open_app
from ledger.errors import InvalidEvent
from ledger.seeding import SeedClock, SeedStory, load_story, seed
from ledger.settings import Settings, project_root
from ledger_cli.main import app as cli
from tests.support.factories import CENTRAL_CLAIM

SEEDS = project_root() / "seeds"
# The hashes of the five texts as the project received them (seeds/README.md): the repo checks
# its own copy against them, with nothing from outside it.
CHECKSUMS = SEEDS / "SHA256SUMS"


def received_hashes() -> dict[str, str]:
    """File name -> SHA-256 as recorded when the texts were received (sha256sum's format)."""
    lines = CHECKSUMS.read_text(encoding="utf-8").splitlines()
    return {name: digest for digest, name in (line.split(maxsplit=1) for line in lines)}


def test_the_texts_are_kept_byte_for_byte(story: SeedStory) -> None:
    expected = received_hashes()
    assert sorted(expected) == sorted(story.texts) == sorted(p.name for p in SEEDS.glob("*.txt"))
    for name, digest in expected.items():
        assert hashlib.sha256((SEEDS / name).read_bytes()).hexdigest() == digest, name


def test_every_seeded_quote_is_verbatim_at_its_offsets(story: SeedStory) -> None:
    for entry in story.data.statements:
        text = story.texts[entry.document].decode("utf-8")
        start, end = entry.position.start, entry.position.end
        assert text[start:end] == entry.quote.exact, entry.key
        assert text[:start].endswith(entry.quote.prefix), entry.key
        assert text[end:].startswith(entry.quote.suffix), entry.key


def test_the_ledger_keeps_each_document_with_its_hash_and_anchors(
    seeded_app: Wiring, story: SeedStory
) -> None:
    for document in story.data.documents:
        view = seeded_app.queries.document(document.id)
        assert view.sha256 == hashlib.sha256(story.texts[document.id]).hexdigest()
        for anchor in view.anchors:
            position, quote = anchor.source.position, anchor.source.quote
            assert view.text[position.start : position.end] == quote.exact
        assert len(view.anchors) == sum(
            1 for s in story.data.statements if s.document == document.id
        )


@pytest.fixture
def unseeded(settings: Settings) -> Iterator[tuple[Wiring, SeedClock]]:
    """A migrated, empty ledger whose clock is the seed's."""
    clock = SeedClock()
    ledger_app = open_app(settings, clock=clock)
    yield ledger_app, clock
    ledger_app.close()


def test_seeding_appends_everything_once_and_a_second_run_nothing(
    unseeded: tuple[Wiring, SeedClock], story: SeedStory
) -> None:
    ledger_app, clock = unseeded
    first = seed(ledger_app.ledger, story, clock)
    head = ledger_app.store.head_position()
    second = seed(ledger_app.ledger, story, clock)
    data = story.data
    assert (
        first.total_appended
        == head
        == (
            len(data.actors)
            + len(data.claims)
            + len(data.documents)
            + len(data.statements)
            + 1  # the story
        )
    )
    assert second.total_appended == 0
    assert sum(second.present.values()) == head
    assert ledger_app.store.head_position() == head
    assert ledger_app.queries.verify().ok


def test_seeded_events_are_recorded_when_their_document_was_read(
    seeded_app: Wiring, story: SeedStory
) -> None:
    read_at = {doc.id: doc.recorded_at for doc in story.data.documents}
    for entry in story.data.statements:
        view = seeded_app.queries.statement(_statement_id(seeded_app, entry.key))
        assert view.current.recorded_at.startswith(
            read_at[entry.document].strftime("%Y-%m-%dT%H:%M")
        )


def _statement_id(seeded_app: Wiring, key: str):  # type: ignore[no-untyped-def]
    import uuid

    from ledger.seeding import SEED_NAMESPACE

    return uuid.uuid5(SEED_NAMESPACE, f"statements:{key}")


def test_the_story_keeps_its_contradictions(seeded_app: Wiring) -> None:
    central = seeded_app.queries.claim(CENTRAL_CLAIM)
    assert central.state == "contested"
    assert "wsj" in central.asserted_by and central.denied_by == ["peskov"]
    assert {"t-online", "dan-tri"} <= set(central.relayed_by["wsj"])
    both_dates = [
        seeded_app.queries.claim(k)
        for k in ("us-election-on-15-november-2024", "us-election-on-5-november-2024")
    ]
    assert [c.state for c in both_dates] == ["asserted", "asserted"]
    topic = seeded_app.queries.claim("musk-putin-call-about-space-and-technology")
    timing = seeded_app.queries.claim("musk-putin-call-before-february-2022")
    assert topic.asserted_by == timing.asserted_by == ["peskov"]
    quotes = [
        a.source.quote.exact
        for a in seeded_app.queries.actor("warren-strobel").statements
    ]
    assert any("Warran Strobel" in quote for quote in quotes)


def test_the_seed_command_prints_counts_that_match_the_data_file(
    settings: Settings, story: SeedStory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", settings.database_url)
    runner = CliRunner()

    first = runner.invoke(cli, ["seed"])
    second = runner.invoke(cli, ["seed"])

    assert first.exit_code == 0, first.output
    for name, count in Counter(e.document for e in story.data.statements).items():
        assert f"  {name:<30} {count:>3}" in first.output
    for name, count in Counter(e.actor for e in story.data.statements).items():
        assert f"  {name:<30} {count:>3}" in first.output
    assert f"{len(story.data.statements)} statements" in first.output
    assert second.exit_code == 0 and "nothing appended" in second.output


def _broken_seed_dir(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    raw = yaml.safe_load((SEEDS / "story.yaml").read_text(encoding="utf-8"))
    mutate(raw)
    for text in SEEDS.glob("*.txt"):
        (tmp_path / text.name).write_bytes(text.read_bytes())
    path = tmp_path / "story.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda raw: raw["statements"][3]["quote"].update(exact="erfunden"), "source.quote.exact"),
        (lambda raw: raw["statements"][3]["position"].update(start=0), "source.quote.exact"),
        (lambda raw: raw["statements"][3].update(actor="nobody"), "actor"),
        (lambda raw: raw["statements"][3].update(stance="endorses"), "stance"),
        (
            lambda raw: raw["statements"][3]["said_at"].update(precision="day", value="2024-13-01"),
            "said_at",
        ),
    ],
)
def test_a_broken_seed_file_is_refused_before_anything_is_written(
    tmp_path: Path,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    mutate,
    field: str,  # type: ignore[no-untyped-def]
) -> None:
    path = _broken_seed_dir(tmp_path, mutate)
    with pytest.raises(InvalidEvent) as refused:
        load_story(path)
    assert field in refused.value.field

    monkeypatch.setenv("LEDGER_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(cli, ["seed", "--file", str(path)])
    assert result.exit_code == 2
    assert field in result.output
    ledger_app = open_app(settings)
    try:
        assert ledger_app.store.head_position() == 0
    finally:
        ledger_app.close()


# The hash of the seed's last statement event as every version before stories wrote it: the
# chain covers every earlier event, so equal hashes mean byte-identical seed events, and a
# seed re-run over a ledger seeded by an older version appends only the story.
SEED_CHAIN_HEAD_BEFORE_STORIES = "01f79fc3abb65af292f4c550a57c0ed09fc2ee399005e8fd78123242357918ca"


def test_the_seed_events_keep_their_hashes_and_the_story_comes_last(
    unseeded: tuple[Wiring, SeedClock], story: SeedStory
) -> None:
    ledger_app, clock = unseeded
    seed(ledger_app.ledger, story, clock)
    events = list(ledger_app.store.read_all())
    assert events[130].hash == SEED_CHAIN_HEAD_BEFORE_STORIES
    claims = [e for e in events if e.type == "ClaimRegistered"]
    assert all(set(e.data) == {"key", "proposition_en", "proposition_de", "note"} for e in claims)
    assert events[-1].type == "StoryRegistered"
    assert len(ledger_app.queries.story("musk-putin-contacts").claims) == len(claims)
