"""`policy_spans`: merge the model's entities and the rule matches into one scored span group.

The model's NER and spaCy's `span_ruler` (fed from `patterns/*.yml`) both propose spans.
This component cleans each proposal to the boundaries of ANNOTATION.md (no leading
determiner, DATE and MONEY cut to their calendar and currency words), drops the model's
typical errors on policy commentary (concept acronyms, a person's name read as an ORG,
durations read as dates), then keeps the longest proposal wherever two overlap, preferring
rules on ties. The one overlap kept is an ORG inside an EVENT or INITIATIVE (the guideline's
nesting). The result goes to `doc.spans[spans_key]`; `doc.ents` is reset to the outermost
scored spans plus the model's unscored entities (PERSON, GPE, ...) that do not overlap them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup

from ..types import SCORED_LABELS

MODEL_SOURCE = "model"
DEFAULT_LABEL_MAP = {"ORG": "ORG", "DATE": "DATE", "MONEY": "MONEY", "EVENT": "EVENT", "LAW": "INITIATIVE"}
NESTABLE = {("ORG", "EVENT"), ("ORG", "INITIATIVE")}


@dataclass(frozen=True)
class Proposal:
    """A candidate span with the rule id (or `model`) that proposed it."""

    start: int
    end: int
    label: str
    source: str

    @property
    def length(self) -> int:
        return self.end - self.start

    def overlaps(self, other: Proposal) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Proposal) -> bool:
        return self.start <= other.start and other.end <= self.end


def resolve_overlaps(proposals: Iterable[Proposal]) -> list[Proposal]:
    """Keep the longest proposal wherever proposals overlap (rules win ties), allowing ORG nesting.

    A nested ORG survives only when it came from a rule or is written in capitals
    (G20, OECD): the model's fragments of a longer name ("Working Level Committee") do not.
    """
    ranked = sorted(set(proposals), key=lambda p: (-p.length, p.source == MODEL_SOURCE, p.start, p.label))
    kept: list[Proposal] = []
    for proposal in ranked:
        clashes = [other for other in kept if other.overlaps(proposal)]
        if not clashes or all(_may_nest(proposal, other) for other in clashes):
            kept.append(proposal)
    return sorted(kept, key=lambda p: (p.start, -p.end, p.label))


def _may_nest(inner: Proposal, outer: Proposal) -> bool:
    return (inner.label, outer.label) in NESTABLE and outer.contains(inner) and outer.length > inner.length


class PolicySpans:
    """Clean, filter and merge span proposals into `doc.spans[spans_key]`."""

    def __init__(
        self,
        nlp: Language,
        name: str,
        *,
        rules_key: str,
        spans_key: str,
        label_map: dict[str, str],
        lexicon: dict[str, list[str]],
    ) -> None:
        self.name = name
        self.rules_key = rules_key
        self.spans_key = spans_key
        self.label_map = label_map
        self.words = {key: set(words) for key, words in lexicon.items()}
        self.lower_words = {key: {word.lower() for word in words} for key, words in lexicon.items()}

    def __call__(self, doc: Doc) -> Doc:
        people = {ent.text for ent in doc.ents if ent.label_ == "PERSON"}
        people |= {token.text for ent in doc.ents if ent.label_ == "PERSON" for token in ent}
        proposals = [
            *(self._clean(span, span.label_, span.id_ or "rule") for span in doc.spans.get(self.rules_key, [])),
            *(
                self._clean(ent, self.label_map[ent.label_], MODEL_SOURCE, people)
                for ent in doc.ents
                if ent.label_ in self.label_map
            ),
        ]
        kept = resolve_overlaps(p for p in proposals if p is not None)
        spans = [Span(doc, p.start, p.end, label=p.label, span_id=p.source) for p in kept]
        doc.spans[self.spans_key] = SpanGroup(doc, name=self.spans_key, spans=spans)
        set_entities(doc, spans)
        return doc

    def _clean(self, span: Span, label: str, source: str, people: set[str] | None = None) -> Proposal | None:
        start, end = span.start, span.end
        doc = span.doc
        while start < end and doc[start].lower_ in self.lower_words.get("leading_words", ()):
            start += 1
        while start < end and doc[end - 1].lower_ in self.lower_words.get("trailing_words", ()):
            end -= 1
        if label == "DATE":
            edges = self.lower_words.get("date_edge_words", set()) | self.lower_words.get("leading_words", set())
            while start < end and doc[start].lower_ in edges:
                start += 1
        if label == "MONEY":
            while start < end and not _looks_like_amount(doc[start], self.words.get("currency_tokens", ())):
                start += 1
        if start >= end:
            return None
        tokens = doc[start:end]
        if tokens.text in self.words.get("not_entities", ()):
            return None
        if label == "DATE" and not self._is_calendar_expression(tokens):
            return None
        if label == "MONEY" and not any(token.like_num or token.shape_[:1] == "d" for token in tokens):
            return None
        if source == MODEL_SOURCE and label == "ORG" and not self._is_named_organization(tokens, people or set()):
            return None
        return Proposal(start, end, label, source)

    def _is_calendar_expression(self, tokens: Span) -> bool:
        """A DATE needs a calendar word or a number, and is not an unanchored duration ("three years").

        A span ending in a unit (year, months, ...) is a duration unless something anchors it
        to the calendar: a month or season word, a four-digit year, or a relative word
        ("last year", "next fiscal year").
        """
        calendar = self.lower_words.get("calendar_words", set())
        units = self.lower_words.get("duration_units", set())
        has_number = any(any(ch.isdigit() for ch in token.text) for token in tokens)
        if not (has_number or any(token.lower_ in calendar for token in tokens)):
            return False
        if tokens[-1].lower_ not in units:
            return True
        anchors = (calendar - units) | self.lower_words.get("relative_date_words", set())
        return any(token.lower_ in anchors or (len(token) == 4 and token.is_digit) for token in tokens)

    def _is_named_organization(self, tokens: Span, people: set[str]) -> bool:
        """Reject the model's ORG when it is a person's name, a region, or a field of study.

        A real name ending in a field word ("Centre for European Policy Studies") has a head
        word a rule recognizes, and rule proposals are not filtered here.
        """
        if tokens.text in people or tokens.text in self.words.get("regions", ()):
            return False
        if tokens[-1].text in self.words.get("not_org_last_words", ()):
            return False
        return any(token.text[:1].isupper() or token.text[:1].isdigit() for token in tokens)


def _looks_like_amount(token: object, currency_tokens: Iterable[str]) -> bool:
    text = token.text  # type: ignore[attr-defined]
    return text in currency_tokens or text[:1].isdigit() or any(text.startswith(c) for c in currency_tokens)


def set_entities(doc: Doc, scored: Sequence[Span]) -> None:
    """Make `doc.ents` the outermost scored spans plus the model's unscored entities around them."""
    outermost: list[Span] = []
    for span in sorted(scored, key=lambda s: (s.start, -s.end)):
        if not outermost or span.start >= outermost[-1].end:
            outermost.append(span)
    taken = {i for span in outermost for i in range(span.start, span.end)}
    others = [
        ent
        for ent in doc.ents
        if ent.label_ not in SCORED_LABELS and not any(i in taken for i in range(ent.start, ent.end))
    ]
    doc.set_ents(sorted([*outermost, *others], key=lambda s: s.start), default="outside")


@Language.factory(
    "policy_spans",
    assigns=["doc.spans", "doc.ents"],
    default_config={
        "rules_key": "policy_rules",
        "spans_key": "policy",
        "label_map": DEFAULT_LABEL_MAP,
        "lexicon": {},
    },
)
def make_policy_spans(
    nlp: Language,
    name: str,
    rules_key: str,
    spans_key: str,
    label_map: dict[str, str],
    lexicon: dict[str, list[str]],
) -> PolicySpans:
    """Create the `policy_spans` component; `lexicon` holds the word lists of `patterns/lexicon.yml`."""
    return PolicySpans(nlp, name, rules_key=rules_key, spans_key=spans_key, label_map=label_map, lexicon=lexicon)
