"""Pages of a list: an opaque cursor names where the previous page ended; ``limit`` its size."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ledger.errors import InvalidEvent

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which page: after the cursor's place (from the start when None), at most ``limit``."""

    cursor: str | None = None
    limit: int = DEFAULT_LIMIT

    def after(self, kind: str) -> Any:
        """The sort key the previous page ended with; the cursor must be of this list's kind."""
        if self.cursor is None:
            return None
        try:
            decoded = json.loads(base64.urlsafe_b64decode(self.cursor.encode("ascii") + b"=="))
        except (ValueError, UnicodeError, binascii.Error):
            decoded = None
        if not isinstance(decoded, dict) or decoded.get("list") != kind or "after" not in decoded:
            raise InvalidEvent(
                "cursor", f"not a cursor of this list ({kind}): pass a 'next' from it"
            )
        return decoded["after"]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list, and the cursor of the next (None on the last page)."""

    items: list[T]
    next_cursor: str | None


def cursor_for(kind: str, after: Any) -> str:
    text = json.dumps({"list": kind, "after": after}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def paged(
    kind: str,
    request: PageRequest,
    fetch: Callable[[Any, int], Sequence[T]],
    sort_key: Callable[[T], Any],
) -> Page[T]:
    """Fetch one more item than asked: if it comes, there is a next page after the last shown."""
    items = list(fetch(request.after(kind), request.limit + 1))
    if len(items) <= request.limit:
        return Page(items, None)
    shown = items[: request.limit]
    return Page(shown, cursor_for(kind, sort_key(shown[-1])))
