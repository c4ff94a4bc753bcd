"""The witness's HTTP face: ``POST /add-checkpoint`` of C2SP tlog-witness, nothing else.

A thin layer over ``ledger.audit.witness.Witness``, which holds every rule; run by
``ledger witness serve``. The body is read whole (a request is a few KiB: 63 proof lines and a
checkpoint with its signatures), refused above 64 KiB without reading further.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ledger.audit.witness import Witness

MAX_BODY = 64 * 1024


def create_witness_app(witness: Witness) -> Starlette:
    async def add_checkpoint(request: Request) -> Response:
        body = await _body_within(request, MAX_BODY)
        if body is None:
            return Response("the request is too large\n", 413, media_type="text/plain")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return Response("the body is not UTF-8\n", 400, media_type="text/plain")
        answer = await run_in_threadpool(witness.add_checkpoint, text)
        return Response(answer.body, answer.status, headers={"Content-Type": answer.content_type})

    return Starlette(routes=[Route("/add-checkpoint", add_checkpoint, methods=["POST"])])


async def _body_within(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it (or its declared length) passes ``limit``: a huge body
    is refused without being read into memory."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)
