"""Builders for test data: statements that pass validation, and ways to break them."""

from __future__ import annotations

from typing import Any

from ledger.domain.model import Statement
from ledger.seeding import SeedStory, SeedStatement

CENTRAL_CLAIM = "musk-putin-regular-contact-since-2022"


def seed_entry(story: SeedStory, key: str) -> SeedStatement:
    return next(entry for entry in story.data.statements if entry.key == key)


def seed_entries(story: SeedStory, **match: Any) -> list[SeedStatement]:
    return [e for e in story.data.statements if all(getattr(e, k) == v for k, v in match.items())]


def statement_json(story: SeedStory, key: str) -> dict[str, Any]:
    """A seeded statement as the JSON a client would send."""
    return seed_entry(story, key).statement().model_dump(mode="json")


def changed(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with the dotted ``path`` set to ``value``."""
    copy: dict[str, Any] = _deep_copy(base)
    *parents, leaf = path.split(".")
    target = copy
    for part in parents:
        target = target[part]
    target[leaf] = value
    return copy


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


def as_statement(data: dict[str, Any]) -> Statement:
    return Statement.model_validate(data)
