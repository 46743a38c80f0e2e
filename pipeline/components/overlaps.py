"""Span proposals on token offsets and the overlap resolution the span-writing components share.

`policy_spans` and `policy_acronyms` both gather proposals (token ranges with a label and the
rule, `model` or `acronym` that proposed them) and keep the longest wherever two overlap; the
guideline's one allowed overlap, an ORG named inside an EVENT or INITIATIVE, is decided by the
label rule of `pipeline.spans` and, on the words, by `nests_as_name`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from spacy.attrs import ENT_IOB, ENT_TYPE, IDX, LOWER, ORTH, SPACY
from spacy.tokens import Doc, Span

from .. import spans
from ..patterns import GAZETTEER_PREFIX
from ..types import SCORED_LABELS

MODEL_SOURCE = "model"
CUE_SOURCE = "cue"  # a name with no head word, labelled by a cue beside it (labels.yml)
NAME_CONNECTORS = {"of", "for", "and", "on", "-", "–", "&"}
COORDINATORS = {"and", "&"}
# Token.ent_iob values in doc arrays: 3 begins an entity, 1 continues it.
IOB_BEGIN, IOB_INSIDE = 3, 1
DASHES = {"-", "–", "—"}


# A name's head word comes first when one of these follows it ("Bank of Korea", "Regime of Incentives").
HEAD_FIRST_LINKS = {"of", "for", "on"}


def head_index(words: Words, start: int, end: int) -> int:
    """Where a name's head word is: before its first "of/for/on", else its last word."""
    for i in range(start, end - 1):
        if words.lower[i + 1] in HEAD_FIRST_LINKS:
            return i
    return end - 1


def precedence(source: str) -> int:
    """Which proposal wins a tie of length: a gazetteer name, a shape rule, a cue (labels.yml), the model."""
    if source.startswith(GAZETTEER_PREFIX):
        return 0
    return {CUE_SOURCE: 2, MODEL_SOURCE: 3}.get(source, 1)


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

    def contains(self, other: Proposal) -> bool:
        return spans.contains(self.start, self.end, other.start, other.end)


@dataclass(frozen=True)
class Words:
    """A doc's token texts, read once: every `doc[i]` builds a new Token object, which adds up."""

    text: list[str]
    lower: list[str]
    idx: list[int]
    source: str

    @classmethod
    def of(cls, doc: Doc) -> Words:
        # One array read and string lookups: iterating the doc builds a Token object per word.
        # (`doc.text` also builds them: the source is joined from the words and their spaces.)
        columns = doc.to_array([ORTH, LOWER, IDX, SPACY])
        strings = doc.vocab.strings
        text = [strings[orth] for orth in columns[:, 0].tolist()]
        lower = [strings[low] for low in columns[:, 1].tolist()]
        source = "".join(
            word + " " if space else word for word, space in zip(text, columns[:, 3].tolist(), strict=True)
        )
        return cls(text, lower, columns[:, 2].tolist(), source)

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
    ranked = sorted(maximal, key=lambda p: (-p.length, precedence(p.source), p.start, p.label, p.source))
    kept: list[Proposal] = []
    covering: dict[int, list[Proposal]] = {}  # token index -> kept proposals over it
    for proposal in ranked:
        clashes = {id(o): o for i in range(proposal.start, proposal.end) for o in covering.get(i, ())}.values()
        if not clashes or all(nests_as_name(words, proposal, other) for other in clashes):
            kept.append(proposal)
            for i in range(proposal.start, proposal.end):
                covering.setdefault(i, []).append(proposal)
    return sorted(kept, key=lambda p: (p.start, -p.end, p.label))


def drop_coordinations(words: Words, proposals: list[Proposal]) -> list[Proposal]:
    """Drop a proposal that is two names joined by "and" or a dash: "[Sumitomo Corp.] and [Mitsubishi Corporation]".

    A name may hold "and" ("Ministry of Economy, Trade and Industry"); it is two names when
    other proposals of its label, rules' or the gazetteer's, end just before the "and" (or
    before an acronym in parentheses there) and start just after it. A dash joins two names only in an ORG
    ("African Union–European Union"); in "EU-Japan Summit" it is part of the name.
    """
    # The model's and the cues' pieces do not count: "Ministry of SMEs and [Startups]" is one name.
    ends = {(p.end, p.label) for p in proposals if p.source not in (MODEL_SOURCE, CUE_SOURCE)}
    starts = {(p.start, p.label) for p in proposals if p.source not in (MODEL_SOURCE, CUE_SOURCE)}
    text = words.text

    def joins_two(proposal: Proposal) -> bool:
        if proposal.label not in spans.NAME_LABELS:
            return False
        joiners = COORDINATORS | DASHES if proposal.label == "ORG" else COORDINATORS
        for i in range(proposal.start + 1, proposal.end - 1):
            if words.lower[i] not in joiners or (i + 1, proposal.label) not in starts:
                continue
            left = i - 3 if i >= 3 and text[i - 1] == ")" and text[i - 3] == "(" else i
            if (left, proposal.label) in ends and left > proposal.start:
                return True
        return False

    return [p for p in proposals if not joins_two(p)]


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


def nests_as_name(words: Words, inner: Proposal, outer: Proposal) -> bool:
    """Whether `inner` is an ORG named inside the EVENT or INITIATIVE `outer` (G20 in G20 Osaka Summit).

    The model's nested fragments ("Science and Technology") do not count unless written in
    capitals; an ORG that starts in the middle of the outer name is a piece of it; and an ORG
    that is the whole outer name but its ordinal or year ("EU-Japan Council" in "3rd EU-Japan
    Council") is the same name, not a nested one.
    """
    if not spans.may_nest(inner.label, outer.label) or not spans.strictly_contains(
        outer.start, outer.end, inner.start, inner.end
    ):
        return False
    text = words.text
    in_capitals = all(word.isupper() or word.isdigit() for word in text[inner.start : inner.end])
    if not in_capitals:
        if inner.source == MODEL_SOURCE:
            return False
        # "EU-[Japan Council]", "Singapore [International Forum]": a piece of a longer name, not a name;
        # "Competitiveness and Resilience ([CoRe]) Partnership": the outer name's own acronym.
        left = text[inner.start - 1] if inner.start > outer.start else None
        if left is not None and (left in NAME_CONNECTORS or left[:1].isupper() or left == "("):
            return False
    rest = [*text[outer.start : inner.start], *text[inner.end : outer.end]]
    return any(word[:1].isupper() for word in rest)


def entity_ranges(doc: Doc) -> list[tuple[int, int, str]]:
    """`doc.ents` as (start, end, label) token ranges, read from the IOB array: `doc.ents` builds a Span each."""
    columns = doc.to_array([ENT_IOB, ENT_TYPE])
    begins = (columns[:, 0] == IOB_BEGIN).nonzero()[0]
    # An entity runs from its B to the next token that is not I (or the end of the doc).
    not_inside = [*(columns[:, 0] != IOB_INSIDE).nonzero()[0].tolist(), len(doc)]
    strings = doc.vocab.strings
    return [
        (start, not_inside[bisect_right(not_inside, start)], strings[label])
        for start, label in zip(begins.tolist(), columns[begins, 1].tolist(), strict=True)
    ]


def set_entities(doc: Doc, scored: Sequence[Span]) -> None:
    """Make `doc.ents` the outermost scored spans plus the model's unscored entities around them."""
    outermost: list[Span] = []
    for span in sorted(scored, key=lambda s: (s.start, -s.end)):
        if not outermost or span.start >= outermost[-1].end:
            outermost.append(span)
    taken = {i for span in outermost for i in range(span.start, span.end)}
    others = [
        Span(doc, start, end, label=label)
        for start, end, label in entity_ranges(doc)
        if label not in SCORED_LABELS and not any(i in taken for i in range(start, end))
    ]
    doc.set_ents(sorted([*outermost, *others], key=lambda s: s.start), default="outside")
