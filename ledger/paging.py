"""Pages of a list: an opaque cursor names where the previous page ended; ``limit`` its size."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from ledger.errors import InvalidEvent

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
T = TypeVar("T")
SortKey = int | str
"""What a list is sorted by, and so what a cursor holds: a position (int) or a key (str)."""


class Cursor(BaseModel):
    """A decoded cursor: which list it belongs to and the sort key its page ended with.

    Only this shape is taken: another key, a nested value or an out-of-range number is refused
    here, before any of it reaches a query.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    list: Annotated[StrictStr, Field(max_length=40)]
    after: Annotated[StrictInt, Field(ge=0, le=2**53)] | Annotated[StrictStr, Field(max_length=200)]


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which page: after the cursor's place (from the start when None), at most ``limit``."""

    cursor: str | None = None
    limit: int = DEFAULT_LIMIT

    def after(self, kind: str, sort_key: type[SortKey] = str) -> SortKey | None:
        """The sort key the previous page ended with; the cursor must be of this list's kind,
        and its key of the type the list sorts by (``sort_key``)."""
        if self.cursor is None:
            return None
        cursor = decode_cursor(self.cursor)
        if cursor is None or cursor.list != kind or type(cursor.after) is not sort_key:
            raise InvalidEvent(
                "cursor", f"not a cursor of this list ({kind}): pass a 'next' from it"
            )
        return cursor.after


def decode_cursor(text: str) -> Cursor | None:
    """The cursor ``text`` encodes, or None when it is not one."""
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii") + b"==")
        return Cursor.model_validate_json(raw)
    except (ValueError, UnicodeError, binascii.Error, ValidationError):
        return None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list, and the cursor of the next (None on the last page)."""

    items: list[T]
    next_cursor: str | None


def cursor_for(kind: str, after: SortKey) -> str:
    text = json.dumps({"list": kind, "after": after}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def paged(
    kind: str,
    request: PageRequest,
    fetch: Callable[[Any, int], Sequence[T]],
    sort_key: Callable[[T], SortKey],
    *,
    sorted_by: type[SortKey] = str,
) -> Page[T]:
    """Fetch one more item than asked: if it comes, there is a next page after the last shown.

    ``sorted_by`` is the type of the list's sort key (a key: str; a position: int).
    """
    items = list(fetch(request.after(kind, sorted_by), request.limit + 1))
    if len(items) <= request.limit:
        return Page(items, None)
    shown = items[: request.limit]
    return Page(shown, cursor_for(kind, sort_key(shown[-1])))
