"""The reader registry, the metadata sheet and the articles table: which reader reads what, and what overrides what."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.corpus import iter_articles
from pipeline.errors import Messages, PolicyExtractError
from pipeline.readers import READERS, convert, formats_text, reader_for
from pipeline.readers.sheet import MetadataSheet
from pipeline.types import Article, Skipped

BODY = "In July, the U.S. Department of Energy (DOE) met MEXT.\n"


@pytest.mark.parametrize(
    ("name", "reader"),
    [
        ("a.txt", "text"),
        ("a.md", "text"),
        ("a.MD", "text"),
        ("a.jsonl", "jsonl"),
        ("a.html", "html"),
        ("a.htm", "html"),
        ("a.html.gz", "html"),
        ("a.pdf", "pdf"),
        ("a.docx", None),
        ("a.gz", None),
    ],
)
def test_reader_for_chooses_by_suffix(name: str, reader: str | None) -> None:
    found = reader_for(Path(name))
    assert (found.name if found else None) == reader


def test_messages_list_every_registered_suffix() -> None:
    message = Messages.A008.format(path="a.docx", suffix=".docx", formats=formats_text())
    for reader in READERS:
        for suffix in reader.suffixes:
            assert suffix in message


def test_text_article_records_its_date_source(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\ndate: 2025-03-04\n---\n" + BODY, encoding="utf-8")
    (tmp_path / "b.md").write_text(BODY, encoding="utf-8")
    a, b = iter_articles([tmp_path])
    assert isinstance(a, Article) and isinstance(b, Article)
    assert a.meta["date_source"] == "front-matter"
    assert b.meta["date_source"] == "none"


def _sheet(tmp_path: Path, text: str) -> MetadataSheet:
    path = tmp_path / "sheet.csv"
    path.write_text(text, encoding="utf-8")
    return MetadataSheet.read(path)


def test_sheet_overrides_front_matter_and_names_itself_as_date_source(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.md").write_text("---\ndate: 2020-01-01\ntitle: Old\n---\n" + BODY, encoding="utf-8")
    (folder / "b.md").write_text(BODY, encoding="utf-8")
    sheet = _sheet(tmp_path, "file,date,title,url\nin/a.md,2025-03-04,New title,\nmissing.md,2025-01-01,,\n")
    a, b = iter_articles([folder], sheet=sheet)
    assert isinstance(a, Article) and isinstance(b, Article)
    assert (a.meta["date"], a.meta["title"], a.meta["date_source"]) == ("2025-03-04", "New title", "metadata-file")
    assert "url" not in a.meta  # an empty cell overrides nothing
    assert b.meta["date_source"] == "none"
    assert sheet.rows_without_input() == ["line 3: missing.md"]
    assert sheet.inputs_without_row == [str(folder / "b.md")]


def test_sheet_matches_a_bare_file_name_and_takes_the_day_of_a_spreadsheet_timestamp(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(BODY, encoding="utf-8")
    sheet = _sheet(tmp_path, "file,date,id\na.md,2025-03-04 00:00:00,brief-7\n")
    (article,) = iter_articles([tmp_path / "a.md"], sheet=sheet)
    assert isinstance(article, Article)
    assert (article.id, article.meta["date"]) == ("brief-7", "2025-03-04")


def test_sheet_may_be_an_excel_workbook(tmp_path: Path) -> None:
    import pandas as pd

    (tmp_path / "a.md").write_text(BODY, encoding="utf-8")
    pd.DataFrame([{"file": "a.md", "date": "2025-03-04", "title": "From Excel"}]).to_excel(
        tmp_path / "sheet.xlsx", index=False
    )
    (article,) = iter_articles([tmp_path / "a.md"], sheet=MetadataSheet.read(tmp_path / "sheet.xlsx"))
    assert isinstance(article, Article)
    assert (article.meta["date"], article.meta["title"]) == ("2025-03-04", "From Excel")


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        ("a.md,2025-13-40\n", "line 2: date '2025-13-40' is not an ISO date"),
        ("a.md,2025-03-04\na.md,2025-03-05\n", "lines 2, 3 all name this file"),
    ],
    ids=["bad-date", "duplicate-row"],
)
def test_sheet_problem_costs_only_its_file(tmp_path: Path, rows: str, reason: str) -> None:
    (tmp_path / "a.md").write_text(BODY, encoding="utf-8")
    (tmp_path / "b.md").write_text(BODY, encoding="utf-8")
    sheet = _sheet(tmp_path, "file,date\n" + rows)
    a, b = iter_articles([tmp_path / "a.md", tmp_path / "b.md"], sheet=sheet)
    assert isinstance(a, Skipped) and reason in a.reason and "a.md" in a.reason
    assert isinstance(b, Article)


@pytest.mark.parametrize(
    ("text", "problem"),
    [("date,title\n2025-03-04,x\n", "no `file` column"), ("", "No columns")],
    ids=["no-file-column", "empty"],
)
def test_sheet_that_cannot_be_used_stops_with_one_line(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(PolicyExtractError, match=problem):
        _sheet(tmp_path, text)


def test_pending_page_keeps_the_sheet_date_over_its_own(tmp_path: Path) -> None:
    page = tmp_path / "brief.html"
    page.write_text(
        "<html><head><title>T</title><meta property='article:published_time' content='2020-01-01'></head>"
        "<body><article><h1>Japan and India sign a chip pact</h1><p>"
        + "The Ministry of Finance met. " * 20
        + "</p></article></body></html>",
        encoding="utf-8",
    )
    sheet = _sheet(tmp_path, "file,date\nbrief.html,2025-03-04\n")
    (pending,) = iter_articles([page], sheet=sheet)
    assert isinstance(pending, Article) and pending.text == "" and pending.raw is not None
    article = convert(pending)
    assert isinstance(article, Article)
    assert (article.id, article.meta["date"], article.meta["date_source"]) == ("brief", "2025-03-04", "metadata-file")
    assert article.meta["meta_sources"]["date"] == "metadata-file"
    assert article.meta["meta_sources"]["title"] == "html-text"  # the headline as the page shows it
    assert article.text.startswith("Japan and India sign a chip pact")


def test_run_writes_one_articles_row_per_article(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.md").write_text("---\nid: a\ndate: 2025-03-04\ntitle: A title\n---\n" + BODY, encoding="utf-8")
    (folder / "b.jsonl").write_text(json.dumps({"text": BODY, "meta": {"id": "b"}}) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(folder), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    with (out / "articles.csv").open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert [row["id"] for row in rows] == ["a", "b"]
    a, b = rows
    assert (a["title"], a["date"], a["date_source"], a["format"]) == ("A title", "2025-03-04", "front-matter", "text")
    assert (b["date_source"], b["format"], b["path"]) == ("none", "jsonl", f"{folder / 'b.jsonl'}:1")
    assert a["words"] == str(len(BODY.split())) and a["characters"] == str(len(BODY))
    assert int(a["ORG"]) >= 2 and len(a["sha256"]) == 64


def test_run_skips_each_bad_page_and_pdf_with_its_reason_and_writes_the_rest(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.md").write_text("---\nid: good\n---\n" + BODY, encoding="utf-8")
    (folder / "dated.md").write_text(BODY, encoding="utf-8")
    (folder / "menu.html").write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>", encoding="utf-8")
    (folder / "page.pdf").write_text("<!DOCTYPE html><html><body><p>Not a PDF.</p></body></html>", encoding="utf-8")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog")
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("file,date\ndated.md,2025-02-30\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["run", str(folder), "--out", str(out), "--workers", "1", "--metadata", str(sheet)]
    )
    assert result.exit_code == 1, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    reasons = {Path(item["path"]).name: item["reason"] for item in manifest["skipped"]}
    assert set(reasons) == {"dated.md", "menu.html", "page.pdf", "broken.pdf"}
    assert "date '2025-02-30' is not an ISO date" in reasons["dated.md"]
    assert "no article text found" in reasons["menu.html"]
    assert "the file is a web page, not a PDF" in reasons["page.pdf"]
    assert "not a readable PDF" in reasons["broken.pdf"]
    assert all("\n" not in reason for reason in reasons.values())
    assert [json.loads(line)["meta"]["id"] for line in (out / "mentions.jsonl").open(encoding="utf-8")] == ["good"]
    assert manifest["metadata"]["inputs_without_row"] == [
        str(p) for p in sorted(folder.iterdir()) if p.name != "dated.md"
    ]
