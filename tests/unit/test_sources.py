"""Extracting documents from HTML and PDF, and reading documents and actors written before
these fields existed (issue 24). No database."""

from __future__ import annotations

import base64
import hashlib
import time

import pytest

from ledger import sources
from ledger.domain.events import ActorRegistered, DocumentRegistered, decode, event_data
from ledger.errors import InvalidEvent
from ledger.sources import HTML, PDF, SourceFields, document_from_original, extract_html, extract_pdf
from tests.support.sources import article_html, make_pdf, make_pdf_bomb


class Stored:
    def __init__(self, type_: str, data: dict[str, object]) -> None:
        self.type, self.data = type_, data


def test_html_gives_the_article_without_navigation_advert_byline_or_footer() -> None:
    found = extract_html(article_html(author="Jana Weber"))
    assert found.text.splitlines() == [
        "Hafenbrücke: Streit um die Kosten",
        "„Wir haben die Pläne rechtzeitig vorgelegt“, sagte Bürgermeisterin Anna Berg am Montag im Rathaus.",
        "Der Bauunternehmer Tom Krüger bestritt, dass sich die Kosten verdoppelt hätten. Die Anpassung sei bereits im Januar vorgelegt worden, erklärte Krüger.",
        "Eine Sprecherin der Hafenbehörde wollte sich nicht äußern.",
    ]
    assert (found.title, found.author) == ("Hafenbrücke: Streit um die Kosten", "Jana Weber")
    assert found.published == "2025-03-03T08:15:00+01:00"
    assert found.extractor.name == "trafilatura"


def test_a_page_without_a_time_in_its_meta_gives_the_day() -> None:
    page = article_html().replace(
        '<meta property="article:published_time" content="2025-03-03T08:15:00+01:00">',
        '<meta name="date" content="2025-03-04">',
    )
    assert extract_html(page).published == "2025-03-04"


def test_a_pdf_gives_its_text_and_its_information_dictionary() -> None:
    pdf = make_pdf(["Erste Zeile mit Ümlaut.", "Zweite Zeile."], "Titel", "Autorin", "D:20241026")
    found = extract_pdf(pdf)
    assert found.text == "Erste Zeile mit Ümlaut.\nZweite Zeile."
    assert (found.title, found.author, found.published) == ("Titel", "Autorin", "2024-10-26")
    assert found.extractor.name == "pdfminer.six"


def test_the_document_keeps_the_original_and_checks_it() -> None:
    page = article_html().encode()
    fields = SourceFields("a.html", "de", url="https://example.org/a")
    document = document_from_original(fields, HTML, page, field="html")
    assert document.original is not None
    assert base64.b64decode(document.original.content) == page
    assert document.original.sha256 == hashlib.sha256(page).hexdigest()
    assert document.dated is not None and document.dated.isoformat() == "2025-03-03"
    tampered = {**event_data(DocumentRegistered.model_validate(document.model_dump())), "original": {
        **document.original.model_dump(), "content": base64.b64encode(page + b" ").decode()
    }}
    with pytest.raises(InvalidEvent, match="original"):
        decode(Stored("DocumentRegistered", tampered))


def test_unreadable_sources_are_refused_naming_the_input() -> None:
    with pytest.raises(InvalidEvent) as error:
        document_from_original(SourceFields("a.pdf", "de"), PDF, b"not a pdf", field="pdf")
    assert error.value.field == "pdf"


def test_events_written_before_the_new_fields_still_read_and_keep_their_shape() -> None:
    text = "Ein Text."
    old_document = {
        "document_id": "old.txt", "publisher": None, "language": "de", "dated": None,
        "sha256": hashlib.sha256(text.encode()).hexdigest(), "text": text, "note": None,
    }
    document = decode(Stored("DocumentRegistered", old_document))
    assert isinstance(document, DocumentRegistered) and document.original is None
    assert event_data(document) == old_document  # the same data, so the same hash
    old_actor = {"key": "peskov", "name": "Dmitry Peskov", "kind": "person", "note": None}
    actor = decode(Stored("ActorRegistered", old_actor))
    assert isinstance(actor, ActorRegistered) and actor.aliases == []
    assert event_data(actor) == old_actor
    with_aliases = ActorRegistered(**old_actor, aliases=["Peskow"])
    assert event_data(with_aliases)["aliases"] == ["Peskow"]


def test_a_pdf_decompression_bomb_is_refused_within_the_limits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """300 KB that inflate to 512 MiB: the child that reads it hits its memory (or CPU) limit
    and the PDF is refused, naming the field, instead of the server reading it for minutes."""
    monkeypatch.setattr(sources, "PDF_MEMORY_BYTES", 384 * 1024 * 1024)
    monkeypatch.setattr(sources, "PDF_CPU_SECONDS", 5)
    monkeypatch.setattr(sources, "PDF_WALL_SECONDS", 10)
    bomb = make_pdf_bomb(512)
    assert len(bomb) < 1024 * 1024
    started = time.perf_counter()
    with pytest.raises(InvalidEvent) as refused:
        extract_pdf(bomb)
    assert refused.value.field == "pdf"
    assert time.perf_counter() - started < 15
