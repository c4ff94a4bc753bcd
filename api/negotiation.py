"""Content negotiation (RFC 9110 12.5.1): pick the representation an ``Accept`` header asks for.

Media ranges are matched with their parameters: ``application/ld+json; profile="…"`` matches
only the offer with that profile, a bare ``application/ld+json`` matches the first JSON-LD
offer, and ``*/*`` the first offer. The most specific range decides an offer's quality; the
best quality wins, and among equals the server's order. No acceptable offer is a 406.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class NotAcceptable(Exception):
    """No representation of this resource matches the request's Accept header (406)."""

    def __init__(self, offered: list[str]) -> None:
        self.offered = offered
        super().__init__("none of the offered media types is acceptable: " + ", ".join(offered))


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    params: dict[str, str]
    q: float

    def specificity(self, offer: MediaRange) -> int | None:
        """How closely this range matches ``offer`` (higher is closer), None for no match."""
        if self.type not in ("*", offer.type) or self.subtype not in ("*", offer.subtype):
            return None
        if any(offer.params.get(name) != value for name, value in self.params.items()):
            return None
        return (self.type != "*") + (self.subtype != "*") + len(self.params)


def parse(value: str, *, with_q: bool = True) -> MediaRange:
    kind, *params = [part.strip() for part in value.split(";")]
    main, _, sub = kind.lower().partition("/")
    parsed: dict[str, str] = {}
    q = 1.0
    for param in params:
        name, _, raw = param.partition("=")
        name, raw = name.strip().lower(), raw.strip().strip('"')
        if with_q and name == "q":
            try:
                q = float(raw)
            except ValueError:
                q = 0.0
        elif name:
            parsed[name] = raw
    return MediaRange(main, sub or "*", parsed, q)


def negotiate(accept: str | None, offers: list[str]) -> str:
    """The offer to send; raises NotAcceptable when the header accepts none of them."""
    if accept is None or not accept.strip():
        return offers[0]
    ranges = [parse(part) for part in _split(accept)]
    best: tuple[float, int, str] | None = None
    for order, offer in enumerate(offers):
        target = parse(offer, with_q=False)
        matches = [(r.specificity(target), r.q) for r in ranges]
        scored = [(spec, q) for spec, q in matches if spec is not None]
        if not scored:
            continue
        quality = max(scored)[1]
        if quality > 0 and (best is None or quality > best[0]):
            best = (quality, -order, offer)
    if best is None:
        raise NotAcceptable(offers)
    return best[2]


def _split(header: str) -> list[str]:
    """Comma-separated ranges, keeping commas inside quoted parameter values."""
    parts, current, quoted = [], "", False
    for char in header:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [part for part in parts if part.strip()]


def content(schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"schema": schema or {"type": "object", "additionalProperties": True}}
