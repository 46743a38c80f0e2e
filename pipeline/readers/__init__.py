"""Readers: one per input format, chosen by the file's suffix from a small registry.

Text and Markdown files (with YAML front matter) and JSONL files are read where the run
reads its inputs: their text is what the cache key needs. Web pages and PDFs are converted
in the workers (`convert`), since that is the slow part: the parent only reads their bytes,
whose digest keys the cache. Each reader gives the article text, its metadata and where each
value came from (`meta.date_source` for the date, which anchors every relative date).
"""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import ArticleError, Messages, shown_path
from ..types import Article, Skipped
from .base import check_date
from .document import DATE_SOURCES, Document

__all__ = ["DATE_SOURCES", "READERS", "Document", "Reader", "convert", "formats_text", "pending_article", "reader_for"]

# spaCy's default nlp.max_length: longer texts would need more memory than the parser budgets for.
MAX_ARTICLE_CHARACTERS = 1_000_000


@dataclass(frozen=True)
class Reader:
    """A format: its name (the `format` column of articles.csv), its suffixes, and where it is converted.

    `module` names the reader module whose `read(raw, path) -> Document` converts a file in the
    workers; the text and JSONL readers have none (the run reads them itself).
    """

    name: str
    suffixes: tuple[str, ...]
    module: str | None = None


READERS = (
    Reader("text", (".txt", ".md")),
    Reader("jsonl", (".jsonl",)),
    Reader("html", (".html", ".htm", ".html.gz", ".htm.gz"), "pipeline.readers.html"),
    Reader("pdf", (".pdf",), "pipeline.readers.pdf"),
)


def reader_for(path: Path) -> Reader | None:
    """The reader of a file by its suffix (case-insensitive; ".html.gz" counts as one suffix), or None."""
    name = path.name.lower()
    for reader in READERS:
        if any(name.endswith(suffix) for suffix in reader.suffixes):
            return reader
    return None


def formats_text() -> str:
    """The supported suffixes as a message lists them: ".txt, .md, ... or .pdf"."""
    suffixes = [suffix for reader in READERS for suffix in reader.suffixes]
    return ", ".join(suffixes[:-1]) + " or " + suffixes[-1]


def pending_article(path: Path, raw: bytes, reader: Reader, meta: dict[str, Any]) -> Article:
    """An article whose text a worker will convert from `raw`: its id (the file name's stem) and `meta` known."""
    stem = path.name[: -len(next(s for s in reader.suffixes if path.name.lower().endswith(s)))]
    meta = {"id": stem, **meta}
    return Article(
        id=str(meta["id"]),
        text="",
        meta=meta,
        path=str(path),
        sha256=hashlib.sha256(raw).hexdigest(),
        format=reader.name,
        raw=raw,
    )


def convert(article: Article) -> Article | Skipped:
    """The article of a pending web page or PDF, its text read; a bad file is a `Skipped`, never an exception.

    The file's own metadata (title, author, date, ...) comes first; what the run was given
    (a metadata sheet's row) overrides it. `meta.date_source` says where the date came from,
    `meta.meta_sources` where each value did.
    """
    if article.raw is None:
        return article
    reader = next(r for r in READERS if r.name == article.format)
    assert reader.module is not None, reader
    path = Path(article.path)
    try:
        document: Document = importlib.import_module(reader.module).read(article.raw, path)
        if not document.text.strip():
            raise ArticleError(article.where, Messages.A002.format(path=shown_path(path)))
        if len(document.text) > MAX_ARTICLE_CHARACTERS:
            message = Messages.A011.format(
                path=shown_path(path), length=len(document.text), limit=MAX_ARTICLE_CHARACTERS
            )
            raise ArticleError(article.where, message)
        meta = {**document.meta, **article.meta}
        # Where each value came from: the file (as its reader says), or the run (a metadata sheet's row).
        given = {key: "metadata-file" for key in article.meta if key not in ("id", "date_source")}
        meta["meta_sources"] = {**document.sources, **given}
        if "date" in article.meta:
            meta["date_source"] = article.meta.get("date_source", "metadata-file")
        else:
            meta["date_source"] = document.meta.get("date_source", "none") if meta.get("date") else "none"
        check_date(meta, path, 1, article.where)
    except ArticleError as error:
        return Skipped(error.path, " ".join(str(error).split()))
    return replace(article, text=document.text, meta=meta, raw=None)
