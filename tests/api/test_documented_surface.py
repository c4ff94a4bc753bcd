"""Every HTTP operation is in docs/http-api.md's endpoint table, and every CLI command has help.

The table is what an integrator reads first; a route added without a row there is invisible to
them. The OpenAPI document is the app's own list of operations, so the test walks that.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer.main
from fastapi.testclient import TestClient

from ledger_cli.main import app as cli

HTTP_API = Path(__file__).resolve().parents[2] / "docs" / "http-api.md"
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}
# `POST /v1/stories`, `/v1/actors` (the method carries on), `GET /v1/audit/checkpoint[?size=]`
TOKEN = re.compile(r"`(?:(?P<method>[A-Z]+) )?(?P<path>/[^`?\[\s]*)[^`]*`")


def documented_operations(markdown: str) -> set[tuple[str, str]]:
    """(method, path) for every path in the first column of the endpoint table."""
    section = markdown.split("## Endpoints", 1)[1].split("\n## ", 1)[0]
    operations: set[tuple[str, str]] = set()
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        method = "GET"
        for match in TOKEN.finditer(line.split(" | ", 1)[0]):
            method = match["method"] or method
            operations.add((method, template(match["path"])))
    return operations


def template(path: str) -> str:
    """A path with its parameters unnamed: the docs' ``{id}`` is the app's ``{statement_id}``."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def test_the_table_reader_carries_a_method_on_and_drops_queries() -> None:
    table = "## Endpoints\n| `POST /v1/a`, `/v1/b` | x |\n| `GET /v1/c?after=` | `/v1/not` |\n"
    assert documented_operations(table) == {("POST", "/v1/a"), ("POST", "/v1/b"), ("GET", "/v1/c")}
    assert template("/v1/statements/{statement_id}/annotation") == "/v1/statements/{}/annotation"


def test_every_operation_of_the_api_is_in_the_endpoint_table(client: TestClient) -> None:
    served = {
        (method.upper(), template(path))
        for path, item in client.get("/openapi.json").json()["paths"].items()
        for method in item
        if method.upper() in METHODS
    }
    assert len(served) > 30
    documented = documented_operations(HTTP_API.read_text(encoding="utf-8"))
    missing = sorted(f"{method} {path}" for method, path in served - documented)
    assert not missing, f"not in docs/http-api.md's endpoint table: {missing}"


def walk(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, Any]]:
    """Every command and group under ``command``, named as a user types them."""
    found = [(" ".join(("ledger", *path)), command)]
    if hasattr(command, "list_commands"):  # a group; typer carries its own copy of click
        context = command.context_class(command)
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            assert sub is not None
            found += walk(sub, (*path, name))
    return found


def test_every_cli_command_and_group_has_help_text() -> None:
    commands = walk(typer.main.get_command(cli))
    assert len(commands) > 15
    bare = [name for name, command in commands if not (command.help or "").strip()]
    assert not bare, f"commands without help text: {bare}"
    for name, command in commands:
        for parameter in command.params:
            if parameter.param_type_name == "option" and not parameter.hidden:
                assert (parameter.help or "").strip(), f"{name} {parameter.opts[0]} has no help"
