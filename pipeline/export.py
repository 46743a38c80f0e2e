"""Write the datasets: `mentions.jsonl`, `mentions.csv` and `manifest.json`, each atomically."""

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

CSV_COLUMNS = ("doc_id", "start", "end", "label", "text", "norm", "canonical", "source", "scored")


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
    rows = [
        {
            "doc_id": record["meta"]["id"],
            "start": span["start"],
            "end": span["end"],
            "label": span["label"],
            "text": span["text"],
            "norm": json.dumps(span["norm"], ensure_ascii=False, sort_keys=True) if "norm" in span else None,
            "canonical": span.get("canonical"),
            "source": span.get("source"),
            "scored": span.get("scored", True),
        }
        for record in records
        for span in record["spans"]
    ]
    frame = pd.DataFrame(rows, columns=list(CSV_COLUMNS))
    frame["neg_end"] = -frame["end"]
    frame = frame.sort_values(["doc_id", "start", "neg_end", "label"], kind="stable").drop(columns="neg_end")
    return frame.reset_index(drop=True)


def write_outputs(
    records: list[dict[str, Any]],
    skipped: list[Skipped],
    out_dir: Path,
    manifest: dict[str, Any],
) -> dict[str, Any]:
    """Write the three files into `out_dir` and return the manifest as written."""
    records = sorted(records, key=lambda record: record["meta"]["id"])

    def write_jsonl(stream: IO[str]) -> None:
        for record in records:
            stream.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")

    write_atomically(out_dir / "mentions.jsonl", write_jsonl)
    frame = mention_rows(records)
    write_atomically(out_dir / "mentions.csv", lambda stream: frame.to_csv(stream, index=False, lineterminator="\n"))
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
