"""The incremental cache: one extraction per article, keyed on everything that could change it.

The key is the sha256 of the article (text and metadata) together with a fingerprint of the
run: the pattern files' digests, the model and its version, spaCy's and the tool's versions.
An unchanged article is read back instead of processed; a changed pattern file changes every
key, so everything is redone.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .export import write_atomically
from .extract import Extraction
from .types import Article


def run_fingerprint(parts: dict[str, str]) -> str:
    """A digest of what, besides the article, decides an extraction."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()


class ExtractionCache:
    """Extractions on disk under `directory`, two levels deep by key."""

    def __init__(self, directory: Path, fingerprint: str) -> None:
        self.directory = directory
        self.fingerprint = fingerprint

    def key(self, article: Article) -> str:
        """The cache key of one article under this run's fingerprint."""
        payload = json.dumps({"text": article.text, "meta": article.meta}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(f"{self.fingerprint}\n{payload}".encode()).hexdigest()

    def _path(self, article: Article) -> Path:
        key = self.key(article)
        return self.directory / key[:2] / f"{key}.json"

    def get(self, article: Article) -> Extraction | None:
        """The stored extraction of this article, or None (a damaged entry counts as missing)."""
        path = self._path(article)
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            return Extraction(stored["record"], stored["aliases"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, article: Article, extraction: Extraction) -> None:
        """Store an extraction atomically, so a killed run never leaves half an entry."""
        payload = json.dumps({"record": extraction.record, "aliases": extraction.aliases}, ensure_ascii=False)
        write_atomically(self._path(article), lambda stream: stream.write(payload))
