"""The OpenAPI document as a generated client reads it: operation ids and optional read auth."""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute

from api.problems import responses

# Where a function's name would make a poor client method name.
OPERATION_IDS = {
    "claim_history": "getClaimHistory",
    "read_events": "listEvents",
    "replay": "getReplay",
}
READ_METHODS = ("get", "head")
OPTIONAL_AUTH = (
    "Reads are open unless the server sets `LEDGER_READS_REQUIRE_TOKEN`; then a bearer token "
    "with the read scope is needed, and its absence answers 401 (a token without it: 403)."
)


def operation_id(route: APIRoute) -> str:
    """``record_statement`` → ``recordStatement``, ``read_claim`` → ``getClaim``."""
    if route.name in OPERATION_IDS:
        return OPERATION_IDS[route.name]
    name = route.name
    if name.startswith("read_"):
        name = "get_" + name.removeprefix("read_")
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def _problem_entry(status: int) -> dict[str, Any]:
    return {
        "description": responses(status)[status]["description"],
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


def unknown_query_refused(openapi: dict[str, Any]) -> dict[str, Any]:
    """Every operation lists 400: each route refuses query parameters it does not declare
    (``api.deps.refuse_unknown_query``, on every route), whoever added the route."""
    for path in openapi.get("paths", {}).values():
        for operation in path.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("400", _problem_entry(400))
    return openapi


def optional_read_security(openapi: dict[str, Any]) -> dict[str, Any]:
    """Reads declared as optionally authenticated, with their 401 and 403 documented.

    FastAPI marks every route that takes the bearer dependency as needing it, so generated
    read functions would demand an authenticated client. OpenAPI's way of saying "a token may
    be sent" is ``[{}, {scheme}]``, which generators (openapi-python-client among them) read
    as required too; reads therefore carry no ``security`` requirement and say in words when
    a token is needed, while 401 and 403 are listed among their responses.
    """
    problems = responses(401, 403)
    for path in openapi.get("paths", {}).values():
        for method, operation in path.items():
            if method not in READ_METHODS or "security" not in operation:
                continue
            del operation["security"]
            description = operation.get("description", "")
            operation["description"] = f"{description}\n\n{OPTIONAL_AUTH}".strip()
            for status, entry in problems.items():
                operation["responses"].setdefault(
                    str(status),
                    {
                        "description": entry["description"],
                        "content": {
                            "application/problem+json": {
                                "schema": {"$ref": "#/components/schemas/Problem"}
                            }
                        },
                    },
                )
    return openapi
