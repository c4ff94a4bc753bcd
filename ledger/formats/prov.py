"""W3C PROV-O (https://www.w3.org/TR/prov-o/) graphs of who said what, through whom.

- Each statement version is a ``prov:Entity`` (and a ``ledger:Statement``),
  ``prov:wasAttributedTo`` its speaker, ``prov:generatedAtTime`` when the ledger recorded it.
- Each conduit hop is a ``ledger:ConduitHop`` entity: the statement as that outlet relayed it,
  ``prov:wasAttributedTo`` the outlet and ``prov:wasDerivedFrom`` the next hop toward the
  speaker (the last hop derives from the statement itself).
- A report (stance ``reports``) is itself a statement, attributed to the reporter and
  ``prov:wasDerivedFrom`` a ``ledger:RelayedStatement`` attributed to the speaker it relays.
- A correction's new version ``prov:wasRevisionOf`` the version it replaced, qualified by a
  ``prov:Revision`` whose activity (the correction, at its log position) carries the
  correction's time: when the source published the changed text (``source_changed``), else
  when the ledger recorded it (``ledger:recordedAt`` always); the old version is
  ``prov:invalidatedAtTime`` then. A retracted version ``prov:wasInvalidatedBy`` the
  retraction, a ``prov:Activity`` at its log position.

``relayed_by`` of the JSON API is the SPARQL query :data:`RELAYED_BY` over this graph.
"""

from __future__ import annotations

from collections.abc import Sequence

from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import PROV

from ledger.formats import LEDGER_VOCAB, Context, Scope
from ledger.projections.views import StatementEntry

LEDGER = Namespace(LEDGER_VOCAB)
TURTLE = "text/turtle"
JSON_LD = 'application/ld+json; profile="http://www.w3.org/ns/prov#"'

RELAYED_BY = """
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX ledger: <urn:claims-ledger:vocab#>
SELECT DISTINCT ?relayer ?speaker WHERE {
  ?said ledger:claim <%(claim)s> ; a ledger:Statement .
  FILTER NOT EXISTS { ?said prov:wasInvalidatedBy ?ending }
  FILTER NOT EXISTS { ?newer prov:wasRevisionOf ?said }
  {
    ?said prov:wasAttributedTo ?speaker .
    ?last prov:wasDerivedFrom ?said ; a ledger:ConduitHop .
    ?hop prov:wasDerivedFrom* ?last .
    ?hop a ledger:ConduitHop ; prov:wasAttributedTo ?relayer .
  } UNION {
    ?said ledger:stance ledger:reports ; prov:wasAttributedTo ?relayer ;
          prov:wasDerivedFrom ?relayed .
    ?relayed a ledger:RelayedStatement ; prov:wasAttributedTo ?speaker .
  }
}
"""


def graph(scope: Scope, entries: Sequence[StatementEntry], context: Context) -> Graph:
    """The PROV-O graph of the scope's statement versions (every version, ended ones too)."""
    g = Graph(bind_namespaces="none")
    for prefix, namespace in (("prov", PROV), ("ledger", LEDGER), ("rdfs", RDFS), ("xsd", XSD)):
        g.bind(prefix, namespace)
    chosen = scope.entries(entries)
    previous: dict[str, tuple[URIRef, StatementEntry]] = {}
    for entry in sorted(chosen, key=lambda e: e.position):
        node = _statement(g, entry, context)
        earlier = previous.get(entry.statement_id)
        if earlier is not None:
            _revision(g, node, entry, *earlier, context)
        previous[entry.statement_id] = (node, entry)
    for key in sorted({hop for entry in chosen for hop in _agents(entry)}):
        _agent(g, key, context)
    return g


def _revision(
    g: Graph,
    node: URIRef,
    entry: StatementEntry,
    earlier: URIRef,
    old: StatementEntry,
    context: Context,
) -> None:
    """``node`` revises ``earlier``, qualified with the correction and its time: when the
    source published the changed text (a ``source_changed`` correction), else when the ledger
    recorded it; the old reading is invalidated then, and the ledger's time is kept beside."""
    g.add((node, PROV.wasRevisionOf, earlier))
    correction = URIRef(context.links.event(entry.position))
    when = Literal(old.withdrawn_at or entry.recorded_at, datatype=XSD.dateTime)
    g.add((correction, RDF.type, PROV.Activity))
    g.add((correction, RDFS.label, Literal("correction")))
    g.add((correction, PROV.startedAtTime, when))
    g.add((correction, PROV.endedAtTime, when))
    basis = "source_changed" if old.withdrawn_at else "ledger_error"
    g.add((correction, LEDGER.basis, LEDGER[basis]))
    g.add((correction, LEDGER.recordedAt, Literal(entry.recorded_at, datatype=XSD.dateTime)))
    revision = URIRef(f"{context.links.version(entry)}-revision")
    g.add((revision, RDF.type, PROV.Revision))
    g.add((revision, PROV.entity, earlier))
    g.add((revision, PROV.hadActivity, correction))
    g.add((node, PROV.qualifiedRevision, revision))
    g.add((earlier, PROV.invalidatedAtTime, when))


def _agents(entry: StatementEntry) -> list[str]:
    return [entry.actor, *entry.conduit, *([entry.relays] if entry.relays else [])]


def _statement(g: Graph, entry: StatementEntry, context: Context) -> URIRef:
    links = context.links
    node = URIRef(links.version(entry))
    g.add((node, RDF.type, PROV.Entity))
    g.add((node, RDF.type, LEDGER.Statement))
    g.add((node, PROV.wasAttributedTo, URIRef(links.actor(entry.actor))))
    g.add((node, PROV.generatedAtTime, Literal(entry.recorded_at, datatype=XSD.dateTime)))
    g.add((node, PROV.specializationOf, URIRef(links.statement(entry.statement_id))))
    g.add((node, LEDGER.claim, URIRef(links.claim(entry.claim))))
    g.add((node, LEDGER.stance, LEDGER[entry.stance]))
    g.add((node, LEDGER.quote, Literal(entry.source.quote.exact)))
    g.add((node, PROV.hadPrimarySource, URIRef(links.document(entry.source.document))))
    if entry.relays:
        relayed = URIRef(f"{links.version(entry)}-relayed")
        g.add((relayed, RDF.type, PROV.Entity))
        g.add((relayed, RDF.type, LEDGER.RelayedStatement))
        g.add((relayed, PROV.wasAttributedTo, URIRef(links.actor(entry.relays))))
        g.add((node, PROV.wasDerivedFrom, relayed))
    _conduit(g, node, entry, context)
    if entry.status == "retracted" and entry.ended_position is not None:
        ending = URIRef(links.event(entry.ended_position))
        g.add((ending, RDF.type, PROV.Activity))
        g.add((ending, RDFS.label, Literal("retraction")))
        g.add((node, PROV.wasInvalidatedBy, ending))
    return node


def _conduit(g: Graph, node: URIRef, entry: StatementEntry, context: Context) -> None:
    """One hop entity per outlet before the speaker, each derived from the next one inward."""
    hops = entry.conduit[:-1]
    inner = node
    for index in reversed(range(len(hops))):
        hop = URIRef(f"{context.links.version(entry)}-hop-{index}")
        g.add((hop, RDF.type, PROV.Entity))
        g.add((hop, RDF.type, LEDGER.ConduitHop))
        g.add((hop, PROV.wasAttributedTo, URIRef(context.links.actor(hops[index]))))
        g.add((hop, PROV.wasDerivedFrom, inner))
        inner = hop


def _agent(g: Graph, key: str, context: Context) -> None:
    node = URIRef(context.links.actor(key))
    g.add((node, RDF.type, PROV.Agent))
    g.add((node, RDFS.label, Literal(context.actor_name(key))))


def relayed_by(g: Graph, claim_iri: str) -> dict[str, list[str]]:
    """Who relayed whose statements on one claim, by SPARQL over the graph (actor IRIs)."""
    found: dict[str, set[str]] = {}
    rows = g.query(RELAYED_BY % {"claim": URIRef(claim_iri)})
    for relayer, speaker in rows:  # type: ignore[misc]
        found.setdefault(str(speaker), set()).add(str(relayer))
    return {speaker: sorted(names) for speaker, names in found.items()}
