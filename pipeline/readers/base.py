"""What every reader shares: reading a file's bytes, the article id, the date check, making the `Article`."""

from __future__ import annotations

import codecs
import datetime as dt
import math
import re
from pathlib import Path
from typing import Any

from ..errors import ArticleError, Messages, shown_path
from ..types import Article, Skipped

MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
# Each month by its name and the abbreviations datelines use ("Mar", "Sept").
MONTHS = {
    form: number
    for number, name in enumerate(MONTH_NAMES, start=1)
    for form in (name, name[:3], *(("sept",) if name == "september" else ()))
}


# Metadata is a small record: deeper or larger than this is a mistake or an attack, refused before any work.
MAX_META_DEPTH = 20
MAX_META_VALUES = 10_000
_SURROGATE = re.compile("[\ud800-\udfff]")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def meta_problem(meta: dict[Any, Any]) -> str | None:
    """Why `meta` cannot be an article's metadata (JSON-ready text, numbers, lists, mappings), or None.

    Refused: keys that are not text, dates below the top level (only `date` is read as one;
    the others are unquoted YAML dates), binary data, sets, NaN and infinities (strict JSON has
    neither), text with lone surrogates (not encodable as UTF-8), nesting deeper than
    `MAX_META_DEPTH` or more than `MAX_META_VALUES` values.

    >>> meta_problem({"id": "a", "tags": ["x", 1, 2.5, None, {"k": True}]}) is None
    True
    >>> meta_problem({"revisions": [{"date": dt.date(2021, 1, 1)}]})
    "revisions[0].date is an unquoted date below the top level; quote it ('2021-01-01')"
    """
    values = 0
    pending: list[tuple[str, Any, int]] = [(str(key), value, 1) for key, value in meta.items()]
    for key in meta:
        if not isinstance(key, str):
            return f"key {key!r} is not text but {type(key).__name__}; quote it"
    while pending:
        where, value, depth = pending.pop()
        values += 1
        if values > MAX_META_VALUES or depth > MAX_META_DEPTH:
            return f"more than {MAX_META_VALUES:,} values or {MAX_META_DEPTH} levels deep; metadata is a small record"
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    return f"{where}: key {key!r} is not text but {type(key).__name__}; quote it"
                pending.append((f"{where}.{key}", item, depth + 1))
        elif isinstance(value, list):
            pending.extend((f"{where}[{index}]", item, depth + 1) for index, item in enumerate(value))
        elif isinstance(value, dt.date):
            return f"{where} is an unquoted date below the top level; quote it ('{value.isoformat()}')"
        elif isinstance(value, float):
            if not math.isfinite(value):
                return f"{where} is {value}, which JSON cannot hold; write it as text or leave it out"
        elif isinstance(value, str):
            if _SURROGATE.search(value):
                return f"{where} holds a lone surrogate (not a character); fix the escape sequence"
        elif value is not None and not isinstance(value, int):
            kinds: dict[type, str] = {bytes: "binary data (!!binary)", set: "a set (!!set)"}
            kind = kinds.get(type(value), type(value).__name__)
            return f"{where} is {kind}; metadata values are text, numbers, lists or mappings"
    return None


def text_problem(text: str) -> str | None:
    """Why `text` cannot be an article's text (a lone surrogate, which no file can hold), or None."""
    found = _SURROGATE.search(text)
    return None if found is None else f"a lone surrogate at character {found.start()}; fix the escape sequence"


def codec_problem(encoding: str) -> str | None:
    """Why `encoding` cannot decode article files (no such codec, or not a text codec), or None.

    >>> codec_problem("cp1252") is None, codec_problem("utf-16") is None
    (True, True)
    >>> codec_problem("klingon"), codec_problem("rot13")
    ('no codec of that name', 'not a text encoding')
    """
    try:
        codecs.lookup(encoding)
    except LookupError:
        return "no codec of that name"
    try:
        b"x".decode(encoding)
    except LookupError:
        return "not a text encoding"
    except UnicodeDecodeError:  # a text codec that needs more than one byte (UTF-16)
        pass
    return None


def read_bytes(path: Path) -> bytes:
    """The bytes of `path`.

    Raises:
        ArticleError: when the file cannot be read (naming the system's reason).
    """
    try:
        return path.read_bytes()
    except OSError as error:
        message = Messages.A012.format(path=shown_path(path), problem=error.strerror or error)
        raise ArticleError(str(path), message) from error


def article_id(meta: dict[str, Any], default_id: str) -> str:
    """The metadata's `id` as a string; `default_id` when it is missing or blank."""
    has_id = meta.get("id") is not None and str(meta["id"]).strip() != ""
    return str(meta["id"]) if has_id else default_id


def check_date(meta: dict[str, Any], path: Path, line: int, where: str) -> None:
    """Refuse a `date` that is not an ISO date, naming the line it is on.

    Raises:
        ArticleError: when `meta["date"]` is not YYYY-MM-DD.
    """
    date = meta.get("date")
    if date is not None and not (isinstance(date, str) and is_iso_day(date)):
        problem = f"date {date!r} is not an ISO date; write it as YYYY-MM-DD"
        raise ArticleError(where, Messages.A007.format(path=shown_path(path), line=line, problem=problem))


def is_iso_day(text: str) -> bool:
    """Whether `text` is a calendar day written YYYY-MM-DD (a real one: not 2025-02-30).

    >>> is_iso_day("2021-07-01"), is_iso_day("20210701"), is_iso_day("2025-02-30")
    (True, False, False)
    """
    if not _ISO_DAY.fullmatch(text):  # `fromisoformat` also takes 20210701 and 2021-W01-1
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def with_date_source(meta: dict[str, Any], source: str) -> dict[str, Any]:
    """`meta` with `date_source`: `source` where it has a date and names none yet, else "none"."""
    if "date_source" in meta and meta.get("date") is not None:
        return meta
    return {**meta, "date_source": source if meta.get("date") is not None else "none"}


def make_article(
    text: str,
    meta: dict[str, Any],
    path: Path,
    *,
    default_id: str,
    line: int | None = None,
    date_line: int | None = None,
) -> Article:
    """The article of a body `text` and its `meta`, checked: some text, an ISO date, an id.

    Raises:
        ArticleError: on an empty body or a date that is not ISO.
    """
    where = f"{path}:{line}" if line else str(path)
    if not text.strip():
        raise ArticleError(where, Messages.A002.format(path=shown_path(where)))
    check_date(meta, path, line or date_line or 1, where)
    meta = {**meta, "id": article_id(meta, default_id)}
    return Article(id=meta["id"], text=text, meta=meta, path=str(path), line=line)


def skip(error: ArticleError) -> Skipped:
    """The one-line `Skipped` of a refused input."""
    return Skipped(error.path, " ".join(str(error).split()))
