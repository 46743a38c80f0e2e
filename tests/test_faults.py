"""Faults: a killed run, two runs at once, and arbitrary text never corrupt a dataset."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from itertools import cycle, islice
from pathlib import Path

import psutil
import pytest
from conftest import CORPUS_DIR, PATTERNS_DIR, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.batch import RunOptions, run_batch
from pipeline.corpus import iter_articles, read_articles, read_gold
from pipeline.errors import PolicyExtractError
from pipeline.extract import extract
from pipeline.lock import LOCK_NAME, OutputLock
from pipeline.types import Article, PipelineSettings

DATASETS = ("mentions.jsonl", "mentions.csv", "aliases.csv")
SETTINGS = PipelineSettings(patterns_dir=PATTERNS_DIR)


# Enough articles that a command, one article a chunk, is still at work when the test acts on it (a
# second or more after its first cache entry, its lock held through the seconds of model loading),
# and no more, whatever the size of the corpus they are copied from.
FAULT_CORPUS_ARTICLES = 12


def _fault_corpus(folder: Path) -> Path:
    """`FAULT_CORPUS_ARTICLES` articles: the corpus's, cycled through under new ids."""
    articles, _ = read_articles([CORPUS_DIR / "articles"])
    folder.mkdir(parents=True)
    for number, article in enumerate(islice(cycle(articles), FAULT_CORPUS_ARTICLES)):
        date = f"date: {article.meta['date']}\n" if article.meta.get("date") else ""
        (folder / f"{number:03d}-{article.id}.md").write_text(
            f"---\nid: {number:03d}-{article.id}\n{date}---\n{article.text}", encoding="utf-8"
        )
    return folder


def _command(corpus: Path, out: Path, workers: int = 1) -> list[str]:
    command = [sys.executable, "-m", "pipeline", "run", str(corpus), "--out", str(out), "--workers", str(workers)]
    return [*command, "--patterns", str(PATTERNS_DIR)]


def _cli(corpus: Path, out: Path, *, workers: int = 1, chunk_size: int = 1) -> subprocess.Popen:
    command = [*_command(corpus, out, workers), "--chunk-size", str(chunk_size)]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _first_entry_written(out: Path) -> None:
    """Wait until a run has cached its first article (it is then at work, its workers started)."""
    deadline = time.monotonic() + 60
    while not any((out / ".cache").glob("*/*.entry")) and time.monotonic() < deadline:
        time.sleep(0.05)


def _running_with_workers(tmp_path: Path, chunk_size: int = 2) -> tuple[subprocess.Popen, list[psutil.Process]]:
    """A two-worker run at work on the fault corpus, and its worker processes."""
    run = _cli(_fault_corpus(tmp_path / "corpus"), tmp_path / "out", workers=2, chunk_size=chunk_size)
    _first_entry_written(tmp_path / "out")
    workers = psutil.Process(run.pid).children(recursive=True)
    assert workers, "the run started no worker"
    return run, workers


def test_killed_run_leaves_no_partial_output_and_rerun_matches(tmp_path: Path, rules) -> None:
    corpus = _fault_corpus(tmp_path / "corpus")
    out = tmp_path / "out"
    victim = _cli(corpus, out)
    _first_entry_written(out)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert not any((out / name).exists() for name in DATASETS), "a killed first run left a dataset"

    # The re-run and the uninterrupted run, in this process (its model is loaded already): the
    # datasets are the command's, byte for byte, whatever the engine.
    rerun, _ = run_batch(iter_articles([corpus]), SETTINGS, rules, out, RunOptions())
    run_batch(iter_articles([corpus]), SETTINGS, rules, tmp_path / "reference", RunOptions())
    assert rerun["run"]["reused"] >= 1, "the killed run's cache entries were not reused"
    for name in DATASETS:
        assert (out / name).read_bytes() == (tmp_path / "reference" / name).read_bytes(), name
    assert not list(out.glob(".*.tmp"))


def test_second_run_on_the_same_folder_is_refused(tmp_path: Path, rules) -> None:
    with OutputLock(tmp_path):
        with pytest.raises(PolicyExtractError, match=f"lock held by pid {os.getpid()}"):
            run_batch(iter_articles([CORPUS_DIR / "articles"]), SETTINGS, rules, tmp_path, RunOptions())
        assert (tmp_path / LOCK_NAME).exists()
    assert not (tmp_path / "mentions.jsonl").exists()


def test_second_cli_run_waits_for_nothing_and_says_why(tmp_path: Path) -> None:
    corpus = _fault_corpus(tmp_path / "corpus")
    out = tmp_path / "out"
    first = _cli(corpus, out)
    deadline = time.monotonic() + 60
    while not (out / LOCK_NAME).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    second = _cli(corpus, out)
    assert second.wait() == 2
    assert b"another run is writing to this folder" in second.stderr.read()
    assert first.wait() == 0


PIECES = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(
        ["\u200b", "\u200d", "\u202e", "\u0301", "\U0001f1ef\U0001f1f5", "שלום", "٢٠٢١", "$", "¥", "x" * 500]
    ),
)
UNICODE = st.lists(PIECES, max_size=200).map(
    lambda pieces: "".join(pieces) + " The Asian Development Bank lent $2 billion in May 2021 to the DOE."
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=UNICODE)
def test_arbitrary_unicode_never_raises_and_spans_fit(nlp, text: str) -> None:
    (item,) = extract(nlp, [Article("x", text, {"id": "x"}, "<test>")])
    for span in item.record["spans"]:
        assert 0 <= span["start"] < span["end"] <= len(text)
        assert text[span["start"] : span["end"]] == span["text"]


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(UNICODE, min_size=2, max_size=4))
def test_arbitrary_unicode_same_with_one_or_two_workers(tmp_path: Path, rules, texts: list[str]) -> None:
    articles = [Article(f"a{i}", text, {"id": f"a{i}"}, f"<test:{i}>") for i, text in enumerate(texts)]
    outputs = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}-{abs(hash(tuple(texts)))}"
        shutil.rmtree(out, ignore_errors=True)
        run_batch(iter(articles), SETTINGS, rules, out, RunOptions(workers=workers, force=True, chunk_size=2))
        outputs.append({name: (out / name).read_bytes() for name in DATASETS})
    assert outputs[0] == outputs[1]
    assert len(read_gold(tmp_path / f"w1-{abs(hash(tuple(texts)))}" / "mentions.jsonl")) == len(texts)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_stopped_run_ends_fast_and_leaves_no_worker_lock_or_temporary(tmp_path: Path, stop: signal.Signals) -> None:
    victim, workers = _running_with_workers(tmp_path)
    victim.send_signal(stop)
    victim.wait(timeout=10)  # "within a second or two" once the signal lands; 10 s is generous
    _gone, alive = psutil.wait_procs(workers, timeout=5)
    assert not alive, f"workers left behind: {alive}"
    out = tmp_path / "out"
    assert not (out / LOCK_NAME).exists()
    assert not list(out.glob(".policy-extract-*"))
    assert not (out / "mentions.jsonl").exists()


def test_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    victim, workers = _running_with_workers(tmp_path)
    victim.kill()
    victim.wait()
    _gone, alive = psutil.wait_procs(workers, timeout=5)
    assert not alive, f"workers outlived their parent: {alive}"
    # The dead run's lock is stale: the next run takes it over.
    command = _command(tmp_path / "corpus", tmp_path / "out", workers=2)
    rerun = subprocess.run(command, cwd=ROOT, capture_output=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr


def test_a_worker_killed_mid_run_is_replaced_and_its_partition_retried(tmp_path: Path) -> None:
    run, workers = _running_with_workers(tmp_path, chunk_size=4)
    workers[0].kill()  # as the OOM killer would
    assert run.wait(timeout=300) == 0, run.stderr.read()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["articles"] == FAULT_CORPUS_ARTICLES
    assert manifest["run"]["worker_restarts"] >= 1
