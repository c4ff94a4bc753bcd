"""Serving the ledger's standard formats: negotiation and serialization, nothing more.

The documents themselves are built in ``ledger.formats`` from the same views the JSON API
answers with; this module picks the format (by explicit URL or by ``Accept``) and writes it.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from fastapi import Request, Response

from api.language import preferences
from api.negotiation import negotiate
from ledger.projections.views import StatementView
from ledger.errors import NotFound
from ledger.formats import Context, Links, Scope, annotation, prov, schema_org
from ledger.service import LedgerQueries

JSON = "application/json"


class Format(StrEnum):
    """The explicit URL's last segment for each format."""

    ANNOTATIONS = "annotations"
    SCHEMA_ORG = "schema-org"
    PROV_TURTLE = "prov.ttl"
    PROV_JSON_LD = "prov.jsonld"


MEDIA_TYPES = {
    Format.ANNOTATIONS: annotation.MEDIA_TYPE,
    Format.SCHEMA_ORG: schema_org.MEDIA_TYPE,
    Format.PROV_TURTLE: prov.TURTLE,
    Format.PROV_JSON_LD: prov.JSON_LD,
}
FORMAT_OF = {media: fmt for fmt, media in MEDIA_TYPES.items()}
# What a resource's own URL offers, in the server's order of preference after JSON.
EXPORT_OFFERS = [JSON, schema_org.MEDIA_TYPE, annotation.MEDIA_TYPE, prov.TURTLE, prov.JSON_LD]
STATEMENT_OFFERS = [JSON, annotation.MEDIA_TYPE]


def links(request: Request) -> Links:
    return Links(str(request.base_url))


def context(request: Request, queries: LedgerQueries) -> Context:
    return Context(
        links=links(request),
        actors={actor.key: actor for actor in queries.all_actors()},
        documents={doc.document_id: doc for doc in queries.all_documents()},
        claims={claim.key: claim for claim in queries.all_claims()},
        languages=preferences(request.headers.get("accept-language")),
    )


def negotiated(request: Request, offers: list[str]) -> str:
    return negotiate(request.headers.get("accept"), offers)


def export(
    request: Request, queries: LedgerQueries, scope: Scope, fmt: Format, page: int | None = None
) -> Response:
    """The scope in one format; ``page`` picks an AnnotationPage of the annotations."""
    negotiate(request.headers.get("accept"), [MEDIA_TYPES[fmt]])  # 406 if it cannot be taken
    ctx = context(request, queries)
    entries = scope.entries(queries.statement_entries())
    if fmt is Format.ANNOTATIONS:
        body = (
            annotation.collection(scope, entries, ctx)
            if page is None
            else annotation.page(scope, entries, ctx, page)
        )
        if body is None:
            raise NotFound(f"no page {page} of {scope.label}")
        return json_ld(body, fmt)
    if fmt is Format.SCHEMA_ORG:
        claims = [c for c in ctx.claims.values() if scope.covers_claim(c)]
        answer = json_ld(schema_org.claims_document(scope, claims, entries, ctx), fmt)
        languages = sorted({tag for c in claims if (tag := ctx.proposition(c)[0])})
        if languages:
            answer.headers["Content-Language"] = ", ".join(languages)
        answer.headers.append("Vary", "Accept-Language")
        return answer
    graph = prov.graph(scope, entries, ctx)
    if fmt is Format.PROV_TURTLE:
        return Response(graph.serialize(format="turtle"), media_type=prov.TURTLE)
    return Response(graph.serialize(format="json-ld", auto_compact=True), media_type=prov.JSON_LD)


def json_ld(body: dict[str, Any], fmt: Format) -> Response:
    text = json.dumps(body, ensure_ascii=False, indent=2)
    return Response(text, media_type=MEDIA_TYPES[fmt])


def statement_annotation(
    request: Request, queries: LedgerQueries, view: StatementView, version: str | None
) -> Response:
    """One version of a statement (its current one unless ``version`` names another)."""
    negotiate(request.headers.get("accept"), [annotation.MEDIA_TYPE])
    chosen = (
        view.current
        if version is None
        else next((v for v in view.versions if v.version_id == version), None)
    )
    if chosen is None:
        raise NotFound(f"statement {view.statement_id} has no version {version}")
    body = annotation.annotation(chosen, context(request, queries))
    return json_ld(body, Format.ANNOTATIONS)
