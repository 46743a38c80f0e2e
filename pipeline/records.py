"""The record schema and its rendering: what one article becomes in each dataset.

A record is the gold schema (`text`, `meta`, `spans`). Rendering turns it, once, into the
exact text of its line in `mentions.jsonl`, its rows of `mentions.csv` and of `aliases.csv`;
workers render in parallel, the cache stores the rendering, and the writer only concatenates,
so a warm re-run neither parses JSON records nor builds tables.
"""

from __future__ import annotations

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
    """The article's row of articles.csv, in `ARTICLE_COLUMNS` order."""
    meta = rendered.meta
    return [
        meta.get("id"),
        *(meta.get(key) for key in ARTICLE_META_COLUMNS),
        reader,
        path,
        sha256,
        rendered.characters,
        rendered.words,
        *(rendered.counts.get(label, 0) for label in SCORED_LABELS),
    ]


def render(extractions: Sequence[Extraction]) -> list[Rendered]:
    """The text each article contributes to `mentions.jsonl`, `mentions.csv` and `aliases.csv`.

    The CSV rows of all articles are written by pandas in one go and then cut back into each
    article's rows, which costs a fraction of one table per article.
    """
    import pandas as pd  # only where records are rendered: a warm re-run never imports it

    records = [extraction.record for extraction in extractions]
    mention_lines = _csv_lines(mention_rows(records), [len(record["spans"]) for record in records])
    alias_frame = pd.DataFrame([a for e in extractions for a in e.aliases], columns=list(ALIAS_COLUMNS), dtype=object)
    alias_lines = _csv_lines(alias_frame, [len(extraction.aliases) for extraction in extractions])
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


def _csv_lines(frame: Any, sizes: list[int]) -> list[str]:
    """Cut a table's CSV text into consecutive groups of `sizes` rows.

    Rows end in a line feed (other separators such as U+2028 stay inside their field); when a
    field holds a line feed itself, pandas quotes it over two lines, and each group is then
    written apart.
    """
    options = {"header": False, "index": False, "lineterminator": "\n"}
    lines = frame.to_csv(**options).split("\n")[:-1]
    bounds = [0, *accumulate(sizes)]
    if len(lines) == len(frame):
        return ["".join(line + "\n" for line in lines[a:b]) for a, b in pairwise(bounds)]
    return [frame.iloc[a:b].to_csv(**options) if b > a else "" for a, b in pairwise(bounds)]


def mention_rows(records: Iterable[dict[str, Any]]) -> Any:
    """One row per span as a pandas DataFrame: articles in the order given, spans sorted."""
    import pandas as pd

    rows = [_row(record["meta"]["id"], span) for record in records for span in sort_spans(record["spans"])]
    return pd.DataFrame(rows, columns=list(CSV_COLUMNS), dtype=object)


def _row(doc_id: str, span: dict[str, Any]) -> dict[str, Any]:
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
        # Amounts as exact text: a float column would print 4200000000.0.
        row.update({key: None if norm.get(key) is None else str(norm[key]) for key in ("amount", "amount_max")})
        row["currency"] = norm.get("currency")
    return row
