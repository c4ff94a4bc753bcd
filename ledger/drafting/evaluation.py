"""How well the drafts find a story file's own reading (``make eval``).

A reading's statement is found when a draft names the same actor and their spans overlap by at
least half of the shorter span. Recall: found statements / statements. Precision: drafts that
find at least one statement / drafts. Stance agreement: found statements with a finding draft
of the same stance / found statements. Per document and overall (summed over documents).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.drafting.rules import Draft, draft_statements
from ledger.drafting.speakers import ActorName


@dataclass(frozen=True, slots=True)
class Reading:
    key: str
    actor: str
    stance: str
    start: int
    end: int


@dataclass
class Score:
    statements: int = 0
    found: int = 0
    drafts: int = 0
    matching: int = 0
    stance_agreed: int = 0

    def add(self, other: Score) -> None:
        for name in ("statements", "found", "drafts", "matching", "stance_agreed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def figures(self) -> dict[str, Any]:
        return {
            "statements": self.statements,
            "drafts": self.drafts,
            "recall": _ratio(self.found, self.statements),
            "precision": _ratio(self.matching, self.drafts),
            "stance_agreement": _ratio(self.stance_agreed, self.found),
        }


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0


def finds(draft: Draft, reading: Reading) -> bool:
    """Same actor, and the spans overlap by at least half of the shorter one."""
    if draft.actor != reading.actor:
        return False
    overlap = min(draft.end, reading.end) - max(draft.start, reading.start)
    shorter = min(draft.end - draft.start, reading.end - reading.start)
    return overlap > 0 and 2 * overlap >= shorter


def score(drafts: list[Draft], readings: list[Reading]) -> tuple[Score, list[Reading], list[Draft]]:
    """The document's score, the statements missed, and the drafts that found nothing."""
    result = Score(statements=len(readings), drafts=len(drafts))
    missed = []
    for reading in readings:
        finding = [draft for draft in drafts if finds(draft, reading)]
        if finding:
            result.found += 1
            result.stance_agreed += any(draft.stance == reading.stance for draft in finding)
        else:
            missed.append(reading)
    unmatched = [d for d in drafts if not any(finds(d, reading) for reading in readings)]
    result.matching = len(drafts) - len(unmatched)
    return result, missed, unmatched


def evaluate(story_path: Path, show: bool = False) -> dict[str, Any]:
    """Draft every document of the story file and score the drafts against its statements."""
    import yaml

    data = yaml.safe_load(story_path.read_text(encoding="utf-8"))
    actors = [
        ActorName(a["key"], a["name"], a["kind"], tuple(a.get("aliases") or ()))
        for a in data["actors"]
    ]
    overall, documents = Score(), {}
    for document in data["documents"]:
        text = _text(story_path.parent / document["id"])
        started = time.perf_counter()
        drafts = draft_statements(text, actors, publisher=document.get("publisher"))
        elapsed = time.perf_counter() - started
        readings = [
            Reading(s["key"], s["actor"], s["stance"], *_span(s, text))
            for s in data["statements"]
            if s["document"] == document["id"]
        ]
        result, missed, unmatched = score(drafts, readings)
        overall.add(result)
        documents[document["id"]] = {**result.figures(), "ms": round(elapsed * 1000, 1)}
        if show:
            _show(document["id"], text, missed, unmatched)
    return {"documents": documents, "overall": overall.figures()}


def _text(path: Path) -> str:
    from ledger.sources import TEXT, extract, media_type_of

    media_type = media_type_of(path.name)
    if media_type == TEXT:
        return path.read_text(encoding="utf-8")
    return extract(media_type, path.read_bytes(), field=path.name).text


def _span(statement: dict[str, Any], text: str) -> tuple[int, int]:
    position = statement.get("position")
    if position:
        return position["start"], position["end"]
    exact = statement["quote"]["exact"]
    start = text.find(exact)
    return start, start + len(exact)


def _show(document: str, text: str, missed: list[Reading], unmatched: list[Draft]) -> None:
    for reading in missed:
        print(f"  {document} missed {reading.key} ({reading.actor} {reading.stance}):"
              f" {text[reading.start:reading.end][:90]!r}")
    for draft in unmatched:
        print(f"  {document} extra draft {draft.actor or draft.speaker!r} {draft.stance}"
              f" [{draft.cue}]: {draft.exact[:90]!r}")


def main(argv: list[str]) -> int:
    show = "--misses" in argv
    paths = [arg for arg in argv if not arg.startswith("--")] or ["seeds/story.yaml"]
    for path in paths:
        report = evaluate(Path(path), show=show)
        print(f"{path}")
        print(f"  {'document':40} {'stmts':>5} {'drafts':>6} {'recall':>6} {'prec.':>6} {'stance':>6} {'ms':>6}")
        for document, figures in report["documents"].items():
            print(_row(document, figures))
        print(_row("overall", report["overall"]))
    return 0


def _row(name: str, f: dict[str, Any]) -> str:
    return (
        f"  {name:40} {f['statements']:>5} {f['drafts']:>6} {f['recall']:>6.3f}"
        f" {f['precision']:>6.3f} {f['stance_agreement']:>6.3f} {f.get('ms', ''):>6}"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
