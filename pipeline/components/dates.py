"""`policy_dates`: give every DATE span its normalized value (`Span._.norm`, `Span._.norm_details`).

The reference for a missing year or a relative expression is `Doc._.article_date` when the
article has a date, else the nearest earlier year the text states (ANNOTATION.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from spacy.language import Language
from spacy.tokens import Doc

from ..dates import Reference, parse_date
from ..vocabulary import Vocabulary, vocabulary_from_dict
from .attributes import register_attributes


class DateNormalizer:
    """Normalize the DATE spans of `doc.spans[spans_key]`, in text order."""

    def __init__(self, nlp: Language, name: str, *, spans_key: str, vocabulary: Vocabulary) -> None:
        self.name = name
        self.spans_key = spans_key
        self.vocabulary = vocabulary
        register_attributes()

    def __call__(self, doc: Doc) -> Doc:
        article_date = dt.date.fromisoformat(doc._.article_date) if doc._.article_date else None
        text_year: int | None = None
        for span in sorted(doc.spans.get(self.spans_key, []), key=lambda s: s.start):
            if span.label_ != "DATE":
                continue
            reference: Reference = article_date or text_year
            value = parse_date(span.text, reference=reference, vocabulary=self.vocabulary)
            if value is None:
                continue
            span._.norm = value.norm
            span._.norm_details = {key: item for key, item in asdict(value).items() if key != "norm"}
            text_year = value.explicit_year or text_year
        return doc


@Language.factory(
    "policy_dates",
    assigns=["span._.norm", "span._.norm_details"],
    requires=["doc.spans"],
    default_config={"spans_key": "policy", "vocabulary": None},
)
def make_date_normalizer(nlp: Language, name: str, spans_key: str, vocabulary: dict | None) -> DateNormalizer:
    """Create `policy_dates`; `vocabulary` is the `normalization` mapping of `patterns/normalization.yml`."""
    return DateNormalizer(nlp, name, spans_key=spans_key, vocabulary=vocabulary_from_dict("config", vocabulary))
