"""A second story, not in the seeds, written over HTTP as a new user would: exact quotes only.

Three short English documents across three days of March 2025: a newspaper reports that a
bridge repair cost doubled and that the council kept a report back; a spokesperson denies it,
in a second outlet that relays the denial; the newspaper corrects its figure (its first
statement is withdrawn by the source on 5 March). Used by the API and the browser tests.
PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from typing import Any

from tests.support.story_writing import Poster, StoryWriter, Written, document_body, statement

STORY = {
    "key": "harbour-bridge",
    "title": "Harbour bridge repair costs, March 2025",
    "description": "A newspaper's cost report, City Hall's denial, and a corrected figure.",
}
ACTORS = [
    {"key": "coastal-herald", "name": "The Coastal Herald", "kind": "outlet"},
    {"key": "river-news", "name": "River News", "kind": "outlet"},
    {"key": "anna-berg", "name": "Anna Berg, City Hall spokesperson", "kind": "person"},
]
CLAIMS = [
    {
        "key": "bridge-cost-doubled",
        "story": "harbour-bridge",
        "propositions": {"en": "The harbour bridge repair cost has doubled to 40 million euros."},
    },
    {
        "key": "council-kept-cost-report-back",
        "story": "harbour-bridge",
        "propositions": {"en": "The city council kept the cost report from the public."},
    },
    {
        "key": "bridge-cost-34-million",
        "story": "harbour-bridge",
        "propositions": {"en": "The harbour bridge repair costs 34 million euros."},
    },
]
TEXTS = {
    "herald-2025-03-03.txt": (
        "coastal-herald",
        "2025-03-03",
        "Bridge repair cost doubles\n\nThe Coastal Herald has learned that the cost of "
        "repairing the harbour bridge has doubled to 40 million euros. According to papers seen "
        "by the Herald, the city council kept the cost report from the public for months. "
        "The council did not answer questions about the cost report by Monday evening.\n",
    ),
    "river-2025-03-04.txt": (
        "river-news",
        "2025-03-04",
        "City Hall denies bridge report\n\nA City Hall spokesperson, Anna Berg, said on "
        "Tuesday: “The cost has not doubled, and no report was kept from anyone.” The Coastal "
        "Herald had reported on Monday that the repair cost had doubled.\n",
    ),
    "herald-2025-03-05.txt": (
        "coastal-herald",
        "2025-03-05",
        "Correction\n\nAn article of 3 March said the harbour bridge repair cost had doubled to "
        "40 million euros. The repair costs 34 million euros. The Herald stands by its report "
        "that the council kept the cost report from the public.\n",
    ),
}


def document(document_id: str) -> dict[str, Any]:
    return document_body(document_id, TEXTS[document_id], "en")


STATEMENTS = [
    statement(
        "bridge-cost-doubled", "coastal-herald", "asserts", ["coastal-herald"], "2025-03-03",
        "herald-2025-03-03.txt",
        "the cost of repairing the harbour bridge has doubled to 40 million euros",
    ),
    statement(
        "council-kept-cost-report-back", "coastal-herald", "asserts", ["coastal-herald"],
        "2025-03-03", "herald-2025-03-03.txt",
        "the city council kept the cost report from the public for months",
    ),
    statement(
        "bridge-cost-doubled", "anna-berg", "denies", ["river-news", "anna-berg"], "2025-03-04",
        "river-2025-03-04.txt", "The cost has not doubled",
    ),
    statement(
        "council-kept-cost-report-back", "anna-berg", "denies", ["river-news", "anna-berg"],
        "2025-03-04", "river-2025-03-04.txt", "no report was kept from anyone",
    ),
    statement(
        "bridge-cost-doubled", "river-news", "reports", ["river-news"], "2025-03-04",
        "river-2025-03-04.txt", "City Hall denies bridge report", relays="anna-berg",
    ),
    statement(
        "bridge-cost-34-million", "coastal-herald", "asserts", ["coastal-herald"], "2025-03-05",
        "herald-2025-03-05.txt", "The repair costs 34 million euros.",
    ),
]
WITHDRAWAL = {
    "reason": "The Herald corrected its figure on 5 March: 34, not 40 million euros.",
    "basis": "source_changed",
    "withdrawn_at": "2025-03-05T08:00:00Z",
}


def write_story(client: Poster, headers: dict[str, str]) -> Written:
    """Register the story, its actors, claims and documents, record its statements with exact
    quotes only, and withdraw the figure the newspaper corrected; every answer must be 201."""
    writer = StoryWriter(client, headers)
    writer.register(STORY, ACTORS, CLAIMS, [document(document_id) for document_id in TEXTS])
    ids = writer.record(STATEMENTS)
    writer.post(f"/v1/statements/{ids[0]}/retractions", WITHDRAWAL)
    return writer.written
