"""The incremental cache: one rendered article per entry, keyed on everything that could change it.

The key is the sha256 of the article (text and metadata) together with a fingerprint of the
run: the pattern files' digests, the model and its version, spaCy's and the tool's versions.
An unchanged article is read back instead of processed; a changed pattern file changes every
key, so everything is redone. An entry is a JSON header line (counts and the sizes of the
parts) followed by the article's exact text in each dataset, so reading it back parses no
record.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .export import write_atomically
from .records import Rendered
from .types import Article


def validation_marker(cache_dir: Path, digest: str) -> Path:
    """The file whose presence says: pattern files with this digest passed validation under this spaCy."""
    return cache_dir / "validated" / digest


def run_fingerprint(parts: dict[str, str]) -> str:
    """A digest of what, besides the article, decides an extraction."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()


class ExtractionCache:
    """Rendered articles on disk under `directory`, two levels deep by key."""

    def __init__(self, directory: Path, fingerprint: str) -> None:
        self.directory = directory
        self.fingerprint = fingerprint

    def key(self, article: Article) -> str:
        """The cache key of one article under this run's fingerprint."""
        payload = json.dumps({"text": article.text, "meta": article.meta}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(f"{self.fingerprint}\n{payload}".encode()).hexdigest()

    def _path(self, article: Article) -> Path:
        key = self.key(article)
        return self.directory / key[:2] / f"{key}.entry"

    def get(self, article: Article) -> Rendered | None:
        """The stored rendering of this article, or None (a damaged entry counts as missing)."""
        try:
            header, body = self._path(article).read_text(encoding="utf-8").split("\n", 1)
            meta = json.loads(header)
            first, second, third = meta["sizes"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if len(body) != first + second + third:
            return None
        return Rendered(body[:first], body[first : first + second], body[first + second :], meta["counts"])

    def put(self, article: Article, rendered: Rendered) -> None:
        """Store a rendering atomically, so a killed run never leaves half an entry."""
        sizes = [len(rendered.jsonl), len(rendered.csv), len(rendered.aliases)]
        header = json.dumps({"sizes": sizes, "counts": rendered.counts}, sort_keys=True)
        text = f"{header}\n{rendered.jsonl}{rendered.csv}{rendered.aliases}"
        write_atomically(self._path(article), lambda stream: stream.write(text))
