"""The ledger's own app with one static folder mounted: the baseline for serving a tile.

``BENCH_STATIC_DIR`` holds a tile's bytes as a plain file; the same process serves them at
``/static/...`` (Starlette's StaticFiles) and as ``/v1/audit/tlog/tile/...`` from the database.
"""

from __future__ import annotations

import os

from starlette.staticfiles import StaticFiles

from api.app import create_app

app = create_app()
app.mount("/static-bench", StaticFiles(directory=os.environ["BENCH_STATIC_DIR"]), name="static")
