"""Text and Markdown articles: UTF-8 (or a named codec), optionally opened by YAML front matter between `---` lines.

Offsets always refer to the body after the front matter; its keys are the article's metadata
(`date_source: front-matter`).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import Any

import yaml

from .. import yamlio
from ..errors import ArticleError, Messages, shown_path
from ..types import Article
from . import formats_text
from .base import MAX_META_DEPTH, MAX_META_VALUES, article_id, check_date, make_article, meta_problem, with_date_source

FRONT_MATTER_FENCE = "---"
# A line that opens a YAML mapping: what tells front matter left unclosed from a Markdown rule opening the body.
_KEY_LINE = re.compile(r"[\w\"'][^:]*:(\s|$)")


def read_text_file(path: Path, raw: bytes, encoding: str | None, sheet_meta: dict[str, Any]) -> Article:
    """The article of a `.txt` or `.md` file's bytes; `sheet_meta` (a metadata sheet's row) overrides its front matter.

    Raises:
        ArticleError: on bytes that do not decode, broken front matter, no text or a bad date.
    """
    text = decode(path, raw, encoding)
    meta, body = split_front_matter(text, path)
    meta = with_date_source(meta, "front-matter")
    if sheet_meta:
        meta = {**meta, **sheet_meta}
        if "date" in sheet_meta:
            meta["date_source"] = "metadata-file"
    return make_article(body, meta, path, default_id=path.stem, date_line=_key_line(text, "date"))


def text_article_id(path: Path, encoding: str | None) -> str | None:
    """The id of a `.txt` or `.md` article, read no further than the first line of its body.

    None when what was read already makes the reader skip the file (bytes that do not
    decode, broken front matter, no text, a bad date).
    """
    try:
        with path.open("rb") as handle:
            codec = bom_codec(handle.read(4)) or encoding or "utf-8"
            handle.seek(0)
            lines = _logical_lines(io.TextIOWrapper(handle, encoding=codec, newline=""))
            first = next(lines, "")
            header, body = "", [first]
            if first.rstrip("\r\n") == FRONT_MATTER_FENCE:
                header_lines = [first]
                for line in lines:
                    header_lines.append(line)
                    if line.rstrip("\r\n") == FRONT_MATTER_FENCE:
                        break
                header, body = "".join(header_lines), []
            meta, _ = split_front_matter(header, path)
            # `any` stops at the first line with text: the rest of the body is never decoded.
            if not any(line.strip() for line in chain(body, lines)):
                return None
            check_date(meta, path, _key_line(header, "date"), str(path))
    except (OSError, UnicodeDecodeError, LookupError, ArticleError):
        return None
    return article_id(meta, path.stem)


def split_front_matter(text: str, path: Path | str = "<text>") -> tuple[dict[str, Any], str]:
    """Split an article into its front-matter mapping and its body.

    >>> split_front_matter("---\\nid: a1\\ndate: 2021-07-01\\n---\\nBody.")
    ({'id': 'a1', 'date': '2021-07-01'}, 'Body.')
    >>> split_front_matter("No front matter.")
    ({}, 'No front matter.')
    >>> split_front_matter("---\\n\\nA Markdown rule opens this body.")
    ({}, '---\\n\\nA Markdown rule opens this body.')

    A `---` first line that nothing closes opens front matter left unclosed when the next
    line reads like a `key:` line, and is a Markdown rule otherwise.

    Raises:
        ArticleError: when the front matter is never closed, is not a YAML mapping, is too
            large or deep, or holds values metadata cannot (see `base.meta_problem`).
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n") != FRONT_MATTER_FENCE:
        return {}, text
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n") == FRONT_MATTER_FENCE:
            header = "".join(lines[1:index])
            body = "".join(lines[index + 1 :])
            break
    else:
        if len(lines) > 1 and _KEY_LINE.match(lines[1]):
            raise ArticleError(str(path), Messages.A004.format(path=shown_path(path)))
        return {}, text
    try:
        meta = yamlio.load_bounded(header, max_values=MAX_META_VALUES, max_depth=MAX_META_DEPTH) or {}
    except (yaml.YAMLError, ValueError) as error:
        # PyYAML reads `2021-13-45` as a timestamp and raises ValueError, not YAMLError.
        raise ArticleError(str(path), Messages.A005.format(path=shown_path(path), problem=error)) from error
    if not isinstance(meta, dict):
        problem = f"got {type(meta).__name__}"
        raise ArticleError(str(path), Messages.A005.format(path=shown_path(path), problem=problem))
    meta = {key: _plain(value) for key, value in meta.items()}
    refusal = meta_problem(meta)
    if refusal is not None:
        raise ArticleError(str(path), Messages.A023.format(path=shown_path(path), problem=refusal))
    return meta, body


def decode(path: Path, raw: bytes, encoding: str | None = None) -> str:
    """Text from bytes: a byte-order mark decides (UTF-8 or UTF-16, mark removed), else `encoding`, else UTF-8.

    Bytes with a NUL and no byte-order mark are not text (an image, a PDF, a zip).

    Raises:
        ArticleError: on a NUL byte, bytes the codec cannot decode, or an unknown codec.
    """
    codec = bom_codec(raw)
    if codec is None and b"\x00" in raw:
        message = Messages.A014.format(path=shown_path(path), offset=raw.index(b"\x00"), formats=formats_text())
        raise ArticleError(str(path), message)
    return _decode_as(path, raw, codec or encoding or "utf-8")


def bom_codec(raw: bytes) -> str | None:
    """The codec a byte-order mark at the start of `raw` names (it removes the mark), or None."""
    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    return None


def _decode_as(path: Path, raw: bytes, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as error:
        if encoding == "utf-8":
            raise ArticleError(str(path), Messages.A003.format(path=shown_path(path), offset=error.start)) from error
        message = Messages.A015.format(path=shown_path(path), encoding=encoding, offset=error.start)
        raise ArticleError(str(path), message) from error
    except LookupError as error:
        raise ArticleError(str(path), Messages.A016.format(path=shown_path(path), encoding=encoding)) from error


def _logical_lines(stream: Iterable[str]) -> Iterator[str]:
    """The lines `str.splitlines(keepends=True)` gives, read lazily from a stream opened with `newline=""`."""
    for line in stream:
        yield from line.splitlines(keepends=True)


def _key_line(text: str, key: str) -> int:
    """1-based line of `key:` in the front matter (the article's first line if absent)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return number
    return 1


def _plain(value: Any) -> Any:
    """YAML reads `2021-07-01` as a date; metadata stays JSON-ready strings."""
    return value.isoformat() if isinstance(value, dt.date) else value
