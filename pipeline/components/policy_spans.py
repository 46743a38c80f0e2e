"""`policy_spans`: merge the model's entities and the rule matches into one scored span group.

The model's NER and spaCy's `span_ruler` (fed from `patterns/*.yml`) both propose spans.
This component cleans each proposal to the boundaries of ANNOTATION.md (no leading
determiner, no possessive ending, DATE and MONEY cut to their calendar and currency words),
repairs the model's typical errors on policy commentary (a name run through an image-credit
slash, a possessive or a half-open parenthesis; a fragment ending in "of"; concept acronyms,
a person's name or a region read as an ORG; durations read as dates), then keeps the longest
proposal wherever two overlap, preferring rules on ties. The one overlap kept is an ORG
inside an EVENT or INITIATIVE (the guideline's nesting). The result goes to
`doc.spans[spans_key]`; `doc.ents` is reset to the outermost scored spans plus the model's
unscored entities (PERSON, GPE, ...) that do not overlap them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup, Token

from ..types import SCORED_LABELS

MODEL_SOURCE = "model"
DEFAULT_LABEL_MAP = {"ORG": "ORG", "DATE": "DATE", "MONEY": "MONEY", "EVENT": "EVENT", "LAW": "INITIATIVE"}
NESTABLE = {("ORG", "EVENT"), ("ORG", "INITIATIVE")}
NAME_CONNECTORS = {"of", "for", "and", "on", "-", "–", "&"}
SEPARATORS = {"/", "|", "[", "]"}
POSSESSIVES = {"’s", "'s"}


@dataclass(frozen=True)
class Proposal:
    """A candidate span (token offsets) with the rule id, `model` or `acronym` that proposed it."""

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


def resolve_overlaps(doc: Doc, proposals: Iterable[Proposal]) -> list[Proposal]:
    """Keep the longest proposal wherever proposals overlap (rules win ties), allowing ORG nesting.

    Within a label spans are flat, so a rule proposal inside a longer rule proposal of the
    same label is dropped first: the Matcher's shorter prefixes of a name never return as
    "nested" names. (The model's proposals are compared only among themselves, so its wrong
    "G20 Osaka Summit" ORG does not take the rules' "G20" with it.)
    """
    maximal = _drop_contained_same_kind(set(proposals))
    ranked = sorted(maximal, key=lambda p: (-p.length, p.source == MODEL_SOURCE, p.start, p.label, p.source))
    kept: list[Proposal] = []
    covering: dict[int, list[Proposal]] = {}  # token index -> kept proposals over it
    for proposal in ranked:
        clashes = {id(o): o for i in range(proposal.start, proposal.end) for o in covering.get(i, ())}.values()
        if not clashes or all(may_nest(doc, proposal, other) for other in clashes):
            kept.append(proposal)
            for i in range(proposal.start, proposal.end):
                covering.setdefault(i, []).append(proposal)
    return sorted(kept, key=lambda p: (p.start, -p.end, p.label))


def _drop_contained_same_kind(proposals: set[Proposal]) -> list[Proposal]:
    """Drop each proposal that lies inside a longer one of the same label and kind (rule or model).

    Sorted by start, then longest first, a proposal is inside an earlier one exactly when the
    furthest end seen so far in its group reaches its own end.
    """
    kept = []
    furthest_end: dict[tuple[str, bool], int] = {}
    for proposal in sorted(proposals, key=lambda p: (p.start, -p.end, p.label, p.source)):
        group = (proposal.label, proposal.source == MODEL_SOURCE)
        if furthest_end.get(group, -1) >= proposal.end:
            continue
        kept.append(proposal)
        furthest_end[group] = max(furthest_end.get(group, -1), proposal.end)
    return kept


def may_nest(doc: Doc, inner: Proposal, outer: Proposal) -> bool:
    """Whether `inner` is an ORG named inside the EVENT or INITIATIVE `outer` (G20 in G20 Osaka Summit).

    The model's nested fragments ("Science and Technology") do not count unless written in
    capitals; an ORG that starts in the middle of the outer name is a piece of it; and an ORG
    that is the whole outer name but its ordinal or year ("EU-Japan Council" in "3rd EU-Japan
    Council") is the same name, not a nested one.
    """
    if (inner.label, outer.label) not in NESTABLE or not outer.contains(inner) or outer.length <= inner.length:
        return False
    in_capitals = all(token.is_upper or token.is_digit for token in doc[inner.start : inner.end])
    if not in_capitals:
        if inner.source == MODEL_SOURCE:
            return False
        # "EU-[Japan Council]", "Singapore [International Forum]": a piece of a longer name, not a name.
        left = doc[inner.start - 1] if inner.start > outer.start else None
        if left is not None and (left.text in NAME_CONNECTORS or left.text[:1].isupper()):
            return False
    rest = [*doc[outer.start : inner.start], *doc[inner.end : outer.end]]
    return any(token.text[:1].isupper() for token in rest)


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
            self._clean(doc, span.start, span.end, span.label_, span.id_ or "rule")
            for span in doc.spans.get(self.rules_key, [])
        ]
        for ent in doc.ents:
            if ent.label_ in self.label_map:
                label = self.label_map[ent.label_]
                for start, end in self._repair_model_span(doc, ent.start, ent.end):
                    proposals.append(self._clean(doc, start, end, label, MODEL_SOURCE, people))
        kept = resolve_overlaps(doc, (p for p in proposals if p is not None))
        kept = resolve_overlaps(doc, [*kept, *self._repeat_mentions(doc, kept)])
        spans = [Span(doc, p.start, p.end, label=p.label, span_id=p.source) for p in kept]
        doc.spans[self.spans_key] = SpanGroup(doc, name=self.spans_key, spans=spans)
        set_entities(doc, spans)
        return doc

    def _repair_model_span(self, doc: Doc, start: int, end: int) -> Iterator[tuple[int, int]]:
        """Split the model's span at separators, line breaks and possessives; cut parentheses; extend fragments.

        A possessive splits a chain of names (ANNOTATION.md): "European Commission’s
        Directorate-General" gives both parts; a lone title-case word before the possessive
        ("Washington’s") is most often a place and is left out.
        """
        pieces: list[tuple[int, int]] = []
        piece_start = start
        for i in range(start, end):
            if doc[i].text in SEPARATORS or doc[i].text in POSSESSIVES or doc[i].is_space:
                pieces.append((piece_start, i))
                piece_start = i + 1
        pieces.append((piece_start, end))
        for index, (piece_start, piece_end) in enumerate(pieces):
            if piece_start >= piece_end:
                continue
            before_possessive = piece_end < end and doc[piece_end].text in POSSESSIVES
            if before_possessive and piece_end - piece_start == 1 and not doc[piece_start].is_upper:
                continue
            piece_start, piece_end = self._balance_parentheses(doc, piece_start, piece_end)
            if index == len(pieces) - 1:
                piece_end = self._extend_fragment(doc, piece_end)
            if piece_start < piece_end:
                yield piece_start, piece_end

    @staticmethod
    def _balance_parentheses(doc: Doc, start: int, end: int) -> tuple[int, int]:
        """Cut at a "(" that does not close inside the span, and after a ")" that did not open in it."""
        depth = 0
        for i in range(start, end):
            if doc[i].text == "(":
                depth += 1
            elif doc[i].text == ")":
                if depth == 0:
                    start = i + 1
                else:
                    depth -= 1
        if depth:
            end = max(i for i in range(start, end) if doc[i].text == "(")
        return start, end

    @staticmethod
    def _extend_fragment(doc: Doc, end: int) -> int:
        """A name the model stops at a connector ("... and") runs on through the capitalized words after it."""
        while end < len(doc) and doc[end - 1].lower_ in NAME_CONNECTORS and doc[end].text[:1].isupper():
            end += 1
            while end < len(doc) and doc[end].text[:1].isupper():
                end += 1
        return end

    def _clean(
        self, doc: Doc, start: int, end: int, label: str, source: str, people: set[str] | None = None
    ) -> Proposal | None:
        leading = self.lower_words.get("leading_words", set())
        if label == "DATE":
            leading = leading | self.lower_words.get("date_edge_words", set())
        while start < end and doc[start].lower_ in leading:
            start += 1
        trailing = self.lower_words.get("trailing_words", set()) | (NAME_CONNECTORS if label != "DATE" else set())
        while start < end and doc[end - 1].lower_ in trailing:
            end -= 1
        if label == "MONEY":
            start, end = self._money_bounds(doc, start, end)
        if start >= end:
            return None
        tokens = doc[start:end]
        if tokens.text in self.words.get("not_entities", ()):
            return None
        if label == "DATE" and not self._is_calendar_expression(tokens):
            return None
        if label == "MONEY" and not any(any(ch.isdigit() for ch in token.text) for token in tokens):
            return None
        if source == MODEL_SOURCE and label == "ORG" and not self._is_named_organization(tokens, people or set()):
            return None
        return Proposal(start, end, label, source)

    def _money_bounds(self, doc: Doc, start: int, end: int) -> tuple[int, int]:
        """MONEY starts at a currency sign, code or digit ("more than $5 billion"), ends before a name ("$5bn EV")."""
        currencies = self.words.get("currency_tokens", set())

        def is_currency(token: Token) -> bool:
            return token.text in currencies or any(token.text.startswith(c) for c in currencies if len(c) > 1)

        while start < end and not (is_currency(doc[start]) or doc[start].text[:1].isdigit()):
            start += 1
        while start < end and doc[end - 1].text[:1].isupper() and not is_currency(doc[end - 1]):
            end -= 1
        return start, end

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
        """Reject the model's ORG that is a person's name, a region, a field of study or holds a concept acronym.

        A real name ending in a field word ("Centre for European Policy Studies") has a head
        word a rule recognizes, and rule proposals are not filtered here.
        """
        if tokens.text in people or tokens.text in self.words.get("regions", ()):
            return False
        if tokens[-1].text in self.words.get("not_org_last_words", ()):
            return False
        if any(token.text in self.words.get("not_entities", ()) for token in tokens):
            return False
        return any(token.text[:1].isupper() or token.text[:1].isdigit() for token in tokens)

    def _repeat_mentions(self, doc: Doc, kept: Sequence[Proposal]) -> Iterator[Proposal]:
        """Every mention counts: a one-word ORG in capitals (EU, G20, DOE) found once is found everywhere.

        The model tags "EU" alone but not inside "EU-Japan trade"; the repeat is proposed as
        `model` so it only nests inside an EVENT or INITIATIVE, never splits another name.
        """
        acronyms = {doc[p.start].text for p in kept if p.label == "ORG" and p.length == 1 and doc[p.start].is_upper}
        for token in doc:
            if token.text in acronyms:
                yield Proposal(token.i, token.i + 1, "ORG", MODEL_SOURCE)


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
