"""JSONL articles: one JSON object a line with `text` and `meta`, the schema the outputs and the gold use."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from ..errors import ArticleError, Messages, shown_path
from ..types import Article, Skipped
from .base import make_article, skip, with_date_source
from .text import decode


def read_jsonl_file(path: Path, raw: bytes, encoding: str | None) -> Iterator[Article | Skipped]:
    """The articles of a JSONL file's bytes; a bad line costs only itself.

    Raises:
        ArticleError: when the file does not decode (no line can be trusted then).
    """
    yield from read_jsonl_lines(path, decoded_lines(path, raw, encoding))


def decoded_lines(path: Path, raw: bytes, encoding: str | None) -> Iterator[str]:
    """The lines of a JSONL file, decoded (a bad byte names its offset in the file).

    Lines end at line feeds only: a JSON string may hold U+2028, U+0085 or a form feed
    unescaped, which `str.splitlines` would cut the record at.
    """
    for line in decode(path, raw, encoding).split("\n"):
        yield line.removesuffix("\r")


def read_jsonl_lines(path: Path, lines: Iterable[str]) -> Iterator[Article | Skipped]:
    """The articles of JSONL `lines` read from `path` (or standard input), each line checked on its own."""
    empty = True
    shown = shown_path(path)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        empty = False
        where = f"{path}:{number}"
        try:
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ArticleError(where, Messages.A006.format(path=shown, line=number, problem=error)) from error
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                problem = 'expected an object with a string `text`, like {"text": "...", "meta": {"id": "..."}}'
                raise ArticleError(where, Messages.A007.format(path=shown, line=number, problem=problem))
            meta = record.get("meta") or {}
            if not isinstance(meta, dict):
                problem = f"`meta` must be an object (of `id`, `date`, ...), got {type(meta).__name__}"
                raise ArticleError(where, Messages.A007.format(path=shown, line=number, problem=problem))
            meta = with_date_source(dict(meta), "front-matter")
            article = make_article(record["text"], meta, path, default_id=f"{path.stem}-{number}", line=number)
            yield replace(article, sha256=hashlib.sha256(line.encode("utf-8")).hexdigest(), format="jsonl")
        except ArticleError as error:
            yield skip(error)
    if empty:
        yield skip(ArticleError(str(path), Messages.A002.format(path=shown)))
