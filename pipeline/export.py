"""Write the datasets: `mentions.jsonl`, `mentions.csv`, `aliases.csv`, `articles.csv`, `manifest.json`, atomically."""

from __future__ import annotations

import functools
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import IO, Any

from .errors import Messages, PolicyExtractError, printable, shown_path
from .records import ALIAS_COLUMNS, ARTICLE_COLUMNS, CSV_COLUMNS, Extraction, Rendered, article_row, csv_lines, render
from .types import SCORED_LABELS, Skipped

# Temporary files carry a prefix only this tool uses, so cleaning up never touches a user's `*.tmp`.
TEMPORARY_PREFIX = ".policy-extract-"
TEMPORARY_SUFFIX = ".tmp"


def write_atomically(path: Path, write: Callable[[IO[str]], object]) -> None:
    """Write through a temporary file in the same folder, then rename, so no reader sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = temporary_file(path.parent, path.name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            write(stream)
        os.replace(temporary, path)
    except BaseException:
        remove_quietly(temporary)
        raise


def temporary_file(folder: Path, name: str) -> tuple[int, Path]:
    """A new temporary file in `folder` for the file `name`, with the mode any new file gets there.

    `mkstemp` makes it readable by its owner only; the datasets are ordinary files, so the
    mode is set from the umask as `open` would.
    """
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f"{TEMPORARY_PREFIX}{name}.", suffix=TEMPORARY_SUFFIX)
    os.fchmod(handle, 0o666 & ~_umask())
    return handle, Path(temporary)


def remove_temporary_files(folder: Path) -> None:
    """Remove what runs killed before their end left in `folder`: this tool's temporary files only."""
    for stale in folder.glob(f"{TEMPORARY_PREFIX}*{TEMPORARY_SUFFIX}"):
        remove_quietly(stale)


def remove_quietly(path: Path) -> None:
    """Remove a temporary file, trying twice; one left behind is removed by the next run in the folder."""
    for _ in range(2):
        try:
            path.unlink(missing_ok=True)
            return
        except OSError:
            continue


@functools.cache
def _umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it: put it straight back
    os.umask(mask)
    return mask


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
        remove_temporary_files(out_dir)
        self._temporary: dict[str, Path] = {}
        self._streams: dict[str, IO[str]] = {}
        for name in self.NAMES:
            handle, temporary = temporary_file(out_dir, name)
            self._temporary[name] = temporary
            self._streams[name] = os.fdopen(handle, "w", encoding="utf-8", newline="")
        self._streams["mentions.csv"].write(",".join(CSV_COLUMNS) + "\n")
        self._streams["aliases.csv"].write(",".join(ALIAS_COLUMNS) + "\n")
        self._streams["articles.csv"].write(",".join(ARTICLE_COLUMNS) + "\n")
        self.articles = 0
        self.counts: Counter[str] = Counter()

    def add(self, rendered: Sequence[Rendered], origins: Sequence[tuple[str, str, str]]) -> None:
        """Append rendered articles, in order, each with its origin: (input path, its sha256, its reader)."""
        for article, (path, sha256, reader) in zip(rendered, origins, strict=True):
            self._streams["mentions.jsonl"].write(article.jsonl)
            self._streams["mentions.csv"].write(article.csv)
            self._streams["aliases.csv"].write(article.aliases)
            row = article_row(article, path=path, sha256=sha256, reader=reader)
            self._streams["articles.csv"].write(csv_lines([row])[0])
            self.counts.update(article.counts)
        self.articles += len(rendered)

    def commit(self, manifest: dict[str, Any], skipped: Sequence[Skipped]) -> dict[str, Any]:
        """Close the files and move them all into place, the manifest last; return the manifest.

        Every destination is checked before the first rename (a folder where a dataset goes
        stops the commit), so the datasets are replaced all together or not at all.

        Raises:
            PolicyExtractError: when a destination is a folder; nothing is replaced then.
            OSError: when a file cannot be written (a full disk); `abort` keeps the previous datasets.
        """
        manifest = {
            **manifest,
            "articles": self.articles,
            "spans_per_label": {label: self.counts.get(label, 0) for label in SCORED_LABELS},
            "skipped": [{"path": printable(item.path), "reason": printable(item.reason)} for item in skipped],
        }
        text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True, allow_nan=False) + "\n"
        handle, temporary = temporary_file(self.out_dir, "manifest.json")
        self._temporary["manifest.json"] = temporary
        self._streams["manifest.json"] = os.fdopen(handle, "w", encoding="utf-8", newline="")
        self._streams["manifest.json"].write(text)
        for stream in self._streams.values():
            stream.close()
        for name in self._temporary:
            destination = self.out_dir / name
            if destination.is_dir() and not destination.is_symlink():
                raise PolicyExtractError(Messages.E009.format(path=shown_path(destination)))
        for name, temporary in self._temporary.items():
            os.replace(temporary, self.out_dir / name)
        return manifest

    def abort(self) -> None:
        """Drop the temporary files; the previous outputs stay as they were."""
        for stream in self._streams.values():
            with suppress(OSError):  # the disk is full: what is left unwritten goes with the file
                stream.close()
        for temporary in self._temporary.values():
            remove_quietly(temporary)


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
