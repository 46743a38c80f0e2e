"""`policy-extract diff` and `run --compare-to`: real runs on corpus articles, and small hand-made run folders."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from conftest import CORPUS_DIR, PATTERNS_DIR
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.diff import (
    ADDED,
    MERGED,
    REBOUNDED,
    RELABELLED,
    REMOVED,
    RENAMED,
    SOURCE,
    SPLIT,
    VALUES,
    EntityGroup,
    FieldChange,
    RunDiff,
    RunOutput,
    diff_runs,
)
from pipeline.types import SCORED_LABELS

runner = CliRunner()

# The pattern the "one pattern changed" runs leave out: it makes day ranges, several in the sample.
REMOVED_PATTERN = "date-day-range"


def _invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


def _without_pattern(source: Path, destination: Path, pattern_id: str) -> Path:
    """A copy of the pattern folder `source` with the entry `pattern_id` cut out of its file."""
    shutil.copytree(source, destination)
    for path in destination.glob("*.yml"):
        lines = path.read_text(encoding="utf-8").split("\n")
        kept, inside = [], False
        for line in lines:
            if line.startswith("  - id: "):
                inside = line == f"  - id: {pattern_id}"
            elif inside and line and not line.startswith("    "):
                inside = False
            if not inside:
                kept.append(line)
        if len(kept) != len(lines):
            path.write_text("\n".join(kept), encoding="utf-8")
            return destination
    raise AssertionError(f"no pattern {pattern_id!r} in {source}")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, article_sample: Path) -> dict[str, Path]:
    """Three runs over the sample articles: the packaged patterns twice, then without REMOVED_PATTERN."""
    root = tmp_path_factory.mktemp("diff-runs")
    changed = _without_pattern(PATTERNS_DIR, root / "patterns", REMOVED_PATTERN)
    folders = {"root": root, "articles": article_sample, "patterns": changed, "cache": root / "cache"}
    for name, patterns in (("base", PATTERNS_DIR), ("same", PATTERNS_DIR), ("changed", changed)):
        result = _invoke(
            "run",
            article_sample,
            "--out",
            root / name,
            "--patterns",
            patterns,
            "--workers",
            "1",
            "--cache",
            root / "cache",
        )
        assert result.exit_code == 0, result.output
        folders[name] = root / name
    return folders


def _diff(old: Path, new: Path) -> RunDiff:
    with RunOutput(old) as old_run, RunOutput(new) as new_run:
        return diff_runs(old_run, new_run)


def _scored_spans(folder: Path) -> dict[str, set[str]]:
    """Each article's scored spans in a run's mentions.jsonl, each as its exact JSON."""
    found = {}
    for line in (folder / "mentions.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        found[record["meta"]["id"]] = {
            json.dumps(span, sort_keys=True)
            for span in record["spans"]
            if span["label"] in SCORED_LABELS and span.get("scored", True)
        }
    return found


# --- real runs ------------------------------------------------------------------------------------


def test_diff_identical_runs_have_no_changes(runs: dict[str, Path]) -> None:
    result = _diff(runs["base"], runs["same"])
    assert not result.differs
    assert result.changes == [] and result.entities == []
    assert result.spans["unchanged"] == result.spans["old"] == result.spans["new"] > 0
    shown = _invoke("diff", runs["base"], runs["same"], "--exit-code")
    assert shown.exit_code == 0, shown.output
    assert "no differences" in shown.stdout


def test_diff_one_pattern_removed_reports_exactly_the_spans_it_changed(runs: dict[str, Path]) -> None:
    old, new = _scored_spans(runs["base"]), _scored_spans(runs["changed"])
    assert old.keys() == new.keys()
    # Independently of the diff: every scored span that is not, exactly, in the other run.
    gone = {(doc_id, span) for doc_id, spans in old.items() for span in spans - new[doc_id]}
    came = {(doc_id, span) for doc_id, spans in new.items() for span in spans - old[doc_id]}
    made_by_pattern = sum(
        1 for spans in old.values() for span in spans if json.loads(span)["source"] == REMOVED_PATTERN
    )
    assert made_by_pattern >= 3 and len(gone) >= made_by_pattern

    result = _diff(runs["base"], runs["changed"])
    reported_old = {(c.doc_id, json.dumps(c.old, sort_keys=True)) for c in result.changes if c.old is not None}
    reported_new = {(c.doc_id, json.dumps(c.new, sort_keys=True)) for c in result.changes if c.new is not None}
    assert reported_old == gone
    assert reported_new == came
    # Every span the pattern made is one change, counted under its pattern id.
    assert sum(result.by_source()[REMOVED_PATTERN].values()) == made_by_pattern
    assert set(result.by_label()) == {"DATE"}
    assert result.spans["unchanged"] == result.spans["old"] - len(gone)
    assert not result.added_articles and not result.removed_articles and not result.text_changed


def test_diff_cli_prints_the_summary_and_the_changes_with_old_and_new(runs: dict[str, Path]) -> None:
    result = _invoke("diff", runs["base"], runs["changed"])
    assert result.exit_code == 0, result.output  # differing runs are no error, as with git diff
    text = result.stdout
    assert "per label" in text and "per pattern id" in text
    assert REMOVED_PATTERN in text
    changes = _diff(runs["base"], runs["changed"]).changes
    assert f"changes ({len(changes)}):" in text
    for change in changes:
        assert change.doc_id in text
        assert f"{change.spans[0]['start']}-{change.spans[0]['end']}" in text
    assert " -> " in text
    assert _invoke("diff", runs["base"], runs["changed"], "--exit-code").exit_code == 1


def test_diff_limit_says_how_many_changes_are_not_listed(runs: dict[str, Path]) -> None:
    total = len(_diff(runs["base"], runs["changed"]).changes)
    result = _invoke("diff", runs["base"], runs["changed"], "--limit", "1")
    assert f"changes ({total}, the first 1 listed; --limit {total} or --json lists them all):" in result.stdout
    listed = result.stdout.split("changes (")[1].splitlines()[1:]
    assert len([line for line in listed if line.startswith("  ") and line.strip()]) == 1
    assert f"changes: {total}, none listed" in _invoke("diff", runs["base"], runs["changed"], "--limit", "0").stdout


def test_diff_json_is_one_valid_document_with_every_change(runs: dict[str, Path]) -> None:
    result = _invoke("diff", runs["base"], runs["changed"], "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    expected = _diff(runs["base"], runs["changed"])
    assert document["differs"] is True
    assert len(document["changes"]) == len(expected.changes) == sum(document["totals"].values())
    assert document["by_source"][REMOVED_PATTERN] == expected.by_source()[REMOVED_PATTERN]
    assert document["evaluation"] is None  # neither folder has an evaluation.json
    assert {"kind", "doc_id", "old", "new", "fields"} <= set(document["changes"][0])


def test_diff_sets_the_evaluations_of_both_runs_side_by_side(runs: dict[str, Path], tmp_path: Path) -> None:
    folders = []
    for name in ("base", "changed"):
        folder = tmp_path / name
        folder.mkdir()
        shutil.copy(runs[name] / "mentions.jsonl", folder)
        pred = folder / "mentions.jsonl"
        scored = _invoke("evaluate", "--gold", CORPUS_DIR / "gold", "--pred", pred, "--out", folder / "evaluation.json")
        assert scored.exit_code == 0, scored.output
        folders.append(folder)
    reports = [json.loads((folder / "evaluation.json").read_text(encoding="utf-8")) for folder in folders]
    rows = {(row["set"], row["label"]): row for row in _diff(*folders).evaluation or []}
    for scheme in ("strict", "partial"):
        old, new = (report["overall"][scheme]["micro"]["f1"] for report in reports)
        assert rows["all", "micro"][scheme] == {"old": old, "new": new, "delta": round(new - old, 4)}
    assert {split for split, _ in rows} == {"all", *reports[0]["splits"]}
    shown = _invoke("diff", *folders).stdout
    assert "evaluation (evaluation.json of each run):" in shown and "strict F1 old" in shown
    assert "note:" not in shown
    # An evaluation older than its mentions scores an earlier run: said, not hidden.
    written = (folders[1] / "mentions.jsonl").stat().st_mtime_ns
    os.utime(folders[1] / "evaluation.json", ns=(written - 10**9, written - 10**9))
    assert f"note: {folders[1]}/evaluation.json is older than its mentions.jsonl" in _invoke("diff", *folders).stdout


def test_run_compare_to_another_folder_prints_the_summary(runs: dict[str, Path], tmp_path: Path) -> None:
    result = _invoke(
        "run", runs["articles"], "--out", tmp_path / "out", "--patterns", runs["patterns"], "--workers", "1",
        "--cache", runs["cache"], "--compare-to", runs["base"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    expected = _diff(runs["base"], runs["changed"])
    assert f"{runs['base']} ({expected.articles['old']} articles" in result.stdout
    assert f"changes ({len(expected.changes)}):" in result.stdout
    assert "per pattern id" in result.stdout and REMOVED_PATTERN in result.stdout


def test_run_compare_to_its_own_out_compares_with_the_datasets_it_replaced(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(runs["base"], out, ignore=shutil.ignore_patterns(".cache"))
    result = _invoke(
        "run", runs["articles"], "--out", out, "--patterns", runs["patterns"], "--workers", "1",
        "--cache", runs["cache"], "--compare-to", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    expected = _diff(runs["base"], runs["changed"])
    assert f"{out} before this run ({expected.articles['old']} articles" in result.stdout
    assert f"changes ({len(expected.changes)}):" in result.stdout
    assert (out / "mentions.jsonl").read_bytes() == (runs["changed"] / "mentions.jsonl").read_bytes()
    # Nothing was left behind to hold the old datasets: the folder holds what any run's does.
    assert {path.name for path in out.iterdir()} == {path.name for path in runs["changed"].iterdir()}
    # Unchanged inputs and rules: compared with itself, nothing changed.
    again = _invoke(
        "run", runs["articles"], "--out", out, "--patterns", runs["patterns"], "--workers", "1",
        "--cache", runs["cache"], "--compare-to", out,
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    assert "no differences" in again.stdout


def test_run_compare_to_a_folder_without_mentions_fails_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = _invoke("run", CORPUS_DIR / "articles", "--out", tmp_path / "out", "--compare-to", tmp_path / "empty")
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert f"{tmp_path / 'empty'}: not the output folder of a run (no mentions.jsonl in it)" in result.stderr
    assert not (tmp_path / "out").exists()


# --- hand-made run folders ------------------------------------------------------------------------

TEXT = (
    "The Asian Development Bank (ADB) pledged $5 billion in July 2021 to the Green Climate Fund. "
    "The ADB and the Fund met at the COP26 Summit in Glasgow."
)


def _span(needle: str, label: str, *, occurrence: int = 1, trim: tuple[int, int] = (0, 0), **extra: Any) -> dict:
    """A span over the `occurrence`-th `needle` in TEXT; `trim` moves its start and end."""
    start = -1
    for _ in range(occurrence):
        start = TEXT.index(needle, start + 1)
    start, end = start + trim[0], start + len(needle) + trim[1]
    return {"start": start, "end": end, "label": label, "text": TEXT[start:end], "source": "model", **extra}


def _run_folder(folder: Path, articles: dict[str, list[dict]], *, text: str = TEXT) -> Path:
    """A run's output folder holding a mentions.jsonl of these articles (id -> spans)."""
    folder.mkdir()
    lines = [
        json.dumps({"meta": {"id": doc_id}, "spans": spans, "text": text}, sort_keys=True)
        for doc_id, spans in articles.items()
    ]
    (folder / "mentions.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return folder


def _pair(tmp_path: Path, old: dict[str, list[dict]], new: dict[str, list[dict]]) -> RunDiff:
    return _diff(_run_folder(tmp_path / "old", old), _run_folder(tmp_path / "new", new))


BANK = _span("Asian Development Bank", "ORG")
MONEY = _span("$5 billion", "MONEY", norm={"amount": 5000000000, "currency": "USD"}, source="money-sign-amount")
DATE = _span("July 2021", "DATE", norm="2021-07", source="date-month-year")


def test_diff_a_span_under_another_label_is_relabelled(tmp_path: Path) -> None:
    fund = _span("Green Climate Fund", "ORG")
    result = _pair(tmp_path, {"a": [BANK, fund]}, {"a": [BANK, {**fund, "label": "INITIATIVE"}]})
    [change] = result.changes
    assert (change.kind, change.old, change.new["label"]) == (RELABELLED, fund, "INITIATIVE")
    assert result.by_label() == {
        label: {**dict.fromkeys(("added", "removed", "rebounded", "values", "source"), 0), "relabelled": 1}
        for label in ("INITIATIVE", "ORG")
    }


def test_diff_a_span_over_other_words_of_the_same_name_is_rebounded(tmp_path: Path) -> None:
    wider = _span("The Asian Development Bank", "ORG", source="org-name-head")
    result = _pair(tmp_path, {"a": [BANK, MONEY]}, {"a": [wider, MONEY]})
    [change] = result.changes
    assert (change.kind, change.old, change.new) == (REBOUNDED, BANK, wider)
    assert result.by_source() == {
        source: {**dict.fromkeys(("added", "removed", "relabelled", "values", "source"), 0), "rebounded": 1}
        for source in ("model", "org-name-head")
    }


def test_diff_values_changed_name_each_field_old_and_new(tmp_path: Path) -> None:
    money = {**MONEY, "norm": {"amount": 6000000000, "currency": "USD"}, "approximate": True}
    date = {**DATE, "norm": "2022-07"}
    result = _pair(tmp_path, {"a": [MONEY, DATE]}, {"a": [money, date]})
    assert [(change.kind, change.fields) for change in result.changes] == [
        (VALUES, (FieldChange("approximate", None, True), FieldChange("norm.amount", 5000000000, 6000000000))),
        (VALUES, (FieldChange("norm", "2021-07", "2022-07"),)),
    ]
    text = _invoke("diff", tmp_path / "old", tmp_path / "new").stdout
    assert "norm.amount 5000000000 -> 6000000000" in text
    assert "norm '2021-07' -> '2022-07'" in text


def test_diff_the_same_span_by_another_rule_is_its_own_kind(tmp_path: Path) -> None:
    result = _pair(tmp_path, {"a": [BANK]}, {"a": [{**BANK, "source": "gaz-development-bank-regional"}]})
    assert [change.kind for change in result.changes] == [SOURCE]
    assert set(result.by_source()) == {"model", "gaz-development-bank-regional"}


def test_diff_spans_and_articles_added_and_removed_and_texts_changed(tmp_path: Path) -> None:
    summit = _span("COP26 Summit", "EVENT")
    old = {"a": [BANK, MONEY], "gone": [BANK], "b": [BANK]}
    new = {"b": [BANK], "a": [BANK, summit], "new": [DATE]}
    old_folder = _run_folder(tmp_path / "old", old)
    new_folder = _run_folder(tmp_path / "new", new)
    # Article b's text gains a word at the end: its span still compares by offsets.
    lines = (new_folder / "mentions.jsonl").read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace("in Glasgow.", "in Glasgow, Scotland.")
    (new_folder / "mentions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _diff(old_folder, new_folder)
    assert [(change.kind, change.doc_id, change.spans[0]) for change in result.changes] == [
        (REMOVED, "a", MONEY),
        (ADDED, "a", summit),
    ]
    assert (result.added_articles, result.removed_articles, result.text_changed) == (["new"], ["gone"], ["b"])
    assert result.articles == {"old": 3, "new": 3, "compared": 2}
    text = _invoke("diff", old_folder, new_folder).stdout
    assert "articles: 2 in both, 1 added, 1 removed, 1 with another text" in text


def test_diff_pairs_articles_by_id_whatever_their_order(tmp_path: Path) -> None:
    ids = [f"article-{number}" for number in range(8)]
    old = {doc_id: [BANK] for doc_id in ids}
    new = {doc_id: [BANK] for doc_id in reversed(ids)}
    result = _pair(tmp_path, old, new)
    assert not result.differs and result.articles["compared"] == len(ids)


def test_diff_ignores_spans_that_are_not_scored(tmp_path: Path) -> None:
    glasgow = _span("Glasgow", "GPE", scored=False)
    assert not _pair(tmp_path, {"a": [BANK, glasgow]}, {"a": [BANK]}).differs


ADB = _span("ADB", "ORG", canonical="Asian Development Bank", source="acronym")
ADB_AGAIN = _span("ADB", "ORG", occurrence=2, canonical="Asian Development Bank", source="acronym")


def _linked(*pairs: tuple[dict, str | None]) -> list[dict]:
    return [{**span, "entity": entity} if entity else span for span, entity in pairs]


def test_diff_mentions_that_now_share_an_entity_are_one_merge_of_entity_ids(tmp_path: Path) -> None:
    old = _linked((BANK, "org-asian-development-bank"), (ADB, "org-adb"), (ADB_AGAIN, "org-adb"))
    new = _linked(
        (BANK, "org-asian-development-bank"),
        (ADB, "org-asian-development-bank"),
        (ADB_AGAIN, "org-asian-development-bank"),
    )
    result = _pair(tmp_path, {"a": old}, {"a": new})
    assert result.changes == []  # the spans themselves are the same
    assert result.entities == [
        EntityGroup(
            MERGED,
            ("org-adb", "org-asian-development-bank"),
            ("org-asian-development-bank",),
            3,
            0,
            ("ADB", "Asian Development Bank"),
        )
    ]
    text = _invoke("diff", tmp_path / "old", tmp_path / "new").stdout
    assert "merged     org-adb, org-asian-development-bank -> org-asian-development-bank: 3 mentions" in text


def test_diff_an_entity_whose_mentions_part_is_a_split(tmp_path: Path) -> None:
    old = _linked((BANK, "org-adb"), (ADB, "org-adb"), (ADB_AGAIN, "org-adb"))
    new = _linked((BANK, "org-asian-development-bank"), (ADB, "org-adb"), (ADB_AGAIN, None))
    result = _pair(tmp_path, {"a": old}, {"a": new})
    assert [(g.kind, g.old, g.new, g.mentions, g.unlinked) for g in result.entities] == [
        (SPLIT, ("org-adb",), ("org-adb", "org-asian-development-bank"), 3, 1)
    ]


def test_diff_a_missing_entity_is_none_and_only_mentions_of_both_runs_count(tmp_path: Path) -> None:
    summit = _span("COP26 Summit", "EVENT")
    # Two mentions with no entity, linked in the new run: a merge of unlinked mentions. A mention only the new
    # run has, and a renamed entity, are no merge or split.
    old = {"a": [BANK, ADB, {**summit, "entity": "event-cop26"}]}
    new = {"a": _linked((BANK, "org-adb"), (ADB, "org-adb"), (summit, "event-cop26-summit"), (ADB_AGAIN, "org-adb"))}
    result = _pair(tmp_path, old, new)
    assert [(g.kind, g.old, g.new, g.mentions, g.unlinked) for g in result.entities] == [
        (RENAMED, ("event-cop26",), ("event-cop26-summit",), 1, 0),
        (MERGED, (), ("org-adb",), 2, 2),
    ]
    assert [change.kind for change in result.changes] == [ADDED]


# --- errors and help ------------------------------------------------------------------------------


def _one_line_error(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and result.stderr.strip().count("\n") == 0, result.stderr
    return result.stderr


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda folder: None, "{folder}: not the output folder of a run (no such folder)"),
        (lambda folder: folder.mkdir(), "{folder}: not the output folder of a run (no mentions.jsonl in it)"),
        (
            lambda folder: _corrupt(folder, b'{"text": "no spans", "meta": {"id": "b"}, "spans": [}\n'),
            "{folder}/mentions.jsonl, line 2: not valid JSON",
        ),
        (
            lambda folder: _corrupt(folder, b'{"text": "caf\xe9"}\n'),
            "{folder}/mentions.jsonl, line 2: not UTF-8 at byte",
        ),
        (
            lambda folder: _corrupt(folder, json.dumps({"meta": {"id": "a"}, "spans": [], "text": TEXT}).encode()),
            "{folder}/mentions.jsonl, line 2: article id 'a' seen before, on line 1",
        ),
        (lambda folder: _corrupt(folder, b'{"text": "x", "meta": {}}\n'), "{folder}/mentions.jsonl, line 2: `meta.id`"),
    ],
    ids=["missing", "no-mentions", "bad-json", "not-utf8", "repeated-id", "no-id"],
)
def test_diff_bad_folders_and_lines_are_one_line_errors(tmp_path: Path, make: Any, expected: str) -> None:
    good = _run_folder(tmp_path / "good", {"a": [BANK]})
    bad = tmp_path / "bad"
    make(bad)
    for args in ((good, bad), (bad, good)):
        assert expected.format(folder=bad) in _one_line_error(_invoke("diff", *args))


def _corrupt(folder: Path, line: bytes) -> None:
    """A run folder whose mentions.jsonl has a good line, then `line`."""
    _run_folder(folder, {"a": [BANK]})
    with (folder / "mentions.jsonl").open("ab") as stream:
        stream.write(line)


def test_diff_help_explains_with_an_example() -> None:
    result = runner.invoke(app, ["diff", "--help"], terminal_width=100)
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    for phrase in (
        "{OLD_OUT} {NEW_OUT}",
        "relabelled",
        "re-bounded",
        "--json",
        "--limit N",
        "--exit-code",
        "--compare-to",
    ):
        assert phrase in text, phrase
    assert "Example: policy-extract diff " in text
