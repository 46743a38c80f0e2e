"""`policy_acronyms`: resolve "Long Form (SF)" definitions and label every later mention of SF.

Definitions are found as scispacy's AbbreviationDetector finds them, after Schwartz & Hearst
(2003), "A simple algorithm for identifying abbreviation definitions in biomedical text":
a short form in parentheses, and a long form among the words just before it whose letters
contain the short form's characters in order, its first character starting a word.

Three outcomes, by what precedes the parentheses:
* a scored span ends right before "(": SF takes that span's label, and every mention of SF
  (the one in parentheses included) becomes a span with `canonical` = the long form;
* SF sits inside a longer scored name ("Competitiveness and Resilience (CoRe) Partnership"):
  a later "CoRe Partnership" becomes a span of that label with the full name as `canonical`;
* the long form is lower case ("research and development (R&D)"): SF names a concept, and
  every span that is just SF is dropped.
A capitalised back-reference ("the Bank", "the Fund", "the Summit") to a name given earlier in
the article becomes a span with that name's label and the name as `canonical` (ANNOTATION.md,
"Hard cases"): of the earlier names with that head word, one that ends in it, and the longest
(the full name rather than a headline's short one).
Only strings and offsets are stored on spans (`Span._.canonical`), so docs stay picklable.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup

from ..spans import NAME_LABELS, SPANS_KEY
from .attributes import register_attributes
from .overlaps import Proposal, Words, head_index, resolve_overlaps, set_entities

ACRONYM_SOURCE = "acronym"
BACK_REFERENCE_SOURCE = "back-reference"
# A shortened mention keeps at least this many words of the full name ("Strategic Partnership"),
MIN_SHORTENED_WORDS = 2
# and at most this many (each name offers its last words as the mentions it may stand for, so the
# work per name is bounded: a name of the model's can run over a whole scraped menu).
MAX_SHORTENED_WORDS = 16
# Schwartz & Hearst: a short form has at most ten characters and starts with a letter or digit;
# names of institutions run a little longer ("Afreximbank").
MAX_SHORT_FORM_CHARS = 12
MIN_SHORT_FORM_CHARS = 2
# Schwartz & Hearst: the long form has at most min(|SF| + 5, 2 * |SF|) words.
EXTRA_LONG_FORM_WORDS = 5


def is_short_form(text: str) -> bool:
    """Whether a parenthesized string can be an abbreviation.

    >>> is_short_form("DOE"), is_short_form("CoRe"), is_short_form("2021"), is_short_form("see below")
    (True, True, False, False)
    """
    return (
        MIN_SHORT_FORM_CHARS <= len(text) <= MAX_SHORT_FORM_CHARS
        and text[0].isalnum()
        and any(ch.isupper() for ch in text)
        and " " not in text
    )


def find_long_form_start(short_form: str, candidate: str) -> int | None:
    """Character offset in `candidate` where the long form of `short_form` starts, or None.

    The Schwartz & Hearst backward match: each alphanumeric character of the short form,
    right to left, must appear in the candidate in the same order; the first one must begin a word.

    >>> candidate = "launched the Toyota Research Institute"
    >>> candidate[find_long_form_start("TRI", candidate):]
    'Toyota Research Institute'
    >>> find_long_form_start("MEXT", "Ministry of Education") is None
    True
    """
    short_index = len(short_form) - 1
    long_index = len(candidate) - 1
    while short_index >= 0:
        char = short_form[short_index].lower()
        if not char.isalnum():
            short_index -= 1
            continue
        while long_index >= 0 and (
            candidate[long_index].lower() != char
            or (short_index == 0 and long_index > 0 and candidate[long_index - 1].isalnum())
        ):
            long_index -= 1
        if long_index < 0:
            return None
        long_index -= 1
        short_index -= 1
    return candidate.rfind(" ", 0, long_index + 1) + 1


def abbreviates(short_form: str, long_form: str) -> bool:
    """Whether `short_form` really stands for `long_form`.

    Either the Schwartz & Hearst match holds within the long form (which may carry a prefix
    the short form leaves out, as "U.S.-India" before "Strategic Clean Energy Partnership (SCEP)"),
    or (for names like MEXT whose letters come from another language) both start with the
    same letter and the short form is in capitals.

    >>> abbreviates("TRI", "Toyota Research Institute"), abbreviates("MEXT", "Ministry of Education")
    (True, True)
    >>> abbreviates("2021", "Toyota Research Institute")
    False
    """
    if find_long_form_start(short_form, long_form) is not None:
        return True
    letters = [ch for ch in short_form if ch.isalpha()]
    return len(letters) >= MIN_SHORT_FORM_CHARS and short_form.isupper() and long_form[:1] == short_form[:1]


@dataclass(frozen=True)
class Definition:
    """A short form, the long form it stands for, and the label mentions of it take."""

    short_form: str
    long_form: str
    label: str
    tail: tuple[str, ...] = ()


class AcronymResolver:
    """Find acronym definitions in a doc and label and link every mention."""

    def __init__(self, nlp: Language, name: str, *, spans_key: str) -> None:
        self.name = name
        self.spans_key = spans_key
        register_attributes()

    def __call__(self, doc: Doc) -> Doc:
        words = Words.of(doc)
        spans = [(s.start, s.end, s.label_, s.id_ or ACRONYM_SOURCE) for s in doc.spans.get(self.spans_key, [])]
        definitions, concepts = self.find_definitions(words, spans)
        proposals = [Proposal(*span) for span in spans if words.span_text(span[0], span[1]) not in concepts]
        canonical: dict[tuple[int, int, str], str] = {}
        positions: dict[str, list[int]] = {}
        for i, word in enumerate(words.text):
            positions.setdefault(word, []).append(i)
        mentions = [
            (Proposal(start, end, definition.label, ACRONYM_SOURCE), definition.long_form)
            for definition in _last_definitions(definitions)
            for start, end in _mentions(words.text, positions, definition)
        ]
        # "CoRe" in a later "CoRe Partnership" is the short name's own first word, not an ORG inside it.
        inside_names = {(m.start, m.start + 1) for m, _ in mentions if m.length > 1}
        proposals = [p for p in proposals if not (p.label == "ORG" and (p.start, p.end) in inside_names)]
        # Mentions in turn replace the proposals of their words that have another label, earlier mentions too.
        labels_at: dict[tuple[int, int], set[str]] = {}
        latest_at: dict[tuple[int, int], list[Proposal]] = {}  # the mentions not replaced yet
        for mention, long_form in [*mentions, *_back_references(words, proposals)]:
            where = (mention.start, mention.end)
            labels_at.setdefault(where, set()).add(mention.label)
            latest = latest_at.setdefault(where, [])
            if latest and latest[0].label != mention.label:
                latest.clear()
            latest.append(mention)
            canonical[(mention.start, mention.end, mention.label)] = long_form
        proposals = [p for p in proposals if labels_at.get((p.start, p.end), {p.label}) == {p.label}]
        proposals += [mention for latest in latest_at.values() for mention in latest]
        kept = resolve_overlaps(words, proposals)
        for span in doc.spans.get(self.spans_key, []):  # names the gazetteer knew
            if span._.canonical:
                canonical.setdefault((span.start, span.end, span.label_), span._.canonical)
        for proposal, long_form in _shortened_mentions(words, kept):
            canonical.setdefault((proposal.start, proposal.end, proposal.label), long_form)
        result = [Span(doc, p.start, p.end, label=p.label, span_id=p.source) for p in kept]
        for span, proposal in zip(result, kept, strict=True):
            span._.canonical = canonical.get((proposal.start, proposal.end, proposal.label))
        doc.spans[self.spans_key] = SpanGroup(doc, name=self.spans_key, spans=result)
        doc._.acronyms = [
            {"short": " ".join((d.short_form, *d.tail)), "long": d.long_form, "label": d.label} for d in definitions
        ]
        set_entities(doc, result)
        return doc

    def find_definitions(
        self, words: Words, spans: list[tuple[int, int, str, str]]
    ) -> tuple[list[Definition], set[str]]:
        """Definitions with a known label, and the short forms that name concepts.

        `spans` are (start, end, label, source) token ranges of the doc's scored spans.
        """
        text = words.text
        definitions: list[Definition] = []
        concepts: set[str] = set()
        index = _SpanIndex(spans)
        for open_paren in range(1, len(text) - 2):
            if text[open_paren] != "(":
                continue
            if _two_word_short_form(text, open_paren):
                # "Just Energy Transition Investment Plan (JET IP)", "Korea-U.S. Free Trade Agreement (KORUS FTA)"
                before = [s for s in index.ending_at(open_paren) if s[2] in NAME_LABELS]
                if before:
                    start, end, label, _ = max(before, key=lambda s: s[1] - s[0])
                    short, rest = text[open_paren + 1], (text[open_paren + 2],)
                    definitions.append(Definition(short, words.span_text(start, end), label, rest))
                continue
            if text[open_paren + 2] != ")":
                continue
            short_form = text[open_paren + 1]
            if not is_short_form(short_form):
                continue
            before = index.ending_at(open_paren)
            around = index.across(open_paren, open_paren + 3)
            if before:
                start, end, label, _ = max(before, key=lambda s: s[1] - s[0])
                long_form = words.span_text(start, end)
                # An institution's acronym may come from another language ("... Development (BMZ)").
                if label in NAME_LABELS or abbreviates(short_form, long_form):
                    definitions.append(Definition(short_form, long_form, label))
            elif around:
                start, end, label, _ = max(around, key=lambda s: s[1] - s[0])
                tail = tuple(text[open_paren + 3 : end])
                definitions.append(Definition(short_form, words.span_text(start, end), label, tail))
            else:
                window = min(len(short_form) + EXTRA_LONG_FORM_WORDS, 2 * len(short_form))
                candidate = words.span_text(max(0, open_paren - window), open_paren)
                long_start = find_long_form_start(short_form, candidate)
                if long_start is not None and candidate[long_start:].islower():
                    concepts.add(short_form)
        return definitions, concepts


class _SpanIndex:
    """The spans `(start, end, ...)` that end at a token, or run across a range asked for left to right.

    A definition's parentheses look for the span before them and for one around them; asking
    every span each time would cost the number of spans times the number of parentheses.
    """

    def __init__(self, spans: list[tuple[int, int, str, str]]) -> None:
        self._spans = spans
        self._by_end: dict[int, list[tuple[int, int, str, str]]] = {}
        for span in spans:
            self._by_end.setdefault(span[1], []).append(span)
        self._by_start = sorted(range(len(spans)), key=lambda k: spans[k][0])
        self._started = 0  # how many of `_by_start` have been taken into `_open`
        self._open: list[int] = []  # the spans started so far that may still run across a later range

    def ending_at(self, end: int) -> list[tuple[int, int, str, str]]:
        """The spans that end at token `end`, in their order."""
        return self._by_end.get(end, [])

    def across(self, start: int, end: int) -> list[tuple[int, int, str, str]]:
        """The spans that start before token `start` and end at `end` or later, in their order.

        Calls come with `start` and `end` never smaller than before, so a span that ends too
        early for one range is dropped for good.
        """
        while self._started < len(self._by_start) and self._spans[self._by_start[self._started]][0] < start:
            self._open.append(self._by_start[self._started])
            self._started += 1
        self._open = [k for k in self._open if self._spans[k][1] >= end]
        return [self._spans[k] for k in sorted(self._open)]


def _last_definitions(definitions: list[Definition]) -> list[Definition]:
    """The definitions that decide the mentions: of each short form (and tail) with each label, the last.

    A later definition's mentions replace an earlier one's, so repeating "Asian Development
    Bank (ADB)" a thousand times labels the mentions of ADB once, not a thousand times.
    """
    last: dict[tuple[str, tuple[str, ...], str], Definition] = {}
    for definition in definitions:
        key = (definition.short_form, definition.tail, definition.label)
        last.pop(key, None)  # ordered by the last definition
        last[key] = definition
    return list(last.values())


def _two_word_short_form(text: list[str], open_paren: int) -> bool:
    """Whether "( W1 W2 )" holds a short form of two words, the first an acronym ("JET IP", "ITSI Fund")."""
    if open_paren + 3 >= len(text) or text[open_paren + 3] != ")":
        return False
    first, second = text[open_paren + 1], text[open_paren + 2]
    return is_short_form(first) and first.isupper() and second[:1].isupper() and second.isalpha()


def _back_references(words: Words, proposals: list[Proposal]) -> list[tuple[Proposal, str]]:
    """Capitalised head words after "the" that refer to an earlier name with that head (`_referent_rank`).

    "the Bank" after "African Development Bank", "the Board" after "AfDB Board of Directors";
    not "the Bank of Japan" (a name goes on) and not a word inside another span.
    """
    text, lower = words.text, words.lower
    names = sorted((p for p in proposals if p.label in NAME_LABELS and p.length > 1), key=lambda p: p.start)
    covered = {i for p in proposals for i in range(p.start, p.end) if p.length > 1}
    found = []
    named: dict[str, Proposal] = {}
    upcoming = iter(names)
    following = next(upcoming, None)
    for i in range(1, len(text)):
        while following is not None and following.end <= i:
            head = _head_word(words, following)
            if _referent_rank(words, following, head) > _referent_rank(words, named.get(head), head):
                named[head] = following
            following = next(upcoming, None)
        word = text[i]
        if lower[i - 1] != "the" or not (word.istitle() and word.isalpha()) or i in covered:
            continue
        after = text[i + 1] if i + 1 < len(text) else ""
        if after[:1].isupper() or lower[i + 1 : i + 2] in (["of"], ["for"], ["on"]):
            continue
        name = named.get(word)
        if name is not None:
            found.append((Proposal(i, i + 1, name.label, BACK_REFERENCE_SOURCE), words.span_text(name.start, name.end)))
    return found


def _referent_rank(words: Words, name: Proposal | None, head: str) -> tuple[bool, int]:
    """Which earlier name "the <head>" refers to: one that ends in the head word, then the longest.

    "the Bank" after the Asian Development Bank and the Japan Bank for International
    Cooperation is the ADB; "the Facility" after a headline's "Forest Facility" and the
    "Tropical Forest Forever Facility" is the full name.
    """
    if name is None:
        return (False, -1)
    return (words.text[name.end - 1] == head, name.length)


def _shortened_mentions(words: Words, kept: list[Proposal]) -> list[tuple[Proposal, str]]:
    """Names that repeat the last words of a longer earlier name of their label, with that name.

    "Comprehensive Strategic Partnership" after "US–Vietnam Comprehensive Strategic Partnership"
    stands for it (ANNOTATION.md: the full name a shortened later mention stands for).
    """
    text = words.text
    found = []
    names = [p for p in kept if p.label in NAME_LABELS]
    # The earlier names, read up to the first that does not end before the mention: the first
    # to end in each run of words (a label and its last words -> that name).
    first_ending_in: dict[tuple[str, tuple[str, ...]], Proposal] = {}
    read = 0
    for mention in names:
        while read < len(names) and names[read].end <= mention.start:
            earlier = names[read]
            for width in range(MIN_SHORTENED_WORDS, min(earlier.length - 1, MAX_SHORTENED_WORDS) + 1):
                first_ending_in.setdefault((earlier.label, tuple(text[earlier.end - width : earlier.end])), earlier)
            read += 1
        if not MIN_SHORTENED_WORDS <= mention.length <= MAX_SHORTENED_WORDS:
            continue
        full = first_ending_in.get((mention.label, tuple(text[mention.start : mention.end])))
        if full is not None:
            found.append((mention, words.span_text(full.start, full.end)))
    return found


def _head_word(words: Words, name: Proposal) -> str:
    return words.text[head_index(words, name.start, name.end)]


def _mentions(text: list[str], positions: dict[str, list[int]], definition: Definition) -> list[tuple[int, int]]:
    """Token ranges where the short form (followed by the name's tail, if any) is mentioned."""
    width = 1 + len(definition.tail)
    return [
        (i, i + width)
        for i in positions.get(definition.short_form, [])
        if i + width <= len(text) and tuple(text[i + 1 : i + width]) == definition.tail
    ]


@Language.factory("policy_acronyms", assigns=["doc.spans", "doc.ents"], default_config={"spans_key": SPANS_KEY})
def make_acronym_resolver(nlp: Language, name: str, spans_key: str) -> AcronymResolver:
    """Create the `policy_acronyms` component, which reads and rewrites `doc.spans[spans_key]`."""
    return AcronymResolver(nlp, name, spans_key=spans_key)
