"""Articles and gold annotations in: which files a run reads, in which order, each by its reader.

The readers (`pipeline.readers`, one per format) turn a file into articles; this module
expands paths, folders and globs into files, streams their articles, refuses repeated ids
and applies a metadata sheet. Gold files are JSONL in the mentions schema with `spans`.
Messages name every file by its absolute path (`errors.shown_path`).
"""

from __future__ import annotations

import glob
import hashlib
import io
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, cast

from .errors import ArticleError, GoldError, Messages, shown_path
from .readers import MAX_ARTICLE_CHARACTERS, formats_text, pending_article, reader_for
from .readers.base import read_bytes, skip
from .readers.jsonl import decoded_lines, read_jsonl_file, read_jsonl_lines
from .readers.sheet import MetadataSheet
from .readers.text import read_text_file, text_article_id
from .spans import nesting_problem
from .types import SCORED_LABELS, Article, Skipped

__all__ = ["MAX_ARTICLE_CHARACTERS", "MetadataSheet", "Selection"]


STDIN = "-"
GLOB_CHARACTERS = set("*?[")
# How Python reads the bytes of a file name that are not UTF-8 (PEP 383).
_SURROGATE_ESCAPE = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True)
class Selection:
    """How folders are expanded into article files.

    A symbolic link inside a folder that resolves outside it is skipped with a reason unless
    `follow_symlinks` (a folder of links is then read, and links to folders are descended);
    paths named on the command line are read as given. Nothing under `exclude` (the run's own
    output and cache folders) is read from a folder, so outputs are never read back as input.
    """

    follow_symlinks: bool = False
    exclude: tuple[Path, ...] = ()


def iter_input_files(paths: Iterable[Path], selection: Selection = Selection()) -> Iterator[Path | Skipped]:
    """Expand files, folders (recursively) and glob patterns into article files, each sorted.

    `-` passes through (JSONL on standard input); a path that matches nothing is a `Skipped`,
    and so is a file whose name is not valid UTF-8 (no dataset could name it). A file reached
    twice (`corpus corpus/a.md`) is read once, where it first comes.
    """
    seen: set[Path] = set()
    for item in _expanded(paths, selection):
        if isinstance(item, Skipped) or str(item) == STDIN:
            yield item
            continue
        if _SURROGATE_ESCAPE.search(str(item)):
            yield Skipped(shown_path(item), Messages.A027.format(path=shown_path(item)))
            continue
        real = item.resolve()
        if real not in seen:
            seen.add(real)
            yield item


def _expanded(paths: Iterable[Path], selection: Selection) -> Iterator[Path | Skipped]:
    for path in paths:
        if str(path) == STDIN:
            yield path
        elif path.is_symlink() and not path.exists():
            yield Skipped(str(path), Messages.A013.format(path=shown_path(path)))
        elif path.is_dir():
            yield from _folder_files(path, selection)
        elif path.is_file():
            yield path
        elif GLOB_CHARACTERS & set(str(path)):
            matches = sorted(Path(p) for p in glob.glob(str(path), recursive=True))
            files = [p for p in matches if p.is_file() and reader_for(p) is not None]
            if not files:
                yield Skipped(str(path), Messages.A010.format(pattern=shown_path(path), formats=formats_text()))
            yield from files
        else:
            yield Skipped(str(path), Messages.A001.format(path=shown_path(path)))


def _folder_files(folder: Path, selection: Selection) -> list[Path | Skipped]:
    """The article files under `folder` in path order, and the links that were not followed, each with its reason."""
    root = folder.resolve()
    excluded = [path.resolve() for path in selection.exclude]
    found: list[Path | Skipped] = []
    visited: set[Path] = set()
    for directory, folders, names in os.walk(folder, followlinks=selection.follow_symlinks):
        here = Path(directory)
        real = here.resolve()
        if real in visited or any(real.is_relative_to(path) for path in excluded):
            folders.clear()  # a loop of links, or the run's own outputs
            continue
        visited.add(real)
        links = [here / name for name in folders if (here / name).is_symlink()] if not selection.follow_symlinks else []
        for path in [here / name for name in names] + links:
            if path in links or reader_for(path) is not None:
                found.extend(_folder_entry(path, root, selection))
    return sorted(found, key=lambda item: Path(item.path) if isinstance(item, Skipped) else item)


def _folder_entry(path: Path, root: Path, selection: Selection) -> list[Path | Skipped]:
    if not path.is_symlink():
        return [path] if path.is_file() else []
    if not path.exists():
        return [Skipped(shown_path(path), Messages.A013.format(path=shown_path(path)))]
    target = path.resolve()
    if selection.follow_symlinks or (target.is_relative_to(root) and target.is_file()):
        return [path] if path.is_file() else []
    if target.is_relative_to(root):
        return []  # a link to a folder inside: its files are read where they are
    return [Skipped(shown_path(path), Messages.A028.format(path=shown_path(path), target=shown_path(target)))]


def count_input_files(paths: Iterable[Path], selection: Selection = Selection()) -> int | None:
    """How many files a run over `paths` will read (None when it reads standard input): enough for an ETA."""
    files = list(iter_input_files(paths, selection))
    if any(str(item) == STDIN for item in files):
        return None
    return sum(1 for item in files if isinstance(item, Path))


def iter_articles(
    paths: Iterable[Path],
    stdin: IO[bytes] | None = None,
    *,
    encoding: str | None = None,
    max_length: int | None = None,
    sheet: MetadataSheet | None = None,
    selection: Selection = Selection(),
) -> Iterator[Article | Skipped]:
    """Read articles one at a time, in input order; a bad input is a `Skipped`, never an exception.

    Nothing is held beyond the file being read, so a corpus of any size streams through.
    `encoding` decodes files that are not UTF-8 (a byte-order mark always wins); an article
    longer than `max_length` characters is refused rather than handed to spaCy. A web page or
    a PDF comes as a pending article (its bytes, for a worker to convert: `readers.convert`).
    `sheet` overrides the metadata of the files it has a row for; `selection` says how folders
    are expanded.
    """
    for item in iter_input_files(paths, selection):
        if isinstance(item, Skipped):
            yield item
            continue
        found = _read_stdin(stdin, encoding) if str(item) == STDIN else _read_file(item, encoding, sheet)
        for article in found:
            if isinstance(article, Article) and max_length is not None and len(article.text) > max_length:
                message = Messages.A011.format(
                    path=shown_path(article.where), length=len(article.text), limit=max_length
                )
                yield Skipped(article.where, message)
            else:
                yield article


def find_duplicate_ids(
    paths: Iterable[Path],
    *,
    encoding: str | None = None,
    sheet: MetadataSheet | None = None,
    selection: Selection = Selection(),
) -> list[str]:
    """Messages for every article id that appears more than once under `paths`, naming both places.

    A pass over the ids alone, so that a run can refuse duplicates before any work: a `.txt` or
    `.md` file is read only up to the first line of its body (the front matter, or the file
    name, decides its id), a `.jsonl` file line by line; a web page or a PDF is not read (its
    id is its file name, or the metadata sheet's `id`). An input that this much reading shows
    the run will skip has no id; a problem further into a file is left to the run. Standard
    input is not read here (it can be read only once): the run refuses a repeated id there.
    """
    seen: dict[str, str] = {}
    problems = []
    for doc_id, where in _article_ids([path for path in paths if str(path) != STDIN], encoding, sheet, selection):
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


def _article_ids(
    paths: Iterable[Path], encoding: str | None, sheet: MetadataSheet | None, selection: Selection
) -> Iterator[tuple[str, str]]:
    """The id of every article under `paths` and where it was read, reading only what decides the id."""
    for item in iter_input_files(paths, selection):
        if isinstance(item, Skipped):
            continue
        reader = reader_for(item)
        sheet_id = sheet.peek(item).get("id") if sheet is not None else None
        if reader is None:
            continue
        if reader.name == "jsonl":
            for article in _read_file(item, encoding):
                if isinstance(article, Article):
                    yield article.id, article.where
        elif sheet_id:
            yield str(sheet_id), str(item)
        elif reader.name == "text":
            doc_id = text_article_id(item, encoding)
            if doc_id is not None:
                yield doc_id, str(item)
        else:
            yield pending_article(item, b"", reader, {}).id, str(item)


def _read_stdin(stdin: IO[bytes] | None, encoding: str | None) -> Iterator[Article | Skipped]:
    """JSONL articles on `stdin` (None: the process's standard input), read as bytes so that `encoding` applies."""
    where = Path("<stdin>")
    if stdin is None:
        if sys.stdin is None:  # the process was started with standard input closed (`<&-`)
            yield skip(ArticleError(str(where), Messages.A024.format(path=where)))
            return
        stdin = sys.stdin.buffer
    stream = stdin if isinstance(stdin, io.BufferedReader) else io.BufferedReader(cast(io.RawIOBase, stdin))
    yield from read_jsonl_lines(where, decoded_lines(where, stream, encoding))


def _read_file(
    path: Path, encoding: str | None = None, sheet: MetadataSheet | None = None
) -> Iterator[Article | Skipped]:
    try:
        reader = reader_for(path)
        if reader is None:
            message = Messages.A008.format(path=shown_path(path), suffix=path.suffix, formats=formats_text())
            raise ArticleError(str(path), message)
        sheet_meta: dict[str, Any] = {}
        if sheet is not None and reader.name != "jsonl":
            sheet_meta, problem = sheet.meta_for(path)
            if problem is not None:
                raise ArticleError(str(path), problem)
        if reader.name == "jsonl":
            yield from read_jsonl_file(path, encoding)
            return
        raw = read_bytes(path)
        if reader.name == "text":
            article = read_text_file(path, raw, encoding, sheet_meta)
            yield replace(article, sha256=hashlib.sha256(raw).hexdigest())
        else:
            if "date" in sheet_meta:
                sheet_meta = {**sheet_meta, "date_source": "metadata-file"}
            yield pending_article(path, raw, reader, sheet_meta)
    except ArticleError as error:
        yield skip(error)


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
    except (ValueError, RecursionError) as error:  # a number beyond Python's digits, nesting beyond its stack
        raise fail("numbers or nesting beyond what JSON readers take; write one JSON object per line") from error
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        raise fail("expected an object with `text`, `meta` and `spans`")
    if not isinstance(record.get("meta"), dict) or "id" not in record["meta"]:
        raise fail("`meta.id` is missing; give the record an id")
    spans = record.get("spans") or []
    if not isinstance(spans, list) or not all(isinstance(span, dict) for span in spans):
        raise fail('`spans` must be a list of objects like {"start": 0, "end": 3, "label": "ORG", "text": "..."}')
    text = record["text"]
    for span in spans:
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
    relations = record.get("relations", [])
    if not isinstance(relations, list) or not all(_is_relation(relation) for relation in relations):
        raise fail(
            '`relations` must be a list of objects like {"head_span": {"start": 0, "end": 3, "label": "MONEY"}, '
            '"child_span": {...}, "label": "FUNDER"}'
        )
    record["spans"] = [span for span in record.get("spans") or [] if span.get("label") in SCORED_LABELS]
    if check_nesting:
        problem = nesting_problem(record["spans"])
        if problem:
            raise fail(problem[1])
    return record


def _is_relation(relation: Any) -> bool:
    """Whether `relation` has the guideline's shape: a label and two spans given by offsets and label."""
    if not isinstance(relation, dict) or not isinstance(relation.get("label"), str):
        return False
    return all(
        isinstance(span, dict)
        and isinstance(span.get("start"), int)
        and isinstance(span.get("end"), int)
        and isinstance(span.get("label"), str)
        for span in (relation.get("head_span"), relation.get("child_span"))
    )
