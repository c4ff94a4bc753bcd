"""Choosing among a text's languages for a reader (RFC 4647 lookup), with no HTTP in it.

A reader's preferences are language ranges, best first (``api.language`` reads them from
``Accept-Language``). The first range that names one of the available tags, or a tag it is a
prefix of (``de`` takes ``de-AT``), or that truncates to one (``de-CH`` takes ``de``), wins.
With no match, the text's first language: its map is sorted by tag, so the first tag.
A range the reader refuses (``q=0``) comes as ``!range``: the wildcard ``*`` takes the first
tag that no refused range matches (RFC 9110 12.5.4: ``de;q=0, *`` is any language but German).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def lookup(available: Sequence[str], preferences: Sequence[str]) -> str | None:
    """The available tag the preferences choose, or None when none of them matches."""
    lowered = {tag.lower(): tag for tag in available}
    refused = [wanted[1:].lower() for wanted in preferences if wanted.startswith("!")]
    for wanted in preferences:
        wanted = wanted.lower()
        if wanted.startswith("!"):
            continue
        if wanted == "*":
            allowed = [tag for tag in available if not _matched(tag.lower(), refused)]
            return allowed[0] if allowed else None
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


def _matched(tag: str, ranges: Sequence[str]) -> bool:
    """Whether a (lowercased) tag is one of the ranges or begins with one and a hyphen."""
    return any(tag == wanted or tag.startswith(wanted + "-") for wanted in ranges)


def choose(texts: Mapping[str, str], preferences: Sequence[str]) -> str | None:
    """The language to show ``texts`` (a map of tags to text) in: the preferred one, else the
    first; None for an empty map."""
    tags = list(texts)
    return lookup(tags, preferences) or (tags[0] if tags else None)
