"""Build gold JSONL from annotation sources, so offsets are found by code, never counted.

An annotation source (`corpus/annotations/<id>.yml`) lists surface strings with a label and,
where they apply, `norm` and `canonical`. Each entry annotates every whole-word occurrence
of its string in the article body, or the 1-based `occurrences` it lists. An occurrence
inside a longer listed span of the same label is dropped, so a short form can be listed
beside the long name that contains it.

Every ORG, INITIATIVE and EVENT span names a real-world thing, and its gold `entity` is the id
shared by all its mentions across the corpus: the entry's `entity` where it has one, else its
`canonical`, else its `text` (corpus/ENTITIES.md says when an entry needs an explicit one).
DATE and MONEY spans are values, not names: an `entity` on them is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from . import yamlio
from .corpus import read_articles
from .errors import GoldError, Messages, shown_path
from .export import write_text_atomically
from .spans import drop_contained_same_label, nesting_problem, sort_spans
from .types import SCORED_LABELS, Article, Skipped

ANNOTATION_KEYS = ("text", "label", "norm", "canonical", "entity", "occurrences")
# Labels whose spans are values (they carry a `norm`); every other scored label names an entity.
VALUE_LABELS = ("DATE", "MONEY")
NAME_LABELS = tuple(label for label in SCORED_LABELS if label not in VALUE_LABELS)


def whole_word_offsets(text: str, needle: str) -> list[int]:
    """Start offsets of `needle` in `text` where it is not glued to a letter or digit.

    >>> whole_word_offsets("DOE and DOES and (DOE)", "DOE")
    [0, 18]
    """
    pattern = re.compile(r"(?<![^\W_])" + re.escape(needle) + r"(?![^\W_])")
    return [match.start() for match in pattern.finditer(text)]


def build_gold(annotations_dir: Path, articles_dir: Path) -> tuple[list[dict[str, Any]], list[Skipped]]:
    """Compile every annotation source `annotations_dir/<id>.yml` against the article `<id>` under `articles_dir`.

    Nothing is written: a problem in any source raises before a gold file changes.

    Returns:
        The gold records, in the sources' file-name order, and the articles under
        `articles_dir` that could not be read.

    Raises:
        GoldError: when `annotations_dir` is not a folder, a source has no article of its id,
            or a source does not fit its article (the first problem, with its file and line).
    """
    if not annotations_dir.is_dir():
        raise GoldError(Messages.A001.format(path=shown_path(annotations_dir)))
    articles, skipped = read_articles([articles_dir])
    by_id = {article.id: article for article in articles}
    records = []
    for source in sorted(annotations_dir.glob("*.yml")):
        article = by_id.get(source.stem)
        if article is None:
            message = Messages.G006.format(path=shown_path(source), id=source.stem, articles=shown_path(articles_dir))
            raise GoldError(message)
        records.append(build_gold_record(article, source))
    return records, skipped


def write_gold(records: Iterable[dict[str, Any]], out_dir: Path) -> list[Path]:
    """Write each gold record to `out_dir/<id>.jsonl` (one line, keys sorted), atomically; return the files."""
    written = []
    for record in records:
        line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
        path = out_dir / f"{record['meta']['id']}.jsonl"
        write_text_atomically(path, line)
        written.append(path)
    return written


def build_gold_record(article: Article, annotation_path: Path) -> dict[str, Any]:
    """Turn one annotation source into a gold record for `article` (the JSONL schema of ANNOTATION.md).

    Raises:
        GoldError: when the source is not a YAML mapping with a `spans` list, or an entry does
            not fit the article (with the file and the entry's line).
    """
    spans: list[dict[str, Any]] = []
    for line, entry in _annotation_entries(annotation_path):
        spans.extend(_entry_spans(article, annotation_path, line, entry))
    spans = drop_contained_same_label(spans)
    problem = nesting_problem(spans)
    if problem:
        message = Messages.G001.format(path=shown_path(annotation_path), line=problem[0]["line"], problem=problem[1])
        raise GoldError(message)
    return {"text": article.text, "meta": article.meta, "spans": [_without_line(span) for span in sort_spans(spans)]}


def _annotation_entries(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """The entries of an annotation source's `spans` list, each with its 1-based line."""

    def fail(line: int, problem: str) -> GoldError:
        return GoldError(Messages.G001.format(path=shown_path(path), line=line, problem=problem))

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise GoldError(Messages.A003.format(path=shown_path(path), offset=error.start)) from error
    try:
        root = yamlio.compose(text)
        data = yamlio.load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = " ".join(str(error).split())
        raise fail(mark.line + 1 if mark else 1, f"not valid YAML: {problem}; fix the file's YAML syntax") from error
    spans = data.get("spans") if isinstance(data, dict) else None
    if root is None or not isinstance(spans, list):
        raise fail(1, "expected a mapping with a `spans` list, like `spans: [{text: DOE, label: ORG}]`")
    nodes = next(value for key, value in root.value if key.value == "spans").value
    entries = []
    for node, entry in zip(nodes, spans, strict=True):
        if not isinstance(entry, dict) or "text" not in entry:
            raise fail(node.start_mark.line + 1, "an entry must be a mapping with `text` and `label`")
        entries.append((node.start_mark.line + 1, entry))
    return entries


def _without_line(span: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in span.items() if key != "line"}


def _entry_spans(article: Article, path: Path, line: int, entry: dict[str, Any]) -> list[dict[str, Any]]:
    def fail(problem: str) -> GoldError:
        return GoldError(Messages.G001.format(path=shown_path(path), line=line, problem=problem))

    unknown = set(entry) - set(ANNOTATION_KEYS)
    if unknown:
        raise fail(f"unknown keys {sorted(unknown)}; allowed: {', '.join(ANNOTATION_KEYS)}")
    if entry.get("label") not in SCORED_LABELS:
        raise fail(f"label {entry.get('label')!r} is not one of {', '.join(SCORED_LABELS)}")
    if entry["label"] in VALUE_LABELS and "norm" not in entry:
        raise fail(f"{entry['label']} {entry['text']!r} needs a `norm`")
    if entry["label"] in VALUE_LABELS and "entity" in entry:
        raise fail(
            f"{entry['label']} {entry['text']!r} takes no `entity`; only {', '.join(NAME_LABELS)} spans name one"
        )
    if "entity" in entry and not (isinstance(entry["entity"], str) and entry["entity"].strip()):
        raise fail(f"`entity` of {entry['text']!r} must be a non-empty name, like `entity: European Union`")
    starts = whole_word_offsets(article.text, str(entry["text"]))
    if not starts:
        raise GoldError(
            Messages.G004.format(
                path=shown_path(path), line=line, text=entry["text"], label=entry["label"], article=article.id
            )
        )
    wanted = entry.get("occurrences") or list(range(1, len(starts) + 1))
    spans = []
    for occurrence in wanted:
        if not 1 <= occurrence <= len(starts):
            raise GoldError(
                Messages.G005.format(
                    path=shown_path(path), line=line, text=entry["text"], occurrence=occurrence, count=len(starts)
                )
            )
        start = starts[occurrence - 1]
        span = {
            "start": start,
            "end": start + len(entry["text"]),
            "label": entry["label"],
            "text": entry["text"],
            "line": line,
        }
        for key in ("norm", "canonical"):
            if key in entry:
                span[key] = entry[key]
        if entry["label"] in NAME_LABELS:
            span["entity"] = entry.get("entity") or entry.get("canonical") or entry["text"]
        spans.append(span)
    return spans
