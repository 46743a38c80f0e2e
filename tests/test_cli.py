"""The command line through typer's CliRunner: help, exit codes, messages on stderr, reproducible files."""

from __future__ import annotations

import json
import re
from importlib import metadata
from itertools import pairwise
from pathlib import Path

import pytest
from click.testing import Result
from conftest import CORPUS_DIR, PATTERNS_DIR
from typer.testing import CliRunner

from pipeline import __version__
from pipeline.cli import app
from pipeline.corpus import read_gold
from pipeline.errors import Messages
from pipeline.evaluate import NO_SPLIT
from pipeline.export import DatasetWriter
from pipeline.patterns import load_rules

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
    """Help text with its line wrapping undone."""
    return " ".join(text.split())


# --- help -----------------------------------------------------------------------------------------

COMMANDS = ["run", "evaluate", "report", "diff", "check-patterns", "gold", "package"]
# A help line that starts a new item rather than continuing the text above it: a definition row
# (`  --out DIR  Folder ...`, `  run   Extract ...`), an option, or a line of an example.
NEW_ITEM = re.compile(r"^ {2}\S+(?: \S+)? {2,}\S|^\s*-|^\s*policy-extract ")


def _help(args: list[str], width: int) -> str:
    result = runner.invoke(app, [*args, "--help"], terminal_width=width, max_content_width=width)
    assert result.exit_code == 0, result.output
    return result.stdout


def _continuations(text: str) -> list[tuple[str, str]]:
    """Each pair of adjacent lines where the second goes on with the text of the first."""
    lines = text.splitlines()
    return [
        (above, line)
        for above, line in pairwise(lines)
        if above.strip()
        and line.strip()
        and not above.rstrip().endswith(":")  # a heading: `Options:`, `Example:`
        and line.startswith(" ")  # a heading starts at column 0
        and not NEW_ITEM.match(line)
    ]


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS)], ids=["root", *COMMANDS])
def test_cli_help_paragraphs_break_only_where_the_next_word_does_not_fit(command: list[str]) -> None:
    # Unwrapped (a very wide terminal), every paragraph and every option's help is one line: the
    # docstrings' own line breaks are gone. Wrapped, a line ends only where the next word would
    # not have fitted, and no line is wider than the terminal.
    assert _continuations(_help(command, 1000)) == []
    for width in (80, 100):
        text = _help(command, width)
        assert max(len(line) for line in text.splitlines()) <= width
        for above, line in _continuations(text):
            assert len(above) + 1 + len(line.split()[0]) > width - 2, f"{above!r} breaks before {line!r}"


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS)], ids=["root", *COMMANDS])
def test_cli_help_has_a_summary_a_paragraph_and_an_example(command: list[str]) -> None:
    paragraphs = _help(command, 80).split("\n\n")
    summary, explanation, example = paragraphs[1:4]
    assert "\n" not in summary.strip() and summary.strip().endswith(".")
    assert len(_flat(explanation).split(". ")) >= 2
    assert example.strip().splitlines()[0] == "Example:"
    assert example.strip().splitlines()[1].strip().startswith(" ".join(["policy-extract", *command]))


def test_cli_help_lists_every_command_with_its_whole_summary() -> None:
    text = _help([], 80)
    rows = text.split("Commands:\n")[1].splitlines()
    assert [row.split()[0] for row in rows] == COMMANDS
    assert all(row.endswith(".") and not row.endswith("...") for row in rows), rows


@pytest.mark.parametrize(
    ("command", "explains"),
    [
        ("run", ["Extract spans from articles into datasets in OUT.", "skipped", "--out DIR", "--patterns DIR"]),
        ("evaluate", ["Score predictions against gold: precision, recall and F1.", "--gold", "--pred", "--no-rules"]),
        ("check-patterns", ["Validate the pattern files and run their examples.", "match / no_match examples"]),
        ("gold", ["Compile annotation sources into gold JSONL.", "--articles", "--out"]),
        ("package", ["Write the pipeline as a spaCy pipeline directory.", "spacy.load(OUT)", "--patterns"]),
        ("diff", ["Show what changed between the datasets of two runs.", "--json", "--exit-code"]),
    ],
    ids=["run", "evaluate", "check-patterns", "gold", "package", "diff"],
)
def test_cli_help_explains_each_command(command: str, explains: list[str]) -> None:
    text = _flat(_help([command], 100))
    assert f"{command} [OPTIONS]" in text
    for phrase in explains:
        assert phrase in text, phrase


@pytest.mark.parametrize("command", ["run", "evaluate", "check-patterns", "package"])
def test_cli_help_patterns_default_is_the_packaged_rule_set(command: str) -> None:
    text = _flat(_help([command], 100))
    assert (
        "--patterns DIR Folder of pattern, lexicon and normalization YAML files. Default: the packaged rule set."
        in text
    )


def test_cli_without_arguments_lists_the_commands() -> None:
    result = _invoke()
    text = _flat(result.output)
    for command in COMMANDS:
        assert command in text
    assert "Extract ORG, INITIATIVE, EVENT, DATE and MONEY spans, and score them." in text


def test_cli_version_is_the_package_version() -> None:
    result = _invoke("--version")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"policy-extract {__version__}\n"
    assert metadata.version("policy-extract") == __version__


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
    written = sorted(path.name for path in out.iterdir() if not path.name.startswith("."))
    assert written == sorted([*DatasetWriter.DATASETS, "manifest.json"])
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


def test_cli_run_from_another_folder_uses_packaged_rules_and_names_paths_absolutely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "good.md").write_text(GOOD_ARTICLE, encoding="utf-8")
    (tmp_path / "articles" / "empty.txt").write_text("", encoding="utf-8")
    result = _invoke("run", "articles", "--out", "out", "--workers", "1")
    assert result.exit_code == 1, result.output
    assert f"skipped: {Messages.A002.format(path=tmp_path / 'articles' / 'empty.txt')}" in result.stderr
    assert f"see {tmp_path / 'out' / 'manifest.json'} and fix or remove them" in result.stderr
    assert f"-> {tmp_path / 'out'}/" in result.stdout
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["patterns"] == load_rules(None).file_digests


def test_cli_run_duplicate_ids_refused_before_any_work_naming_both(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    one, two = corpus / "one.md", corpus / "two.md"
    for path in (one, two):
        path.write_text(GOOD_ARTICLE.replace("id: tmp-article", "id: same"), encoding="utf-8")
    result = _invoke("run", corpus, "--out", tmp_path / "out", "--patterns", PATTERNS_DIR)
    assert result.exit_code == 2
    duplicate = Messages.A009.format(id="same", first=one, second=two)
    assert result.stderr == f"error: article ids seen twice, nothing was processed:\n  {duplicate}\n"
    assert duplicate.endswith("; give one of them another id")
    assert not (tmp_path / "out").exists()


def test_cli_run_into_a_file_exits_2_saying_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text(GOOD_ARTICLE, encoding="utf-8")
    taken = tmp_path / "taken"
    taken.write_text("", encoding="utf-8")
    result = _invoke("run", tmp_path / "good.md", "--out", taken, "--patterns", PATTERNS_DIR)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {taken}")
    assert result.stderr.rstrip().endswith("is not a folder; --out names the folder the datasets go in; name another")


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
    assert set(report["splits"]) == {str(record["meta"].get("split", NO_SPLIT)) for record in read_gold(gold).values()}
    rows = [line.split() for line in result.stdout.splitlines() if line.split()[:2] == ["all", "micro"]]
    # The span scores, then the entity scores (B-cubed), with no wrong merge or split.
    assert len(rows) == 2
    assert rows[0][-1] == "1.000" and rows[1][-3:] == ["1.000", "0", "0"]
    assert report["entities"]["overall"]["micro"]["f1"] == 1.0
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


def test_cli_evaluate_without_pred_runs_the_bare_model_on_the_gold_texts(tmp_path: Path) -> None:
    gold_file = CORPUS_DIR / "gold" / "dev-01-eu-japan-chips.jsonl"
    out = tmp_path / "evaluation.json"
    result = _invoke("evaluate", "--gold", gold_file, "--no-rules", "--no-errors", "--out", out)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["system"] == "bare model"
    assert report["missing_predictions"] == []
    assert 0 < report["overall"]["strict"]["micro"]["f1"] < 1


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
    message = Messages.G006.format(
        path=annotations / "no-such-article.yml", id="no-such-article", articles=CORPUS_DIR / "articles"
    )
    assert result.stderr == f"error: {message}\n"
    assert not (tmp_path / "gold").exists()


# --- package --------------------------------------------------------------------------------------


def test_cli_package_writes_a_pipeline_that_spacy_loads(tmp_path: Path) -> None:
    import spacy

    out = tmp_path / "pipeline"
    result = _invoke("package", out, "--patterns", PATTERNS_DIR)
    assert result.exit_code == 0, result.output
    assert f"load it with spacy.load({str(out)!r})" in result.stdout
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["version"] == __version__
    assert meta["policy_extract"]["patterns"] == load_rules(PATTERNS_DIR).file_digests
    doc = spacy.load(out)("The U.S. Department of Energy (DOE) pledged $252 billion in July 2021.")
    spans = {(span.text, span.label_) for span in doc.spans["policy"]}
    assert {("U.S. Department of Energy", "ORG"), ("$252 billion", "MONEY")} <= spans


def test_cli_package_with_broken_patterns_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "patterns").mkdir()
    result = _invoke("package", tmp_path / "pipeline", "--patterns", tmp_path / "patterns")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {tmp_path / 'patterns'}: no pattern files")
    assert not (tmp_path / "pipeline").exists()
