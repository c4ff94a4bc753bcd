"""Anchoring a quote in its document: every occurrence of the exact text, as W3C selectors.

A writer gives the quote's exact text; the ledger finds it, in code points, and stores the full
anchor: a TextQuoteSelector whose prefix and suffix are up to ``CONTEXT`` code points of the
text around the quote, and a TextPositionSelector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.domain.model import TextPositionSelector, TextQuoteSelector
from ledger.errors import InvalidEvent

CONTEXT = 32
"""Code points of text kept before (prefix) and after (suffix) the quote, fewer at the edges."""
SHOWN_OCCURRENCES = 20


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One place the quote's exact text occurs in the document."""

    number: int  # 1-based, in text order
    quote: TextQuoteSelector
    position: TextPositionSelector

    def to_json(self) -> dict[str, Any]:
        quote, position = self.quote.model_dump(), self.position.model_dump()
        return {
            "occurrence": self.number,
            "quote": quote,
            "position": position,
            "selectors": [
                {"type": "TextQuoteSelector", **quote},
                {"type": "TextPositionSelector", **position},
            ],
        }


class AmbiguousQuote(InvalidEvent):
    """The quote occurs more than once and nothing says which occurrence is meant."""

    def __init__(self, field: str, found: list[Occurrence]) -> None:
        self.occurrences = found
        super().__init__(
            field,
            f"occurs {len(found)} times, at code points {places(found)}: give source.occurrence"
            f" (1 to {len(found)}), or source.position, or a prefix or suffix that tells them apart",
        )

    def extensions(self) -> dict[str, Any]:
        return {"occurrences": [o.to_json() for o in self.occurrences[:SHOWN_OCCURRENCES]]}


def occurrences(text: str, exact: str) -> list[Occurrence]:
    """Every occurrence of ``exact`` in ``text``, overlapping ones included, in text order."""
    found: list[Occurrence] = []
    start = text.find(exact) if exact else -1
    while start != -1:
        found.append(anchor_at(text, start, start + len(exact), number=len(found) + 1))
        start = text.find(exact, start + 1)
    return found


def anchor_at(text: str, start: int, end: int, *, number: int = 1) -> Occurrence:
    """The full anchor of ``text[start:end]``, with the documented context around it."""
    quote = TextQuoteSelector(
        exact=text[start:end],
        prefix=text[max(0, start - CONTEXT) : start],
        suffix=text[end : end + CONTEXT],
    )
    return Occurrence(number, quote, TextPositionSelector(start=start, end=end))


def resolve(
    text: str,
    exact: str,
    *,
    prefix: str | None,
    suffix: str | None,
    occurrence: int | None,
    field: str,
) -> Occurrence:
    """The one occurrence a writer means: by number, or the only one that fits prefix/suffix."""
    found = [
        o
        for o in occurrences(text, exact)
        if (prefix is None or _before(text, o, prefix))
        and (suffix is None or text.startswith(suffix, o.position.end))
    ]
    if not found:
        raise InvalidEvent(f"{field}quote.exact", not_found_message(text, exact, prefix, suffix))
    if occurrence is not None:
        if occurrence > len(found):
            raise InvalidEvent(
                f"{field}occurrence",
                f"the quote occurs {len(found)} time(s), at code points {places(found)}",
            )
        return found[occurrence - 1]
    if len(found) > 1:
        raise AmbiguousQuote(f"{field}quote.exact", found)
    return found[0]


def _before(text: str, found: Occurrence, prefix: str) -> bool:
    start = found.position.start
    return text[max(0, start - len(prefix)) : start] == prefix


def not_found_message(text: str, exact: str, prefix: str | None, suffix: str | None) -> str:
    anywhere = occurrences(text, exact)
    if anywhere:
        return (
            f"occurs at code points {places(anywhere)}, but not with the prefix and suffix given"
        )
    return (
        f"not found anywhere in the document ({len(text)} code points); the quote must match "
        "the text exactly, spaces, punctuation and line breaks included"
    )


def misplaced_message(text: str, exact: str, start: int, end: int) -> str:
    """Why the quote is not at ``[start, end)``, and where it is, in code points."""
    anywhere = occurrences(text, exact)
    if not anywhere:
        return (
            f"not found at code points {start}-{end}, nor anywhere else in the document "
            f"({len(text)} code points)"
        )
    hint = " Offsets count Unicode code points, not bytes."
    encoded = [_byte_offsets(text, o) for o in anywhere]
    if (start, end) in encoded:
        hint = (
            " The offsets given are the quote's UTF-8 byte offsets: the ledger counts Unicode"
            " code points."
        )
    return (
        f"not found at code points {start}-{end}; the quote is at code points "
        f"{places(anywhere)}.{hint} Or leave out source.position and the ledger finds it."
    )


def _byte_offsets(text: str, found: Occurrence) -> tuple[int, int]:
    start = len(text[: found.position.start].encode("utf-8"))
    return start, start + len(found.quote.exact.encode("utf-8"))


def places(found: list[Occurrence]) -> str:
    """``start-end`` of each occurrence, in code points."""
    shown = ", ".join(f"{o.position.start}-{o.position.end}" for o in found[:SHOWN_OCCURRENCES])
    return shown + (", ..." if len(found) > SHOWN_OCCURRENCES else "")
