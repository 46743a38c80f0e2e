"""The record schema and its rendering: what one article becomes in each dataset.

A record is the gold schema (`text`, `meta`, `spans`). Rendering turns it, once, into the
exact text of its line in `mentions.jsonl`, its rows of `mentions.csv` and of `aliases.csv`;
workers render in parallel, the cache stores the rendering, and the writer only concatenates,
so a warm re-run neither parses JSON records nor builds tables.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import accumulate, pairwise
from typing import Any, NamedTuple

from .spans import sort_spans
from .types import SCORED_LABELS

CSV_COLUMNS = (
    "doc_id",
    "start",
    "end",
    "label",
    "text",
    "norm",
    "canonical",
    "source",
    "scored",
    "timex",
    "mod",
    "granularity",
    "anchor",
    "resolved",
    "amount",
    "amount_max",
    "currency",
    "approximate",
)
ALIAS_COLUMNS = ("doc_id", "short", "long", "label", "mentions")
# One row per article in articles.csv: its metadata, where it was read, its size and its spans per label.
ARTICLE_META_COLUMNS = ("title", "date", "date_source", "source", "url", "author")
ARTICLE_COLUMNS = ("id", *ARTICLE_META_COLUMNS, "format", "path", "sha256", "characters", "words", *SCORED_LABELS)
DATE_DETAILS = ("timex", "mod", "granularity", "anchor", "resolved")
# A text cell starting with one of these is a formula to a spreadsheet (OWASP, "CSV Injection").
FORMULA_STARTS = frozenset("=+-@\t\r")
# Written by the `csv` module, then replaced by a line feed: see `csv_lines`.
_QUOTING_TERMINATOR = "\r\n"


class Extraction(NamedTuple):
    """What one article yields: its record in the gold schema and the acronyms it defines."""

    record: dict[str, Any]
    aliases: list[dict[str, Any]]


class Rendered(NamedTuple):
    """One article's share of each dataset, as text, with its scored spans counted per label.

    `meta`, `words` and `characters` make its row of articles.csv, together with where the
    run read it (which the cache does not know: an unchanged article may have moved).
    """

    jsonl: str
    csv: str
    aliases: str
    counts: dict[str, int]
    meta: dict[str, Any]
    words: int
    characters: int


def article_row(rendered: Rendered, *, path: str, sha256: str, reader: str) -> list[Any]:
    """The article's row of articles.csv, in `ARTICLE_COLUMNS` order, its cells neutralized (`spreadsheet_cell`)."""
    meta = rendered.meta
    cells = [
        meta.get("id"),
        *(meta.get(key) for key in ARTICLE_META_COLUMNS),
        reader,
        path,
        sha256,
        rendered.characters,
        rendered.words,
        *(rendered.counts.get(label, 0) for label in SCORED_LABELS),
    ]
    return [spreadsheet_cell(cell) for cell in cells]


def render(extractions: Sequence[Extraction]) -> list[Rendered]:
    """The text each article contributes to `mentions.jsonl`, `mentions.csv` and `aliases.csv`.

    The CSV rows of all articles go through one `csv` writer, whose lines are then grouped back
    by article. Text cells are neutralized for spreadsheets (`spreadsheet_cell`); the JSONL line
    keeps the exact text.
    """
    records = [extraction.record for extraction in extractions]
    mention_lines = _grouped(csv_lines(mention_rows(records)), [len(record["spans"]) for record in records])
    alias_rows = (
        [spreadsheet_cell(alias.get(column)) for column in ALIAS_COLUMNS] for e in extractions for alias in e.aliases
    )
    alias_lines = _grouped(csv_lines(alias_rows), [len(extraction.aliases) for extraction in extractions])
    rendered = []
    for record, mentions, aliases in zip(records, mention_lines, alias_lines, strict=True):
        counts = Counter(span["label"] for span in record["spans"] if span.get("scored", True))
        rendered.append(
            Rendered(
                jsonl=json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n",
                csv=mentions,
                aliases=aliases,
                counts={label: counts[label] for label in SCORED_LABELS if counts[label]},
                meta=record["meta"],
                words=len(record["text"].split()),
                characters=len(record["text"]),
            )
        )
    return rendered


def spreadsheet_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula (OWASP, "CSV Injection").

    Text starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, and
    so does text whose leading apostrophes come before one of them: dropping one `'` from a
    cell that starts with apostrophes and then one of those characters always gives the exact
    text back. Numbers, booleans and empty cells are values the tool wrote and stay as they are.

    >>> [spreadsheet_cell(value) for value in ("=1+2", "-5%", "'=1", "'tis", "US$5", -5, None)]
    ["'=1+2", "'-5%", "''=1", "'tis", 'US$5', -5, None]
    """
    if isinstance(value, str) and value.lstrip("'")[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def csv_lines(rows: Iterable[Sequence[Any]]) -> list[str]:
    """Each row as one line of CSV text ending in a line feed.

    The `csv` module quotes a field only when it holds a character of its line terminator, so
    rows are written with CRLF and the terminator then replaced: a field holding a carriage
    return or a line feed is quoted either way (a bare CR would otherwise end the row for every
    CSV reader), and other separators such as U+2028 stay inside their field.
    """
    collector = _RowCollector()
    csv.writer(collector, lineterminator=_QUOTING_TERMINATOR).writerows(rows)
    return collector.lines


class _RowCollector:
    """The file a `csv.writer` writes to: it hands over each row whole, terminator included."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, row: str) -> None:
        self.lines.append(row.removesuffix(_QUOTING_TERMINATOR) + "\n")


def _grouped(lines: list[str], sizes: list[int]) -> list[str]:
    """Consecutive groups of `sizes` lines, each joined into one text."""
    bounds = [0, *accumulate(sizes)]
    return ["".join(lines[a:b]) for a, b in pairwise(bounds)]


def mention_rows(records: Iterable[dict[str, Any]]) -> list[list[Any]]:
    """One row per span, in `CSV_COLUMNS` order, cells neutralized: articles in the order given, spans sorted."""
    return [_row(record["meta"]["id"], span) for record in records for span in sort_spans(record["spans"])]


def _row(doc_id: str, span: dict[str, Any]) -> list[Any]:
    """A span as a flat row: a DATE's norm and TIMEX3 fields, a MONEY's amount and currency in columns."""
    norm = span.get("norm")
    row = {
        "doc_id": doc_id,
        "start": span["start"],
        "end": span["end"],
        "label": span["label"],
        "text": span["text"],
        "norm": norm if isinstance(norm, str) else None,
        "canonical": span.get("canonical"),
        "source": span.get("source"),
        "scored": span.get("scored", True),
        **{key: span.get(key) for key in DATE_DETAILS},
        "approximate": span.get("approximate"),
    }
    if isinstance(norm, dict):
        # Amounts keep their type: they are numbers the tool wrote, so `spreadsheet_cell` leaves `-5` alone.
        row.update({key: norm.get(key) for key in ("amount", "amount_max", "currency")})
    return [spreadsheet_cell(row.get(column)) for column in CSV_COLUMNS]
