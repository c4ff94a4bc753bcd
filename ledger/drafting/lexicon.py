"""The lexicon of verbs of saying, refusals and attribution markers, read from data files.

Every ``*.yaml`` in ``ledger/drafting/lexicon/`` is read, in name order; a newsroom extends the
ledger's words by editing them or adding its own file (a file's ``language`` says which language
it adds to). Regular word forms come from the lemma, so a file lists only irregular ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LEXICON_DIR = Path(__file__).with_name("lexicon")
INSEPARABLE = ("be", "emp", "ent", "er", "ge", "miss", "ver", "zer", "wider", "hinter", "über")


@dataclass(frozen=True, slots=True)
class Verb:
    """A verb of saying: its lemma, the stance it proposes, and a separable verb's particle."""

    lemma: str
    stance: str
    particle: str | None


@dataclass
class Lexicon:
    """The words of every language's files, merged: drafting works on mixed texts too."""

    forms: dict[tuple[str, ...], list[Verb]] = field(default_factory=dict)
    refusals: list[tuple[str, ...]] = field(default_factory=list)
    before: list[tuple[str, ...]] = field(default_factory=list)
    after: set[str] = field(default_factory=set)
    report_nouns: set[str] = field(default_factory=set)
    content_clause: set[str] = field(default_factory=set)
    publisher_markers: list[tuple[str, ...]] = field(default_factory=list)
    subjunctive: set[str] = field(default_factory=set)
    hearsay: set[str] = field(default_factory=set)
    person_pronouns: set[str] = field(default_factory=set)
    outlet_references: set[str] = field(default_factory=set)
    not_speaker_after: set[str] = field(default_factory=set)

    def add(self, data: dict[str, Any]) -> None:
        language = data.get("language", "de")
        for lemma, entry in (data.get("verbs") or {}).items():
            verb = Verb(lemma, entry["stance"], entry.get("particle"))
            for form in _forms(lemma, entry, language):
                self.forms.setdefault(tuple(form.split()), []).append(verb)
        self.refusals += [tuple(phrase.split()) for phrase in data.get("refusals") or []]
        attributions = data.get("attributions") or {}
        self.before += [tuple(words.split()) for words in attributions.get("before") or []]
        self.after |= set(attributions.get("after") or [])
        self.report_nouns |= set(data.get("report_nouns") or [])
        self.content_clause |= set(data.get("content_clause") or [])
        self.publisher_markers += [tuple(m.split()) for m in data.get("publisher_markers") or []]
        self.subjunctive |= set(data.get("subjunctive") or [])
        self.hearsay |= set(data.get("hearsay") or [])
        self.person_pronouns |= set((data.get("pronouns") or {}).get("person") or [])
        self.outlet_references |= set((data.get("references") or {}).get("outlet") or [])
        self.not_speaker_after |= set(data.get("not_speaker_after") or [])


def _forms(lemma: str, entry: dict[str, Any], language: str) -> set[str]:
    """The word forms of a verb: those the file lists, and the regular ones of its lemma."""
    forms = {form.lower() for form in entry.get("forms") or []}
    if entry.get("particle") is None and "forms" not in entry:
        forms |= _german_forms(lemma) if language == "de" else _english_forms(lemma)
    elif entry.get("particle") is None:
        forms.add(lemma)
    return forms


def _german_forms(lemma: str) -> set[str]:
    """A weak German verb's forms: sagen -> sage, sagst, sagt, sagte(n), sagtet, gesagt;
    erklären -> erklärt (no ge- after an inseparable prefix or for -ieren verbs)."""
    stem = lemma[:-2] if lemma.endswith("en") else lemma[:-1]
    joint = "e" if stem.endswith(("t", "d")) or stem.endswith(("chn", "ffn", "tm")) else ""
    finite = {stem + "e", stem + joint + "st", stem + joint + "t", stem + "en", lemma}
    past = {stem + joint + "te" + ending for ending in ("", "n", "st", "t")}
    prefixed = lemma.startswith(INSEPARABLE) or lemma.endswith("ieren")
    participle = stem + joint + "t" if prefixed else "ge" + stem + joint + "t"
    return finite | past | {participle}


def _english_forms(lemma: str) -> set[str]:
    """A regular English verb's forms: confirm -> confirms, confirmed, confirming."""
    base = lemma[:-1] if lemma.endswith("e") else lemma
    third = lemma + ("es" if lemma.endswith(("s", "sh", "ch", "x")) else "s")
    if lemma.endswith("y") and lemma[-2] not in "aeiou":
        return {lemma, lemma[:-1] + "ies", lemma[:-1] + "ied", lemma + "ing"}
    return {lemma, third, base + "ed", base + "ing"}


@lru_cache(maxsize=1)
def lexicon(directory: Path = LEXICON_DIR) -> Lexicon:
    """The lexicon of every file in ``directory`` (read once)."""
    merged = Lexicon()
    for path in sorted(directory.glob("*.yaml")):
        merged.add(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    merged.refusals.sort(key=len, reverse=True)
    merged.before.sort(key=len, reverse=True)
    return merged
