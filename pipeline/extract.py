"""Docs to records: the gold JSONL schema, with each span's `source`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from .components.policy_spans import DEFAULT_LABEL_MAP, MODEL_SOURCE
from .nlp import SPANS_KEY
from .types import SCORED_LABELS, Article

LEADING_DETERMINERS = ("the", "The")


def span_record(doc: Doc, start: int, end: int, label: str, source: str) -> dict[str, Any]:
    """One span in the gold schema; character offsets into `doc.text`."""
    return {
        "start": doc[start].idx,
        "end": doc[end - 1].idx + len(doc[end - 1]),
        "label": label,
        "text": doc[start:end].text,
        "source": source,
    }


def doc_to_record(doc: Doc, meta: dict[str, Any]) -> dict[str, Any]:
    """The scored spans of `doc.spans["policy"]`, then the model's other entities marked `scored: false`."""
    spans = []
    for span in doc.spans.get(SPANS_KEY, []):
        record = span_record(doc, span.start, span.end, span.label_, span.id_ or MODEL_SOURCE)
        canonical = span._.get("canonical") if span.has_extension("canonical") else None
        if canonical and canonical != span.text:
            record["canonical"] = canonical
        spans.append(record)
    for ent in doc.ents:
        if ent.label_ not in SCORED_LABELS:
            spans.append({**span_record(doc, ent.start, ent.end, ent.label_, MODEL_SOURCE), "scored": False})
    return {"text": doc.text, "meta": meta, "spans": sort_spans(spans)}


def bare_model_record(doc: Doc, meta: dict[str, Any]) -> dict[str, Any]:
    """The model alone: its entities mapped to the five labels, a leading "the" dropped."""
    spans = []
    for ent in doc.ents:
        if ent.label_ not in DEFAULT_LABEL_MAP:
            continue
        start = ent.start + 1 if ent[0].text in LEADING_DETERMINERS and len(ent) > 1 else ent.start
        spans.append(span_record(doc, start, ent.end, DEFAULT_LABEL_MAP[ent.label_], MODEL_SOURCE))
    return {"text": doc.text, "meta": meta, "spans": sort_spans(spans)}


def sort_spans(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The order ANNOTATION.md fixes: by start, then by end descending (label breaks ties)."""
    return sorted(spans, key=lambda span: (span["start"], -span["end"], span["label"]))


def extract(
    nlp: Language, articles: Iterable[Article], *, batch_size: int = 64, use_rules: bool = True
) -> Iterator[dict[str, Any]]:
    """Run `nlp.pipe` over the articles and yield one record per article, in input order."""
    to_record = doc_to_record if use_rules else bare_model_record
    pairs = ((article.text, article.meta) for article in articles)
    for doc, meta in nlp.pipe(pairs, as_tuples=True, batch_size=batch_size):
        yield to_record(doc, meta)
