"""The witness's HTTP face: ``POST /add-checkpoint`` of C2SP tlog-witness, nothing else.

A thin layer over ``ledger.audit.witness.Witness``, which holds every rule; run by
``ledger witness serve``. The body is read whole (a request is a few KiB: 63 proof lines and a
checkpoint with its signatures), refused above 64 KiB.
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
        body = await request.body()
        if len(body) > MAX_BODY:
            return Response("the request is too large\n", 413, media_type="text/plain")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return Response("the body is not UTF-8\n", 400, media_type="text/plain")
        answer = await run_in_threadpool(witness.add_checkpoint, text)
        return Response(answer.body, answer.status, headers={"Content-Type": answer.content_type})

    return Starlette(routes=[Route("/add-checkpoint", add_checkpoint, methods=["POST"])])
