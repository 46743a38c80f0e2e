"""The record schema and its rendering: what one article becomes in each dataset.

A record is the gold schema (`text`, `meta`, `spans`) with the article's `sentences` as
character ranges. Rendering turns it, once, into the exact text of its line in
`mentions.jsonl` (before entities are resolved across the corpus) and its acronym definitions;
workers render in parallel and the cache stores the rendering. `mention_fields` is one span as
the columns of `mentions.csv` and of the mentions table.
"""

from __future__ import annotations

import csv
import json
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

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
# The corpus-wide entity of a name span and the evidence that linked it (pipeline/entities.py).
ENTITY_COLUMNS = ("entity", "entity_evidence")
MENTION_COLUMNS = (*CSV_COLUMNS, *ENTITY_COLUMNS)
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
    """One article's line of `mentions.jsonl` and its acronym definitions, its scored spans counted per label.

    `definitions` are its rows of aliases.csv, in `ALIAS_COLUMNS` order without `doc_id`.
    `meta`, `words` and `characters` make its row of articles.csv, together with where the
    run read it (which the cache does not know: an unchanged article may have moved).
    """

    jsonl: str
    definitions: list[list[Any]]
    counts: dict[str, int]
    meta: dict[str, Any]
    words: int
    characters: int


def article_row(rendered: Rendered, *, path: str, sha256: str, reader: str) -> list[Any]:
    """The article's row of articles.csv and the articles table, in `ARTICLE_COLUMNS` order."""
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
    return cells


def render(extractions: Sequence[Extraction]) -> list[Rendered]:
    """The line each article contributes to `mentions.jsonl`, and its acronym definitions."""
    rendered = []
    for record, aliases in extractions:
        counts = Counter(span["label"] for span in record["spans"] if span.get("scored", True))
        rendered.append(
            Rendered(
                jsonl=json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n",
                definitions=[[alias.get(column) for column in ALIAS_COLUMNS[1:]] for alias in aliases],
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
    """Each row as one line of CSV text ending in a line feed, its cells neutralized (`spreadsheet_cell`).

    The `csv` module quotes a field only when it holds a character of its line terminator, so
    rows are written with CRLF and the terminator then replaced: a field holding a carriage
    return or a line feed is quoted either way (a bare CR would otherwise end the row for every
    CSV reader), and other separators such as U+2028 stay inside their field.
    """
    collector = _RowCollector()
    cells = ([spreadsheet_cell(value) for value in row] for row in rows)
    csv.writer(collector, lineterminator=_QUOTING_TERMINATOR).writerows(cells)
    return collector.lines


class _RowCollector:
    """The file a `csv.writer` writes to: it hands over each row whole, terminator included."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, row: str) -> None:
        self.lines.append(row.removesuffix(_QUOTING_TERMINATOR) + "\n")


def mention_fields(doc_id: str, span: dict[str, Any]) -> dict[str, Any]:
    """A span as flat fields in `MENTION_COLUMNS` order: a DATE's norm and TIMEX3 fields, a MONEY's amount and currency.

    Amounts keep their type: they are numbers the tool wrote, so `spreadsheet_cell` leaves `-5` alone.
    """
    norm = span.get("norm")
    money = norm if isinstance(norm, dict) else {}
    return {
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
        **{key: money.get(key) for key in ("amount", "amount_max", "currency")},
        "approximate": span.get("approximate"),
        **{key: span.get(key) for key in ENTITY_COLUMNS},
    }


class Sentences:
    """An article's sentences, [start, end) character ranges in order, looked up by offset."""

    def __init__(self, ranges: list[list[int]]) -> None:
        self._ranges = ranges
        self._starts = [start for start, _ in ranges]

    def holding(self, offset: int) -> tuple[int, int] | None:
        """The range of the sentence that holds the character at `offset`, or None.

        >>> Sentences([[0, 10], [11, 20]]).holding(12), Sentences([]).holding(3)
        ((11, 20), None)
        """
        index = bisect_right(self._starts, offset) - 1
        if index < 0 or offset >= self._ranges[index][1]:
            return None
        start, end = self._ranges[index]
        return start, end
