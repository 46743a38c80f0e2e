"""Batch runs: identical outputs whatever the engine, the incremental cache, streaming inputs, the lock."""

from __future__ import annotations

import io
import json
import shutil
from fnmatch import fnmatch
from pathlib import Path

import pytest
from conftest import CORPUS_DIR, PATTERNS_DIR, SAMPLE_ARTICLES

from pipeline import workers
from pipeline.batch import RunOptions, run_batch
from pipeline.corpus import iter_articles, read_articles
from pipeline.errors import PolicyExtractError
from pipeline.extract import extract
from pipeline.lock import LOCK_NAME, OutputLock
from pipeline.nlp import build_nlp
from pipeline.patterns import RuleSet, load_rules
from pipeline.types import Article, PipelineSettings

DATASETS = ("mentions.jsonl", "mentions.csv", "aliases.csv")
SETTINGS = PipelineSettings(patterns_dir=PATTERNS_DIR)
ARTICLES = SAMPLE_ARTICLES


def _run(out: Path, rules: RuleSet, paths: list[Path], **options) -> dict:
    manifest, _ = run_batch(iter_articles(paths), SETTINGS, rules, out, RunOptions(**options))
    return manifest


def _datasets(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in DATASETS}


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory: pytest.TempPathFactory, rules: RuleSet, article_sample: Path) -> Path:
    out = tmp_path_factory.mktemp("one-worker")
    _run(out, rules, [article_sample], workers=1)
    return out


def test_run_batch_two_workers_match_one_byte_for_byte(
    tmp_path: Path, rules: RuleSet, one_worker: Path, article_sample: Path
) -> None:
    manifest = _run(tmp_path, rules, [article_sample], workers=2, chunk_size=3)
    assert manifest["run"]["processed"] == ARTICLES
    assert _datasets(tmp_path) == _datasets(one_worker)


def test_run_batch_dask_local_cluster_matches_local_engine(
    tmp_path: Path, rules: RuleSet, one_worker: Path, article_sample: Path
) -> None:
    pytest.importorskip("distributed", reason="the dask extra is not installed (pip install .[dask])")
    manifest = _run(tmp_path, rules, [article_sample], workers=2, engine="dask", chunk_size=4)
    assert manifest["run"]["engine"] == "dask"
    assert _datasets(tmp_path) == _datasets(one_worker)


def test_run_batch_rerun_takes_everything_from_the_cache(
    tmp_path: Path, rules: RuleSet, one_worker: Path, article_sample: Path
) -> None:
    first = _run(tmp_path, rules, [article_sample])
    second = _run(tmp_path, rules, [article_sample])
    assert (first["run"]["processed"], second["run"]["processed"], second["run"]["reused"]) == (ARTICLES, 0, ARTICLES)
    assert _datasets(tmp_path) == _datasets(one_worker)


def test_run_batch_new_article_costs_only_itself(tmp_path: Path, rules: RuleSet, article_sample: Path) -> None:
    corpus = tmp_path / "articles"
    shutil.copytree(article_sample, corpus)
    _run(tmp_path / "out", rules, [corpus])
    (corpus / "new.md").write_text("---\nid: new\n---\nThe Asian Development Bank lent $2 billion in May 2023.\n")
    manifest = _run(tmp_path / "out", rules, [corpus])
    assert (manifest["run"]["processed"], manifest["run"]["reused"]) == (1, ARTICLES)


def test_run_batch_changed_pattern_file_redoes_everything(tmp_path: Path, rules: RuleSet, article_sample: Path) -> None:
    _run(tmp_path / "out", rules, [article_sample])
    patterns = tmp_path / "patterns"
    shutil.copytree(PATTERNS_DIR, patterns)
    with (patterns / "lexicon.yml").open("a", encoding="utf-8") as stream:
        stream.write("# a curator's note\n")
    manifest = _run(tmp_path / "out", load_rules(patterns), [article_sample])
    assert (manifest["run"]["processed"], manifest["run"]["reused"]) == (ARTICLES, 0)


def test_run_batch_force_ignores_the_cache(tmp_path: Path, rules: RuleSet, article_sample: Path) -> None:
    _run(tmp_path, rules, [article_sample])
    assert _run(tmp_path, rules, [article_sample], force=True)["run"]["processed"] == ARTICLES


def test_run_batch_cache_in_a_given_folder(tmp_path: Path, rules: RuleSet, article_sample: Path) -> None:
    _run(tmp_path / "a", rules, [article_sample], cache_dir=tmp_path / "shared-cache")
    manifest = _run(tmp_path / "b", rules, [article_sample], cache_dir=tmp_path / "shared-cache")
    assert manifest["run"]["reused"] == ARTICLES
    assert not (tmp_path / "b" / ".cache").exists()


def test_run_batch_reads_jsonl_from_standard_input(tmp_path: Path, rules: RuleSet, article_sample: Path) -> None:
    articles, _ = read_articles([article_sample])
    lines = "".join(json.dumps({"text": a.text, "meta": a.meta}) + "\n" for a in articles)
    items = iter_articles([Path("-")], stdin=io.BytesIO(lines.encode("utf-8")))
    manifest, _ = run_batch(items, SETTINGS, rules, tmp_path, RunOptions())
    assert manifest["articles"] == len(articles) == ARTICLES
    assert sorted(manifest["inputs"]) == sorted(f"<stdin>:{n}" for n in range(1, ARTICLES + 1))


def test_run_batch_reads_glob_patterns(tmp_path: Path, rules: RuleSet) -> None:
    pattern = "dev-0[12]*.md"
    manifest = _run(tmp_path, rules, [CORPUS_DIR / "articles" / pattern])
    named = {path.name for path in (CORPUS_DIR / "articles").iterdir() if fnmatch(path.name, pattern)}
    assert named and {Path(where).name for where in manifest["inputs"]} == named


def test_run_batch_refuses_a_folder_another_run_holds(tmp_path: Path, rules: RuleSet, article_sample: Path) -> None:
    with OutputLock(tmp_path):
        with pytest.raises(PolicyExtractError, match="another run is writing"):
            _run(tmp_path, rules, [article_sample])
        assert (tmp_path / LOCK_NAME).exists(), "the refused run removed the holder's lock"
    assert not (tmp_path / LOCK_NAME).exists(), "the holder left its lock behind"


def test_exclusions_do_not_change_the_output(nlp, article_sample: Path) -> None:
    articles, _ = read_articles([article_sample])
    full = build_nlp(PipelineSettings(patterns_dir=PATTERNS_DIR, exclude=()), load_rules(PATTERNS_DIR))
    assert "parser" in full.pipe_names and "parser" not in nlp.pipe_names
    # Only the sentences and what rests on them may differ: the parser sets them where it is loaded, a
    # sentencizer elsewhere, and the relations come from that parse of the whole doc.
    parse = {"sentences": None, "relations": None, "parsed_sentences": None}
    slim_records = [{**item.record, **parse} for item in extract(nlp, articles)]
    full_records = [{**item.record, **parse} for item in extract(full, articles)]
    assert full_records == slim_records


def test_only_a_process_first_partition_leaves_its_words_in_the_vocab(rules: RuleSet, monkeypatch) -> None:
    # The first partition fills the tokenizer's cache (outside the memory zone); later ones are freed.
    monkeypatch.setattr(workers, "_TOKENIZER_CACHE_FILLED", set())
    first = Article(id="first", text="Officials of the Zorvath Trade Council met.", meta={"id": "first"}, path="-")
    later = Article(id="later", text="Officials of the Quillmere Trade Council met.", meta={"id": "later"}, path="-")
    rendered = [workers.process_articles([article], SETTINGS, rules, 64) for article in (first, later)]

    vocab = workers.pipeline_for(SETTINGS, rules).vocab
    assert "Zorvath" in vocab and "Quillmere" not in vocab
    assert '"Zorvath Trade Council"' in rendered[0][0].jsonl
    assert '"Quillmere Trade Council"' in rendered[1][0].jsonl
