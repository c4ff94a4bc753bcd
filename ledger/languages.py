"""Choosing among a text's languages for a reader (RFC 4647 lookup), with no HTTP in it.

A reader's preferences are language ranges, best first (``api.language`` reads them from
``Accept-Language``). The first range that names one of the available tags, or a tag it is a
prefix of (``de`` takes ``de-AT``), or that truncates to one (``de-CH`` takes ``de``), wins.
With no match, the text's first language: its map is sorted by tag, so the first tag.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def lookup(available: Sequence[str], preferences: Sequence[str]) -> str | None:
    """The available tag the preferences choose, or None when none of them matches."""
    lowered = {tag.lower(): tag for tag in available}
    for wanted in preferences:
        wanted = wanted.lower()
        if wanted == "*":
            return available[0] if available else None
        if wanted in lowered:
            return lowered[wanted]
        for tag in available:
            if tag.lower().startswith(wanted + "-"):
                return tag
        while "-" in wanted:
            wanted = wanted.rsplit("-", 1)[0]
            if wanted in lowered:
                return lowered[wanted]
    return None


def choose(texts: Mapping[str, str], preferences: Sequence[str]) -> str | None:
    """The language to show ``texts`` (a map of tags to text) in: the preferred one, else the
    first; None for an empty map."""
    tags = list(texts)
    return lookup(tags, preferences) or (tags[0] if tags else None)
