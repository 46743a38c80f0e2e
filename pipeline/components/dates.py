"""`policy_dates`: give every DATE span its normalized value (`Span._.norm`, `Span._.norm_details`).

The reference for a missing year or a relative expression is `Doc._.article_date` when the
article has a date, else the nearest earlier year the text states (ANNOTATION.md). The month,
season and relative words come from the normalization vocabulary (`rule_data`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from spacy.language import Language
from spacy.tokens import Doc

from ..dates import Reference, parse_date
from ..spans import SPANS_KEY
from .attributes import register_attributes
from .rule_data import VocabularyComponent


class DateNormalizer(VocabularyComponent):
    """Normalize the DATE spans of `doc.spans[spans_key]`, in text order."""

    def __init__(self, nlp: Language, name: str, *, spans_key: str) -> None:
        super().__init__()
        self.name = name
        self.spans_key = spans_key
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
    default_config={"spans_key": SPANS_KEY},
)
def make_date_normalizer(nlp: Language, name: str, spans_key: str) -> DateNormalizer:
    """Create `policy_dates` with the packaged vocabulary; `initialize(rules=...)` or `from_disk` replaces it."""
    return DateNormalizer(nlp, name, spans_key=spans_key)
