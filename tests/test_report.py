"""The HTML report: pages, escaping, statuses; and a real browser over the corpus report."""

from __future__ import annotations

import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import CORPUS_DIR, PATTERNS_DIR
from typer.testing import CliRunner

from pipeline.batch import RunOptions, run_batch
from pipeline.cli import app
from pipeline.corpus import iter_articles, read_gold
from pipeline.evaluate import evaluate
from pipeline.report import page_name, write_report
from pipeline.types import PipelineSettings

HOSTILE = 'The <script>alert("x")</script> Ministry of Finance & "Partners" met in May 2021.'


def _record(text: str, spans: list[tuple[str, str]], doc_id: str = "a") -> dict:
    placed = []
    for surface, label in spans:
        start = text.index(surface)
        placed.append({"start": start, "end": start + len(surface), "label": label, "text": surface})
    return {"text": text, "meta": {"id": doc_id, "title": "<b>Title</b>"}, "spans": placed}


def test_report_escapes_article_text(tmp_path: Path) -> None:
    record = _record(HOSTILE, [("Ministry of Finance", "ORG"), ("May 2021", "DATE")])
    write_report([record], tmp_path)
    page = (tmp_path / page_name("a")).read_text(encoding="utf-8")
    # displaCy escapes each token (and joins tokens with a space): the tag is text, never markup.
    assert "<script" not in page and "</script" not in page and "&lt;" in page
    assert "<b>Title</b>" not in page and "&lt;b&gt;Title&lt;/b&gt;" in page
    assert "<script" not in (tmp_path / "index.html").read_text(encoding="utf-8")


def test_report_marks_missed_and_spurious_spans(tmp_path: Path) -> None:
    text = "The Ministry of Finance met the Asian Development Bank in May 2021."
    predicted = _record(text, [("Ministry of Finance", "ORG"), ("Finance", "DATE")])
    gold = _record(text, [("Ministry of Finance", "ORG"), ("Asian Development Bank", "ORG")])
    write_report([predicted], tmp_path, gold={"a": gold})
    page = (tmp_path / page_name("a")).read_text(encoding="utf-8")
    assert '<tr class="spurious"><td>DATE</td><td>Finance</td>' in page
    assert '<tr class="missed"><td>ORG</td><td>Asian Development Bank</td>' in page
    assert "ORG missed" in page and "DATE spurious" in page


def test_report_without_evaluation_says_so(tmp_path: Path) -> None:
    write_report([_record("DOE met.", [("DOE", "ORG")])], tmp_path)
    assert "No evaluation was run" in (tmp_path / "evaluation.html").read_text(encoding="utf-8")


def test_report_evaluation_page_draws_svg_bars(tmp_path: Path, rules) -> None:
    gold = read_gold(CORPUS_DIR / "gold")
    report = evaluate(gold, gold.values())
    write_report(list(gold.values()), tmp_path, gold=gold, evaluation=report, bare=report)
    page = (tmp_path / "evaluation.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 2 and "<rect" in page and "bare model" in page


# --- hostile ids: one bounded page each, and every link resolves --------------------------------

LONG_ID = "x" * 10_000
HOSTILE_IDS = [
    ("plain", "dev-01-eu-japan"),
    ("slash", "dev-01/eu japan"),
    ("slash-alike", "dev-01_eu japan"),
    ("parent", ".."),
    ("parent-path", "../../etc/passwd"),
    ("dot-file", ".hidden"),
    ("index", "index"),
    ("index-page", "index.html"),
    ("evaluation", "evaluation"),
    ("evaluation-page", "evaluation.html"),
    ("empty", ""),
    ("case-upper", "Report"),
    ("case-lower", "report"),
    ("accented", "Ministère"),
    ("unaccented", "Ministere"),
    ("combining", "Ministe\u0300re"),
    ("right-to-left", "\u0645\u0642\u0627\u0644-\u0661"),
    ("cjk", "\u5317\u4eac"),
    ("cjk-other", "\u4e0a\u6d77"),
    ("emoji", "\U0001f30d\U0001f4b0"),
    ("zero-width", "dev\u200b01"),
    ("html", '<a href="x">'),
    ("long", LONG_ID),
    ("long-alike", LONG_ID + "y"),
]


@pytest.mark.parametrize("doc_id", [doc_id for _, doc_id in HOSTILE_IDS], ids=[case for case, _ in HOSTILE_IDS])
def test_page_name_is_bounded_and_safe(doc_id: str) -> None:
    name = page_name(doc_id)
    assert re.fullmatch(r"article-([A-Za-z0-9._-]+-)?[0-9a-f]{10}\.html", name), name
    assert len(name.encode("utf-8")) <= 100
    assert not name.startswith(".") and name not in ("index.html", "evaluation.html")


def test_page_name_is_unique_per_id() -> None:
    names = [page_name(doc_id) for _, doc_id in HOSTILE_IDS]
    # Unique, even on a file system that ignores case.
    assert len({name.casefold() for name in names}) == len(names)
    assert page_name("dev-01/eu japan").startswith("article-dev-01_eu_japan-")


def _links(page: Path) -> list[str]:
    """Every href of an HTML page, as a parser reads them."""

    class Links(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.hrefs: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.hrefs += [value or "" for name, value in attrs if tag == "a" and name == "href"]

    parser = Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.hrefs


def test_report_links_resolve_for_hostile_ids(tmp_path: Path) -> None:
    records = [_record("DOE met.", [("DOE", "ORG")], doc_id=doc_id) for _, doc_id in HOSTILE_IDS]
    error = {"kind": "false_negative", "label": "ORG", "context": "DOE met."}
    evaluation = {
        "overall": {"strict": {}, "partial": {}},
        "articles": {doc_id: {"f1": 1.0} for _, doc_id in HOSTILE_IDS},
        # Errors of shown articles, and of an article the gold has and the predictions do not.
        "errors": [{**error, "doc_id": doc_id} for _, doc_id in HOSTILE_IDS] + [{**error, "doc_id": "gold-only"}],
    }
    written = write_report(records, tmp_path, evaluation=evaluation)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(path.name for path in written)
    assert len(written) == len(HOSTILE_IDS) + 2
    for page in written:
        for href in _links(page):
            assert (tmp_path / href).is_file() and (tmp_path / href).parent == tmp_path, (page.name, href)
    index_links = _links(tmp_path / "index.html")
    assert sorted(set(index_links) - {"index.html", "evaluation.html"}) == sorted(
        page_name(doc_id) for _, doc_id in HOSTILE_IDS
    )
    evaluation_page = (tmp_path / "evaluation.html").read_text(encoding="utf-8")
    assert "<td>gold-only</td>" in evaluation_page  # named, not linked: it has no page


# --- evaluation.json values are escaped, and odd ones shown as text ----------------------------

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _hostile_evaluation() -> dict:
    scores = {"precision": "<b>high</b>", "recall": None, "f1": 0.5}
    return {
        "overall": {
            "strict": {"ORG": scores, "micro": {"precision": 2, "recall": -1, "f1": float("nan")}},
            "partial": [],
        },
        "normalization": {"labels": {SCRIPT: {"checked": SCRIPT, "accuracy": "all"}, "DATE": "broken"}},
        "articles": {SCRIPT: {"f1": SCRIPT}, "a": {"f1": "n/a"}},
        "errors": [
            {"kind": SCRIPT, "doc_id": SCRIPT, "label": SCRIPT, "context": f"the {SCRIPT} text", "text": SCRIPT},
            {"kind": 7, "doc_id": 42, "label": None, "context": ["a", "list"]},
            "not an error",
        ],
    }


def test_report_escapes_evaluation_values_and_shows_non_numbers_as_text(tmp_path: Path) -> None:
    records = [_record("DOE met.", [("DOE", "ORG")], doc_id=doc_id) for doc_id in ("a", SCRIPT)]
    write_report(records, tmp_path, evaluation=_hostile_evaluation(), bare=_hostile_evaluation())
    for page in tmp_path.iterdir():
        assert "<script" not in page.read_text(encoding="utf-8"), page.name
    evaluation = (tmp_path / "evaluation.html").read_text(encoding="utf-8")
    assert f'<td>{ESCAPED}</td><td><a href="{page_name(SCRIPT)}">{ESCAPED}</a></td><td>{ESCAPED}</td>' in evaluation
    assert f"<td>{ESCAPED}</td><td>all</td>" in evaluation  # normalization: checked and accuracy as text
    assert "<td>&lt;b&gt;high&lt;/b&gt;</td><td>None</td><td>0.500</td>" in evaluation
    assert "<td>2.000</td><td>-1.000</td><td>nan</td>" in evaluation
    assert "Errors (3)" in evaluation and "<td>42</td>" in evaluation
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert f"<td>{ESCAPED}</td>" in index and "<td>n/a</td>" in index


def test_report_command_takes_a_hostile_evaluation_file(tmp_path: Path) -> None:
    records = [_record("DOE met.", [("DOE", "ORG")], doc_id=doc_id) for doc_id in ("a", "b")]
    (tmp_path / "mentions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    (tmp_path / "evaluation.json").write_text(json.dumps(_hostile_evaluation()), encoding="utf-8")
    arguments = ["report", "--pred", tmp_path / "mentions.jsonl", "--gold", tmp_path / "no-gold"]
    arguments += ["--evaluation", tmp_path / "evaluation.json", "--bare", tmp_path / "none.json"]
    result = CliRunner().invoke(app, [str(argument) for argument in [*arguments, "--out", tmp_path / "site"]])
    assert result.exit_code == 0, result.output
    assert ESCAPED in (tmp_path / "site" / "evaluation.html").read_text(encoding="utf-8")


# --- a real browser ----------------------------------------------------------------------------

# Where the browser test leaves its screenshots when asked (e.g. to refresh docs/); a temporary folder otherwise.
SCREENSHOTS_ENV = "POLICY_EXTRACT_SCREENSHOTS"


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        message = "no Chromium installed (apt-get install chromium); the report's browser test needs it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def corpus_report(tmp_path_factory: pytest.TempPathFactory, rules) -> dict:
    """The corpus run, evaluated, and its report written as `make run` does, in a temporary folder."""
    out = tmp_path_factory.mktemp("outputs")
    settings = PipelineSettings(patterns_dir=PATTERNS_DIR)
    run_batch(iter_articles([CORPUS_DIR / "articles"]), settings, rules, out, RunOptions())
    gold = read_gold(CORPUS_DIR / "gold")
    predictions = read_gold(out / "mentions.jsonl")
    evaluation = evaluate(gold, predictions.values())
    write_report(list(predictions.values()), out / "report", gold=gold, evaluation=evaluation)
    records = [json.loads(line) for line in (out / "mentions.jsonl").read_text(encoding="utf-8").splitlines()]
    return {"records": records, "report_dir": out / "report"}


def test_report_in_headless_chromium(corpus_report: dict, tmp_path: Path) -> None:
    executable = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    report_dir = corpus_report["report_dir"]
    screenshots = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path / "screenshots")
    screenshots.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))

        page.goto((report_dir / "index.html").as_uri())
        hrefs = page.eval_on_selector_all("a", "links => links.map(link => link.getAttribute('href'))")
        assert hrefs and all((report_dir / href).is_file() for href in hrefs), hrefs
        page.screenshot(path=str(screenshots / "index.png"), full_page=True)

        record = next(r for r in corpus_report["records"] if r["meta"]["id"] == "us-japan-rd-collaboration")
        page.click(f"a[href='{page_name(record['meta']['id'])}']")
        assert page.url.endswith(page_name(record["meta"]["id"]))
        labels = page.eval_on_selector_all(
            "div.spans span[style*='z-index: 10']", "labels => labels.map(label => label.textContent.trim())"
        )
        drawn = [label for label in labels if not label.endswith(("missed", "spurious"))]
        found = [label for label in labels if not label.endswith("missed")]
        scored = [span for span in record["spans"] if span.get("scored", True)]
        assert len(found) == len(scored)
        assert sorted(drawn + [label.split()[0] for label in found if label.endswith("spurious")]) == sorted(
            span["label"] for span in scored
        )
        page.screenshot(path=str(screenshots / "article.png"), full_page=True)

        page.click("a[href='evaluation.html']")
        assert page.locator("svg").count() >= 1
        page.screenshot(path=str(screenshots / "evaluation.png"), full_page=True)
        browser.close()
    assert problems == []
