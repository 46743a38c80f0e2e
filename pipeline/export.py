"""Write the datasets: `mentions.jsonl`, `mentions.csv`, `aliases.csv` and `manifest.json`, each atomically."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

import pandas as pd

from .types import SCORED_LABELS, Skipped

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


def write_atomically(path: Path, write: Callable[[IO[str]], None]) -> None:
    """Write through a temporary file in the same folder, then rename, so no reader sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            write(stream)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mention_rows(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """One row per span, stably sorted by document, start, end (descending) and label."""
    rows = [_row(record["meta"]["id"], span) for record in records for span in record["spans"]]
    frame = pd.DataFrame(rows, columns=list(CSV_COLUMNS), dtype=object)
    frame["neg_end"] = -frame["end"]
    frame = frame.sort_values(["doc_id", "start", "neg_end", "label"], kind="stable").drop(columns="neg_end")
    return frame.reset_index(drop=True)


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


def write_outputs(
    records: list[dict[str, Any]],
    skipped: list[Skipped],
    out_dir: Path,
    manifest: dict[str, Any],
    aliases: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Write `mentions.jsonl`, `mentions.csv`, `aliases.csv` and `manifest.json`; return the manifest."""
    records = sorted(records, key=lambda record: record["meta"]["id"])

    def write_jsonl(stream: IO[str]) -> None:
        for record in records:
            stream.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")

    write_atomically(out_dir / "mentions.jsonl", write_jsonl)
    frame = mention_rows(records)
    write_atomically(out_dir / "mentions.csv", lambda stream: frame.to_csv(stream, index=False, lineterminator="\n"))
    alias_frame = pd.DataFrame(aliases or [], columns=list(ALIAS_COLUMNS), dtype=object)
    alias_frame = alias_frame.sort_values(["doc_id", "short", "long"], kind="stable")
    write_atomically(
        out_dir / "aliases.csv", lambda stream: alias_frame.to_csv(stream, index=False, lineterminator="\n")
    )
    counts = Counter(span["label"] for record in records for span in record["spans"] if span.get("scored", True))
    manifest = {
        **manifest,
        "articles": len(records),
        "spans_per_label": {label: counts.get(label, 0) for label in SCORED_LABELS},
        "skipped": [{"path": item.path, "reason": item.reason} for item in skipped],
    }
    write_atomically(
        out_dir / "manifest.json",
        lambda stream: stream.write(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"),
    )
    return manifest
