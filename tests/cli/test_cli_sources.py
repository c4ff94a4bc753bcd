"""`ledger documents add` (text, HTML, PDF), `ledger drafts`, and a story file naming an HTML
page, on a fresh database (issue 24)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ledger_cli.main import app as cli
from tests.support.sources import article_html, make_pdf

STORY = """\
story: {key: harbour-bridge-de, title: Hafenbrücke}
actors:
  - {key: hafenblatt, name: Hafenblatt, kind: outlet}
  - {key: anna-berg, name: Anna Berg, kind: person, aliases: [Bürgermeisterin]}
  - {key: tom-krueger, name: Tom Krüger, kind: person}
claims:
  - key: plans-on-time
    propositions: {de: Die Pläne wurden rechtzeitig vorgelegt.}
documents:
  - id: hafenblatt.html
    publisher: hafenblatt
    language: de
    url: https://hafenblatt.example/bruecke
statements:
  - key: berg-plans-on-time
    document: hafenblatt.html
    actor: anna-berg
    claim: plans-on-time
    stance: asserts
    conduit: [hafenblatt, anna-berg]
    said_at: {precision: day, value: '2025-03-03'}
    quote: {exact: Wir haben die Pläne rechtzeitig vorgelegt}
"""


@pytest.fixture
def runner(empty_database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("LEDGER_DATABASE_URL", empty_database_url)
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    return runner


def test_documents_add_registers_html_pdf_and_text(runner: CliRunner, tmp_path: Path) -> None:
    page = tmp_path / "berg.html"
    page.write_text(article_html(), encoding="utf-8")
    added = runner.invoke(cli, ["documents", "add", str(page), "--url", "https://h.example/a"])
    assert added.exit_code == 0, added.output
    assert "from text/html (trafilatura" in added.output
    assert "title: Hafenbrücke: Streit um die Kosten" in added.output
    assert "published: 2025-03-03T08:15:00+01:00" in added.output
    pdf = tmp_path / "kreml.pdf"
    pdf.write_bytes(make_pdf(["Peskow: Es gab nur ein Gespräch."], "Kreml", "Dan Tri"))
    added = runner.invoke(cli, ["documents", "add", str(pdf), "--language", "de"])
    assert added.exit_code == 0 and "application/pdf (pdfminer.six" in added.output
    text = tmp_path / "note.txt"
    text.write_text("Der Sprecher sagte, es gebe nichts zu sagen.\n", encoding="utf-8")
    assert runner.invoke(cli, ["documents", "add", str(text)]).exit_code == 0
    unknown = runner.invoke(cli, ["documents", "add", str(text), "--id", "x.txt", "--publisher", "nobody"])
    assert unknown.exit_code == 2 and "publisher" in unknown.output
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 not really")
    refused = runner.invoke(cli, ["documents", "add", str(broken)])
    assert refused.exit_code == 2 and "broken.pdf" in refused.output


def test_a_story_file_names_an_html_page_and_drafts_become_a_story_file(
    runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "hafenblatt.html").write_text(article_html(), encoding="utf-8")
    (tmp_path / "story.yaml").write_text(STORY, encoding="utf-8")
    loaded = runner.invoke(cli, ["stories", "load", str(tmp_path / "story.yaml")])
    assert loaded.exit_code == 0, loaded.output

    printed = runner.invoke(cli, ["drafts", "hafenblatt.html"])
    assert printed.exit_code == 0, printed.output
    assert "anna-berg asserts  [quote: sagte]" in printed.output
    assert "tom-krueger denies  [reported: bestritt]" in printed.output
    assert "(unregistered: Eine Sprecherin der Hafenbehörde) declines_to_comment" in printed.output

    out = tmp_path / "drafts" / "drafts.yaml"
    out.parent.mkdir()
    written = runner.invoke(cli, ["drafts", "hafenblatt.html", "--story-file", str(out)])
    assert written.exit_code == 0, written.output
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert (out.parent / "hafenblatt.html").read_text(encoding="utf-8") == article_html()
    assert [a["key"] for a in data["actors"]] == ["hafenblatt", "anna-berg", "tom-krueger"]
    # A person keeps the drafts they agree with and names each one's claim.
    kept = [s for s in data["statements"] if s["actor"] == "tom-krueger"]
    for statement in kept:
        statement["claim"] = "costs-not-doubled"
    data["claims"] = [{"key": "costs-not-doubled", "propositions": {"de": "Die Kosten haben sich nicht verdoppelt."}}]
    data["statements"] = kept
    out.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    again = runner.invoke(cli, ["stories", "load", str(out)])
    assert again.exit_code == 0, again.output
    assert "2 statements" in again.output or "statements: 2" in again.output, again.output
