"""Articles and gold annotations in.

An article is a UTF-8 `.txt` or `.md` file, optionally opened by a YAML front matter block
between `---` lines, or one line of a `.jsonl` file with `text` and `meta`. Offsets always
refer to the body text after the front matter. Gold files are JSONL in the same schema
with `spans`. Messages name every file by its absolute path (`errors.shown_path`).
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import io
import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from itertools import chain
from pathlib import Path
from typing import Any, TextIO

import yaml

from . import yamlio
from .errors import ArticleError, GoldError, Messages, shown_path
from .spans import nesting_problem
from .types import SCORED_LABELS, Article, Skipped

ARTICLE_SUFFIXES = (".txt", ".md", ".jsonl")
TEXT_SUFFIXES = (".txt", ".md")
FRONT_MATTER_FENCE = "---"
# spaCy's default nlp.max_length: longer texts would need more memory than the parser budgets for.
MAX_ARTICLE_CHARACTERS = 1_000_000


STDIN = "-"
GLOB_CHARACTERS = set("*?[")


def iter_input_files(paths: Iterable[Path]) -> Iterator[Path | Skipped]:
    """Expand files, folders (recursively) and glob patterns into article files, each sorted.

    `-` passes through (JSONL on standard input); a path that matches nothing is a `Skipped`.
    """
    for path in paths:
        if str(path) == STDIN:
            yield path
        elif path.is_symlink() and not path.exists():
            yield Skipped(str(path), Messages.A013.format(path=shown_path(path)))
        elif path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in ARTICLE_SUFFIXES)
        elif path.is_file():
            yield path
        elif GLOB_CHARACTERS & set(str(path)):
            matches = sorted(Path(p) for p in glob.glob(str(path), recursive=True))
            files = [p for p in matches if p.is_file() and p.suffix in ARTICLE_SUFFIXES]
            if not files:
                yield Skipped(str(path), Messages.A010.format(pattern=shown_path(path)))
            yield from files
        else:
            yield Skipped(str(path), Messages.A001.format(path=shown_path(path)))


def count_input_files(paths: Iterable[Path]) -> int | None:
    """How many files a run over `paths` will read (None when it reads standard input): enough for an ETA."""
    files = list(iter_input_files(paths))
    if any(str(item) == STDIN for item in files):
        return None
    return sum(1 for item in files if isinstance(item, Path))


def iter_articles(
    paths: Iterable[Path],
    stdin: TextIO | None = None,
    *,
    encoding: str | None = None,
    max_length: int | None = None,
) -> Iterator[Article | Skipped]:
    """Read articles one at a time, in input order; a bad input is a `Skipped`, never an exception.

    Nothing is held beyond the file being read, so a corpus of any size streams through.
    `encoding` decodes files that are not UTF-8 (a byte-order mark always wins); an article
    longer than `max_length` characters is refused rather than handed to spaCy.
    """
    for item in iter_input_files(paths):
        if isinstance(item, Skipped):
            yield item
            continue
        if str(item) == STDIN:
            found = _read_jsonl_articles(Path("<stdin>"), stdin or sys.stdin)
        else:
            found = _read_file(item, encoding)
        for article in found:
            if isinstance(article, Article) and max_length is not None and len(article.text) > max_length:
                message = Messages.A011.format(
                    path=shown_path(article.where), length=len(article.text), limit=max_length
                )
                yield Skipped(article.where, message)
            else:
                yield article


def find_duplicate_ids(paths: Iterable[Path], *, encoding: str | None = None) -> list[str]:
    """Messages for every article id that appears more than once under `paths`, naming both places.

    A pass over the ids alone, so that a run can refuse duplicates before any work: a `.txt` or
    `.md` file is read only up to the first line of its body (the front matter, or the file
    name, decides its id), a `.jsonl` file line by line. An input that this much reading shows
    the run will skip has no id; a problem further into a file is left to the run. Standard
    input is not read here (it can be read only once): the run refuses a repeated id there.
    """
    seen: dict[str, str] = {}
    problems = []
    for doc_id, where in _article_ids([path for path in paths if str(path) != STDIN], encoding):
        if doc_id in seen:
            problems.append(_duplicate_message(doc_id, seen[doc_id], where))
        else:
            seen[doc_id] = where
    return problems


def read_articles(paths: Iterable[Path]) -> tuple[list[Article], list[Skipped]]:
    """Read every article under `paths` into memory (for evaluation and gold building).

    A bad line of a `.jsonl` file costs only that line. Duplicate ids are refused together:
    neither is kept, both places are named.
    """
    articles: list[Article] = []
    skipped: list[Skipped] = []
    for item in iter_articles(paths):
        if isinstance(item, Skipped):
            skipped.append(item)
        else:
            articles.append(item)
    by_id: dict[str, Article] = {}
    duplicates: set[str] = set()
    for article in articles:
        if article.id in by_id:
            duplicates.add(article.id)
            skipped.append(duplicate_id(by_id[article.id].where, article))
        else:
            by_id[article.id] = article
    kept = [article for article in articles if article.id not in duplicates]
    return kept, skipped


def duplicate_id(first_where: str, second: Article) -> Skipped:
    """The refusal of an id seen twice, naming both places."""
    return Skipped(second.where, _duplicate_message(second.id, first_where, second.where))


def _duplicate_message(doc_id: str, first_where: str, second_where: str) -> str:
    return Messages.A009.format(id=doc_id, first=shown_path(first_where), second=shown_path(second_where))


def articles_from_gold(records: Mapping[str, dict[str, Any]]) -> list[Article]:
    """The articles of gold records (as `read_gold` returns them), to run the pipeline on the gold texts."""
    return [
        Article(id=doc_id, text=record["text"], meta=record["meta"], path=record["_where"])
        for doc_id, record in records.items()
    ]


def _article_ids(paths: Iterable[Path], encoding: str | None) -> Iterator[tuple[str, str]]:
    """The id of every article under `paths` and where it was read, reading only what decides the id."""
    for item in iter_input_files(paths):
        if isinstance(item, Skipped):
            continue
        if item.suffix == ".jsonl":
            for article in _read_file(item, encoding):
                if isinstance(article, Article):
                    yield article.id, article.where
        elif item.suffix in TEXT_SUFFIXES:
            doc_id = _text_article_id(item, encoding)
            if doc_id is not None:
                yield doc_id, str(item)


def _text_article_id(path: Path, encoding: str | None) -> str | None:
    """The id of a `.txt` or `.md` article, read no further than the first line of its body.

    None when what was read already makes `_read_file` skip the file (bytes that do not
    decode, broken front matter, no text, a bad date).
    """
    try:
        with path.open("rb") as handle:
            codec = _bom_codec(handle.read(3)) or encoding or "utf-8"
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
            _check_date(meta, path, _key_line(header, "date"), str(path))
    except (OSError, UnicodeDecodeError, LookupError, ArticleError):
        return None
    return _article_id(meta, path.stem)


def _logical_lines(stream: Iterable[str]) -> Iterator[str]:
    """The lines `str.splitlines(keepends=True)` gives, read lazily from a stream opened with `newline=""`."""
    for line in stream:
        yield from line.splitlines(keepends=True)


def _skip(error: ArticleError) -> Skipped:
    return Skipped(error.path, " ".join(str(error).split()))


def _read_file(path: Path, encoding: str | None = None) -> Iterator[Article | Skipped]:
    try:
        if path.suffix not in ARTICLE_SUFFIXES:
            raise ArticleError(str(path), Messages.A008.format(path=shown_path(path), suffix=path.suffix))
        if path.suffix == ".jsonl":
            yield from _read_jsonl_articles(path, _decoded_lines(path, _read_bytes(path), encoding))
            return
        raw = _read_bytes(path)
        text = _decode(path, raw, encoding)
        meta, body = split_front_matter(text, path)
        date_line = _key_line(text, "date")
        article = _make_article(body, meta, path, default_id=path.stem, date_line=date_line)
        yield replace(article, sha256=hashlib.sha256(raw).hexdigest())
    except ArticleError as error:
        yield _skip(error)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        message = Messages.A012.format(path=shown_path(path), problem=error.strerror or error)
        raise ArticleError(str(path), message) from error


def _decoded_lines(path: Path, raw: bytes, encoding: str | None) -> Iterator[str]:
    """The lines of a JSONL file, decoded (a bad byte names its offset in the file).

    Lines end at line feeds only: a JSON string may hold U+2028, U+0085 or a form feed
    unescaped, which `str.splitlines` would cut the record at.
    """
    for line in _decode(path, raw, encoding).split("\n"):
        yield line.removesuffix("\r")


def _key_line(text: str, key: str) -> int:
    """1-based line of `key:` in the front matter (the article's first line if absent)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return number
    return 1


def _bom_codec(raw: bytes) -> str | None:
    """The codec a byte-order mark at the start of `raw` names (it removes the mark), or None."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    return None


def _decode(path: Path, raw: bytes, encoding: str | None = None) -> str:
    """Text from bytes: a byte-order mark decides (UTF-8 or UTF-16, mark removed), else `encoding`, else UTF-8.

    Bytes with a NUL and no byte-order mark are not text (an image, a PDF, a zip).
    """
    codec = _bom_codec(raw)
    if codec is None and b"\x00" in raw:
        raise ArticleError(str(path), Messages.A014.format(path=shown_path(path), offset=raw.index(b"\x00")))
    return _decode_as(path, raw, codec or encoding or "utf-8")


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


def split_front_matter(text: str, path: Path | str = "<text>") -> tuple[dict[str, Any], str]:
    """Split an article into its front-matter mapping and its body.

    >>> split_front_matter("---\\nid: a1\\ndate: 2021-07-01\\n---\\nBody.")
    ({'id': 'a1', 'date': '2021-07-01'}, 'Body.')
    >>> split_front_matter("No front matter.")
    ({}, 'No front matter.')
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
        raise ArticleError(str(path), Messages.A004.format(path=shown_path(path)))
    try:
        meta = yamlio.load(header) or {}
    except (yaml.YAMLError, ValueError) as error:
        # PyYAML reads `2021-13-45` as a timestamp and raises ValueError, not YAMLError.
        raise ArticleError(str(path), Messages.A005.format(path=shown_path(path), problem=error)) from error
    if not isinstance(meta, dict):
        problem = f"got {type(meta).__name__}"
        raise ArticleError(str(path), Messages.A005.format(path=shown_path(path), problem=problem))
    return {str(key): _plain(value) for key, value in meta.items()}, body


def _plain(value: Any) -> Any:
    """YAML reads `2021-07-01` as a date; metadata stays JSON-ready strings."""
    return value.isoformat() if isinstance(value, dt.date) else value


def _article_id(meta: dict[str, Any], default_id: str) -> str:
    """The front matter's (or JSONL `meta`'s) `id` as a string; `default_id` when it is missing or blank."""
    has_id = meta.get("id") is not None and str(meta["id"]).strip() != ""
    return str(meta["id"]) if has_id else default_id


def _check_date(meta: dict[str, Any], path: Path, line: int, where: str) -> None:
    """Refuse a `date` that is not an ISO date, naming the line it is on."""
    date = meta.get("date")
    if date is None:
        return
    try:
        dt.date.fromisoformat(str(date))
    except ValueError as error:
        problem = f"date {date!r} is not an ISO date; write it as YYYY-MM-DD"
        raise ArticleError(where, Messages.A007.format(path=shown_path(path), line=line, problem=problem)) from error


def _make_article(
    text: str,
    meta: dict[str, Any],
    path: Path,
    *,
    default_id: str,
    line: int | None = None,
    date_line: int | None = None,
) -> Article:
    where = f"{path}:{line}" if line else str(path)
    if not text.strip():
        raise ArticleError(where, Messages.A002.format(path=shown_path(where)))
    _check_date(meta, path, line or date_line or 1, where)
    meta = {**meta, "id": _article_id(meta, default_id)}
    return Article(id=meta["id"], text=text, meta=meta, path=str(path), line=line)


def _read_jsonl_articles(path: Path, lines: Iterable[str]) -> Iterator[Article | Skipped]:
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
            article = _make_article(record["text"], dict(meta), path, default_id=f"{path.stem}-{number}", line=number)
            yield replace(article, sha256=hashlib.sha256(line.encode("utf-8")).hexdigest())
        except ArticleError as error:
            yield _skip(error)
    if empty:
        yield _skip(ArticleError(str(path), Messages.A002.format(path=shown)))


def read_gold(path: Path, *, check_nesting: bool = True) -> dict[str, dict[str, Any]]:
    """Read gold (or prediction) JSONL from a file or a folder of `*.jsonl`, keyed by `meta.id`.

    `check_nesting` refuses overlaps the guideline forbids (on for gold; predictions may have
    them). Each record's `_where` names its file (absolute) and line.

    Raises:
        GoldError: on a missing path, a file that is not UTF-8, a broken line, a span outside
            the text, a span whose `text` differs from the text at its offsets, or an id that
            appears twice.
    """
    if not path.exists():
        raise GoldError(Messages.A001.format(path=shown_path(path)))
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    records: dict[str, dict[str, Any]] = {}
    for file in files:
        for number, line in enumerate(_gold_text(file).split("\n"), start=1):
            if not line.strip():
                continue
            record = _parse_gold_line(file, number, line, check_nesting)
            doc_id = record["meta"]["id"]
            if doc_id in records:
                problem = f"id {doc_id!r} seen before, in {records[doc_id]['_where']}; give each article its own id"
                raise GoldError(Messages.G001.format(path=shown_path(file), line=number, problem=problem))
            records[doc_id] = {**record, "_where": f"{shown_path(file)}:{number}"}
    return records


def _gold_text(file: Path) -> str:
    """The text of a JSONL file, to be split at line feeds only (see `_decoded_lines`)."""
    try:
        return file.read_bytes().decode("utf-8")
    except OSError as error:
        raise GoldError(Messages.A012.format(path=shown_path(file), problem=error.strerror or error)) from error
    except UnicodeDecodeError as error:
        raise GoldError(Messages.A003.format(path=shown_path(file), offset=error.start)) from error


def _parse_gold_line(file: Path, number: int, line: str, check_nesting: bool) -> dict[str, Any]:
    def fail(problem: str) -> GoldError:
        return GoldError(Messages.G001.format(path=shown_path(file), line=number, problem=problem))

    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise fail(f"not valid JSON: {error}; write one JSON object per line") from error
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        raise fail("expected an object with `text`, `meta` and `spans`")
    if not isinstance(record.get("meta"), dict) or "id" not in record["meta"]:
        raise fail("`meta.id` is missing; give the record an id")
    text = record["text"]
    for span in record.get("spans") or []:
        start, end, label = span.get("start"), span.get("end"), span.get("label")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            raise fail(f"span {start}-{end} lies outside the text (length {len(text)}); fix its offsets")
        if text[start:end] != span.get("text"):
            raise GoldError(
                Messages.G002.format(
                    path=shown_path(file),
                    line=number,
                    start=start,
                    end=end,
                    label=label,
                    text=span.get("text"),
                    actual=text[start:end],
                )
            )
    record["spans"] = [span for span in record.get("spans") or [] if span.get("label") in SCORED_LABELS]
    if check_nesting:
        problem = nesting_problem(record["spans"])
        if problem:
            raise fail(problem[1])
    return record
