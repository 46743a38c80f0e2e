"""`policy_money`: give every MONEY span its amount and currency (`Span._.norm`, `Span._.norm_details`).

The words just before the span ("about", "more than") are outside it by the guideline, but
they make the amount approximate.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

from ..money import parse_money
from ..spans import SPANS_KEY
from .attributes import register_attributes
from .rule_data import VocabularyComponent

# "more than", "up to", "at least": the longest approximator is two words.
APPROXIMATOR_WORDS = 2


class MoneyNormalizer(VocabularyComponent):
    """Normalize the MONEY spans of `doc.spans[spans_key]`; a bare `$` is `default_currency`."""

    def __init__(self, nlp: Language, name: str, *, spans_key: str, default_currency: str) -> None:
        super().__init__()
        self.name = name
        self.spans_key = spans_key
        self.default_currency = default_currency
        register_attributes()

    def __call__(self, doc: Doc) -> Doc:
        for span in doc.spans.get(self.spans_key, []):
            if span.label_ != "MONEY":
                continue
            value = parse_money(
                f"{self._words_before(span)}{span.text}",
                vocabulary=self.vocabulary,
                default_currency=self.default_currency,
            )
            if value is None:
                continue
            span._.norm = value.norm()
            span._.norm_details = {"approximate": value.approximate}
        return doc

    def _words_before(self, span: Span) -> str:
        """The approximator right before the span, if there is one, with its trailing space."""
        before = span.doc[max(0, span.start - APPROXIMATOR_WORDS) : span.start]
        for start in range(len(before)):
            words = before[start:].text.lower()
            if words in self.vocabulary.approximate_words:
                return words + " "
        return ""


@Language.factory(
    "policy_money",
    assigns=["span._.norm", "span._.norm_details"],
    requires=["doc.spans"],
    default_config={"spans_key": SPANS_KEY, "default_currency": "USD"},
)
def make_money_normalizer(nlp: Language, name: str, spans_key: str, default_currency: str) -> MoneyNormalizer:
    """Create `policy_money` with the packaged vocabulary; `initialize(rules=...)` or `from_disk` replaces it."""
    return MoneyNormalizer(nlp, name, spans_key=spans_key, default_currency=default_currency)
