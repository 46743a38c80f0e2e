"""Write the datasets: `mentions.jsonl`, `mentions.csv`, `aliases.csv` and `manifest.json`, each atomically."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

import pandas as pd

from .extract import Extraction, sort_spans
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
    """One row per span, articles in the order given, spans by start, end (descending) and label."""
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


class DatasetWriter:
    """Stream the datasets into temporary files in `out_dir`; `commit` renames them into place.

    Until `commit`, readers see the previous complete files (or none); a run that fails or is
    killed leaves only hidden temporary files, which the next writer in the folder removes.
    """

    NAMES = ("mentions.jsonl", "mentions.csv", "aliases.csv")

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        for stale in out_dir.glob(".*.tmp"):
            stale.unlink()
        self._temporary: dict[str, Path] = {}
        self._streams: dict[str, IO[str]] = {}
        for name in self.NAMES:
            handle, temporary = tempfile.mkstemp(dir=out_dir, prefix=f".{name}.", suffix=".tmp")
            self._temporary[name] = Path(temporary)
            self._streams[name] = os.fdopen(handle, "w", encoding="utf-8", newline="")
        self._streams["mentions.csv"].write(",".join(CSV_COLUMNS) + "\n")
        self._streams["aliases.csv"].write(",".join(ALIAS_COLUMNS) + "\n")
        self.articles = 0
        self.counts: Counter[str] = Counter()

    def add(self, extractions: Sequence[Extraction]) -> None:
        """Append a batch of extractions, in order."""
        records = [extraction.record for extraction in extractions]
        for record in records:
            self._streams["mentions.jsonl"].write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            self.counts.update(span["label"] for span in record["spans"] if span.get("scored", True))
        mention_rows(records).to_csv(self._streams["mentions.csv"], header=False, index=False, lineterminator="\n")
        aliases = [alias for extraction in extractions for alias in extraction.aliases]
        frame = pd.DataFrame(aliases, columns=list(ALIAS_COLUMNS), dtype=object)
        frame.to_csv(self._streams["aliases.csv"], header=False, index=False, lineterminator="\n")
        self.articles += len(records)

    def commit(self, manifest: dict[str, Any], skipped: Sequence[Skipped]) -> dict[str, Any]:
        """Close the files, move them into place, and write the manifest last; return it."""
        for stream in self._streams.values():
            stream.close()
        for name, temporary in self._temporary.items():
            os.replace(temporary, self.out_dir / name)
        manifest = {
            **manifest,
            "articles": self.articles,
            "spans_per_label": {label: self.counts.get(label, 0) for label in SCORED_LABELS},
            "skipped": [{"path": item.path, "reason": item.reason} for item in skipped],
        }
        write_atomically(
            self.out_dir / "manifest.json",
            lambda stream: stream.write(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"),
        )
        return manifest

    def abort(self) -> None:
        """Drop the temporary files; the previous outputs stay as they were."""
        for stream in self._streams.values():
            stream.close()
        for temporary in self._temporary.values():
            temporary.unlink(missing_ok=True)


def write_outputs(
    records: list[dict[str, Any]],
    skipped: list[Skipped],
    out_dir: Path,
    manifest: dict[str, Any],
    aliases: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Write all datasets for records already in memory, in the order given; return the manifest."""
    by_doc: dict[str, list[dict[str, Any]]] = {}
    for alias in aliases or []:
        by_doc.setdefault(alias["doc_id"], []).append(alias)
    writer = DatasetWriter(out_dir)
    try:
        writer.add([Extraction(record, by_doc.get(record["meta"]["id"], [])) for record in records])
    except BaseException:
        writer.abort()
        raise
    return writer.commit(manifest, skipped)
