"""The incremental cache: one rendered article per entry, keyed on everything that could change it.

The key is the sha256 of the article (text and metadata) together with a fingerprint of the
run: the pattern files' digests, the model and its version, spaCy's and the tool's versions,
a digest of the tool's own source (`code_digest`) and the entry format (`CACHE_FORMAT`). An
unchanged article is read back instead of processed; a changed pattern file or an edited
module changes every key, so everything is redone.

An entry is a JSON header line (the format, the counts, the acronym definitions, the byte size
of the body and its sha256) followed by the article's exact line of `mentions.jsonl`, so
reading it back parses no record. An entry whose header or checksum does not hold (a flipped
byte, a truncated write by another tool, a folder in its place) counts as missing: the
article is extracted again and its entry written anew, never served.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from .export import write_atomically
from .records import ALIAS_COLUMNS, Rendered
from .types import Article

# Raise it whenever the layout of an entry changes: older entries then simply stop matching.
CACHE_FORMAT = 4
_SHA256 = re.compile(r"[0-9a-f]{64}")


def validation_marker(cache_dir: Path, digest: str) -> Path:
    """The file whose presence says: pattern files with this digest passed validation under this spaCy."""
    return cache_dir / "validated" / digest


def run_fingerprint(parts: dict[str, str]) -> str:
    """A digest of what, besides the article, decides an extraction."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()


def code_digest(package: str = "pipeline") -> str:
    """The sha256 of every `.py` file of the installed `package`, with its name relative to the package.

    The files are found through the package itself (an editable clone, an installed wheel, or
    a copy on `PYTHONPATH`), so any edit to the code that runs changes the digest; they are read
    in sorted order, so the digest does not depend on the file system.
    """
    digest = hashlib.sha256()
    for name, source in sorted(_python_files(resources.files(package), "")):
        digest.update(f"{name}\0{hashlib.sha256(source.read_bytes()).hexdigest()}\n".encode())
    return digest.hexdigest()


def _python_files(folder: Traversable, prefix: str) -> list[tuple[str, Traversable]]:
    """Every `.py` file under `folder`, with its path relative to the package, subpackages included."""
    found = []
    for item in folder.iterdir():
        if item.is_dir():
            if item.name != "__pycache__":
                found += _python_files(item, f"{prefix}{item.name}/")
        elif item.name.endswith(".py"):
            found.append((f"{prefix}{item.name}", item))
    return found


class ExtractionCache:
    """Rendered articles on disk under `directory`, two levels deep by key."""

    def __init__(self, directory: Path, fingerprint: str) -> None:
        self.directory = directory
        self.fingerprint = fingerprint

    def key(self, article: Article) -> str:
        """The cache key of one article under this run's fingerprint."""
        content: dict[str, Any] = {"text": article.text, "meta": article.meta}
        if article.raw is not None:  # a web page or a PDF before conversion: its bytes decide its text
            content.update(sha256=article.sha256, format=article.format)
        payload = json.dumps(content, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(f"{self.fingerprint}\n{payload}".encode()).hexdigest()

    def _path(self, article: Article) -> Path:
        key = self.key(article)
        return self.directory / key[:2] / f"{key}.entry"

    def get(self, article: Article) -> Rendered | None:
        """The stored rendering of this article, or None when there is none or it is damaged."""
        try:
            # O_NONBLOCK: a FIFO put where an entry goes must not hang the run; only a plain file is read.
            handle = os.open(self._path(article), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:  # missing, unreadable, a link, or a bucket that is a file
            return None
        try:
            if not stat.S_ISREG(os.fstat(handle).st_mode):  # a folder, a FIFO, a device
                return None
            with os.fdopen(handle, "rb", closefd=False) as stream:
                data = stream.read()
        except OSError:
            return None
        finally:
            os.close(handle)
        return _decode(data)

    def put(self, article: Article, rendered: Rendered) -> None:
        """Store a rendering atomically, so a killed run never leaves half an entry."""
        body = rendered.jsonl.encode("utf-8")
        header = {
            "format": CACHE_FORMAT,
            "size": len(body),
            "definitions": rendered.definitions,
            "counts": rendered.counts,
            "meta": rendered.meta,
            "words": rendered.words,
            "characters": rendered.characters,
            "sha256": hashlib.sha256(body).hexdigest(),
        }
        text = json.dumps(header, sort_keys=True, ensure_ascii=False) + "\n" + body.decode("utf-8")
        path = self._path(article)
        _make_room(path)
        write_atomically(path, lambda stream: stream.write(text))


def _decode(data: bytes) -> Rendered | None:
    """The rendering an entry holds, or None unless its header is well formed and its checksum matches."""
    header_bytes, newline, body = data.partition(b"\n")
    if not newline:
        return None
    try:
        header = json.loads(header_bytes)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested beyond the parser
        return None
    if not _valid_header(header) or len(body) != header["size"]:
        return None
    if hashlib.sha256(body).hexdigest() != header["sha256"]:
        return None
    try:
        jsonl = body.decode("utf-8")
    except UnicodeDecodeError:  # written by something else than `put`
        return None
    return Rendered(
        jsonl, header["definitions"], header["counts"], header["meta"], header["words"], header["characters"]
    )


def _valid_header(header: Any) -> bool:
    """Whether a parsed header has this format's fields, with the right types and plausible values."""

    def count(value: Any) -> bool:
        return type(value) is int and value >= 0  # bool is an int subclass; a size is never one

    return (
        isinstance(header, dict)
        and header.get("format") == CACHE_FORMAT
        and count(header.get("size"))
        and isinstance(header.get("definitions"), list)
        and all(_is_definition(row) for row in header["definitions"])
        and isinstance(header.get("counts"), dict)
        and all(isinstance(label, str) and count(value) for label, value in header["counts"].items())
        and isinstance(header.get("meta"), dict)
        and count(header.get("words"))
        and count(header.get("characters"))
        and isinstance(header.get("sha256"), str)
        and _SHA256.fullmatch(header["sha256"]) is not None
    )


def _is_definition(row: Any) -> bool:
    """Whether a row of the header's `definitions` is (short, long, label, mentions)."""
    return (
        isinstance(row, list)
        and len(row) == len(ALIAS_COLUMNS) - 1
        and all(isinstance(cell, str) for cell in row[:3])
        and type(row[3]) is int
    )


def _make_room(path: Path) -> None:
    """Remove what damage left where an entry goes (a file in place of its folder, a folder in place of it).

    A damaged entry that is still a file needs nothing: the atomic rename replaces it.
    """
    if (path.parent.exists() or path.parent.is_symlink()) and not path.parent.is_dir():
        path.parent.unlink()
    elif path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
