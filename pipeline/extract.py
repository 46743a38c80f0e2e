"""Docs to records: the gold JSONL schema, with each span's `source`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, cast

from spacy.language import Language
from spacy.tokens import Doc, Span

from .components.attributes import register_attributes
from .components.policy_spans import DEFAULT_LABEL_MAP, MODEL_SOURCE
from .components.relations import RelationExtractor
from .nlp import RELATIONS_PIPE, SENTENCE_PIPES
from .records import Extraction
from .spans import SPANS_KEY, sort_spans
from .types import SCORED_LABELS, Article

LEADING_DETERMINERS = ("the", "The")


def span_record(span: Span, label: str, source: str) -> dict[str, Any]:
    """One span in the gold schema; character offsets into `doc.text`."""
    return {"start": span.start_char, "end": span.end_char, "label": label, "text": span.text, "source": source}


def doc_to_record(doc: Doc, meta: dict[str, Any]) -> dict[str, Any]:
    """The scored spans of `doc.spans["policy"]`, then the model's other entities marked `scored: false`.

    With `policy_relations` in the pipeline, also the relations among them and how many sentences it parsed.
    """
    spans = []
    for span in doc.spans.get(SPANS_KEY, []):
        record = span_record(span, span.label_, span.id_ or MODEL_SOURCE)
        if span._.norm is not None:
            record["norm"] = span._.norm
            record.update(span._.norm_details or {})
        if span._.canonical and span._.canonical != span.text:
            record["canonical"] = span._.canonical
        spans.append(record)
    for ent in doc.ents:
        if ent.label_ not in SCORED_LABELS:
            spans.append({**span_record(ent, ent.label_, MODEL_SOURCE), "scored": False})
    record = {"text": doc.text, "meta": meta, "spans": sort_spans(spans), "sentences": sentence_ranges(doc)}
    if doc._.relations is not None:
        record["relations"] = doc._.relations
        record["parsed_sentences"] = doc._.parsed_sentences
    return record


def sentence_ranges(doc: Doc) -> list[list[int]]:
    """The doc's sentences as [start, end] character offsets without the white space around them.

    Empty when nothing set the boundaries (the model alone).
    """
    if not doc.has_annotation("SENT_START"):
        return []
    ranges = []
    for sentence in doc.sents:
        words = [token for token in sentence if not token.is_space]
        if words:
            ranges.append([words[0].idx, words[-1].idx + len(words[-1].text)])
    return ranges


def bare_model_record(doc: Doc, meta: dict[str, Any]) -> dict[str, Any]:
    """The model alone: its entities mapped to the five labels, a leading "the" dropped."""
    spans = []
    for ent in doc.ents:
        if ent.label_ not in DEFAULT_LABEL_MAP:
            continue
        start = ent.start + 1 if ent[0].text in LEADING_DETERMINERS and len(ent) > 1 else ent.start
        spans.append(span_record(doc[start : ent.end], DEFAULT_LABEL_MAP[ent.label_], MODEL_SOURCE))
    return {"text": doc.text, "meta": meta, "spans": sort_spans(spans)}


def extract(
    nlp: Language, articles: Iterable[Article], *, batch_size: int = 64, use_rules: bool = True
) -> Iterator[Extraction]:
    """Run `nlp.pipe` over the articles and yield one extraction per article, in input order.

    Each doc is made first so that its article's date rides along as `Doc._.article_date`,
    the reference the date normalizer resolves against.
    """
    register_attributes()
    to_record = doc_to_record if use_rules else bare_model_record

    def docs() -> Iterator[tuple[Doc, dict[str, Any]]]:
        for article in articles:
            doc = nlp.make_doc(article.text)
            doc._.article_date = article.meta.get("date")
            yield doc, article.meta

    for doc, meta in nlp.pipe(docs(), as_tuples=True, batch_size=batch_size):
        yield Extraction(to_record(doc, meta), aliases(doc, meta["id"]))


def relate_given_spans(nlp: Language, records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Each record (text, meta, spans) with the relations `policy_relations` finds among its own scored spans.

    For gold records this scores the relation rules apart from the span rules. Only the
    sentence boundaries and the relation component run; a span whose ends fall inside a token
    is widened to whole tokens to be related and keeps its own offsets in the relations.
    """
    register_attributes()
    sentence_pipes = [pipe for name, pipe in nlp.pipeline if name in SENTENCE_PIPES]
    relate = cast(RelationExtractor, nlp.get_pipe(RELATIONS_PIPE))
    given: list[tuple[dict[str, Any], dict[tuple[int, int], tuple[int, int]]]] = []
    docs = []
    for record in records:
        doc = nlp.make_doc(record["text"])
        for pipe in sentence_pipes:
            doc = pipe(doc)
        spans, offsets = [], {}
        for span in record["spans"]:
            token_span = doc.char_span(span["start"], span["end"], span["label"], alignment_mode="expand")
            if span.get("scored", True) and token_span is not None:
                spans.append(token_span)
                offsets[(token_span.start_char, token_span.end_char)] = (span["start"], span["end"])
        doc.spans[SPANS_KEY] = spans
        docs.append(doc)
        given.append((record, offsets))
    for (record, offsets), doc in zip(given, relate.pipe(docs), strict=True):
        for relation in doc._.relations:
            for role in ("head_span", "child_span"):
                span = relation[role]
                span["start"], span["end"] = offsets[(span["start"], span["end"])]
        yield {**record, "relations": doc._.relations, "sentences": sentence_ranges(doc)}


def aliases(doc: Doc, doc_id: str) -> list[dict[str, Any]]:
    """The acronyms a doc defines, with how often each is mentioned as a span."""
    counts: dict[tuple[str, str], int] = {}
    for span in doc.spans.get(SPANS_KEY, []):
        if span._.canonical:
            counts[(span.text, span._.canonical)] = counts.get((span.text, span._.canonical), 0) + 1
    return [
        {
            "doc_id": doc_id,
            **definition,
            "mentions": counts.get((definition["short"], definition["long"]), 0),
        }
        for definition in doc._.acronyms or []
    ]
