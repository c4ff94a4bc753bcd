"""The integrity check over the hash chain."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import QueriesDep, ReadAccess
from api.views import VerificationView

router = APIRouter(prefix="/v1/audit", tags=["audit"], dependencies=[ReadAccess])


@router.get("/verify", response_model=VerificationView)
def verify_chain(queries: QueriesDep) -> dict[str, Any]:
    """Walk the hash chain from the genesis; ok is false at the first bad position."""
    return queries.verify().to_json()
