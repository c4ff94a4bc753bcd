"""Who the text names: registered actors found by name, surname, acronym and aliases.

Names are compared folded (case, diacritics, and the spellings transliteration varies: w/v,
y/i, j/i, ß/ss), so "Dmitri Peskow" names the actor registered as "Dmitry Peskov". Nothing
from outside the text and the registered actors is used.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from ledger.drafting.text import Word, words

ARTICLES = {"the", "der", "die", "das", "den", "dem", "des"}
TRANSLITERATION = str.maketrans({"w": "v", "y": "i", "j": "i"})


@dataclass(frozen=True, slots=True)
class ActorName:
    """A registered actor as drafting knows it: key, name, kind and aliases."""

    key: str
    name: str
    kind: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Mention:
    """Where the text names an actor: the words' span and index, and whether in the genitive."""

    actor: ActorName
    start: int
    end: int
    first: int  # index of the first word in the text's word list
    last: int
    genitive: bool


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """A word as names are compared: lower case, no diacritics, transliteration folded."""
    decomposed = unicodedata.normalize("NFKD", word.lower().replace("ß", "ss"))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return plain.translate(TRANSLITERATION)


class ActorIndex:
    """Every name variant of the registered actors, by its folded words; a variant two actors
    share names neither."""

    def __init__(self, actors: list[ActorName]) -> None:
        variants: dict[tuple[str, ...], set[str]] = {}
        self.actors = {actor.key: actor for actor in actors}
        for actor in actors:
            for variant in name_variants(actor):
                variants.setdefault(variant, set()).add(actor.key)
        self.variants = {
            variant: self.actors[next(iter(keys))]
            for variant, keys in variants.items()
            if len(keys) == 1
        }
        self.longest = max((len(variant) for variant in self.variants), default=0)

    def mentions(self, text_words: list[Word]) -> list[Mention]:
        """Every mention in the text, longest variant first at each word."""
        folded = [fold(word.text) for word in text_words]
        found: list[Mention] = []
        index = 0
        while index < len(folded):
            mention = self._at(text_words, folded, index)
            if mention is None:
                index += 1
                continue
            found.append(mention)
            index = mention.last + 1
        return found

    def _at(self, text_words: list[Word], folded: list[str], index: int) -> Mention | None:
        for size in range(min(self.longest, len(folded) - index), 0, -1):
            candidate = tuple(folded[index : index + size])
            genitive = False
            actor = self.variants.get(candidate)
            if actor is None and candidate[-1].endswith("s"):
                actor = self.variants.get((*candidate[:-1], candidate[-1][:-1]))
                genitive = actor is not None
            if actor is not None and not _split_by_line(text_words, index, size):
                first, last = text_words[index], text_words[index + size - 1]
                return Mention(actor, first.start, last.end, index, index + size - 1, genitive)
        return None


def _split_by_line(text_words: list[Word], index: int, size: int) -> bool:
    return any(
        text_words[i + 1].start - text_words[i].end > 3 for i in range(index, index + size - 1)
    )


def name_variants(actor: ActorName) -> set[tuple[str, ...]]:
    """The folded word sequences that name ``actor``: its name (without a leading article),
    the name outside and inside parentheses, a person's surname, an organisation's acronym,
    and every alias."""
    variants: set[tuple[str, ...]] = set()
    outside = re.sub(r"\([^)]*\)", " ", actor.name)
    inside = [part for part in re.findall(r"\(([^)]*)\)", actor.name) if "," not in part]
    for name in (actor.name, outside, *[part for part in inside if _capitalised(part)]):
        if _tokens(name):
            variants.add(_tokens(name))
    named = [word.text for word in words(outside) if word.lower not in ARTICLES]
    surname = named[-1] if named else ""
    if actor.kind == "person" and len(named) >= 2 and len(surname) >= 3 and surname[0].isupper():
        variants.add((fold(surname),))
    if actor.kind != "person" and len(named) >= 3 and all(_capitalised(word) for word in named):
        variants.add((fold("".join(word[0] for word in named)),))
    for alias in actor.aliases:
        if _tokens(alias):
            variants.add(_tokens(alias))
    return variants


def _capitalised(text: str) -> bool:
    return text[:1].isupper()


def _tokens(name: str) -> tuple[str, ...]:
    tokens = [fold(word.text) for word in words(name)]
    while tokens and tokens[0] in ARTICLES:
        tokens = tokens[1:]
    return tuple(tokens)
