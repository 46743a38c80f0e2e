"""The HTML report: pages, escaping, statuses; and a real browser over the corpus report."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import CORPUS_DIR, PATTERNS_DIR

from pipeline.batch import RunOptions, run_batch
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
