"""The command line through typer's CliRunner: help, exit codes, messages on stderr, reproducible files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from conftest import CORPUS_DIR, PATTERNS_DIR
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.corpus import read_gold
from pipeline.errors import Messages

# click >= 8.2: `result.stdout` and `result.stderr` are separate, `result.output` holds both.
runner = CliRunner()

GOOD_ARTICLE = (
    "---\nid: tmp-article\ndate: 2021-07-01\nsplit: dev\n---\n"
    "In July, the U.S. Department of Energy (DOE) and the Japanese Ministry of Foreign Affairs "
    "launched the US-Japan Climate Partnership with $252 billion.\n"
)


def _invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


def _flat(text: str) -> str:
    """Help text without rich's box drawing and line wrapping."""
    for box in "│╭╮╰╯─":
        text = text.replace(box, " ")
    return " ".join(text.split())


# --- help -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "explains"),
    [
        ("run", ["Extract spans from articles and write the datasets to OUT.", "skipped", "--out", "--patterns"]),
        (
            "evaluate",
            ["Score predictions against gold: precision, recall and F1 per label", "--gold", "--pred", "--no-rules"],
        ),
        ("check-patterns", ["Validate every pattern file and run each entry's match / no_match examples."]),
        ("gold", ["Compile annotation sources into gold JSONL", "--articles", "--out"]),
    ],
    ids=["run", "evaluate", "check-patterns", "gold"],
)
def test_cli_help_explains_each_command(command: str, explains: list[str]) -> None:
    result = _invoke(command, "--help")
    assert result.exit_code == 0, result.output
    text = _flat(result.stdout)
    assert f"Usage: root {command}" in text or f"{command} [OPTIONS]" in text
    for phrase in explains:
        assert phrase in text, phrase


def test_cli_without_arguments_lists_the_commands() -> None:
    result = _invoke()
    text = _flat(result.output)
    for command in ("run", "evaluate", "check-patterns", "gold"):
        assert command in text
    assert "Extract ORG, INITIATIVE, EVENT, DATE and MONEY spans" in text


# --- run ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One good article and one empty file, run twice into two output folders."""
    root = tmp_path_factory.mktemp("cli-run")
    articles = root / "articles"
    articles.mkdir()
    (articles / "good.md").write_text(GOOD_ARTICLE, encoding="utf-8")
    (articles / "empty.txt").write_text("", encoding="utf-8")
    results = [_invoke("run", articles, "--out", root / name, "--patterns", PATTERNS_DIR) for name in ("out1", "out2")]
    return {"articles": articles, "outs": [root / "out1", root / "out2"], "results": results}


def test_cli_run_writes_outputs_and_exits_1_on_skipped_input(batch: dict) -> None:
    result, out = batch["results"][0], batch["outs"][0]
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert sorted(path.name for path in out.iterdir() if not path.name.startswith(".")) == [
        "aliases.csv",
        "manifest.json",
        "mentions.csv",
        "mentions.jsonl",
    ]
    assert (out / ".cache").is_dir()
    assert "1 articles (0 from the cache, 1 processed)" in result.stdout
    records = read_gold(out / "mentions.jsonl")
    assert list(records) == ["tmp-article"]
    spans = {(span["text"], span["label"]) for span in records["tmp-article"]["spans"]}
    assert ("U.S. Department of Energy", "ORG") in spans
    assert ("US-Japan Climate Partnership", "INITIATIVE") in spans
    assert ("$252 billion", "MONEY") in spans


def test_cli_run_reports_skipped_file_on_stderr(batch: dict) -> None:
    result = batch["results"][0]
    empty = batch["articles"] / "empty.txt"
    skipped_lines = [line for line in result.stderr.splitlines() if line.startswith("skipped:")]
    assert skipped_lines == [f"skipped: {Messages.A002.format(path=empty)}"]
    assert "1 input(s) skipped" in result.stderr
    assert "skipped:" not in result.stdout
    assert str(empty) in result.output


def test_cli_run_manifest_lists_skipped_and_inputs(batch: dict) -> None:
    manifest = json.loads((batch["outs"][0] / "manifest.json").read_text(encoding="utf-8"))
    empty, good = batch["articles"] / "empty.txt", batch["articles"] / "good.md"
    assert [item["path"] for item in manifest["skipped"]] == [str(empty)]
    assert list(manifest["inputs"]) == [str(good)]
    assert manifest["articles"] == 1
    assert manifest["spans_per_label"]["INITIATIVE"] == 1
    assert set(manifest["patterns"]) == {path.name for path in PATTERNS_DIR.glob("*.yml")}


@pytest.mark.parametrize("name", ["mentions.jsonl", "mentions.csv"])
def test_cli_run_twice_is_byte_identical(batch: dict, name: str) -> None:
    first, second = (out / name for out in batch["outs"])
    assert batch["results"][1].exit_code == 1
    assert first.read_bytes() == second.read_bytes()


def test_cli_run_only_good_articles_exits_0(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text(GOOD_ARTICLE, encoding="utf-8")
    result = _invoke("run", tmp_path / "good.md", "--out", tmp_path / "out", "--patterns", PATTERNS_DIR)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_cli_run_broken_patterns_exits_2(tmp_path: Path) -> None:
    patterns = tmp_path / "patterns"
    patterns.mkdir()
    result = _invoke("run", tmp_path, "--out", tmp_path / "out", "--patterns", patterns)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {patterns}: no pattern files")
    assert not (tmp_path / "out").exists()


# --- check-patterns -------------------------------------------------------------------------------


def test_cli_check_patterns_passes_on_repo_patterns() -> None:
    result = _invoke("check-patterns", "--patterns", PATTERNS_DIR)
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith(", 0 failing examples")
    assert result.stderr == ""


GOOD_ENTRY = """\
patterns:
  - id: org-ministry
    label: ORG
    pattern: [{LOWER: ministry}]
    examples:
      match: ["the [Ministry] said"]
"""
SECOND_ENTRY = """\
  - id: org-broken
    label: ORG
    pattern: [{LOWER: agency}]
    examples:
      match: ["the [Agency] said"]
"""

BROKEN_FILES = [
    (GOOD_ENTRY + SECOND_ENTRY + "    colour: red\n", ["line 7", "entry org-broken", "unknown key 'colour'"]),
    (
        GOOD_ENTRY + SECOND_ENTRY.replace("{LOWER: agency}", '{"NOTANATTR": 1}'),
        ["line 7", "entry org-broken", "not valid for spaCy's Matcher", "NOTANATTR"],
    ),
    (GOOD_ENTRY.replace("    label: ORG", "\tlabel: ORG"), ["not valid YAML", "line 3"]),
]


@pytest.mark.parametrize(
    ("content", "expected"), BROKEN_FILES, ids=["unknown-key", "bad-token-attribute", "tab-indented"]
)
def test_cli_check_patterns_fails_on_broken_file(tmp_path: Path, content: str, expected: list[str]) -> None:
    path = tmp_path / "broken.yml"
    path.write_text(content, encoding="utf-8")
    result = _invoke("check-patterns", "--patterns", tmp_path)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {path}")
    assert result.stdout == ""
    for fragment in expected:
        assert fragment in result.stderr, fragment


def test_cli_check_patterns_reports_failing_example(tmp_path: Path) -> None:
    path = tmp_path / "names.yml"
    path.write_text(GOOD_ENTRY.replace("the [Ministry] said", "the [Agency] said"), encoding="utf-8")
    result = _invoke("check-patterns", "--patterns", tmp_path)
    assert result.exit_code == 1, result.output
    assert f"{path}:2 org-ministry: expected [Agency]" in result.stderr
    assert "1 patterns in 1 files, 1 failing examples" in result.stdout


# --- evaluate -------------------------------------------------------------------------------------


def test_cli_evaluate_gold_against_itself_is_f1_one(tmp_path: Path) -> None:
    out = tmp_path / "evaluation.json"
    gold = CORPUS_DIR / "gold"
    result = _invoke("evaluate", "--gold", gold, "--pred", gold, "--out", out)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    for scheme in ("strict", "partial"):
        assert report["overall"][scheme]["micro"]["f1"] == 1.0
    assert report["errors"] == []
    assert report["missing_predictions"] == []
    assert report["system"] == "rules + model"
    assert set(report["splits"]) == {"first", "dev"}
    rows = [line.split() for line in result.stdout.splitlines() if line.split()[:2] == ["all", "micro"]]
    assert len(rows) == 1
    assert rows[0][-1] == "1.000"
    assert f"scores written to {out}" in result.stdout


def test_cli_evaluate_prediction_with_other_text_exits_2(tmp_path: Path) -> None:
    gold_file = CORPUS_DIR / "gold" / "dev-01-eu-japan-chips.jsonl"
    record = json.loads(gold_file.read_text(encoding="utf-8"))
    record["text"] = record["text"] + " An extra sentence."
    pred = tmp_path / "mentions.jsonl"
    pred.write_text(json.dumps(record) + "\n", encoding="utf-8")
    result = _invoke("evaluate", "--gold", gold_file, "--pred", pred, "--out", tmp_path / "e.json")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: gold 'dev-01-eu-japan-chips'")
    assert str(gold_file) in result.stderr
    assert not (tmp_path / "e.json").exists()


def test_cli_evaluate_broken_gold_exits_2_with_line(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"text": "DOE met.", "meta": {"id": "a"}, "spans": []}\n{broken\n', encoding="utf-8")
    result = _invoke("evaluate", "--gold", gold, "--pred", gold, "--out", tmp_path / "e.json")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {gold}, line 2: not valid JSON")


# --- gold -----------------------------------------------------------------------------------------


def test_cli_gold_rebuilds_committed_gold(tmp_path: Path) -> None:
    result = _invoke("gold", CORPUS_DIR / "annotations", "--articles", CORPUS_DIR / "articles", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    committed = sorted((CORPUS_DIR / "gold").glob("*.jsonl"))
    assert sorted(path.name for path in tmp_path.iterdir()) == [path.name for path in committed]
    for path in committed:
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name
    assert f"{len(committed)} gold files written to {tmp_path}" in result.stdout


def test_cli_gold_annotation_without_article_exits_2(tmp_path: Path) -> None:
    annotations = tmp_path / "annotations"
    annotations.mkdir()
    (annotations / "no-such-article.yml").write_text("spans:\n  - {text: DOE, label: ORG}\n", encoding="utf-8")
    result = _invoke("gold", annotations, "--articles", CORPUS_DIR / "articles", "--out", tmp_path / "gold")
    assert result.exit_code == 2
    assert "no article with id 'no-such-article'" in result.stderr
    assert not (tmp_path / "gold").exists()
