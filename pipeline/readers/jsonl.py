"""JSONL articles: one JSON object a line with `text` and `meta`, the schema the outputs and the gold use.

A file (or standard input) is streamed line by line, so memory stays flat in its size, and
each line is decoded and parsed on its own: a bad byte, a broken record or a line longer than
any article can be costs only that line.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from ..errors import ArticleError, Messages, shown_path
from ..types import Article, Skipped
from .base import codec_problem, make_article, meta_problem, skip, text_problem, with_date_source
from .text import bom_codec

# One record holds one article: at most a million characters (readers.MAX_ARTICLE_CHARACTERS),
# four bytes each at worst, and its metadata. A longer line is refused without being held whole.
MAX_LINE_BYTES = 8 * 1024 * 1024
_CHUNK = 1024 * 1024

# A line of a JSONL file: its number and its text, or why it could not be decoded.
Line = tuple[int, str | ArticleError]


def read_jsonl_file(path: Path, encoding: str | None) -> Iterator[Article | Skipped]:
    """The articles of a JSONL file, streamed; a bad line costs only itself."""
    try:
        stream = path.open("rb")
    except OSError as error:
        yield skip(ArticleError(str(path), Messages.A012.format(path=shown_path(path), problem=error.strerror)))
        return
    with stream:
        yield from read_jsonl_lines(path, decoded_lines(path, stream, encoding))


def decoded_lines(path: Path | str, stream: io.BufferedReader, encoding: str | None) -> Iterator[Line]:
    """The lines of a JSONL byte stream, each decoded on its own (a bad byte names its offset in the file).

    Lines end at line feeds only: a JSON string may hold U+2028, U+0085 or a form feed
    unescaped, which `str.splitlines` would cut the record at. A byte-order mark decides the
    codec, else `encoding`, else UTF-8. A codec that does not write a line feed as the byte
    0x0A (UTF-16, UTF-32) is decoded as one stream, so there a bad byte ends the file.
    """
    shown = shown_path(path)
    given = bom_codec(stream.peek(4)[:4]) or encoding or "utf-8"
    if codec_problem(given):
        yield 0, ArticleError(str(path), Messages.A016.format(path=shown, encoding=given))
        return
    codec = codecs.lookup(given).name
    if "\n".encode(codec) != b"\n":
        yield from _wide_lines(path, stream.read(), codec)
        return
    if codec == "utf-8-sig":
        codec, offset = "utf-8", len(stream.read(3))
    else:
        offset = 0
    number = 0
    while raw := stream.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            skipped = _skip_rest_of_line(stream)
            message = Messages.A025.format(path=shown, line=number, limit=MAX_LINE_BYTES)
            yield number, ArticleError(f"{path}:{number}", message)
            offset += len(raw) + skipped
            continue
        try:
            yield number, raw.decode(codec).removesuffix("\n").removesuffix("\r")
        except UnicodeDecodeError as error:
            yield number, _undecodable(path, number, codec, offset + error.start)
        offset += len(raw)


def _wide_lines(path: Path | str, raw: bytes, codec: str) -> Iterator[Line]:
    """The lines of a file in a codec with multi-byte line feeds, decoded whole."""
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as error:
        yield 1, _undecodable(path, 1, codec, error.start)
        return
    for number, line in enumerate(text.split("\n"), start=1):
        yield number, line.removesuffix("\r")


def _skip_rest_of_line(stream: io.BufferedReader) -> int:
    """Read past the end of an over-long line, a chunk at a time; return how many bytes that was."""
    skipped = 0
    while chunk := stream.readline(_CHUNK):
        skipped += len(chunk)
        if chunk.endswith(b"\n"):
            break
    return skipped


def _undecodable(path: Path | str, number: int, codec: str, offset: int) -> ArticleError:
    where = f"{path}:{number}"
    shown = f"{shown_path(path)}, line {number}"
    if codec == "utf-8":
        return ArticleError(where, Messages.A003.format(path=shown, offset=offset))
    return ArticleError(where, Messages.A015.format(path=shown, encoding=codec, offset=offset))


def read_jsonl_lines(path: Path, lines: Iterable[Line]) -> Iterator[Article | Skipped]:
    """The articles of JSONL `lines` read from `path` (or standard input), each line checked on its own."""
    empty = True
    shown = shown_path(path)
    for number, line in lines:
        if isinstance(line, ArticleError):
            empty = False
            yield skip(line)
            continue
        if not line.strip():
            continue
        empty = False
        try:
            yield _article(path, number, line)
        except ArticleError as error:
            yield skip(error)
    if empty:
        yield skip(ArticleError(str(path), Messages.A002.format(path=shown)))


def _article(path: Path, number: int, line: str) -> Article:
    """The article of one JSONL line.

    Raises:
        ArticleError: on a line that is not a JSON object with a string `text` (numbers and
            nesting beyond the parser's limits included), or whose text or metadata no output could hold.
    """
    shown = shown_path(path)
    where = f"{path}:{number}"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise ArticleError(where, Messages.A006.format(path=shown, line=number, problem=error)) from error
    except ValueError as error:  # a number longer than Python converts (sys.get_int_max_str_digits)
        problem = "a number of more than 4,300 digits"
        raise ArticleError(where, Messages.A006.format(path=shown, line=number, problem=problem)) from error
    except RecursionError as error:
        problem = "brackets nested deeper than the parser's stack"
        raise ArticleError(where, Messages.A006.format(path=shown, line=number, problem=problem)) from error
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        problem = 'expected an object with a string `text`, like {"text": "...", "meta": {"id": "..."}}'
        raise ArticleError(where, Messages.A007.format(path=shown, line=number, problem=problem))
    meta = record.get("meta") or {}
    if not isinstance(meta, dict):
        problem = f"`meta` must be an object (of `id`, `date`, ...), got {type(meta).__name__}"
        raise ArticleError(where, Messages.A007.format(path=shown, line=number, problem=problem))
    refusal = text_problem(record["text"]) or meta_problem(meta)
    if refusal is not None:
        raise ArticleError(where, Messages.A007.format(path=shown, line=number, problem=refusal))
    meta = with_date_source(dict(meta), "front-matter")
    article = make_article(record["text"], meta, path, default_id=f"{path.stem}-{number}", line=number)
    return replace(article, sha256=hashlib.sha256(line.encode("utf-8")).hexdigest(), format="jsonl")
