"""Schemathesis over the app's own OpenAPI document: every operation, both generation modes.

Collects every operation's failure rather than stopping at the first, so one run names them all.
PYTEST_DONT_REWRITE: it raises AssertionError itself.
"""

from __future__ import annotations

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)


from tests.support.api_fixtures import WRITE

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
LEFT_OUT = {"GET /v1/events/stream"}


def exercise_every_operation(app: FastAPI, examples: dict[GenerationMode, int]) -> list[str]:
    """Every operation (but the endless stream) with ``examples`` cases per mode; the calls made.

    Raises AssertionError naming each operation that answered 5xx or off its schema.
    """
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    calls: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        if operation.label in LEFT_OUT:
            continue
        for mode, count in examples.items():
            try:
                exercise(operation, mode, count, calls)
            except Unsatisfiable:
                pass  # an operation without parameters has no schema to break
            except Exception as error:  # noqa: BLE001 - collect every operation's failure
                failures.append(f"{operation.label} ({mode.value}): {error}")
    if failures:
        raise AssertionError("\n\n".join(failures))
    return calls


def exercise(
    operation: schemathesis.APIOperation, mode: GenerationMode, examples: int, calls: list[str]
) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        calls.append(operation.label)
        case.call_and_validate(headers=dict(WRITE), checks=CHECKS)

    run()
