"""What text the ledger takes: identifiers matched in full, names without invisible characters,
free text whose bidirectional controls close where they open.

One place for these rules, used by every domain value. ``re.match`` with ``$`` accepts a final
newline ("peskov\\n"); identifiers here are matched with ``fullmatch``, which does not.

Text read back from the log is not checked again: an event is kept as it was written, and the
rules below apply to what a writer sends from now on (``STORED`` in the validation context).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

STORED = "stored"
"""Validation-context flag: the value comes from a stored event, not from a writer."""

EMBEDDINGS = {"\u202a", "\u202b", "\u202d", "\u202e"}  # LRE, RLE, LRO, RLO: closed by PDF
ISOLATES = {"\u2066", "\u2067", "\u2068"}  # LRI, RLI, FSI: closed by PDI
POP_EMBEDDING, POP_ISOLATE = "\u202c", "\u2069"
BIDI_CONTROLS = EMBEDDINGS | ISOLATES | {POP_EMBEDDING, POP_ISOLATE, "\u200e", "\u200f", "\u061c"}


def is_stored(context: Mapping[str, Any] | None) -> bool:
    return bool(context and context.get(STORED))


def matches_in_full(pattern: re.Pattern[str], value: str) -> bool:
    """The whole value matches: no trailing newline slips past a ``$``."""
    return pattern.fullmatch(value) is not None


def invisible_characters(value: str) -> list[str]:
    """Format (Cf: bidi controls, zero-width characters, BOM, soft hyphen), control (Cc) and
    separator (Zl, Zp) characters: what a name may not hold, as ``U+XXXX``."""
    found = sorted(
        {ch for ch in value if unicodedata.category(ch) in ("Cf", "Cc", "Zl", "Zp")}
    )
    return [f"U+{ord(ch):04X}" for ch in found]


FILLERS = {"\u115f", "\u1160", "\u3164", "\uffa0"}
"""Hangul fillers: letters (Lo) by category, blank when shown."""


def name_problem(value: str) -> str | None:
    """Why ``value`` is no name (a name is shown as it is, so nothing in it may be invisible,
    and something in it must show)."""
    fillers = [f"U+{ord(ch):04X}" for ch in sorted(FILLERS & set(value))]
    found = invisible_characters(value) + fillers
    if not found:
        if not value.strip():
            return "a name shows something: this one is only spaces"
        if not any(unicodedata.category(ch)[0] in "LNPS" for ch in value):
            return "a name shows something: a letter, digit, punctuation mark or symbol"
        return None
    return (
        f"a name may not hold invisible or bidirectional control characters ({', '.join(found)})"
    )


def free_text_problem(value: str) -> str | None:
    """Why ``value`` is not free text the ledger takes: a bidirectional embedding, override or
    isolate that is not closed inside it would reverse the text shown after it.

    Closed ones (RLI ... PDI, RLO ... PDF) are kept as given: mixed-direction quotes need them.
    """
    if not any(ch in BIDI_CONTROLS for ch in value):
        return None
    open_: list[str] = []
    for ch in value:
        if ch in EMBEDDINGS or ch in ISOLATES:
            open_.append(ch)
        elif ch == POP_EMBEDDING:
            if not open_ or open_[-1] not in EMBEDDINGS:
                return "a PDF (U+202C) closes no embedding or override opened before it"
            open_.pop()
        elif ch == POP_ISOLATE:
            while open_ and open_[-1] in EMBEDDINGS:  # a PDI closes the embeddings inside too
                open_.pop()
            if not open_:
                return "a PDI (U+2069) closes no isolate opened before it"
            open_.pop()
    if open_:
        return (
            f"a bidirectional control (U+{ord(open_[-1]):04X}) is not closed in this text: "
            "close it (PDF U+202C or PDI U+2069) so it cannot reverse what follows"
        )
    return None
