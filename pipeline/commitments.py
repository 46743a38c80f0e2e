"""Commitment and initiative records: one article's relations turned into the rows analysts track.

A commitment is a MONEY span with a FUNDER, a TARGET or a DATE: who pledged how much, to what,
when, and in which words (`status`, the commitment verb nearest the amount in its sentence). An
initiative row is an INITIATIVE or EVENT mention with relations: its parties, its dates and the
amounts committed to it. Several funders, targets or dates share one cell, joined by
`LIST_SEPARATOR` in text order; the entity ids follow the same order.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .records import Sentences
from .spans import match_key

LIST_SEPARATOR = "; "
COMMITMENT_COLUMNS = (
    "doc_id",
    "start",
    "end",
    "text",
    "amount",
    "currency",
    "amount_max",
    "funders",
    "funder_entities",
    "targets",
    "target_entities",
    "dates",
    "date_norms",
    "status",
    "sentence_start",
    "sentence_end",
    "sentence",
)
INITIATIVE_COLUMNS = (
    "doc_id",
    "start",
    "end",
    "label",
    "text",
    "entity",
    "parties",
    "party_entities",
    "dates",
    "date_norms",
    "amounts",
    "sentence_start",
    "sentence_end",
    "sentence",
)
WORD = re.compile(r"\w+")

SpanKey = tuple[int, int, str]


def commitment_rows(record: Mapping[str, Any], statuses: Mapping[str, Sequence[str]]) -> list[list[Any]]:
    """The record's commitments, in `COMMITMENT_COLUMNS` order; `statuses` maps a status to its word forms."""
    status_of = {form.lower(): status for status, forms in statuses.items() for form in forms}
    rows = []
    for money, by_label, spans, sentence in _related(record, ("MONEY",)):
        value = money.get("norm")
        norm: Mapping[str, Any] = value if isinstance(value, dict) else {}
        rows.append(
            [
                record["meta"]["id"],
                money["start"],
                money["end"],
                money["text"],
                norm.get("amount"),
                norm.get("currency"),
                norm.get("amount_max"),
                *_names_and_entities(by_label.get("FUNDER", []), spans),
                *_names_and_entities(by_label.get("TARGET", []), spans),
                *_date_cells(by_label.get("DATE", []), spans),
                _status(record["text"], money, sentence, status_of),
                *_sentence_cells(record["text"], sentence),
            ]
        )
    return rows


def initiative_rows(record: Mapping[str, Any]) -> list[list[Any]]:
    """The record's INITIATIVE and EVENT mentions that have relations, in `INITIATIVE_COLUMNS` order."""
    return [
        [
            record["meta"]["id"],
            name["start"],
            name["end"],
            name["label"],
            name["text"],
            name.get("entity"),
            *_names_and_entities(by_label.get("PARTY", []), spans),
            *_date_cells(by_label.get("DATE", []), spans),
            _joined(spans[key]["text"] for key in by_label.get("TARGET", []) if key in spans),
            *_sentence_cells(record["text"], sentence),
        ]
        for name, by_label, spans, sentence in _related(record, ("INITIATIVE", "EVENT"))
    ]


def _related(
    record: Mapping[str, Any], labels: tuple[str, ...]
) -> Iterator[tuple[Mapping[str, Any], dict[str, list[SpanKey]], dict[SpanKey, Any], tuple[int, int] | None]]:
    """Each span of `labels` with relations, in text order: the span, its related spans per relation
    label, all spans by key, and the sentence it is in."""
    spans = {match_key(span): span for span in record["spans"]}
    linked = _linked(record)
    sentences = Sentences(record.get("sentences", []))
    for key in sorted(key for key in linked if key[2] in labels and key in spans):
        yield spans[key], linked[key], spans, sentences.holding(spans[key]["start"])


def _date_cells(keys: Sequence[SpanKey], spans: Mapping[SpanKey, Mapping[str, Any]]) -> tuple[Any, Any]:
    """The texts and the ISO values of the related DATE spans."""
    found = [spans[key] for key in keys if key in spans]
    return _joined(span["text"] for span in found), _joined(str(span.get("norm") or "") for span in found)


def _linked(record: Mapping[str, Any]) -> dict[SpanKey, dict[str, list[SpanKey]]]:
    """For each span with relations, the spans it is related to per relation label, in text order.

    A MONEY span's TARGET is kept under TARGET on the money; seen from the initiative, the
    money is listed under TARGET too (the amounts committed to it).
    """
    linked: dict[SpanKey, dict[str, list[SpanKey]]] = defaultdict(lambda: defaultdict(list))
    for relation in record.get("relations") or []:
        head, child = match_key(relation["head_span"]), match_key(relation["child_span"])
        linked[head][relation["label"]].append(child)
        if relation["label"] == "TARGET":
            linked[child]["TARGET"].append(head)
    return {key: {label: sorted(set(keys)) for label, keys in by_label.items()} for key, by_label in linked.items()}


def _names_and_entities(keys: Sequence[SpanKey], spans: Mapping[SpanKey, Mapping[str, Any]]) -> tuple[Any, Any]:
    found = [spans[key] for key in keys if key in spans]
    return _joined(span["text"] for span in found), _joined(str(span.get("entity") or "") for span in found)


def _joined(values: Any) -> str | None:
    listed = list(values)
    return LIST_SEPARATOR.join(listed) if listed else None


def _status(
    text: str, money: Mapping[str, Any], sentence: tuple[int, int] | None, status_of: Mapping[str, str]
) -> str | None:
    """The status of the commitment word nearest the amount in its sentence ("pledged", "approved", ...)."""
    if sentence is None:
        return None
    start, end = sentence
    nearest: tuple[int, str] | None = None
    for word in WORD.finditer(text, start, end):
        status = status_of.get(word.group().lower())
        if status is None:
            continue
        distance = money["start"] - word.end() if word.end() <= money["start"] else word.start() - money["end"]
        if distance >= 0 and (nearest is None or distance < nearest[0]):
            nearest = (distance, status)
    return nearest[1] if nearest else None


def _sentence_cells(text: str, sentence: tuple[int, int] | None) -> tuple[Any, Any, Any]:
    return (*sentence, text[slice(*sentence)]) if sentence else (None, None, None)
