"""Statement drafts: the statements a news text appears to make, by rules a person can read.

Sentence by sentence, the drafter looks for the ways news marks a statement: a verb of saying
with what was said (a *dass*/that clause, a comma clause, a colon, a quotation, the
subjunctive), an attribution ("so X", "laut X", "X zufolge", "according to X", "nach Angaben
von X", "ein Bericht des X, wonach …"), a refusal to comment, the publisher's own findings, a
headline "X: …", a quotation after "X sagte:", and sentences that carry the last speaker's
reported speech on in the subjunctive or with a hearsay word ("angeblich", "soll"). Its speaker
is the name next to the cue, matched against the registered actors (``speakers``), or a pronoun
or a reference ("die Zeitung") resolved to the last person or outlet named.

Pure and deterministic: the same text and actors give the same drafts. Nothing is written.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any

from ledger.domain.anchoring import CONTEXT
from ledger.drafting.lexicon import Lexicon, Verb, lexicon
from ledger.drafting.speakers import ActorIndex, ActorName, Mention
from ledger.drafting.text import Sentence, Word, sentences
from ledger.drafting.text import words as words_in

CONTENT_PUNCTUATION = ",:"
OBJECT_STANCES = {"denies", "questions"}  # "wies den Bericht zurück": the object is what was said
DEMONSTRATIVES = {"dies", "das", "this", "that"}
SENTENCE_ENDS = ".!?"
CONFIDENCE = {
    "quote": 0.9,
    "reported": 0.8,
    "refusal": 0.8,
    "attribution": 0.75,
    "report": 0.7,
    "relayed": 0.7,
    "publisher": 0.6,
    "headline": 0.6,
    "carried": 0.5,
}
PHRASE_GAP = 6  # a refusal's words may have up to five others between two of them
UNMATCHED = 0.5
WINDOW = 40  # words a speaker is looked for before a cue: long sentences stay linear
SHORT_QUOTE = 4  # a name or a phrase in quotation marks ("Wall Street Journal"): not a quotation
AUXILIARIES = {
    "soll", "sollen", "habe", "hat", "haben", "hätte", "sei", "ist", "sind", "war", "wird", "werde",
    "kann", "könne", "will", "gibt", "gebe", "has", "have", "is", "was", "were", "will", "would",
}
CONTINUATION = {"diese", "dieser", "dieses", "diesem", "these"}  # "Diese Gespräche …" goes on
CARRIED_FROM = {"quote", "reported", "attribution", "report", "carried"}  # a speaker the registered actors do not name: the confidence is halved


@dataclass(frozen=True, slots=True)
class Draft:
    """A proposed statement: who (a registered actor's key, or null, and the words naming
    them), which stance, where (the quote's selectors, code points), why (the cue), whose
    words it passes on (relays), and how sure the rule is (confidence)."""

    actor: str | None
    speaker: str | None
    stance: str
    exact: str
    prefix: str
    suffix: str
    start: int
    end: int
    cue: str
    kind: str
    relays: str | None
    confidence: float

    def to_json(self) -> dict[str, Any]:
        return {
            "actor": self.actor,
            "speaker": self.speaker,
            "stance": self.stance,
            "quote": {"exact": self.exact, "prefix": self.prefix, "suffix": self.suffix},
            "position": {"start": self.start, "end": self.end},
            "cue": self.cue,
            "kind": self.kind,
            "relays": self.relays,
            "confidence": self.confidence,
        }


@dataclass(frozen=True, slots=True)
class Speaker:
    actor: ActorName | None
    words: str
    resolved: bool = True  # found next to the cue (False: a weaker guess in the sentence)


@dataclass(slots=True)
class Candidate:
    speaker: Speaker
    stance: str
    cue: str
    kind: str
    relays: str | None = None


@dataclass
class _Memory:
    """What earlier sentences left: the last person and outlet named, the last speakers."""

    person: ActorName | None = None
    outlet: ActorName | None = None
    speakers: list[Candidate] = field(default_factory=list)
    colon: bool = False
    seen: set[str] = field(default_factory=set)


def draft_statements(
    text: str,
    actors: list[ActorName],
    publisher: str | None = None,
    words: Lexicon | None = None,
) -> list[Draft]:
    """Every statement ``text`` appears to make, in text order, speakers matched against
    ``actors``; ``publisher`` (an actor's key) speaks the publisher's own findings. ``words``:
    another lexicon than the ledger's files (``lexicon.lexicon(directory)``)."""
    return _Drafter(text, actors, publisher, words or lexicon()).run()


class _Drafter:
    def __init__(
        self, text: str, actors: list[ActorName], publisher: str | None, words: Lexicon
    ) -> None:
        self.text, self.words = text, words
        self.index = ActorIndex(actors)
        self.publisher = next((a for a in actors if a.key == publisher), None)
        self.memory = _Memory()

    def run(self) -> list[Draft]:
        drafts: list[Draft] = []
        for sentence in sentences(self.text):
            body = self.text[sentence.start : sentence.end]
            if body in self.memory.seen:  # a headline printed twice, a repeated line
                continue
            self.memory.seen.add(body)
            reading = _Sentence(self, sentence)
            found = reading.candidates()
            drafts += [self._draft(sentence, candidate) for candidate in found]
            self._remember(reading, found, body)
        return drafts

    def _remember(self, reading: _Sentence, found: list[Candidate], body: str) -> None:
        memory = self.memory
        for mention in reading.mentions:
            if mention.actor.kind == "person" and reading.subject_like(mention):
                memory.person = mention.actor
            elif mention.actor.kind == "outlet" and mention.actor is not self.publisher:
                memory.outlet = mention.actor
        for candidate in found:
            actor = candidate.speaker.actor
            if actor is not None and actor.kind == "person":
                memory.person = actor
        memory.speakers = [
            c for c in found if c.speaker.actor is not None and c.kind in CARRIED_FROM
        ]
        memory.colon = body.rstrip().endswith(":")

    def _draft(self, sentence: Sentence, candidate: Candidate) -> Draft:
        start, end, speaker = sentence.start, sentence.end, candidate.speaker
        confidence = CONFIDENCE[candidate.kind] * (1 if speaker.actor else UNMATCHED)
        if not speaker.resolved:
            confidence *= 0.8
        return Draft(
            actor=None if speaker.actor is None else speaker.actor.key,
            speaker=speaker.words or None,
            stance=candidate.stance,
            exact=self.text[start:end],
            prefix=self.text[max(0, start - CONTEXT) : start],
            suffix=self.text[end : end + CONTEXT],
            start=start,
            end=end,
            cue=candidate.cue,
            kind=candidate.kind,
            relays=candidate.relays,
            confidence=round(confidence, 2),
        )


class _Sentence:
    """One sentence as the rules read it."""

    def __init__(self, drafter: _Drafter, sentence: Sentence) -> None:
        self.drafter, self.sentence = drafter, sentence
        self.text, self.lex = drafter.text, drafter.words
        self.all_words = sentence.words
        spoken = [(a, b) for a, b in sentence.quotes if self._spoken(a, b)]
        self.quoted = [any(a <= w.start < b for a, b in spoken) for w in sentence.words]
        self.lower = [word.lower for word in sentence.words]
        self.vocabulary = set(self.lower)
        self.named = drafter.index.mentions(sentence.words)
        self.mentions = [m for m in self.named if not self.quoted[m.first]]
        self.starting = {m.first: m for m in self.mentions}
        self.firsts = [m.first for m in self.mentions]
        self.in_subjunctive: bool | None = None

    def _spoken(self, start: int, end: int) -> bool:
        """A quotation is what someone said, not a name or a phrase in marks ("Wall Street
        Journal"): more than SHORT_QUOTE words, or, of any length, closed by its own
        punctuation („…,“ „…!“) or, opening its clause, followed by a comma and a verb of saying
        („…“, sagte X)."""
        if len(words_in(self.text, start, end)) > SHORT_QUOTE:
            return True
        if self.text[end - 2 : end - 1] in ",.!?…":
            return True
        before = self.text[self.sentence.start : start].rstrip()
        if before and before[-1] not in ",;:–—":
            return False  # "Der „Wall Street Journal“, …": a name inside the clause
        following = re.match(r"\s*,\s*([^\W\d_][\w-]*)", self.text[end : end + 40])
        return following is not None and (following.group(1).lower(),) in self.lex.forms

    # -- the rules -------------------------------------------------------------------------

    def candidates(self) -> list[Candidate]:
        found = [
            *self._headline(),
            *self._verbs(),
            *self._attributions(),
            *self._report_nouns(),
            *self._refusals(),
            *self._publisher_findings(),
        ]
        if not found:
            found = [*self._quotation_after_colon(), *self._carried()]
        return _settled(found)

    def _headline(self) -> list[Candidate]:
        """"X: …" at the start of a sentence: a headline's attribution."""
        if not self.named or self.named[0].first > 0:
            return []
        mention = self.named[0]
        rest = self.text[mention.end : self.sentence.end].lstrip("“”\"«»’ ")
        if not rest.startswith(":") or not self._has_verb(mention.last + 1):
            return []  # "Elon Musk: Ein Netz aus Kontakten": a topic, not a statement
        return [Candidate(self._named(mention), "asserts", ":", "headline")]

    def _has_verb(self, start: int) -> bool:
        lex = self.lex
        return any(
            word in AUXILIARIES or word in lex.subjunctive or (word,) in lex.forms
            for word in self.lower[start:]
        )

    def _verbs(self) -> list[Candidate]:
        found = []
        for index, word in enumerate(self.all_words):
            if self.quoted[index] or word.text[:1].isupper():
                continue
            for size in (3, 2, 1):
                if index + size > len(self.lower):
                    continue
                key = tuple(self.lower[index : index + size])
                verbs = [v for v in self.lex.forms.get(key, []) if self._particle(v, key, index)]
                if verbs:
                    cue_last = index + size - 1
                    if verbs[0].stance in OBJECT_STANCES or self._has_content(index, cue_last):
                        found.append(self._verb_candidate(verbs[0], index, cue_last))
                    break
        return found

    def _particle(self, verb: Verb, key: tuple[str, ...], index: int) -> bool:
        """A separable verb's finite form counts only with its particle later in the clause
        ("wies … zurück"); its joined forms ("zurückgewiesen") stand alone."""
        if verb.particle is None or " ".join(key).startswith(verb.particle):
            return True
        return any(
            word == verb.particle and self._breaks(at)
            for at, word in enumerate(self.lower[index + 1 : index + WINDOW], start=index + 1)
        )

    def _has_content(self, first: int, last: int) -> bool:
        """What was said is in the sentence: a clause, a colon, a quotation, the subjunctive."""
        words, lower = self.all_words, self.lower
        if any(word in self.lex.content_clause for word in lower[last + 1 : last + 6]):
            return True
        if self.sentence.quotes or self._subjunctive():
            return True
        if lower[0] in DEMONSTRATIVES and first <= 2 and self._reporting(first):
            return True  # "Dies berichtete …": what the sentence before said
        before = self.text[words[max(0, first - 3)].start : words[first].start]
        after_end = words[min(len(words) - 1, last + 3)].end
        after = self.text[words[last].end : after_end]
        return any(mark in before or mark in after for mark in CONTENT_PUNCTUATION)

    def _reporting(self, index: int) -> bool:
        return any(v.stance == "reports" for v in self.lex.forms.get((self.lower[index],), []))

    def _subjunctive(self) -> bool:
        if self.in_subjunctive is None:
            self.in_subjunctive = any(
                word in self.lex.subjunctive and not self.quoted[i]
                for i, word in enumerate(self.lower)
            )
        return self.in_subjunctive

    def _verb_candidate(self, verb: Verb, first: int, last: int) -> Candidate:
        speaker = self._speaker(first, last)
        cue = " ".join(word.text for word in self.all_words[first : last + 1])
        if verb.particle and not cue.lower().startswith(verb.particle):
            cue = f"{cue} … {verb.particle}"
        kind = "quote" if self.sentence.quotes else "reported"
        return Candidate(speaker, verb.stance, cue, kind)

    def _attributions(self) -> list[Candidate]:
        found = []
        for index in range(len(self.all_words)):
            if self.quoted[index]:
                continue
            marker = self._marker_at(index)
            if marker is not None:
                speaker = self._named_after(index + len(marker) - 1)
                if speaker is not None:
                    cue = " ".join(word.text for word in self.all_words[index : index + len(marker)])
                    relay = marker == ("unter", "berufung", "auf") or marker == ("citing",)
                    found.append(Candidate(speaker, "asserts", cue, "relayed" if relay else "attribution"))
            elif self.lower[index] in self.lex.after:
                speaker = self._named_before(index)
                if speaker is not None:
                    found.append(Candidate(speaker, "asserts", self.all_words[index].text, "attribution"))
        return found

    def _marker_at(self, index: int) -> tuple[str, ...] | None:
        for marker in self.lex.before:
            if tuple(self.lower[index : index + len(marker)]) != marker:
                continue
            if marker == ("so",) and not self._clause_start(index):
                continue  # "so" is an attribution only opening a clause: ", so Peskow"
            return marker
        return None

    def _clause_start(self, index: int) -> bool:
        if index == 0:
            return True
        between = self.text[self.all_words[index - 1].end : self.all_words[index].start]
        return any(mark in between for mark in ",;:–—(")

    def _report_nouns(self) -> list[Candidate]:
        """"ein Bericht des X, wonach …": X says what the clause says."""
        found = []
        for index, word in enumerate(self.lower):
            if word not in self.lex.report_nouns or self.quoted[index]:
                continue
            noun = self.all_words[index].text
            following = self.lower[index + 1 : index + 2]
            if following and following[0] in self.lex.content_clause and self._breaks(index):
                cue = f"{noun}, {self.all_words[index + 1].text}"  # "Berichte, wonach": unnamed
                found.append(Candidate(Speaker(None, noun), "asserts", cue, "report"))
                continue
            for mention in self._window(index + 1, index + 5):
                following = self.lower[mention.last + 1 : mention.last + 3]
                if any(w in self.lex.content_clause for w in following):
                    cue = f"{noun} … {self.all_words[mention.last + 1].text}"
                    found.append(Candidate(self._named(mention), "asserts", cue, "report"))
                break
        return found

    def _refusals(self) -> list[Candidate]:
        for phrase in self.lex.refusals:
            place = self._phrase(phrase)
            if place is not None:
                first, last = place
                cue = self.text[self.all_words[first].start : self.all_words[last].end]
                return [Candidate(self._speaker(first, first), "declines_to_comment", cue, "refusal")]
        return []

    def _phrase(self, phrase: tuple[str, ...]) -> tuple[int, int] | None:
        """Where the words of ``phrase`` occur in order, a few others allowed between two."""
        if not self.vocabulary.issuperset(phrase):
            return None
        for start, word in enumerate(self.lower):
            if word != phrase[0] or self.quoted[start]:
                continue
            position, ok = start, True
            for part in phrase[1:]:
                window = self.lower[position + 1 : position + 1 + PHRASE_GAP]
                if part not in window:
                    ok = False
                    break
                position += 1 + window.index(part)
            if ok:
                return start, position
        return None

    def _publisher_findings(self) -> list[Candidate]:
        for marker in self.lex.publisher_markers:
            place = self._phrase(marker)
            if place is None:
                continue
            first, last = place
            cue = self.text[self.all_words[first].start : self.all_words[last].end]
            named = self._named_after(last) or self._named_before(first)
            if named is not None:
                return [Candidate(named, "asserts", cue, "publisher")]
            if self.drafter.publisher is not None:
                publisher = self.drafter.publisher
                return [Candidate(Speaker(publisher, publisher.name), "asserts", cue, "publisher")]
        return []

    def _quotation_after_colon(self) -> list[Candidate]:
        """A quotation standing alone after "X sagte:": X's words."""
        memory = self.drafter.memory
        if not (self.sentence.quotes and memory.colon and memory.speakers):
            return []
        last = memory.speakers[0]
        return [Candidate(last.speaker, "asserts", "„…“ after :", "quote")]

    def _carried(self) -> list[Candidate]:
        """A sentence in the subjunctive or with a hearsay word, right after a statement, goes
        on with that statement's speaker."""
        memory = self.drafter.memory
        if not memory.speakers:
            return []
        marker = next(
            (
                self.all_words[i].text
                for i, word in enumerate(self.lower)
                if not self.quoted[i] and (word in self.lex.subjunctive or word in self.lex.hearsay)
            ),
            self.all_words[0].text if self.lower[0] in CONTINUATION else None,
        )
        if marker is None:
            return []
        return [Candidate(c.speaker, "asserts", marker, "carried") for c in memory.speakers[:1]]

    # -- speakers --------------------------------------------------------------------------

    def _window(self, start: int, stop: int) -> list[Mention]:
        """The mentions whose first word is in ``start`` .. ``stop - 1``, in text order."""
        firsts = self.firsts
        low, high = bisect.bisect_left(firsts, start), bisect.bisect_left(firsts, stop)
        return self.mentions[low:high]

    def _named(self, mention: Mention) -> Speaker:
        return Speaker(mention.actor, self.text[mention.start : mention.end])

    def _speaker(self, first: int, last: int) -> Speaker:
        """Who the cue at words ``first``..``last`` belongs to: the name right after it ("sagte
        Weber", "wies er"), else the nearest name before it that is no preposition's object,
        else a pronoun or a reference, else any name in the clause, else the words before it."""
        after = self._near_after(last)
        if after is not None:
            return after
        if self._inverted(first, last):
            return Speaker(None, self._trailing_words(last))  # never a name in what was said
        before = self._near_before(first)
        if before is not None:
            return before
        loose = [m for m in self._window(first - WINDOW, first) if m.last < first]
        if loose:
            return Speaker(loose[-1].actor, self.text[loose[-1].start : loose[-1].end], False)
        return Speaker(None, self._leading_words(first))

    def _inverted(self, first: int, last: int) -> bool:
        """"…, sagte X" / "„…“, said X": the cue opens its clause after what was said, and
        its speaker follows it; nothing said comes after (no comma, colon, clause or verb)."""
        if first == 0 or last + 1 >= len(self.all_words) or not self._breaks(first - 1):
            return False
        if self.lower[last].endswith("ing"):
            return False  # ", saying …": a participle, its speaker the clause's subject
        if self._breaks(last) or self.quoted[last + 1]:
            return False
        rest = self.text[self.all_words[last].end : self.sentence.end]
        if ":" in rest or any(word in self.lex.content_clause for word in self.lower[last + 1 :]):
            return False
        for index in range(last + 1, len(self.all_words)):  # a clause follows, not a speaker
            if self._verb_like(index):
                return False
            if self._breaks(index):
                break
        return True

    def _trailing_words(self, last: int) -> str:
        """The words naming an unregistered speaker after the cue ("sagte Weber", "sagte ein
        Sprecher"): up to the first run of capitalised words, within the clause."""
        chosen: list[Word] = []
        for index in range(last + 1, min(last + 6, len(self.all_words))):
            word = self.all_words[index]
            if chosen and chosen[-1].text[:1].isupper() and not word.text[:1].isupper():
                break
            chosen.append(word)
            if self._breaks(index):
                break
        if not any(word.text[:1].isupper() for word in chosen):
            return ""
        return " ".join(word.text for word in chosen)

    def _near_after(self, last: int) -> Speaker | None:
        if self._breaks(last):
            return None  # "bestritt, dass er …": what follows is what was said
        for index in range(last + 1, min(last + 4, len(self.all_words))):
            if self.quoted[index] or self.lower[index] in self.lex.content_clause:
                return None
            mention = self.starting.get(index)
            if mention is not None:
                return self._named(mention) if self.subject_like(mention) else None
            resolved = self._reference(index)
            if resolved is not None:
                return resolved
            if self._breaks(index):
                return None
        return None

    def _near_before(self, first: int) -> Speaker | None:
        best: tuple[int, Speaker] | None = None
        for mention in self._window(first - WINDOW, first):
            if mention.last < first and self.subject_like(mention):
                best = (mention.last, self._named(mention))
        for index in range(first - 1, max(-1, first - WINDOW), -1):
            if best is not None and index <= best[0]:
                break
            resolved = None if self.quoted[index] else self._reference(index)
            if resolved is not None:
                return resolved
        return None if best is None else best[1]

    def _named_after(self, last: int) -> Speaker | None:
        for mention in self._window(last + 1, last + 6):
            return self._named(mention)
        for index in range(last + 1, min(last + 5, len(self.all_words))):
            resolved = self._reference(index)
            if resolved is not None:
                return resolved
        return None

    def _named_before(self, index: int) -> Speaker | None:
        for mention in reversed(self._window(index - 12, index)):
            if index - 5 <= mention.last < index:
                return self._named(mention)
        for back in range(index - 1, max(-1, index - 4), -1):
            resolved = self._reference(back)
            if resolved is not None:
                return resolved
        return None

    def _reference(self, index: int) -> Speaker | None:
        """A pronoun for the last person named, or a noun for the last outlet ("die Zeitung")."""
        word, memory = self.lower[index], self.drafter.memory
        if self._object_at(index):
            return None
        if word in self.lex.person_pronouns:
            person = self._person_before(index) or memory.person
            return None if person is None else Speaker(person, self.all_words[index].text)
        if self.all_words[index].text[:1].isupper() and word in self.lex.outlet_references:
            if memory.outlet is not None and (self._opens_clause(index) or self._after_verb(index)):
                return Speaker(memory.outlet, self.all_words[index].text)
        return None

    def _opens_clause(self, index: int) -> bool:
        """Word ``index`` heads its clause's first noun phrase ("Die US-Zeitung erklärte")."""
        start = index
        while start > 0 and not self._breaks(start - 1) and index - start < 3:
            start -= 1
        return all(not w.text[:1].isupper() or i == 0 for i, w in enumerate(self.all_words[start:index])) and (
            start == 0 or self._breaks(start - 1)
        )

    def _after_verb(self, index: int) -> bool:
        """Word ``index`` follows a verb by at most one article ("sagte die Zeitung")."""
        return any(self._verb_like(i) for i in range(max(0, index - 2), index))

    def _person_before(self, index: int) -> ActorName | None:
        """The person this sentence names as a subject before word ``index``: whom "er" means."""
        before = [
            m for m in self._window(index - WINDOW, index)
            if m.last < index and m.actor.kind == "person" and self.subject_like(m)
        ]
        return before[-1].actor if before else None

    def subject_like(self, mention: Mention) -> bool:
        """Not the object of a preposition ("Kontakt zu Putin", "mit dem Präsidenten Putin")
        nor a possessor inside a noun phrase ("die Quellen des WSJ")."""
        return not self._object_at(mention.first)

    def _object_at(self, first: int) -> bool:
        """Whether the phrase starting at word ``first`` follows a preposition in its clause."""
        for index in range(first - 1, max(-1, first - 5), -1):
            if self._breaks(index) or self.quoted[index] or self._verb_like(index):
                return False
            if self.lower[index] in self.lex.not_speaker_after or self.lower[index] == "des":
                return True
        return False

    def _verb_like(self, index: int) -> bool:
        word = self.lower[index]
        return word in AUXILIARIES or word in self.lex.subjunctive or (word,) in self.lex.forms

    def _breaks(self, index: int) -> bool:
        """A comma, colon or dash right after word ``index``."""
        if index + 1 >= len(self.all_words):
            return True
        between = self.text[self.all_words[index].end : self.all_words[index + 1].start]
        return any(mark in between for mark in ",;:–—")

    def _leading_words(self, first: int) -> str:
        """The words naming an unregistered speaker: the clause's opening noun phrase."""
        start = first
        while start > 0 and not self._breaks(start - 1) and first - start < 6:
            start -= 1
        words = self.all_words[start:first]
        capitals = [i for i, word in enumerate(words) if word.text[:1].isupper()]
        if not capitals:
            return ""
        chosen: list[Word] = words[: capitals[-1] + 1] if capitals[0] == 0 else []
        return " ".join(word.text for word in chosen)


def _settled(found: list[Candidate]) -> list[Candidate]:
    """One candidate per speaker and stance; an unmatched speaker only when no speaker is
    matched. A report that names whose words it passes on ("unter Berufung auf X") relays them,
    and X asserts; a report naming no one is the speaker's own assertion."""
    matched = [c for c in found if c.speaker.actor is not None]
    sources = [c.speaker.actor for c in matched if c.kind == "relayed"]
    chosen: dict[tuple[str, str], Candidate] = {}
    for candidate in matched or found[:1]:
        speaker = candidate.speaker
        if candidate.stance == "reports":
            source = next((actor for actor in sources if actor != speaker.actor), None)
            candidate.relays = None if source is None else source.key
            candidate.stance = "asserts" if source is None else "reports"
        key = (speaker.actor.key if speaker.actor else speaker.words, candidate.stance)
        if key not in chosen or _rank(candidate) > _rank(chosen[key]):
            chosen[key] = candidate
    return list(chosen.values())


def _rank(candidate: Candidate) -> float:
    return CONFIDENCE.get(candidate.kind, 0.5) + (0.1 if candidate.speaker.resolved else 0)

