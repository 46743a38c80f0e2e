"""Write the datasets: `mentions.jsonl`, `mentions.csv`, `aliases.csv`, `articles.csv`, `manifest.json`, atomically."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from .errors import printable
from .records import ALIAS_COLUMNS, ARTICLE_COLUMNS, CSV_COLUMNS, Extraction, Rendered, article_row, render
from .types import SCORED_LABELS, Skipped


def write_atomically(path: Path, write: Callable[[IO[str]], object]) -> None:
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


def write_text_atomically(path: Path, text: str) -> None:
    """`write_atomically` for a text already in memory."""
    write_atomically(path, lambda stream: stream.write(text))


class DatasetWriter:
    """Stream the datasets into temporary files in `out_dir`; `commit` renames them into place.

    Until `commit`, readers see the previous complete files (or none); a run that fails or is
    killed leaves only hidden temporary files, which the next writer in the folder removes.
    """

    NAMES = ("mentions.jsonl", "mentions.csv", "aliases.csv", "articles.csv")

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
        self._article_rows = csv.writer(self._streams["articles.csv"], lineterminator="\n")
        self._article_rows.writerow(ARTICLE_COLUMNS)
        self.articles = 0
        self.counts: Counter[str] = Counter()

    def add(self, rendered: Sequence[Rendered], origins: Sequence[tuple[str, str, str]]) -> None:
        """Append rendered articles, in order, each with its origin: (input path, its sha256, its reader)."""
        for article, (path, sha256, reader) in zip(rendered, origins, strict=True):
            self._streams["mentions.jsonl"].write(article.jsonl)
            self._streams["mentions.csv"].write(article.csv)
            self._streams["aliases.csv"].write(article.aliases)
            self._article_rows.writerow(article_row(article, path=path, sha256=sha256, reader=reader))
            self.counts.update(article.counts)
        self.articles += len(rendered)

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
            "skipped": [{"path": printable(item.path), "reason": printable(item.reason)} for item in skipped],
        }
        text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        write_text_atomically(self.out_dir / "manifest.json", text)
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
        rendered = render([Extraction(record, by_doc.get(record["meta"]["id"], [])) for record in records])
        writer.add(rendered, [(record.get("_where", ""), "", "jsonl") for record in records])
    except BaseException:
        writer.abort()
        raise
    return writer.commit(manifest, skipped)
