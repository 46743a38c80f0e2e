"""The span rules every layer shares: the span group's key, containment, nesting, order and identity.

Components work on token offsets, gold, evaluation and the report on character offsets; the
rules are the same, so they are written once here, on plain `(start, end)` pairs and on span
records (mappings with `start`, `end`, `label`), with no spaCy import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import groupby
from typing import Any

# The `doc.spans` group that holds the scored spans, and the name of the scores `nlp.evaluate` reports.
SPANS_KEY = "policy"
# Labels of names (the rest are values: DATE, MONEY).
NAME_LABELS: frozenset[str] = frozenset({"ORG", "INITIATIVE", "EVENT"})
# The one overlap the guideline allows: an ORG named inside an EVENT or an INITIATIVE.
NESTABLE: frozenset[tuple[str, str]] = frozenset({("ORG", "EVENT"), ("ORG", "INITIATIVE")})
# Each relation label with the span labels its head and its child may have (ANNOTATION.md's table).
RELATION_SIGNATURES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "PARTY": (("INITIATIVE", "EVENT"), ("ORG",)),
    "DATE": (("INITIATIVE", "EVENT", "MONEY"), ("DATE",)),
    "FUNDER": (("MONEY",), ("ORG",)),
    "TARGET": (("MONEY",), ("INITIATIVE", "EVENT")),
}

SpanRecord = Mapping[str, Any]


def contains(outer_start: int, outer_end: int, inner_start: int, inner_end: int) -> bool:
    """Whether the range inner lies within the range outer (equal ranges contain each other).

    >>> contains(0, 5, 1, 3), contains(0, 5, 4, 6), contains(2, 4, 2, 4)
    (True, False, True)
    """
    return outer_start <= inner_start and inner_end <= outer_end


def strictly_contains(outer_start: int, outer_end: int, inner_start: int, inner_end: int) -> bool:
    """Whether inner lies within outer and is shorter.

    >>> strictly_contains(0, 5, 0, 3), strictly_contains(2, 4, 2, 4)
    (True, False)
    """
    longer = outer_end - outer_start > inner_end - inner_start
    return longer and contains(outer_start, outer_end, inner_start, inner_end)


def overlaps(first_start: int, first_end: int, second_start: int, second_end: int) -> bool:
    """Whether two half-open ranges share a position.

    >>> overlaps(0, 3, 2, 5), overlaps(0, 3, 3, 5)
    (True, False)
    """
    return first_start < second_end and second_start < first_end


def may_nest(inner_label: str, outer_label: str) -> bool:
    """Whether the guideline lets a span labelled `inner_label` sit inside one labelled `outer_label`.

    >>> may_nest("ORG", "EVENT"), may_nest("DATE", "EVENT"), may_nest("EVENT", "ORG")
    (True, False, False)
    """
    return (inner_label, outer_label) in NESTABLE


def nests_in(inner: SpanRecord, outer: SpanRecord) -> bool:
    """Whether the record `inner` is an allowed nesting inside `outer`: its label may nest and it is strictly inside."""
    return may_nest(inner["label"], outer["label"]) and strictly_contains(
        outer["start"], outer["end"], inner["start"], inner["end"]
    )


def match_key(span: SpanRecord) -> tuple[int, int, str]:
    """What makes two spans the same span under strict matching: start, end and label."""
    return span["start"], span["end"], span["label"]


def sort_key(span: SpanRecord) -> tuple[int, int, str]:
    """The order the annotation guideline fixes: by start, then by end descending, then label."""
    return span["start"], -span["end"], span["label"]


def relation_sort_key(relation: Mapping[str, Any]) -> tuple[int, int, str]:
    """The order of relations in a record: by head start, then child start, then label."""
    return relation["head_span"]["start"], relation["child_span"]["start"], relation["label"]


def sort_spans(spans: Iterable[SpanRecord]) -> list[Any]:
    """Span records in the guideline's order (`sort_key`); a stable sort, so equal keys keep their order."""
    return sorted(spans, key=sort_key)


def nesting_problem(spans: Sequence[SpanRecord]) -> tuple[SpanRecord, str] | None:
    """The first overlap the guideline forbids, with a message, or None.

    Only an ORG strictly inside an EVENT or INITIATIVE may overlap another span. The message
    names the first span's `line` where the records carry one (annotation sources do).

    >>> nesting_problem([{"start": 0, "end": 9, "label": "EVENT", "text": "G7 Summit"},
    ...                  {"start": 0, "end": 2, "label": "ORG", "text": "G7"}]) is None
    True
    >>> nesting_problem([{"start": 0, "end": 9, "label": "EVENT", "text": "G7 Summit"},
    ...                  {"start": 0, "end": 2, "label": "DATE", "text": "G7"}])[1]
    "EVENT 'G7 Summit' and DATE 'G7' overlap; only an ORG strictly inside an EVENT or INITIATIVE may"
    """
    ordered = sorted(spans, key=lambda span: (span["start"], -span["end"]))
    for index, first in enumerate(ordered):
        for second in ordered[index + 1 :]:
            if second["start"] >= first["end"]:
                break
            if not (nests_in(first, second) or nests_in(second, first)):
                where = f" (line {first['line']})" if "line" in first else ""
                problem = (
                    f"{first['label']} {first['text']!r}{where} and {second['label']} {second['text']!r} overlap; "
                    "only an ORG strictly inside an EVENT or INITIATIVE may"
                )
                return second, problem
    return None


def drop_contained_same_label(spans: Sequence[SpanRecord]) -> list[Any]:
    """Drop every span strictly inside another of the same label (within a label, spans are flat).

    >>> [s["text"] for s in drop_contained_same_label([
    ...     {"start": 0, "end": 12, "label": "ORG", "text": "Bank of Laos"},
    ...     {"start": 0, "end": 4, "label": "ORG", "text": "Bank"}])]
    ['Bank of Laos']

    Sorted by label and start, a span lies inside a longer one exactly when a span that starts
    earlier reaches its end, or one with the same start ends later: one sweep, not all pairs.
    """
    order = sorted(range(len(spans)), key=lambda k: (spans[k]["label"], spans[k]["start"], -spans[k]["end"]))
    inside: set[int] = set()
    label: str | None = None
    reach = -1  # the furthest end of the spans of `label` that start before the current start
    for first, group in groupby(order, key=lambda k: (spans[k]["label"], spans[k]["start"])):
        if first[0] != label:
            label, reach = first[0], -1
        same_start = list(group)
        longest = spans[same_start[0]]["end"]
        inside.update(k for k in same_start if spans[k]["end"] <= reach or spans[k]["end"] < longest)
        reach = max(reach, longest)
    return [span for k, span in enumerate(spans) if k not in inside]
