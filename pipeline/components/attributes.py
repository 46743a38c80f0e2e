"""Custom attributes the components set, registered once and holding only JSON-ready values.

Spans never store a `Span` or a value object: strings, numbers and dicts survive pickling
(multiprocessing) and serialization unchanged.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span, Token

SPAN_ATTRIBUTES = (
    "canonical",  # the long form an acronym or short mention stands for
    "norm",  # DATE: ISO 8601 string; MONEY: {"amount", "currency", "amount_max"?}
    "norm_details",  # DATE: timex, mod, granularity, anchor, resolved; MONEY: approximate
)
DOC_ATTRIBUTES = (
    "article_date",  # ISO date of the article (from its metadata), the reference for relative dates
    "acronyms",  # [{"short", "long", "label"}] defined in the doc
    "relations",  # [{"head_span", "child_span", "label", "source"}], character offsets (policy_relations)
    "parsed_sentences",  # how many of the doc's sentences policy_relations parsed
)
TOKEN_ATTRIBUTES = ("span_label",)  # on a parsed sentence: the label of the span this token is the root of


def register_attributes() -> None:
    """Register every attribute; calling it again is a no-op."""
    for name in SPAN_ATTRIBUTES:
        if not Span.has_extension(name):
            Span.set_extension(name, default=None)
    for name in DOC_ATTRIBUTES:
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)
    for name in TOKEN_ATTRIBUTES:
        if not Token.has_extension(name):
            Token.set_extension(name, default=None)
