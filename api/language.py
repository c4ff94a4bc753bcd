"""The reader's language: ``Accept-Language`` (RFC 9110 12.5.4) picks each claim's proposition.

Claim views carry ``proposition`` (and ``proposition_language``) in the language the request
prefers, falling back to the claim's first language; answers say which in ``Content-Language``
and vary on ``Accept-Language``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends, Header, Response

from ledger.languages import choose
from ledger.projections.views import ClaimView

RANGE = re.compile(r"^(\*|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)$")
MAX_RANGES = 20


def preferences(header: str | None) -> list[str]:
    """The header's language ranges, best first (ties in the header's order), then the ranges
    q=0 refuses as ``!range`` (only ``*`` heeds them); ranges that are not ranges are dropped."""
    ranked: list[tuple[float, int, str]] = []
    refused: list[str] = []
    for index, part in enumerate((header or "").split(",")[:MAX_RANGES]):
        name, *params = [piece.strip() for piece in part.split(";")]
        if not RANGE.match(name):
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            ranked.append((-q, index, name))
        elif name != "*":
            refused.append(f"!{name}")
    return [name for _, _, name in sorted(ranked)] + refused


async def reader_preferences(
    accept_language: Annotated[
        str | None,
        Header(
            description="The reader's languages (RFC 9110): each claim's `proposition` comes "
            "in the first it has, else in the claim's first language.",
            examples=["de-DE, de;q=0.9, en;q=0.5"],
        ),
    ] = None,
) -> list[str]:
    """The request's language preferences; documented in OpenAPI as the Accept-Language header."""
    return preferences(accept_language)


Preferences = Annotated[list[str], Depends(reader_preferences)]


def localized(view: ClaimView, wanted: list[str]) -> ClaimView:
    """The claim view with ``proposition`` in the language ``wanted`` chooses."""
    language = choose(view.propositions, wanted)
    text = view.propositions.get(language) if language else None
    return view.model_copy(update={"proposition": text, "proposition_language": language})


def localized_all(views: Iterable[ClaimView], wanted: list[str]) -> list[ClaimView]:
    return [localized(view, wanted) for view in views]


def say_language(response: Response, views: Iterable[ClaimView]) -> None:
    """``Content-Language``: the languages the answer's propositions are in (none: not set)."""
    languages = sorted({v.proposition_language for v in views if v.proposition_language})
    if languages:
        response.headers["Content-Language"] = ", ".join(languages)
    response.headers.append("Vary", "Accept-Language")
