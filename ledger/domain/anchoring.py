"""Anchoring a quote in its document: every occurrence of the exact text, as W3C selectors.

A writer gives the quote's exact text; the ledger finds it, in code points, and stores the full
anchor: a TextQuoteSelector whose prefix and suffix are up to ``CONTEXT`` code points of the
text around the quote, and a TextPositionSelector.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ledger.domain.model import TextPositionSelector, TextQuoteSelector
from ledger.errors import InvalidEvent

CONTEXT = 32
"""Code points of text kept before (prefix) and after (suffix) the quote, fewer at the edges."""
SHOWN_OCCURRENCES = 20
"""Occurrences listed in an error (a problem's ``occurrences``, its message's places)."""
MAX_PAGE = 100
"""Occurrences one anchors answer holds at most; ``after`` pages on."""
MAX_COUNTED = 10_000
"""Occurrences any one request looks at, anchors and statement checks alike."""
MAX_WORK = 5_000_000
"""Code points of matched text one request may compare: occurrences times the quote's length.

A quote of 5,000 "a" in 100,000 "a" is 95,001 overlapping occurrences, and listing them all
was a 985 MB answer after 11 s. With both caps a request finds at most ``MAX_COUNTED`` short
quotes, or ``MAX_WORK // len(quote)`` long ones (1,000 of 5,000 code points), in tens of
milliseconds, whatever the document holds. Past the cap the count says "or more", and a writer
places the quote by ``source.position`` (or a longer quote)."""


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


@dataclass(frozen=True, slots=True)
class Starts:
    """Where the quote starts, in text order, up to its ``counting_cap``; ``complete``
    is False when the scan stopped at the cap with more text to look at."""

    starts: list[int]
    length: int
    complete: bool

    def counted(self) -> str:
        """``3 times``, or ``10,000 times or more`` when the scan stopped at the cap."""
        count = len(self.starts)
        return f"{count:,} {'time' if count == 1 else 'times'}" + ("" if self.complete else " or more")

    def places(self) -> str:
        """``start-end`` of the first occurrences, in code points."""
        shown = ", ".join(
            f"{start}-{start + self.length}" for start in self.starts[:SHOWN_OCCURRENCES]
        )
        more = len(self.starts) > SHOWN_OCCURRENCES or not self.complete
        return shown + (", ..." if more else "")

    def kept(self, fits: Callable[[int], bool]) -> Starts:
        return Starts([s for s in self.starts if fits(s)], self.length, self.complete)


class AmbiguousQuote(InvalidEvent):
    """The quote occurs more than once and nothing says which occurrence is meant."""

    def __init__(self, field: str, found: Starts, shown: list[Occurrence]) -> None:
        self.occurrences = shown
        upper = f"{len(found.starts):,}"
        super().__init__(
            field,
            f"occurs {found.counted()}, at code points {found.places()}: give source.occurrence"
            f" (1 to {upper}), or source.position, or a prefix or suffix that tells them apart",
        )

    def extensions(self) -> dict[str, Any]:
        return {"occurrences": [o.to_json() for o in self.occurrences[:SHOWN_OCCURRENCES]]}


def counting_cap(exact: str) -> int:
    """How many occurrences of ``exact`` one request looks at (``MAX_COUNTED``, ``MAX_WORK``)."""
    return max(MAX_PAGE, min(MAX_COUNTED, MAX_WORK // max(1, len(exact))))


def find_starts(text: str, exact: str) -> Starts:
    """Where ``exact`` starts in ``text``, overlapping occurrences included, up to its cap."""
    cap = counting_cap(exact)
    starts: list[int] = []
    start = text.find(exact) if exact else -1
    while start != -1 and len(starts) < cap:
        starts.append(start)
        start = text.find(exact, start + 1)
    return Starts(starts, len(exact), complete=start == -1)


def occurrences(
    text: str, found: Starts, *, after: int = 0, limit: int = MAX_PAGE
) -> list[Occurrence]:
    """The occurrences numbered ``after + 1`` to ``after + limit``, with their full anchors."""
    return _anchored(text, found, range(after, min(after + limit, len(found.starts))))


def _anchored(text: str, found: Starts, indexes: range) -> list[Occurrence]:
    return [
        anchor_at(text, found.starts[i], found.starts[i] + found.length, number=i + 1)
        for i in indexes
    ]


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
    anywhere = find_starts(text, exact)
    found = anywhere.kept(
        lambda start: (prefix is None or text[max(0, start - len(prefix)) : start] == prefix)
        and (suffix is None or text.startswith(suffix, start + len(exact)))
    )
    if not found.starts:
        raise InvalidEvent(f"{field}quote.exact", not_found_message(text, anywhere, prefix, suffix))
    if occurrence is not None:
        if occurrence > len(found.starts):
            raise InvalidEvent(
                f"{field}occurrence",
                f"the quote occurs {found.counted()}, at code points {found.places()}"
                + ("" if found.complete else ": past the first, give source.position"),
            )
        return _anchored(text, found, range(occurrence - 1, occurrence))[0]
    if len(found.starts) > 1:
        shown = _anchored(text, found, range(min(SHOWN_OCCURRENCES, len(found.starts))))
        raise AmbiguousQuote(f"{field}quote.exact", found, shown)
    return _anchored(text, found, range(1))[0]


def not_found_message(text: str, anywhere: Starts, prefix: str | None, suffix: str | None) -> str:
    if anywhere.starts:
        return (
            f"occurs at code points {anywhere.places()}, but not with the prefix and suffix given"
            + ("" if anywhere.complete else f" (among the first {MAX_COUNTED:,}: give source.position)")
        )
    return (
        f"not found anywhere in the document ({len(text)} code points); the quote must match "
        "the text exactly, spaces, punctuation and line breaks included"
    )


def misplaced_message(text: str, exact: str, start: int, end: int) -> str:
    """Why the quote is not at ``[start, end)``, and where it is, in code points."""
    anywhere = find_starts(text, exact)
    if not anywhere.starts:
        return (
            f"not found at code points {start}-{end}, nor anywhere else in the document "
            f"({len(text)} code points)"
        )
    hint = " Offsets count Unicode code points, not bytes."
    if (start, end) in _byte_offsets(text, anywhere):
        hint = (
            " The offsets given are the quote's UTF-8 byte offsets: the ledger counts Unicode"
            " code points."
        )
    return (
        f"not found at code points {start}-{end}; the quote is at code points "
        f"{anywhere.places()}.{hint} Or leave out source.position and the ledger finds it."
    )


def _byte_offsets(text: str, found: Starts) -> set[tuple[int, int]]:
    """Each occurrence's UTF-8 byte offsets, encoding the text once from start to end."""
    if not found.starts:
        return set()
    first = found.starts[0]
    size = len(text[first : first + found.length].encode("utf-8"))  # the same text each time
    offsets, byte, previous = set(), 0, 0
    for start in found.starts:
        byte += len(text[previous:start].encode("utf-8"))
        previous = start
        offsets.add((byte, byte + size))
    return offsets
