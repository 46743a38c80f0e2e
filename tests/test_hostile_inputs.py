"""Hostile and unlucky inputs (issue 13): one bad input costs only itself, nothing outside `--out` is touched.

Each table row is one input an attacker or an unlucky user could give; the run beside it
always writes the good article, and the bad one is skipped with a one-line reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import PATTERNS_DIR

from pipeline import workers
from pipeline.batch import RunOptions, run_batch
from pipeline.corpus import iter_articles, read_gold
from pipeline.patterns import RuleSet
from pipeline.types import PipelineSettings

SETTINGS = PipelineSettings(patterns_dir=PATTERNS_DIR)
GOOD = "---\nid: good\ndate: 2021-07-01\n---\nThe Asian Development Bank (ADB) lent $2 billion in May 2021.\n"
LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 10)}]\n" for n in range(8)
)


def _front(header: str) -> bytes:
    return f"---\n{header}---\nThe World Bank approved the loan.\n".encode()


def _line(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass") + b"\n"


# (file name, its bytes, a fragment of the reason it is skipped for)
ONE_BAD_INPUT = [
    ("nested-date.md", _front("id: n\nrevisions: [{date: 2021-01-01}]\n"), "revisions[0].date is an unquoted date"),
    ("integer-date.md", _front("id: i\ndate: 20210701\n"), "is not an ISO date"),
    ("binary.md", _front("id: b\nblob: !!binary aGVsbG8=\n"), "binary data (!!binary)"),
    ("set.md", _front("id: s\ntags: !!set {a, b}\n"), "a set (!!set)"),
    ("mixed-keys.md", _front("id: m\n1: one\n'1': text one\n"), "key 1 is not text but int"),
    ("nan.md", _front("id: nan\nscore: .nan\n"), "JSON cannot hold"),
    ("infinity.md", _front("id: inf\nscore: .inf\n"), "JSON cannot hold"),
    ("laughs.md", _front("id: l\n" + LAUGHS), "aliases expand to more than"),
    ("deep.md", _front("id: d\nx: " + "[" * 50 + "]" * 50 + "\n"), "nests deeper than"),
    ("surrogate.jsonl", _line('{"text": "Aid \\ud800 flows.", "meta": {"id": "sur"}}'), "lone surrogate"),
    ("digits.jsonl", _line('{"text": "x", "meta": {"n": ' + "9" * 5000 + "}}"), "more than 4,300 digits"),
    ("brackets.jsonl", _line("[" * 100_000 + "]" * 100_000), "nested deeper than the parser"),
    ("nan.jsonl", _line('{"text": "x", "meta": {"id": "jn", "score": NaN}}'), "JSON cannot hold"),
    ("latin1.jsonl", '{"text": "Caf\u00e9"}\n'.encode("latin-1"), "line 1: not UTF-8 at byte 13"),
]


@pytest.mark.parametrize(("name", "content", "reason"), ONE_BAD_INPUT, ids=[row[0] for row in ONE_BAD_INPUT])
def test_one_bad_input_costs_only_itself(
    tmp_path: Path, rules: RuleSet, name: str, content: bytes, reason: str
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.md").write_text(GOOD, encoding="utf-8")
    (corpus / name).write_bytes(content)
    manifest, _ = run_batch(iter_articles([corpus]), SETTINGS, rules, tmp_path / "out", RunOptions())
    assert manifest["articles"] == 1
    (skipped,) = manifest["skipped"]
    assert reason in skipped["reason"], skipped
    assert "\n" not in skipped["reason"]
    assert set(read_gold(tmp_path / "out" / "mentions.jsonl")) == {"good"}
    json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))  # strict JSON: no NaN


def test_an_internal_error_costs_only_its_article(tmp_path: Path, rules: RuleSet, monkeypatch) -> None:
    """A bug that one article trips (here: a renderer that fails on it) skips that article, not its partition."""
    render = workers.render

    def fragile(extractions):
        if any("Trip" in item.record["text"] for item in extractions):
            raise RuntimeError("tripped")
        return render(extractions)

    monkeypatch.setattr(workers, "render", fragile)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.md").write_text(GOOD, encoding="utf-8")
    (corpus / "trip.md").write_text("---\nid: trip\n---\nTrip the World Bank.\n", encoding="utf-8")
    manifest, _ = run_batch(iter_articles([corpus]), SETTINGS, rules, tmp_path / "out", RunOptions(force=True))
    assert manifest["articles"] == 1
    (skipped,) = manifest["skipped"]
    assert "internal error (RuntimeError: tripped)" in skipped["reason"]
    assert "please report it" in skipped["reason"]
