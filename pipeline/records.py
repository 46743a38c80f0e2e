"""The record schema and its rendering: what one article becomes in each dataset.

A record is the gold schema (`text`, `meta`, `spans`). Rendering turns it, once, into the
exact text of its line in `mentions.jsonl`, its rows of `mentions.csv` and of `aliases.csv`;
workers render in parallel, the cache stores the rendering, and the writer only concatenates,
so a warm re-run neither parses JSON records nor builds tables.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
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
ALIAS_COLUMNS = ("doc_id", "short", "long", "label", "mentions")
DATE_DETAILS = ("timex", "mod", "granularity", "anchor", "resolved")


class Extraction(NamedTuple):
    """What one article yields: its record in the gold schema and the acronyms it defines."""

    record: dict[str, Any]
    aliases: list[dict[str, Any]]


class Rendered(NamedTuple):
    """One article's share of each dataset, as text, with its scored spans counted per label."""

    jsonl: str
    csv: str
    aliases: str
    counts: dict[str, int]


def sort_spans(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The order the annotation guideline fixes: by start, then by end descending (label breaks ties)."""
    return sorted(spans, key=lambda span: (span["start"], -span["end"], span["label"]))


def render(extraction: Extraction) -> Rendered:
    """The text one article contributes to `mentions.jsonl`, `mentions.csv` and `aliases.csv`."""
    import pandas as pd  # only where records are rendered: a warm re-run never imports it

    record = extraction.record
    rows = mention_rows([record])
    counts = Counter(span["label"] for span in record["spans"] if span.get("scored", True))
    aliases = pd.DataFrame(extraction.aliases, columns=list(ALIAS_COLUMNS), dtype=object)
    return Rendered(
        jsonl=json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n",
        csv=rows.to_csv(header=False, index=False, lineterminator="\n") if len(rows) else "",
        aliases=aliases.to_csv(header=False, index=False, lineterminator="\n") if len(aliases) else "",
        counts={label: counts[label] for label in SCORED_LABELS if counts[label]},
    )


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
