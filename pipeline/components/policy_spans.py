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
from spacy.tokens import Doc, Span, SpanGroup

from ..types import NESTABLE, SCORED_LABELS

MODEL_SOURCE = "model"
DEFAULT_LABEL_MAP = {"ORG": "ORG", "DATE": "DATE", "MONEY": "MONEY", "EVENT": "EVENT", "LAW": "INITIATIVE"}
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


@dataclass(frozen=True)
class Words:
    """A doc's token texts, read once: every `doc[i]` builds a new Token object, which adds up."""

    text: list[str]
    lower: list[str]
    idx: list[int]
    source: str

    @classmethod
    def of(cls, doc: Doc) -> Words:
        text, lower, idx = [], [], []
        for token in doc:
            text.append(token.text)
            lower.append(token.lower_)
            idx.append(token.idx)
        return cls(text, lower, idx, doc.text)

    def span_text(self, start: int, end: int) -> str:
        """The text of tokens start..end, as `doc[start:end].text` gives it."""
        return self.source[self.idx[start] : self.idx[end - 1] + len(self.text[end - 1])]


def resolve_overlaps(words: Words, proposals: Iterable[Proposal]) -> list[Proposal]:
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
        if not clashes or all(may_nest(words, proposal, other) for other in clashes):
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


def may_nest(words: Words, inner: Proposal, outer: Proposal) -> bool:
    """Whether `inner` is an ORG named inside the EVENT or INITIATIVE `outer` (G20 in G20 Osaka Summit).

    The model's nested fragments ("Science and Technology") do not count unless written in
    capitals; an ORG that starts in the middle of the outer name is a piece of it; and an ORG
    that is the whole outer name but its ordinal or year ("EU-Japan Council" in "3rd EU-Japan
    Council") is the same name, not a nested one.
    """
    if (inner.label, outer.label) not in NESTABLE or not outer.contains(inner) or outer.length <= inner.length:
        return False
    text = words.text
    in_capitals = all(word.isupper() or word.isdigit() for word in text[inner.start : inner.end])
    if not in_capitals:
        if inner.source == MODEL_SOURCE:
            return False
        # "EU-[Japan Council]", "Singapore [International Forum]": a piece of a longer name, not a name.
        left = text[inner.start - 1] if inner.start > outer.start else None
        if left is not None and (left in NAME_CONNECTORS or left[:1].isupper()):
            return False
    rest = [*text[outer.start : inner.start], *text[inner.end : outer.end]]
    return any(word[:1].isupper() for word in rest)


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
        exact = {key: frozenset(words) for key, words in lexicon.items()}
        lower = {key: frozenset(word.lower() for word in words) for key, words in lexicon.items()}
        empty: frozenset[str] = frozenset()
        self.leading = lower.get("leading_words", empty)
        self.date_leading = self.leading | lower.get("date_edge_words", empty)
        self.trailing = lower.get("trailing_words", empty)
        self.calendar = lower.get("calendar_words", empty)
        self.units = lower.get("duration_units", empty)
        self.anchors = (self.calendar - self.units) | lower.get("relative_date_words", empty)
        self.not_entities = exact.get("not_entities", empty)
        self.regions = exact.get("regions", empty)
        self.not_org_last_words = exact.get("not_org_last_words", empty)
        self.currencies = exact.get("currency_tokens", empty)
        self.currency_prefixes = tuple(c for c in self.currencies if len(c) > 1)

    def __call__(self, doc: Doc) -> Doc:
        words = Words.of(doc)
        ents = [(ent.start, ent.end, ent.label_) for ent in doc.ents]
        people = set()
        for start, end, label in ents:
            if label == "PERSON":
                people.add(words.span_text(start, end))
                people.update(words.text[start:end])
        proposals = [
            self._clean(words, span.start, span.end, span.label_, span.id_ or "rule")
            for span in doc.spans.get(self.rules_key, [])
        ]
        for ent_start, ent_end, ent_label in ents:
            if ent_label in self.label_map:
                label = self.label_map[ent_label]
                for start, end in self._repair_model_span(words, ent_start, ent_end):
                    proposals.append(self._clean(words, start, end, label, MODEL_SOURCE, people))
        kept = resolve_overlaps(words, (p for p in proposals if p is not None))
        kept = resolve_overlaps(words, [*kept, *self._repeat_mentions(words, kept)])
        spans = [Span(doc, p.start, p.end, label=p.label, span_id=p.source) for p in kept]
        doc.spans[self.spans_key] = SpanGroup(doc, name=self.spans_key, spans=spans)
        set_entities(doc, spans)
        return doc

    def _repair_model_span(self, words: Words, start: int, end: int) -> Iterator[tuple[int, int]]:
        """Split the model's span at separators, line breaks and possessives; cut parentheses; extend fragments.

        A possessive splits a chain of names (ANNOTATION.md): "European Commission’s
        Directorate-General" gives both parts; a lone title-case word before the possessive
        ("Washington’s") is most often a place and is left out.
        """
        text = words.text
        pieces: list[tuple[int, int]] = []
        piece_start = start
        for i in range(start, end):
            if text[i] in SEPARATORS or text[i] in POSSESSIVES or text[i].isspace():
                pieces.append((piece_start, i))
                piece_start = i + 1
        pieces.append((piece_start, end))
        for index, (piece_start, piece_end) in enumerate(pieces):
            if piece_start >= piece_end:
                continue
            before_possessive = piece_end < end and text[piece_end] in POSSESSIVES
            if before_possessive and piece_end - piece_start == 1 and not text[piece_start].isupper():
                continue
            piece_start, piece_end = _balance_parentheses(text, piece_start, piece_end)
            if index == len(pieces) - 1:
                piece_end = _extend_fragment(words, piece_end)
            if piece_start < piece_end:
                yield piece_start, piece_end

    def _clean(
        self, words: Words, start: int, end: int, label: str, source: str, people: set[str] | None = None
    ) -> Proposal | None:
        lower = words.lower
        leading = self.date_leading if label == "DATE" else self.leading
        while start < end and lower[start] in leading:
            start += 1
        while start < end and lower[end - 1] in self.trailing:
            end -= 1
        if label == "MONEY":
            start, end = self._money_bounds(words.text, start, end)
        if start >= end:
            return None
        if words.span_text(start, end) in self.not_entities:
            return None
        if label == "DATE" and not self._is_calendar_expression(words.text[start:end], lower[start:end]):
            return None
        if label == "MONEY" and not any(any(ch.isdigit() for ch in word) for word in words.text[start:end]):
            return None
        if (
            source == MODEL_SOURCE
            and label == "ORG"
            and not self._is_named_organization(words, start, end, people or set())
        ):
            return None
        return Proposal(start, end, label, source)

    def _money_bounds(self, text: list[str], start: int, end: int) -> tuple[int, int]:
        """MONEY starts at a currency sign, code or digit ("more than $5 billion"), ends before a name ("$5bn EV")."""

        def is_currency(word: str) -> bool:
            return word in self.currencies or word.startswith(self.currency_prefixes)

        while start < end and not (is_currency(text[start]) or text[start][:1].isdigit()):
            start += 1
        while start < end and text[end - 1][:1].isupper() and not is_currency(text[end - 1]):
            end -= 1
        return start, end

    def _is_calendar_expression(self, text: list[str], lower: list[str]) -> bool:
        """A DATE needs a calendar word or a number, and is not an unanchored duration ("three years").

        A span ending in a unit (year, months, ...) is a duration unless something anchors it
        to the calendar: a month or season word, a four-digit year, or a relative word
        ("last year", "next fiscal year").
        """
        has_number = any(any(ch.isdigit() for ch in word) for word in text)
        if not (has_number or any(word in self.calendar for word in lower)):
            return False
        if lower[-1] not in self.units:
            return True
        return any(word in self.anchors or (len(word) == 4 and word.isdigit()) for word in lower)

    def _is_named_organization(self, words: Words, start: int, end: int, people: set[str]) -> bool:
        """Reject the model's ORG that is a person's name, a region, a field of study or holds a concept acronym.

        A real name ending in a field word ("Centre for European Policy Studies") has a head
        word a rule recognizes, and rule proposals are not filtered here.
        """
        surface = words.span_text(start, end)
        text = words.text[start:end]
        if surface in people or surface in self.regions:
            return False
        if text[-1] in self.not_org_last_words:
            return False
        if any(word in self.not_entities for word in text):
            return False
        return any(word[:1].isupper() or word[:1].isdigit() for word in text)

    def _repeat_mentions(self, words: Words, kept: Sequence[Proposal]) -> Iterator[Proposal]:
        """Every mention counts: a one-word ORG in capitals (EU, G20, DOE) found once is found everywhere.

        The model tags "EU" alone but not inside "EU-Japan trade"; the repeat is proposed as
        `model` so it only nests inside an EVENT or INITIATIVE, never splits another name.
        """
        text = words.text
        acronyms = {text[p.start] for p in kept if p.label == "ORG" and p.length == 1 and text[p.start].isupper()}
        for i, word in enumerate(text):
            if word in acronyms:
                yield Proposal(i, i + 1, "ORG", MODEL_SOURCE)


def _balance_parentheses(text: list[str], start: int, end: int) -> tuple[int, int]:
    """Cut at a "(" that does not close inside the span, and after a ")" that did not open in it."""
    depth = 0
    for i in range(start, end):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            if depth == 0:
                start = i + 1
            else:
                depth -= 1
    if depth:
        end = max(i for i in range(start, end) if text[i] == "(")
    return start, end


def _extend_fragment(words: Words, end: int) -> int:
    """A name the model stops at a connector ("... and") runs on through the capitalized words after it."""
    text, count = words.text, len(words.text)
    while end < count and words.lower[end - 1] in NAME_CONNECTORS and text[end][:1].isupper():
        end += 1
        while end < count and text[end][:1].isupper():
            end += 1
    return end


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
