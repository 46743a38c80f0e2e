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

Beside `spans`, a source may list `relations` (ANNOTATION.md, "Relations"; corpus/RELATIONS.md):
`{head: TEXT, child: TEXT, label: LABEL}`, where each text is that of a gold span of the article
and `head_occurrence` / `child_occurrence` (1-based, default 1) pick among the gold spans with
that text in text order. A source with a `relations` list, even an empty one, gives its record
`relations`; one without it gives none, so an article not yet annotated for relations cannot pass
for one that states none.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from . import yamlio
from .corpus import read_articles
from .errors import GoldError, Messages, shown_path
from .export import write_text_atomically
from .spans import (
    RELATION_SIGNATURES,
    drop_contained_same_label,
    nesting_problem,
    nests_in,
    relation_sort_key,
    sort_spans,
)
from .types import SCORED_LABELS, Article, Skipped

ANNOTATION_KEYS = ("text", "label", "norm", "canonical", "entity", "occurrences")
RELATION_KEYS = ("head", "child", "label", "head_occurrence", "child_occurrence")
# Labels whose spans are values (they carry a `norm`); every other scored label names an entity.
VALUE_LABELS = ("DATE", "MONEY")
NAME_LABELS = tuple(label for label in SCORED_LABELS if label not in VALUE_LABELS)
# A sentence ends where `.`, `!` or `?` is followed by white space and a capital, or at a blank line.
# Deliberately simple: a stop inside a gold span ("U.S. Department of Energy") is no end, but an
# abbreviation before a capital elsewhere ("the U.S. Treasury") is, and an end hidden behind a
# closing quote ('said." The') is not; corpus/RELATIONS.md says so.
SENTENCE_END = re.compile(r"[.!?]\s+(?P<next>\w)|\n[^\S\n]*\n")


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
    span_entries, relation_entries = _annotation_entries(annotation_path)
    spans: list[dict[str, Any]] = []
    for line, entry in span_entries:
        spans.extend(_entry_spans(article, annotation_path, line, entry))
    spans = drop_contained_same_label(spans)
    problem = nesting_problem(spans)
    if problem:
        message = Messages.G001.format(path=shown_path(annotation_path), line=problem[0]["line"], problem=problem[1])
        raise GoldError(message)
    spans = sort_spans(spans)
    record: dict[str, Any] = {
        "text": article.text,
        "meta": article.meta,
        "spans": [_without_line(span) for span in spans],
    }
    if relation_entries is not None:
        record["relations"] = _relations(article.text, spans, annotation_path, relation_entries)
    return record


Entries = list[tuple[int, dict[str, Any]]]


def _annotation_entries(path: Path) -> tuple[Entries, Entries | None]:
    """The entries of an annotation source's `spans` list and of its `relations` list (None when it has
    none), each with its 1-based line."""

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
    nodes = {key.value: value for key, value in root.value}
    entries = []
    for node, entry in zip(nodes["spans"].value, spans, strict=True):
        if not isinstance(entry, dict) or "text" not in entry:
            raise fail(node.start_mark.line + 1, "an entry must be a mapping with `text` and `label`")
        entries.append((node.start_mark.line + 1, entry))
    if "relations" not in data:
        return entries, None
    relations = data["relations"] or []
    if not isinstance(relations, list):
        raise fail(nodes["relations"].start_mark.line + 1, "`relations` must be a list of {head, child, label}")
    relation_entries = []
    for node, entry in zip(nodes["relations"].value, relations, strict=True):
        if not isinstance(entry, dict) or not {"head", "child", "label"} <= set(entry):
            raise fail(node.start_mark.line + 1, "a relation must be a mapping with `head`, `child` and `label`")
        relation_entries.append((node.start_mark.line + 1, entry))
    return entries, relation_entries


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


def _relations(text: str, spans: list[dict[str, Any]], path: Path, entries: Entries) -> list[dict[str, Any]]:
    """Resolve each relation entry to two of the record's `spans` (in text order), checked, in the guideline's
    order: by head start, child start, label."""
    lines: dict[tuple[int, int, int, int, str], int] = {}
    relations = []
    for line, entry in entries:
        relation = _entry_relation(text, spans, path, line, entry)
        head, child = relation["head_span"], relation["child_span"]
        key = (head["start"], child["start"], head["end"], child["end"], relation["label"])
        if key in lines:
            problem = f"{entry['label']} {entry['head']!r} -> {entry['child']!r} is listed twice (line {lines[key]})"
            raise GoldError(Messages.G001.format(path=shown_path(path), line=line, problem=problem))
        lines[key] = line
        relations.append(relation)
    return sorted(relations, key=relation_sort_key)


def _entry_relation(
    text: str, spans: list[dict[str, Any]], path: Path, line: int, entry: dict[str, Any]
) -> dict[str, Any]:
    def fail(problem: str) -> GoldError:
        return GoldError(Messages.G001.format(path=shown_path(path), line=line, problem=problem))

    unknown = set(entry) - set(RELATION_KEYS)
    if unknown:
        raise fail(f"unknown keys {sorted(unknown)}; allowed: {', '.join(RELATION_KEYS)}")
    label = entry["label"]
    if not isinstance(label, str) or label not in RELATION_SIGNATURES:
        raise fail(f"relation label {label!r} is not one of {', '.join(RELATION_SIGNATURES)}")
    head = _relation_span(spans, entry, "head", fail)
    child = _relation_span(spans, entry, "child", fail)
    head_labels, child_labels = RELATION_SIGNATURES[label]
    if head["label"] not in head_labels or child["label"] not in child_labels:
        raise fail(
            f"{label} links {'/'.join(head_labels)} -> {'/'.join(child_labels)}, not "
            f"{head['label']} {head['text']!r} -> {child['label']} {child['text']!r}"
        )
    if nests_in(child, head):
        raise fail(f"{child['text']!r} is nested in {head['text']!r}; a nested ORG is never linked to its span")
    first, second = sorted((head, child), key=lambda span: span["start"])
    if _sentence_ends_between(text, first["end"], second["start"], spans):
        raise fail(
            f"{head['text']!r} and {child['text']!r} are not in one sentence (a sentence end lies between them); "
            "a relation links two spans of one sentence"
        )
    return {
        "head_span": {field: head[field] for field in ("start", "end", "label")},
        "child_span": {field: child[field] for field in ("start", "end", "label")},
        "label": label,
    }


def _sentence_ends_between(text: str, start: int, end: int, spans: list[dict[str, Any]]) -> bool:
    """Whether a sentence ends in `text[start:end]` (see SENTENCE_END); the capital may open the span at `end`.

    A stop inside a gold span ("U.S. Department of Energy") ends no sentence.

    >>> _sentence_ends_between("in May 2023. Norfund said", 11, 13, [])
    True
    >>> text = "the Fund of the U.S. Treasury"
    >>> _sentence_ends_between(text, 8, 29, []), _sentence_ends_between(text, 8, 29, [{"start": 16, "end": 29}])
    (True, False)
    >>> _sentence_ends_between("the Fund\\n\\n$5 million", 8, 10, [])
    True
    """
    for match in SENTENCE_END.finditer(text, start, min(len(text), max(start, end) + 1)):
        if match.group("next") is not None and not match.group("next").isupper():
            continue
        if not any(span["start"] <= match.start() < span["end"] for span in spans):
            return True
    return False


def _relation_span(
    spans: list[dict[str, Any]], entry: dict[str, Any], role: str, fail: Callable[[str], GoldError]
) -> dict[str, Any]:
    """The gold span a relation entry names as its `role` (`head` or `child`), by text and occurrence."""
    text = entry[role]
    occurrence = entry.get(f"{role}_occurrence", 1)
    matching = [span for span in spans if span["text"] == str(text)]
    if not matching:
        raise fail(f"{role} {text!r} is no gold span of the article; copy the text of a span exactly")
    if isinstance(occurrence, bool) or not (isinstance(occurrence, int) and 1 <= occurrence <= len(matching)):
        raise fail(
            f"{role}_occurrence {occurrence!r} of {text!r}: the article has {len(matching)} gold span(s) with that "
            f"text; give 1 to {len(matching)}"
        )
    return matching[occurrence - 1]
