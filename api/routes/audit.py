"""The audit routes: the integrity walk, signed checkpoints, the verifier key and proofs.

Everything here is for someone who does not trust the ledger's operator: a checkpoint is a
C2SP signed note (text/plain), and a proof is checked against a checkpoint's root with nothing
but RFC 9162 and the verifier key (``ledger audit``, or any tlog client).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from api.deps import AppDep, LogDep, MayWalk, ReadAccess
from api.problems import responses
from api.views import CheckpointView, ConsistencyProofView, InclusionProofView, VerificationView
from ledger.tlog.layout import parse_tile_path
from ledger.bootstrap import Wiring
from ledger.store import keep_verification, last_verification

router = APIRouter(prefix="/v1/audit", tags=["audit"], dependencies=[ReadAccess])


def text_answer(description: str, *problems: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI for a text/plain answer, with its problems still under problem+json.

    FastAPI would document a route's extra responses in the route's own media type.
    """
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    answers: dict[int | str, dict[str, Any]] = {
        200: {"description": description, "content": {"text/plain": {}}}
    }
    for status in problems:
        answers[status] = {
            "description": HTTPStatus(status).phrase,
            "content": {"application/problem+json": problem},
        }
    return answers


Size = Annotated[
    int | None, Query(ge=0, description="A tree size (default: the latest checkpoint's)")
]


@router.get("/verify", response_model=VerificationView, responses=responses(401))
def verify_chain(app: AppDep, may_walk: MayWalk) -> dict[str, Any]:
    """Walk the hash chain, the Merkle nodes and the kept checkpoints; ok is false at a fault.

    The walk reads the whole log, so it needs a token with the ``audit`` (or ``write``) scope;
    its result is kept. Anyone else gets the last walk's result and its time (``ok`` null when
    none has run yet); ``ledger verify`` walks without any of this."""
    if may_walk:
        return walk_and_keep(app)
    kept = last_verification(app.store)
    if kept is None:
        return NEVER_VERIFIED
    return {**kept.result, "verified_at": kept.verified_at}


@router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    responses=text_answer("A C2SP tlog-checkpoint signed note", 404, 422, 503),
)
def checkpoint(
    log: LogDep,
    size: Annotated[
        int | None, Query(ge=0, le=2**53, description="A kept earlier checkpoint's size")
    ] = None,
) -> PlainTextResponse:
    """The latest signed checkpoint (signed now if the log has grown), or the one at ``size``."""
    signed = log.latest() if size is None else log.at_size(size)
    return PlainTextResponse(signed.published, headers={"Cache-Control": _cache(size)})


@router.get("/checkpoints", response_model=list[CheckpointView], responses=responses(422, 503))
def checkpoint_history(
    log: LogDep,
    after: Annotated[int, Query(ge=-1, le=2**53, description="Only sizes above this")] = -1,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Every checkpoint the ledger signed, oldest first, a page at a time."""
    return [signed.to_json() for signed in log.history(after=after, limit=limit)]


@router.get(
    "/verifier-key",
    response_class=PlainTextResponse,
    responses=text_answer("The signed-note verifier key", 503),
)
def verifier_key(log: LogDep) -> PlainTextResponse:
    """The key that checks every checkpoint: ``<name>+<hex key id>+<base64 key>``."""
    return PlainTextResponse(log.verifier.text + "\n")


@router.get(
    "/proofs/inclusion", response_model=InclusionProofView, responses=responses(422)
)
def inclusion_proof(
    log: LogDep,
    response: Response,
    position: Annotated[int, Query(ge=1, description="The event's position (leaf position - 1)")],
    tree_size: Size = None,
) -> dict[str, Any]:
    """The RFC 9162 inclusion proof of the event at ``position`` in the tree of ``tree_size``."""
    response.headers["Cache-Control"] = _cache(tree_size)
    return log.inclusion(position, tree_size).to_json()


@router.get(
    "/proofs/consistency", response_model=ConsistencyProofView, responses=responses(422)
)
def consistency_proof(
    log: LogDep,
    response: Response,
    first: Annotated[int, Query(alias="from", ge=1, description="The earlier tree size")],
    second: Annotated[int | None, Query(alias="to", ge=1, description="The later tree size")] = None,
) -> dict[str, Any]:
    """The RFC 9162 consistency proof that the tree of size ``from`` is a prefix of ``to``."""
    response.headers["Cache-Control"] = _cache(second)
    return log.consistency(first, second).to_json()


NEVER_VERIFIED: dict[str, Any] = {
    "ok": None,
    "checked": 0,
    "first_bad_position": None,
    "reason": "no walk has run yet: a token with the audit or write scope runs one",
    "tree_size": 0,
    "root": "",
    "checkpoints_checked": 0,
    "verified_at": None,
}


def walk_and_keep(app: Wiring) -> dict[str, Any]:
    """The integrity walk, kept with its time for those who may not walk."""
    result, at = app.verify(), app.store.clock()
    keep_verification(app.store, result, at)
    return {**result.to_json(), "verified_at": at}


# -- C2SP tlog-tiles: what a mirror or a client needs to compute every proof itself ------------

IMMUTABLE = "public, max-age=31536000, immutable"


@router.get(
    "/tlog/checkpoint",
    response_class=PlainTextResponse,
    responses=text_answer("The latest checkpoint (C2SP tlog-checkpoint), cosignatures too", 503),
)
def tlog_checkpoint(log: LogDep) -> PlainTextResponse:
    """``<prefix>/checkpoint`` of C2SP tlog-tiles: the latest signed checkpoint, not cached."""
    return PlainTextResponse(log.latest().published, headers={"Cache-Control": "no-cache"})


@router.get(
    "/tlog/tile/{path:path}",
    response_class=Response,
    responses={
        200: {
            "description": "A hash tile or an entry bundle (C2SP tlog-tiles)",
            "content": {"application/octet-stream": {}},
        },
        **{k: v for k, v in text_answer("", 404).items() if k != 200},
    },
)
async def tlog_tile(app: AppDep, path: str) -> Response:
    """``tile/<L>/<N>[.p/<W>]`` (hashes) or ``tile/entries/<N>[.p/<W>]`` (each entry: the
    event's 32-byte hash behind a big-endian uint16 length). Every tile served is immutable.

    A full tile read before is answered from memory on the event loop; the others are read in
    the thread pool.
    """
    address = parse_tile_path(path)
    data = app.log.tiles.cached(address)
    if data is None:
        data = await run_in_threadpool(app.log.tiles.read, address)
    return Response(data, media_type="application/octet-stream", headers={"Cache-Control": IMMUTABLE})


def _cache(size: int | None) -> str:
    """What names its tree size never changes; what follows the latest checkpoint does."""
    return IMMUTABLE if size is not None else "no-cache"
