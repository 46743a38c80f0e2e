"""Build gold JSONL from annotation sources, so offsets are found by code, never counted.

An annotation source (`corpus/annotations/<id>.yml`) lists surface strings with a label and,
where they apply, `norm` and `canonical`. Each entry annotates every whole-word occurrence
of its string in the article body, or the 1-based `occurrences` it lists. An occurrence
inside a longer listed span of the same label is dropped, so a short form can be listed
beside the long name that contains it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from . import yamlio
from .errors import GoldError, Messages
from .spans import drop_contained_same_label, nesting_problem, sort_spans
from .types import SCORED_LABELS, Article

ANNOTATION_KEYS = ("text", "label", "norm", "canonical", "occurrences")


def whole_word_offsets(text: str, needle: str) -> list[int]:
    """Start offsets of `needle` in `text` where it is not glued to a letter or digit.

    >>> whole_word_offsets("DOE and DOES and (DOE)", "DOE")
    [0, 18]
    """
    pattern = re.compile(r"(?<![^\W_])" + re.escape(needle) + r"(?![^\W_])")
    return [match.start() for match in pattern.finditer(text)]


def build_gold_record(article: Article, annotation_path: Path) -> dict[str, Any]:
    """Turn one annotation source into a gold record for `article` (the JSONL schema of ANNOTATION.md)."""
    source = yamlio.compose(annotation_path.read_text(encoding="utf-8"))
    data = yamlio.load(annotation_path.read_text(encoding="utf-8"))
    entry_nodes = next(value for key, value in source.value if key.value == "spans").value
    spans: list[dict[str, Any]] = []
    for node, entry in zip(entry_nodes, data["spans"], strict=True):
        spans.extend(_entry_spans(article, annotation_path, node.start_mark.line + 1, entry))
    spans = drop_contained_same_label(spans)
    problem = nesting_problem(spans)
    if problem:
        raise GoldError(Messages.G001.format(path=annotation_path, line=problem[0]["line"], problem=problem[1]))
    return {"text": article.text, "meta": article.meta, "spans": [_without_line(span) for span in sort_spans(spans)]}


def _without_line(span: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in span.items() if key != "line"}


def _entry_spans(article: Article, path: Path, line: int, entry: dict[str, Any]) -> list[dict[str, Any]]:
    def fail(problem: str) -> GoldError:
        return GoldError(Messages.G001.format(path=path, line=line, problem=problem))

    unknown = set(entry) - set(ANNOTATION_KEYS)
    if unknown:
        raise fail(f"unknown keys {sorted(unknown)}; allowed: {', '.join(ANNOTATION_KEYS)}")
    if entry.get("label") not in SCORED_LABELS:
        raise fail(f"label {entry.get('label')!r} is not one of {', '.join(SCORED_LABELS)}")
    if entry["label"] in ("DATE", "MONEY") and "norm" not in entry:
        raise fail(f"{entry['label']} {entry['text']!r} needs a `norm`")
    starts = whole_word_offsets(article.text, str(entry["text"]))
    if not starts:
        raise GoldError(
            Messages.G004.format(path=path, line=line, text=entry["text"], label=entry["label"], article=article.id)
        )
    wanted = entry.get("occurrences") or list(range(1, len(starts) + 1))
    spans = []
    for occurrence in wanted:
        if not 1 <= occurrence <= len(starts):
            raise GoldError(
                Messages.G005.format(path=path, line=line, text=entry["text"], occurrence=occurrence, count=len(starts))
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
        spans.append(span)
    return spans
