"""A text's sentences, words and quotations, with their places in code points."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

QUOTE_PAIRS = {"„": "“”", "“": "”", "»": "«", "«": "»", '"': '"', "‚": "‘’"}
WORD = re.compile(r"[^\W_](?:[\w’'.-]*[^\W_])?")
ABBREVIATIONS = {
    "dr", "prof", "nr", "bzw", "ca", "etc", "vgl", "z.b", "u.a", "v.a", "d.h", "mr", "mrs", "ms",
    "st", "hr", "fr", "jan", "feb", "mär", "apr", "jun", "jul", "aug", "sep", "sept", "okt", "oct",
    "nov", "dez", "dec", "inc", "corp", "co", "jr", "sen", "gen", "gov", "u.s", "no",
}
OPENERS = "„“\"»«‚("
NEXT_CHARACTER = re.compile(r"\s*(\S)")
OPENING = re.compile("[" + re.escape("".join(QUOTE_PAIRS)) + "]")


@dataclass(frozen=True, slots=True)
class Word:
    start: int
    end: int
    text: str
    lower: str


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence (or a headline line): its span, its words, and its quotations' spans."""

    start: int
    end: int
    words: list[Word]
    quotes: list[tuple[int, int]]  # spans including the marks
    paragraph: int

    def inside_quote(self, position: int) -> bool:
        return any(start <= position < end for start, end in self.quotes)


def words(text: str, start: int = 0, end: int | None = None) -> list[Word]:
    """The words of ``text[start:end]``, inner hyphens, dots and apostrophes kept."""
    found = []
    for match in WORD.finditer(text, start, len(text) if end is None else end):
        word = match.group().rstrip(".")
        found.append(Word(match.start(), match.start() + len(word), word, word.lower()))
    return found


def quotations(text: str) -> list[tuple[int, int]]:
    """Spans of quotations in the marks news uses, within one paragraph, marks included."""
    spans: list[tuple[int, int]] = []
    unclosed_until: dict[str, int] = {}  # a mark: where its last search met no closing mark
    position = 0
    while (opening := OPENING.search(text, position)) is not None:
        start = opening.start()
        mark = text[start]
        if start < unclosed_until.get(mark, -1):
            position = start + 1  # nothing closes it before that line break either: linear
            continue
        closing = re.compile(f"[{re.escape(QUOTE_PAIRS[mark])}\n]").search(text, start + 1)
        if closing is None or text[closing.start()] == "\n":
            unclosed_until[mark] = len(text) if closing is None else closing.start()
            position = start + 1
            continue
        spans.append((start, closing.start() + 1))
        position = closing.start() + 1
    return spans


def sentences(text: str) -> list[Sentence]:
    """The text's sentences: split after . ! ? (not after an abbreviation or a day's ordinal,
    not inside a quotation) where a capital, a digit or an opening mark follows, and at every
    line break."""
    quotes = quotations(text)
    found: list[Sentence] = []
    paragraph = 0
    for line_start, line in _lines(text):
        if not line.strip():
            paragraph += 1
            continue
        start = line_start
        for boundary in _boundaries(text, line_start, line_start + len(line), quotes):
            _add(found, text, start, boundary, quotes, paragraph)
            start = boundary
        _add(found, text, start, line_start + len(line), quotes, paragraph)
    return found


def _lines(text: str) -> list[tuple[int, str]]:
    lines, position = [], 0
    for line in text.split("\n"):
        lines.append((position, line))
        position += len(line) + 1
    return lines


def _boundaries(text: str, start: int, end: int, quotes: list[tuple[int, int]]) -> list[int]:
    found = []
    for match in re.finditer(r"[.!?]+[”“\"»«’)]*(?=\s+\S)", text[start:end]):
        stop = start + match.end()
        mark = start + match.start()
        if _within_quote(quotes, mark, stop):
            continue  # inside a quotation
        following = NEXT_CHARACTER.match(text, stop, end)
        if following is None or not _opens_sentence(following.group(1)):
            continue
        if text[mark] == "." and _abbreviated(text, start, mark):
            continue
        found.append(stop)
    return found


def _opens_sentence(char: str) -> bool:
    return char.isupper() or char.isdigit() or char in OPENERS


def _within_quote(quotes: list[tuple[int, int]], mark: int, stop: int) -> bool:
    """Whether a quotation (they do not overlap, in order) opens before ``mark`` and closes
    after ``stop``."""
    index = bisect.bisect_left(quotes, (mark, 0)) - 1
    return index >= 0 and quotes[index][0] < mark and stop < quotes[index][1]


def _abbreviated(text: str, line_start: int, dot: int) -> bool:
    before = re.search(r"([\w.]+)$", text[max(line_start, dot - 20) : dot])
    if before is None:
        return False
    word = before.group(1).lower()
    return word in ABBREVIATIONS or (word.isdigit() and len(word) <= 2) or len(word) == 1


def _add(found: list[Sentence], text: str, start: int, end: int, quotes: list[tuple[int, int]], paragraph: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        first = bisect.bisect_left(quotes, (start, 0))
        last = bisect.bisect_right(quotes, (end, len(text) + 1))
        inner = [(s, e) for s, e in quotes[first:last] if e <= end]
        found.append(Sentence(start, end, words(text, start, end), inner, paragraph))
