"""A German local story, written over HTTP as a newsroom would: water prices in Lindenau.

Four German texts of June 2025: the local paper reports an 18 % water price rise and quotes the
utility's director; the radio relays the paper (radio <- paper <- director); twenty council
members say in the council's minutes whether they had the proposal (so the story has 23
speakers, enough to test the matrix's layout); the paper corrects its figure and the radio
takes its report down. Propositions in German and English. Used by the API and browser tests.
PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from typing import Any

from tests.support.story_writing import Poster, StoryWriter, Written, document_body, statement

KEY = "wasserpreise-lindenau"
STORY = {
    "key": KEY,
    "title": "Wasserpreise in Lindenau, Juni 2025",
    "description": "Der Anzeiger meldet 18 Prozent, das Radio gibt es weiter, der Rat streitet "
    "über die Vorlage, der Anzeiger korrigiert.",
}
PAPER, RADIO, DIRECTOR = "lindenauer-anzeiger", "radio-lindenau", "jonas-weber"
COUNCIL = [
    ("annegret-schulze-hohenberg", "Dr. Annegret Schulze-Hohenberg, Fraktionsvorsitzende"),
    ("bernd-obermaier", "Bernd Obermaier, Ratsmitglied"),
    ("cansu-yildirim", "Cansu Yıldırım, Ratsmitglied"),
    ("dieter-krautwurst", "Dieter Krautwurst, Ältestenrat"),
    ("elisabeth-von-hagen", "Elisabeth von Hagen, Bauausschuss"),
    ("friedrich-wellershoff", "Friedrich Wellershoff, Finanzausschuss"),
    ("gabriele-nowak", "Gabriele Nowak, Ratsmitglied"),
    ("hans-joachim-petersen", "Hans-Joachim Petersen, stellvertretender Bürgermeister"),
    ("ilse-brandstaetter", "Ilse Brandstätter, Ratsmitglied"),
    ("jens-uwe-kowalczyk", "Jens-Uwe Kowalczyk, Fraktion Bürgerliste"),
    ("karin-mueller-lüdenscheidt", "Karin Müller-Lüdenscheidt, Ratsmitglied"),
    ("lothar-zimmermann", "Lothar Zimmermann, Umweltausschuss"),
    ("martina-oezdemir", "Martina Özdemir, Ratsmitglied"),
    ("norbert-fischbach", "Norbert Fischbach, Ratsmitglied"),
    ("olga-wassiljewa", "Olga Wassiljewa, Seniorenbeirat"),
    ("paul-grunewald", "Paul Grunewald, Ratsmitglied"),
    ("renate-hoffmann", "Renate Hoffmann, Jugendausschuss"),
    ("sebastian-lindqvist", "Sebastian Lindqvist, Ratsmitglied"),
    ("theresa-albrecht", "Theresa Albrecht, Ratsmitglied"),
    ("ulrich-baumgaertner", "Ulrich Baumgärtner, Ratsmitglied"),
]
COUNCIL = [(key.replace("ü", "ue"), name) for key, name in COUNCIL]
ACTORS = [
    {"key": PAPER, "name": "Lindenauer Anzeiger", "kind": "outlet"},
    {"key": RADIO, "name": "Radio Lindenau", "kind": "outlet"},
    {"key": DIRECTOR, "name": "Jonas Weber, Geschäftsführer der Stadtwerke", "kind": "person"},
    *({"key": key, "name": name, "kind": "person"} for key, name in COUNCIL),
]
RAISED = "wasserpreise-um-18-prozent-erhoeht"
PROPOSAL = "vorlage-lag-dem-rat-vor"
ENERGY = "preiserhoehung-wegen-energiekosten"
CLAIMS = [
    {
        "key": RAISED,
        "story": KEY,
        "propositions": {
            "de": "Die Stadtwerke Lindenau erhöhen die Wasserpreise um 18 Prozent.",
            "en": "Lindenau's municipal utility raises water prices by 18 percent.",
        },
    },
    {
        "key": PROPOSAL,
        "story": KEY,
        "propositions": {
            "de": "Die Vorlage zur Preiserhöhung lag dem Stadtrat vor der Sitzung vor.",
            "en": "The council had the proposal for the price rise before its meeting.",
        },
    },
    {
        "key": ENERGY,
        "story": KEY,
        "propositions": {
            "de": "Die Preiserhöhung geht auf gestiegene Energiekosten zurück.",
            "en": "The price rise is due to higher energy costs.",
        },
    },
]


def _minutes() -> str:
    lines = ["Niederschrift der Ratssitzung vom 4. Juni 2025\n"]
    for index, (_, name) in enumerate(COUNCIL):
        said = (
            "Die Vorlage lag uns rechtzeitig vor."
            if index % 3
            else "Eine Vorlage haben wir nie gesehen."
        )
        lines.append(f"{name.split(',')[0]} erklärte: „{said}“")
    return "\n".join(lines) + "\n"


TEXTS = {
    "anzeiger-2025-06-02.txt": (
        PAPER,
        "2025-06-02",
        "Wasserpreise steigen um 18 Prozent\n\nDie Stadtwerke Lindenau erhöhen zum 1. Juli die "
        "Wasserpreise um 18 Prozent, wie der Lindenauer Anzeiger erfuhr. Geschäftsführer Jonas "
        "Weber sagte: „Die Preiserhöhung ist wegen der Energiekosten unvermeidlich.“ Die Vorlagen "
        "für den Stadtrat seien seit Wochen bekannt.\n",
    ),
    "radio-2025-06-03.txt": (
        RADIO,
        "2025-06-03",
        "Radio Lindenau, Nachrichten\n\nWie der Lindenauer Anzeiger berichtet, erhöhen die "
        "Stadtwerke die Wasserpreise um 18 Prozent. Stadtwerke-Chef Jonas Weber sagte dem Blatt, "
        "die Preiserhöhung sei wegen der Energiekosten unvermeidlich.\n",
    ),
    "rat-2025-06-04.txt": (PAPER, "2025-06-04", _minutes()),
    "anzeiger-2025-06-05.txt": (
        PAPER,
        "2025-06-05",
        "Korrektur\n\nIn unserer Ausgabe vom 2. Juni hieß es, die Wasserpreise stiegen um 18 "
        "Prozent. Richtig ist: Die Wasserpreise steigen um 12 Prozent, nicht um 18 Prozent.\n",
    ),
}


def document(document_id: str) -> dict[str, Any]:
    return document_body(document_id, TEXTS[document_id], "de")


def _council_statements() -> list[dict[str, Any]]:
    found = []
    for index, (key, name) in enumerate(COUNCIL):
        said = (
            "Die Vorlage lag uns rechtzeitig vor."
            if index % 3
            else "Eine Vorlage haben wir nie gesehen."
        )
        found.append(
            statement(
                PROPOSAL,
                key,
                "asserts" if index % 3 else "denies",
                [PAPER, key],
                "2025-06-04",
                "rat-2025-06-04.txt",
                f"{name.split(',')[0]} erklärte: „{said}“",
            )
        )
    return found


PAPER_RAISED = statement(
    RAISED,
    PAPER,
    "asserts",
    [PAPER],
    "2025-06-02",
    "anzeiger-2025-06-02.txt",
    "Die Stadtwerke Lindenau erhöhen zum 1. Juli die Wasserpreise um 18 Prozent",
)
STATEMENTS = [
    PAPER_RAISED,
    statement(
        ENERGY,
        DIRECTOR,
        "asserts",
        [PAPER, DIRECTOR],
        "2025-06-02",
        "anzeiger-2025-06-02.txt",
        "Die Preiserhöhung ist wegen der Energiekosten unvermeidlich.",
    ),
    statement(
        PROPOSAL,
        PAPER,
        "asserts",
        [PAPER],
        "2025-06-02",
        "anzeiger-2025-06-02.txt",
        "Die Vorlagen für den Stadtrat seien seit Wochen bekannt.",
    ),
    statement(
        RAISED,
        RADIO,
        "reports",
        [RADIO],
        "2025-06-03",
        "radio-2025-06-03.txt",
        "Wie der Lindenauer Anzeiger berichtet, erhöhen die Stadtwerke die Wasserpreise um 18 "
        "Prozent.",
        relays=PAPER,
    ),
    statement(
        ENERGY,
        DIRECTOR,
        "asserts",
        [RADIO, PAPER, DIRECTOR],
        "2025-06-02",
        "radio-2025-06-03.txt",
        "die Preiserhöhung sei wegen der Energiekosten unvermeidlich",
    ),
    *_council_statements(),
]
CORRECTION = {
    "reason": "Der Anzeiger hat die Zahl am 5. Juni korrigiert: 12, nicht 18 Prozent.",
    "basis": "source_changed",
    "corrected_at": "2025-06-05",
    "statement": statement(
        RAISED,
        PAPER,
        "denies",
        [PAPER],
        "2025-06-05",
        "anzeiger-2025-06-05.txt",
        "Die Wasserpreise steigen um 12 Prozent, nicht um 18 Prozent.",
    ),
}
WITHDRAWAL = {
    "reason": "Radio Lindenau hat die Meldung am 5. Juni gelöscht.",
    "basis": "source_changed",
    "withdrawn_at": "2025-06-05T10:00:00Z",
}


def write_story(client: Poster, headers: dict[str, str]) -> Written:
    """Register the story, its actors, claims and documents, record its statements with exact
    quotes only, correct the paper's figure and withdraw the radio's report; every answer 201."""
    writer = StoryWriter(client, headers)
    writer.register(STORY, ACTORS, CLAIMS, [document(document_id) for document_id in TEXTS])
    ids = writer.record(STATEMENTS)
    writer.post(f"/v1/statements/{ids[0]}/corrections", CORRECTION)
    writer.post(f"/v1/statements/{ids[3]}/retractions", WITHDRAWAL)
    return writer.written
