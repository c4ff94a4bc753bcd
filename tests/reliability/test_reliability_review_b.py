"""Hostile input, a third look (review b): what a probe of the running service got through after
issues 24, 26 and 28 landed. Each test failed on the code before its fix.

Database findings run on both backends (the ``client`` fixture); the witness's run against its
app, with the spec's answers.
"""

from __future__ import annotations

import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient

import ledger.drafting.text as drafting_text
from api.witness_app import MAX_BODY, create_witness_app
from ledger.audit.cosignature import CosignerKey
from ledger.audit.note import Checkpoint, SigningKey, sign_note
from ledger.audit.witness import Witness
from ledger.drafting import ActorName, draft_statements
from ledger.drafting.text import quotations
from tests.support.api_fixtures import WRITE, assert_problem, head

ORIGIN = "log.example/review-b"


def document(document_id: str, text: str) -> dict[str, Any]:
    digest = hashlib.sha256(text.encode()).hexdigest()
    return {"document_id": document_id, "language": "de", "sha256": digest, "text": text}


# 1. Drafts of a text full of quote marks that never close: the work grew with the square of
# the marks (30,000 "„" on one line: 2.5 s; 60,000: 9 s per anonymous GET of the drafts).


class _ScanCounter:
    """``re`` for ``ledger.drafting.text``, counting the characters its compiled patterns'
    ``search`` walks over."""

    def __init__(self) -> None:
        self.scanned = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)

    def compile(self, pattern: str) -> Any:
        compiled, counter = re.compile(pattern), self

        class Counting:
            def search(self, text: str, position: int = 0) -> re.Match[str] | None:
                found = compiled.search(text, position)
                counter.scanned += (found.end() if found else len(text)) - position
                return found

        return Counting()


@pytest.mark.parametrize("marks", ["„" * 20_000, "»" * 10_000 + "\n" + '"' * 1, "„“" * 5 + "„" * 20_000])
def test_unclosed_quote_marks_cost_work_in_proportion_to_the_text(
    monkeypatch: pytest.MonkeyPatch, marks: str
) -> None:
    counter = _ScanCounter()
    monkeypatch.setattr(drafting_text, "re", counter)
    quotations(marks)
    assert counter.scanned <= 2 * len(marks), counter.scanned  # was about len(marks)² / 2


def test_the_quotations_found_are_those_of_the_marks_that_close() -> None:
    assert quotations("„a“ „b„c“ \n„d") == [(0, 3), (4, 9)]
    assert quotations('"x" "y') == [(0, 3)]
    assert quotations("»a« »b «c»\n„x\n„y“") == [(0, 3), (4, 8), (14, 17)]


def test_drafts_of_a_text_of_unclosed_quote_marks_answer(client: TestClient) -> None:
    text = "„" * 20_000 + "\nWeber sagte, das sei gut."
    assert client.post("/v1/documents", json=document("marks.txt", text), headers=WRITE).is_success
    answer = client.get("/v1/documents/marks.txt/drafts")
    assert answer.status_code == 200
    assert [draft["cue"] for draft in answer.json()["drafts"]] == ["sagte"]


# 2. A writer's HTML page was served from the ledger's own origin as text/html with nothing to
# stop its scripts: they ran beside the page's write token (sessionStorage, same origin).

HOSTILE_PAGE = (
    "<html><head><title>Bridge</title><script>fetch('/x?'+sessionStorage.length)</script>"
    "</head><body><article><p>The mayor said the bridge will cost forty million euros, "
    "according to the city council.</p><p>The council meets again next week.</p></article>"
    "</body></html>"
)


def test_an_original_page_is_served_sandboxed(client: TestClient) -> None:
    body = {"document_id": "page.html", "language": "en", "html": HOSTILE_PAGE}
    assert client.post("/v1/documents", json=body, headers=WRITE).status_code == 201
    original = client.get("/v1/documents/page.html/original")
    assert original.status_code == 200 and original.content == HOSTILE_PAGE.encode()
    assert original.headers["content-type"].startswith("text/html")
    policy = original.headers.get("content-security-policy", "")
    assert "sandbox" in [part.strip().split(" ")[0] for part in policy.split(";")], policy
    assert "default-src 'none'" in policy


# 3. A body whose sha256 does not match, or a text without one, named "(body)", not the field.


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"html": HOSTILE_PAGE, "sha256": "0" * 64}, "sha256"),
        ({"pdf": "JVBERi0xLjQ=", "sha256": "0" * 64}, "sha256"),
        ({"text": "Peskov denied it."}, "sha256"),
        ({"text": "Peskov denied it.", "sha256": "0" * 64}, "sha256"),
        ({"pdf": "not base64!"}, "pdf"),
    ],
)
def test_a_document_refused_for_its_content_names_the_field(
    client: TestClient, changes: dict[str, str], field: str
) -> None:
    before = head(client)
    body = {"document_id": "named.html", "language": "en", **changes}
    problem = assert_problem(client.post("/v1/documents", json=body, headers=WRITE), 422)
    assert [error["field"] for error in problem["errors"]] == [field], problem
    assert head(client) == before


# 4. Names that show nothing: only spaces, or Hangul fillers (letters by category, blank).


@pytest.mark.parametrize(
    "payload",
    [
        {"key": "blank", "name": "   ", "kind": "person"},
        {"key": "filler", "name": "\u3164", "kind": "person"},
        {"key": "filler2", "name": "Pes\u3164kov", "kind": "person"},
        {"key": "alias", "name": "Peskov", "kind": "person", "aliases": [" "]},
        {"key": "alias2", "name": "Peskov", "kind": "person", "aliases": ["\uffa0"]},
        # Combining marks alone have nothing to sit on: they show as nothing, or as a stray accent.
        {"key": "alias3", "name": "Peskov", "kind": "person", "aliases": ["\u0301\u0301"]},
        {"key": "marks", "name": "\u0301\u0308", "kind": "person"},
    ],
)
def test_names_and_aliases_that_show_nothing_are_refused(
    client: TestClient, payload: dict[str, Any]
) -> None:
    before = head(client)
    problem = assert_problem(client.post("/v1/actors", json=payload, headers=WRITE), 422)
    field = "aliases" if "aliases" in payload else "name"
    assert problem["errors"][0]["field"].startswith(field), problem
    assert head(client) == before


# 4b. A document's url took bidi controls and invisible characters: "https://evil.example/"
# + RLO + "fdp.exe" was stored and shown as ".../exe.pdf".


@pytest.mark.parametrize("tail", ["\u202efdp.exe", "a\u200bb", "\u2060x", "\ufeffx"])
def test_a_url_with_invisible_characters_is_refused(client: TestClient, tail: str) -> None:
    before = head(client)
    body = {
        "document_id": "url.html", "language": "en", "html": HOSTILE_PAGE,
        "url": f"https://evil.example/{tail}",
    }
    problem = assert_problem(client.post("/v1/documents", json=body, headers=WRITE), 422)
    assert [error["field"] for error in problem["errors"]] == ["url"], problem
    assert head(client) == before


# 4c. A page's publication time: a bare year, a malformed date or a footer's "© 2024" became
# 1 January (htmldate's extensive search), and that invented date then refused a statement said
# on 25 October as "after the document's own date"; a meta with a UTC offset of +25:00 made
# trafilatura drop the page, answered as "no article text found".

ARTICLE = (
    "<p>The mayor said the bridge will cost forty million euros next year, according to the "
    "city council. The council meets again next week to decide.</p>"
)


def page(head: str = "", foot: str = "") -> str:
    return (
        f"<html><head><title>Bridge</title>{head}</head><body><article>{ARTICLE}</article>"
        f"{foot}</body></html>"
    )


def published_meta(value: str) -> str:
    return f'<meta property="article:published_time" content="{value}">'


@pytest.mark.parametrize(
    "html",
    [
        page(published_meta("2024")),
        page(published_meta("2024-13-45")),
        page(foot="<footer>&copy; 2024 Coastal Herald</footer>"),
    ],
)
def test_a_page_gets_no_publication_date_it_does_not_give(client: TestClient, html: str) -> None:
    body = {"document_id": "year.html", "language": "en", "html": html}
    answer = client.post("/v1/documents", json=body, headers=WRITE)
    assert answer.status_code == 201, answer.text
    data = answer.json()["data"]
    assert data.get("published") is None and data["dated"] is None, data


def test_a_page_with_a_broken_publication_time_keeps_its_text(client: TestClient) -> None:
    html = page(published_meta("2024-10-25T19:00:00+25:00"))
    body = {"document_id": "offset.html", "language": "en", "html": html}
    answer = client.post("/v1/documents", json=body, headers=WRITE)
    assert answer.status_code == 201, answer.text
    assert answer.json()["data"]["text"].startswith("The mayor said the bridge")
    assert answer.json()["data"].get("published") is None


# 4d. A checkpoint's size past any database integer answered a problem naming no field.


@pytest.mark.parametrize(
    ("path", "field"),
    [("/v1/audit/checkpoint?size=", "size"), ("/v1/audit/checkpoints?after=", "after")],
)
def test_a_checkpoint_size_past_any_integer_is_refused_naming_it(
    client: TestClient, path: str, field: str
) -> None:
    problem = assert_problem(client.get(path + "9" * 23), 422)
    assert [error["field"] for error in problem.get("errors", [])] == [field], problem


# 5. The witness: an old size in other digits than ASCII was taken ("old ١٠" cosigned as 10),
# and a huge body was read whole before the 64 KiB limit was applied.


@pytest.fixture
def witness_client(tmp_path: Path) -> Any:
    log_key = SigningKey.generate(ORIGIN)
    witness = Witness(CosignerKey.generate("witness.test/rb"), [log_key.verifier], tmp_path)
    with TestClient(create_witness_app(witness)) as client:
        yield client, log_key


def test_an_old_size_in_other_digits_is_400(witness_client: Any) -> None:
    client, log_key = witness_client
    note = sign_note(Checkpoint(ORIGIN, 1, hashlib.sha256(b"\x00x").digest()).text, log_key)
    assert client.post("/add-checkpoint", content=f"old 0\n\n{note}".encode()).status_code == 200
    for old in ("\u0661", "\uff11", "\u00b9"):  # Arabic-Indic, fullwidth and superscript one
        answer = client.post("/add-checkpoint", content=f"old {old}\n\n{note}".encode())
        assert answer.status_code == 400, (old, answer.status_code, answer.text)


def _post_chunks(app: Any, chunks: int, headers: list[tuple[bytes, bytes]]) -> tuple[int, int]:
    """POST ``chunks`` chunks of 1 MiB to the app; the status and how many chunks it read."""
    read, status = 0, 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": b"a" * (1 << 20), "more_body": read < chunks}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/add-checkpoint", "raw_path": b"/add-checkpoint",
        "query_string": b"", "headers": headers, "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    # A thread of its own: the browser tests' sync Playwright may leave this thread's loop set.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(anyio.run, app, scope, receive, send).result()
    return status, read


def test_a_huge_body_is_refused_without_being_read(tmp_path: Path) -> None:
    log_key = SigningKey.generate(ORIGIN)
    app = create_witness_app(Witness(CosignerKey.generate("w.test/rb"), [log_key.verifier], tmp_path))
    status, read = _post_chunks(app, 200, [])  # chunked: 200 MiB
    assert status == 413 and read * (1 << 20) <= MAX_BODY + (1 << 20), read
    declared = [(b"content-length", str(200 << 20).encode())]
    status, read = _post_chunks(app, 200, declared)
    assert status == 413 and read == 0, read


# 6. A draft's speaker: a name inside what was said (a quotation of any length, or the clause
# before ", sagte X") is never its speaker; an unregistered name right after the verb of saying
# ("sagte Weber", "said Weber") keeps the words with actor null.


@pytest.mark.parametrize(
    "text",
    [
        "„Peskow lügt hier“, sagte Weber.",
        '"Peskov lies badly here," said Weber.',
        "Peskow lüge, sagte Weber.",
    ],
)
def test_a_name_inside_what_was_said_is_not_its_speaker(text: str) -> None:
    peskov = ActorName("peskov", "Dmitry Peskov", "person", ("Peskow",))
    drafts = [draft.to_json() for draft in draft_statements(text, [peskov])]
    assert drafts and all(draft["actor"] != "peskov" for draft in drafts), drafts
    assert all(draft["actor"] is None and draft["speaker"] == "Weber" for draft in drafts), drafts
