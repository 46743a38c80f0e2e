"""`policy_spans`: match the rule patterns, merge them with the model's entities into one scored span group.

The model's NER and the patterns of `patterns/*.yml` both propose spans (so do the spans of
`doc.spans[rules_key]`, if an upstream component such as a `span_ruler` wrote any). This
component cleans each proposal to the boundaries of ANNOTATION.md (no leading determiner, no
possessive ending, DATE and MONEY cut to their calendar and currency words), repairs the
model's typical errors on policy commentary (a name run through an image-credit slash, a
possessive or a half-open parenthesis; a fragment ending in "of"; concept acronyms, a person's
name or a region read as an ORG; durations read as dates), then keeps the longest proposal
wherever two overlap, preferring rules on ties. The one overlap kept is an ORG inside an EVENT
or INITIATIVE (the guideline's nesting). The result goes to `doc.spans[spans_key]`; `doc.ents`
is reset to the outermost scored spans plus the model's unscored entities (PERSON, GPE, ...)
that do not overlap them.

Like spaCy's `span_ruler`, the component holds its patterns and word lists as data: the
packaged rule set from the start, another through `initialize(rules=...)` or `add_patterns`,
and both round-trip through `to_disk` / `from_disk` as plain JSON. Before they reach spaCy's
Matcher, word-level predicates become lexeme flags (`pipeline.lexeme_flags`); that speed-up
lives in the vocab, so it is applied again whenever patterns are added or loaded, never saved.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from itertools import accumulate
from pathlib import Path
from typing import Any

import srsly
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.pipeline.span_ruler import overlapping_labeled_spans_score
from spacy.schemas import validate_token_pattern
from spacy.tokens import Doc, Span, SpanGroup
from spacy.training import Example
from spacy.util import registry

from ..errors import Messages, PatternFileError
from ..lexeme_flags import flagged_patterns
from ..patterns import GAZETTEER_PREFIX, LabelRules, RuleSet
from ..spans import NAME_LABELS, SPANS_KEY
from ..tokenizer import customize_tokenizer
from .attributes import register_attributes
from .overlaps import (
    CUE_SOURCE,
    DASHES,
    MODEL_SOURCE,
    NAME_CONNECTORS,
    Proposal,
    Words,
    drop_coordinations,
    entity_ranges,
    head_index,
    resolve_overlaps,
    set_entities,
)
from .rule_data import packaged_rules

RULE_SOURCE = "rule"  # the source of an upstream span that carries no pattern id
DEFAULT_LABEL_MAP = {"ORG": "ORG", "DATE": "DATE", "MONEY": "MONEY", "EVENT": "EVENT", "LAW": "INITIATIVE"}
SEPARATORS = {"/", "|", "[", "]"}
POSSESSIVES = {"’s", "'s"}
PATTERNS_FILE = "patterns.jsonl"
LEXICON_FILE = "lexicon.json"
LABELS_FILE = "labels.json"
# Words that join the capitalized words of a name with no head word.
RUN_CONNECTORS = {"-", "–"}
# Words between a cue and the name it introduces ("under its Digital Superhighway programme").
CUE_DETERMINERS = {"the", "its", "their", "our", "his", "her", "a", "an", "new"}
PLACE_LABELS = {"GPE", "LOC", "FAC"}
SHORT_NAME_SOURCE = "short-name"  # a company named again without its legal form
# A company's first word names it alone only if it is this long ("Sony" yes, "SK" no).
MIN_SHORT_NAME_LETTERS = 4
# A photographer's name in a credit has this many words at most ("Luca Bernasconi").
MAX_PERSON_WORDS = 3
# A word of capitals longer than this is not an acronym but a shouted word ("FINANCE", "PIMENTEL").
MAX_ACRONYM_LETTERS = 3
# The words that open a name's topic after its head word ("Conference on ...", "Center in Washington").
TOPIC_WORDS = {"of", "for", "on", "with", "in", "at", "and", "&", "-", "–", ","}
TIME_OF_DAY = re.compile(r"^\d{1,2}[:.]\d{2}$")
# No name or value a rule finds (a Matcher match, a cued name, a company named again) is longer than
# this many tokens: the longest gold span has 16, and so has the longest match on the corpus.
MAX_MATCH_TOKENS = 32
# The Matcher reads a long doc in windows this long, each overlapping the next by MAX_MATCH_TOKENS.
# A loop (`*`, `+`) over a run of words it accepts keeps partial matches alive from every word of
# the run, and spaCy keeps one per way of reading the run ("Fund Fund Fund ...": which "Fund" is
# the head), so a run of n words costs the Matcher between n² and n³ steps; in windows no partial
# match outlives its window, and the cost is linear in n. A shorter window is faster on such runs,
# a longer one reads fewer words twice on ordinary text (here one word in three).
MATCH_WINDOW_TOKENS = 4 * MAX_MATCH_TOKENS

PatternDict = dict[str, Any]


@registry.scorers("policy_extract.spans_scorer.v1")
def make_spans_scorer() -> Callable[..., dict[str, Any]]:
    """Precision, recall and F1 of a span group, overall and per label (`spans_<key>_p/r/f/per_type`)."""
    return overlapping_labeled_spans_score


class PolicySpans:
    """Match the rules, clean, filter and merge span proposals into `doc.spans[spans_key]`."""

    def __init__(
        self,
        nlp: Language,
        name: str,
        *,
        rules_key: str,
        spans_key: str,
        label_map: dict[str, str],
        scorer: Callable[..., dict[str, Any]] | None = None,
    ) -> None:
        self.nlp = nlp
        self.name = name
        self.rules_key = rules_key
        self.spans_key = spans_key
        self.label_map = label_map
        self.scorer = scorer
        register_attributes()
        self.initialize()

    # ---- the rules as data, as spaCy's span_ruler holds its patterns ----

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]] | None = None,
        *,
        nlp: Language | None = None,
        rules: RuleSet | None = None,
    ) -> None:
        """Replace the patterns and word lists with those of `rules` (default: the packaged rule set)."""
        rules = rules or packaged_rules()
        patterns = [pattern for entry in rules.entries for pattern in entry.as_spacy_patterns()]
        self._set_rules(patterns, rules.lexicon, rules.labels)

    @property
    def patterns(self) -> list[PatternDict]:
        """The patterns as written (`{"label", "pattern", "id"}`), without the lexeme flags."""
        return list(self._patterns)

    @property
    def lexicon(self) -> dict[str, list[str]]:
        """The named word lists the cleaning reads (`patterns/lexicon.yml`)."""
        return {key: list(words) for key, words in self._lexicon.items()}

    def add_patterns(self, patterns: Iterable[PatternDict]) -> None:
        """Add patterns (`{"label", "pattern", "id"}`, token lists or phrase strings), as `SpanRuler.add_patterns`.

        Raises:
            PatternFileError: for a token pattern spaCy's Matcher would refuse, naming its id.
        """
        patterns = list(patterns)
        for pattern in patterns:
            problems = validate_token_pattern(pattern["pattern"]) if isinstance(pattern["pattern"], list) else []
            if problems:
                raise PatternFileError(Messages.P020.format(entry=pattern.get("id"), problem="; ".join(problems)))
        self._add(patterns)

    def _add(self, patterns: list[PatternDict]) -> None:
        """Add patterns already validated (by `load_rules`, or before they were saved)."""
        for pattern, flagged in zip(patterns, flagged_patterns(self.nlp.vocab, patterns), strict=True):
            match_id = repr((pattern["label"], pattern.get("id") or ""))
            self._pattern_labels[self.nlp.vocab.strings.add(match_id)] = (
                pattern["label"],
                pattern.get("id") or RULE_SOURCE,
            )
            if isinstance(pattern["pattern"], str):
                self._phrase_matcher.add(match_id, [self.nlp.make_doc(pattern["pattern"])])
                if pattern.get("canonical"):
                    self._canonical_names[pattern["pattern"]] = pattern["canonical"]
                    self._forms_of_names.setdefault(pattern["canonical"], []).append(pattern["pattern"])
            else:
                self._matcher.add(match_id, [flagged["pattern"]])
            self._patterns.append(pattern)

    @property
    def label_rules(self) -> LabelRules:
        """The head-word classes and cues that decide a name's label (`patterns/labels.yml`)."""
        return self._labels

    def _set_rules(self, patterns: list[PatternDict], lexicon: dict[str, list[str]], labels: LabelRules) -> None:
        self._labels = labels
        self._head_labels = {word: c.label for c in labels.head_words for word in c.words}
        self._model_overrides = {word: c.label for c in labels.head_words if c.over_model for word in c.words}
        self._opening_heads = {word for c in labels.head_words if c.opens_name for word in c.words}
        self._short_mention_heads = {word for c in labels.head_words if c.short_mentions for word in c.words}
        self._closing_heads: dict[str, set[str]] = {}
        for head_class in labels.head_words:
            if not head_class.opens_name:
                self._closing_heads.setdefault(head_class.label, set()).update(head_class.words)
        self._patterns: list[PatternDict] = []
        self._pattern_labels: dict[int, tuple[str, str]] = {}
        self._canonical_names: dict[str, str] = {}  # a gazetteer phrase -> the name it is a form of
        self._forms_of_names: dict[str, list[str]] = {}  # and back
        # load_rules has validated the patterns; spaCy's schema would refuse the flag ids they now hold.
        self._matcher = Matcher(self.nlp.vocab, validate=False)
        self._phrase_matcher = PhraseMatcher(self.nlp.vocab)
        self._set_lexicon(lexicon)
        self._add(patterns)

    def _set_lexicon(self, lexicon: dict[str, list[str]]) -> None:
        self._lexicon = {key: list(words) for key, words in lexicon.items()}
        customize_tokenizer(self.nlp, lexicon.get("currency_prefixes", []))
        exact = {key: frozenset(words) for key, words in lexicon.items()}
        lower = {key: frozenset(word.lower() for word in words) for key, words in lexicon.items()}
        empty: frozenset[str] = frozenset()
        self.leading = lower.get("leading_words", empty)
        self.credit_markers = lower.get("credit_markers", empty)
        self.calendar = lower.get("calendar_words", empty)
        # "Today the Ministry ..." loses "Today"; a DATE keeps it.
        self.date_leading = (self.leading - self.calendar) | lower.get("date_edge_words", empty)
        self.trailing = lower.get("trailing_words", empty)
        self.units = lower.get("duration_units", empty)
        self.anchors = (self.calendar - self.units) | lower.get("relative_date_words", empty)
        self.quarter_words = lower.get("quarter_words", empty)
        self.offsets = lower.get("offset_words", empty)
        self.day_periods = lower.get("day_periods", empty)
        self.not_entities = exact.get("not_entities", empty)
        self.regions = exact.get("regions", empty)
        self.not_org_last_words = exact.get("not_org_last_words", empty)
        self.officeholders = lower.get("officeholders", empty)
        self.furniture = exact.get("furniture", empty)
        self.currencies = exact.get("currency_tokens", empty)
        self.currency_words = lower.get("currency_words", empty)
        self.fractions = lower.get("money_fractions", empty)
        self.currency_prefixes = tuple(c for c in self.currencies if len(c) > 1)

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return srsly.msgpack_dumps(
            {"patterns": self._patterns, "lexicon": self._lexicon, "labels": self._labels.as_dict()}
        )

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> PolicySpans:
        stored = srsly.msgpack_loads(data)
        self._set_rules(stored["patterns"], stored["lexicon"], LabelRules.from_dict(stored["labels"]))
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        srsly.write_jsonl(directory / PATTERNS_FILE, self._patterns)
        srsly.write_json(directory / LEXICON_FILE, self._lexicon)
        srsly.write_json(directory / LABELS_FILE, self._labels.as_dict())

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> PolicySpans:
        directory = Path(path)
        self._set_rules(
            list(srsly.read_jsonl(directory / PATTERNS_FILE)),
            srsly.read_json(directory / LEXICON_FILE),
            LabelRules.from_dict(srsly.read_json(directory / LABELS_FILE)),
        )
        return self

    def score(self, examples: Iterable[Example], **kwargs: Any) -> dict[str, Any]:
        """The scores of `doc.spans[spans_key]` per label, which `nlp.evaluate` reports as `spans_<key>_*`."""
        if self.scorer is None:
            return {}
        return self.scorer(examples, spans_key=self.spans_key, **kwargs)

    # ---- extraction ----

    def __call__(self, doc: Doc) -> Doc:
        words = Words.of(doc)
        ents = entity_ranges(doc)
        people = _byline_names(words)
        for start, end, label in ents:
            if label == "PERSON":
                people.add(words.span_text(start, end))
                people.update(words.text[start:end])
            elif label in PLACE_LABELS:
                people.add(words.span_text(start, end))
        label_lines = _LabelLines(words.source)
        candidates = [*self._matches(doc), *self._cued_names(words, people)]
        proposals = [
            self._clean(words, start, end, label, source, people, label_lines)
            for start, end, label, source in candidates
        ]
        for ent_start, ent_end, ent_label in ents:
            if ent_label in self.label_map:
                model_label = self.label_map[ent_label]
                for start, end in self._repair_model_span(words, ent_start, ent_end, model_label):
                    label, cued = self._model_label(words, start, end, model_label)
                    source = CUE_SOURCE if cued else MODEL_SOURCE
                    proposals.append(self._clean(words, start, end, label, source, people, label_lines))
        found = drop_coordinations(words, [p for p in proposals if p is not None])
        kept = self._spread_cued_labels(words, resolve_overlaps(words, found))
        short_names = self._short_company_names(words, kept, people)
        kept = resolve_overlaps(words, [*kept, *self._repeat_mentions(words, kept), *short_names])
        spans = [Span(doc, p.start, p.end, label=p.label, span_id=p.source) for p in kept]
        self._set_known_names(spans)
        for span in spans:
            if span.id_ == SHORT_NAME_SOURCE:
                span._.canonical = short_names[Proposal(span.start, span.end, "ORG", SHORT_NAME_SOURCE)]
        doc.spans[self.spans_key] = SpanGroup(doc, name=self.spans_key, spans=spans)
        set_entities(doc, spans)
        return doc

    def _cued_names(self, words: Words, people: set[str]) -> Iterator[tuple[int, int, str, str]]:
        """Names with no head word that a cue labels: "under its [Digital Superhighway]", "the [PLI] programme".

        A run of capitalized words (joined by a dash at most) of two words or more,
        or one acronym, with no head word, no calendar word, no title and no person in it.
        """
        text, lower = words.text, words.lower
        for cue in self._labels.cues:
            for i, word in enumerate(lower):
                if word in cue.after and text[i].islower():
                    end = i - 3 if i >= 3 and text[i - 1] == ")" and text[i - 3] == "(" else i
                    start = _run_start(text, lower, end)
                elif word in cue.before:
                    start = i + 1
                    while start < len(lower) and lower[start] in CUE_DETERMINERS:
                        start += 1
                    end = _run_end(text, lower, start)
                else:
                    continue
                run = lower[start:end]
                if not run or (len(run) == 1 and not text[start].isupper()) or len(run) > MAX_MATCH_TOKENS:
                    continue
                if any(w in self._head_labels or w in self.calendar or w in self.officeholders for w in run):
                    continue
                if words.span_text(start, end) in people:
                    continue
                yield start, end, cue.label, CUE_SOURCE

    def _spread_cued_labels(self, words: Words, kept: list[Proposal]) -> list[Proposal]:
        """The label a cue gives one mention of a name, given to the model's other mentions of it.

        "the PABS annex" makes the defined "Pathogen Access and Benefit-Sharing (PABS)" and every
        "PABS" an INITIATIVE; a name with a head word keeps the label its head gives.
        """
        text = words.text
        cued = {words.span_text(p.start, p.end): p.label for p in kept if p.source == CUE_SOURCE}
        if not cued:
            return kept

        def headless(p: Proposal) -> bool:
            return p.source == MODEL_SOURCE and not any(w in self._head_labels for w in words.lower[p.start : p.end])

        for p in kept:  # "LONG FORM ( CUED )"
            if headless(p) and p.end + 2 < len(text) and text[p.end] == "(" and text[p.end + 2] == ")":
                label = cued.get(text[p.end + 1])
                if label is not None:
                    cued.setdefault(words.span_text(p.start, p.end), label)
        return [
            replace(p, label=cued[name])
            if headless(p) and p.label in NAME_LABELS and (name := words.span_text(p.start, p.end)) in cued
            else p
            for p in kept
        ]

    def _short_company_names(self, words: Words, kept: Sequence[Proposal], people: set[str]) -> dict[Proposal, str]:
        """Later mentions of a company without its legal form, or by its first word, with the full name.

        "Samsung" and "Samsung Electronics" after "Samsung Electronics Co.", "Rapidus" after
        "Rapidus Corp."; a first word that is a place or a person's name ("Tokyo" of "Tokyo
        Electron Ltd") or a common capitalized word is not one.
        """
        text, lower = words.text, words.lower
        forms: dict[tuple[str, ...], str] = {}
        for company in kept:
            if company.label != "ORG" or lower[company.end - 1] not in self._short_mention_heads:
                continue
            if company.length > MAX_MATCH_TOKENS:
                continue  # the model's run through a scraped page, not a company's name
            base = [word for word in text[company.start : company.end - 1] if word != ","]
            full = words.span_text(company.start, company.end)
            if base:
                forms.setdefault(tuple(base), full)
            first = base[0] if base else ""
            distinctive = first[:1].isupper() and first.lower() not in self._head_labels and first not in people
            if len(base) > 1 and len(first) >= MIN_SHORT_NAME_LETTERS and distinctive:
                forms.setdefault((first,), full)
        if not forms:
            return {}
        covered = {i for p in kept for i in range(p.start, p.end)}
        found: dict[Proposal, str] = {}
        # Read once per length of form, not once per form: an article may name hundreds of companies.
        for width in sorted({len(form) for form in forms}):
            for i in range(len(text) - width + 1):
                named = forms.get(tuple(text[i : i + width]))
                if named is None or any(j in covered for j in range(i, i + width)):
                    continue
                if i + width < len(text) and text[i + width][:1].isupper():
                    continue  # part of a longer name
                found[Proposal(i, i + width, "ORG", SHORT_NAME_SOURCE)] = named
        return found

    def _set_known_names(self, spans: list[Span]) -> None:
        """Give a gazetteer form the name it stands for, as the article writes that name where it does.

        "EU" after "the European Union's" stands for "European Union"; an "AFD" in an article
        that never writes a longer form stands for the gazetteer's name.
        """
        written = {span.text for span in spans}
        for span in spans:
            name = self._canonical_names.get(span.text)
            if name is None:
                continue
            forms = [form for form in self._forms_of_names[name] if form in written]
            longest = max(forms, key=len, default=name)
            if len(longest) > len(span.text):
                span._.canonical = longest
            elif name != span.text:
                span._.canonical = name

    def _matches(self, doc: Doc) -> set[tuple[int, int, str, str]]:
        """The rule matches (start, end, label, pattern id), and the spans an upstream ruler left in `rules_key`."""
        phrases = self._phrase_matcher(doc) if len(self._phrase_matcher) else []  # an empty matcher warns
        found = {
            (start, end, *self._pattern_labels[key])
            for key, start, end in [*self._bounded_matches(doc), *phrases]
            if start != end
        }
        found.update((s.start, s.end, s.label_, s.id_ or RULE_SOURCE) for s in doc.spans.get(self.rules_key, []))
        return found

    def _bounded_matches(self, doc: Doc) -> list[tuple[int, int, int]]:
        """The token-pattern matches `(key, start, end)` of at most MAX_MATCH_TOKENS tokens, in linear time.

        Each window keeps the matches that start before the next window's overlap, so every
        match of at most MAX_MATCH_TOKENS tokens is found once; a match depends on its own
        words only, so a window finds what the whole doc would.
        """
        if not len(self._matcher):
            return []
        if len(doc) <= MATCH_WINDOW_TOKENS:
            matches = self._matcher(doc)
        else:
            stride = MATCH_WINDOW_TOKENS - MAX_MATCH_TOKENS
            matches = [
                (key, window + start, window + end)
                for window in range(0, len(doc), stride)
                for key, start, end in self._matcher(doc[window : window + MATCH_WINDOW_TOKENS])
                if start < stride
            ]
        return [(key, start, end) for key, start, end in matches if end - start <= MAX_MATCH_TOKENS]

    def _model_label(self, words: Words, start: int, end: int, label: str) -> tuple[str, bool]:
        """The label of a name the model found, and whether a cue decided it (`patterns/labels.yml`).

        Its head word, where a class with `over_model` has it ("Intra-African Trade Fair" is
        an EVENT, "... Payment and Settlement System" an INITIATIVE); for a name with no head
        word, a cue beside it ("under X", "X programme", "X (XP) scheme", "X (XP), launched in").
        """
        if label not in NAME_LABELS:
            return label, False
        lower = words.lower
        inner = range(start, end)
        head = lower[head_index(words, start, end)]
        if lower[start] in self._opening_heads:
            head = lower[start]
        if head in self._model_overrides:
            return self._model_overrides[head], False
        if any(lower[i] in self._head_labels for i in inner):
            return label, False
        before = start - 1
        while before >= 0 and lower[before] in CUE_DETERMINERS:
            before -= 1
        after = end + 3 if end + 2 < len(lower) and lower[end] == "(" and lower[end + 2] == ")" else end
        for cue in self._labels.cues:
            if (
                (before >= 0 and lower[before] in cue.before)
                or (after < len(lower) and lower[after] in cue.after)
                or (after + 1 < len(lower) and lower[after] == "," and lower[after + 1] in cue.after_comma)
            ):
                return cue.label, cue.label != label
        return label, False

    def _repair_model_span(self, words: Words, start: int, end: int, label: str) -> Iterator[tuple[int, int]]:
        """Split the model's span at separators, line breaks and possessives; cut parentheses; extend fragments.

        A possessive splits a chain of names (ANNOTATION.md): "European Commission’s
        Directorate-General" gives both parts; a lone title-case word before the possessive
        ("Washington’s") is most often a place and is left out.
        """
        text = words.text
        pieces: list[tuple[int, int]] = []
        piece_start = start
        for i in range(start, end):
            if text[i] in SEPARATORS or text[i] in POSSESSIVES or text[i].isspace() or _is_spaced_dash(words, i):
                pieces.append((piece_start, i))
                piece_start = i + 1
            elif text[i].endswith(".") and words.lower[i] in self._closing_heads.get("ORG", ()) and i + 1 < end:
                # "Nvidia Corp. Analysts say": an abbreviated legal form ends the name (and its sentence).
                pieces.append((piece_start, i + 1))
                piece_start = end
                break
            elif words.lower[i] in self.officeholders and i + 1 < end and text[i + 1].istitle() and i > piece_start:
                # "CBK Governor Kamau Thugge": the body, then a title and a person.
                pieces.append((piece_start, i))
                piece_start = end
                break
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
            while label in NAME_LABELS and piece_end > piece_start + 1 and words.lower[piece_end - 1] in self.calendar:
                piece_end -= 1  # "Nigerian Exchange on Monday": the date is not part of the name
            if piece_start < piece_end:
                yield piece_start, piece_end

    def _clean(
        self,
        words: Words,
        start: int,
        end: int,
        label: str,
        source: str,
        people: set[str],
        label_lines: _LabelLines,
    ) -> Proposal | None:
        lower = words.lower
        start, end = self._trim(words, start, end, label)
        if label in NAME_LABELS:
            # "Reuters ) - Nigerian ...", "Question ( WION": balanced, then trimmed again.
            start, end = self._trim(words, *_balance_parentheses(words.text, start, end), label)
        if label == "MONEY":
            start, end = self._money_bounds(words.text, start, end)
        if label == "DATE":
            start, end = self._date_bounds(words, start, end)
        if start >= end:
            return None
        if words.span_text(start, end) in self.not_entities:
            return None
        if (
            label in NAME_LABELS
            and source not in (MODEL_SOURCE, CUE_SOURCE)
            and not source.startswith(GAZETTEER_PREFIX)
            and self._runs_past_its_head(words, start, end, label)
        ):
            return None
        if label == "ORG" and not source.startswith(GAZETTEER_PREFIX) and self._is_photographer(words, start, end):
            return None
        if (
            label in NAME_LABELS
            and start > 1
            and lower[start - 1] in ("for", "of")
            and lower[start - 2] in self.officeholders
        ):
            return None  # "Commissioner for International Partnerships" is a title
        if label == "DATE" and not self._is_calendar_expression(words.text[start:end], lower[start:end]):
            return None
        if label == "MONEY" and not (
            any(any(ch.isdigit() for ch in word) or word in self.fractions for word in lower[start:end])
            and any(self._is_currency(word) for word in words.text[start:end])
        ):
            return None  # an amount needs its currency ("129.2" of "129.2 per dollar" is a rate)
        if (
            source == MODEL_SOURCE
            and label == "ORG"
            and not self._is_named_organization(words, start, end, people, label_lines)
        ):
            return None
        return Proposal(start, end, label, source)

    def _is_photographer(self, words: Words, start: int, end: int) -> bool:
        """The person before the agency in a credit ("Photo: Linh Pham/Bloomberg", "AP Photo/Luca Bernasconi").

        Two or three capitalized words with no head word, right after a credit marker and its
        colon and right before a slash, or right after "Photo/"; a name the gazetteer knows
        ("Getty Images") is proposed by it and kept.
        """
        text, lower = words.text, words.lower
        if not 1 < end - start <= MAX_PERSON_WORDS or any(lower[i] in self._head_labels for i in range(start, end)):
            return False
        if not all(text[i].istitle() and text[i].isalpha() for i in range(start, end)):
            return False
        after_marker = start >= 2 and text[start - 1] == ":" and lower[start - 2] in self.credit_markers
        before_slash = end < len(text) and text[end] == "/"
        after_photo_slash = start >= 2 and text[start - 1] == "/" and lower[start - 2] in self.credit_markers
        return (after_marker and before_slash) or after_photo_slash

    def _runs_past_its_head(self, words: Words, start: int, end: int, label: str) -> bool:
        """Whether capitalized words follow a name's last head word of its label with no topic word between them.

        "Forest Facility Pay Its Way" (a headline) is "Forest Facility"; "Conference on Financing for
        Development", "Forum 2022", "Summit (JSC)" and "Center in Washington" run on rightly. The
        patterns leave the linking word optional, and the shorter match is proposed too.
        """
        lower = words.lower
        closing = self._closing_heads.get(label, set())
        heads = [i for i in range(start, end) if lower[i] in closing]
        if not heads or heads[-1] == end - 1:
            return False
        after = words.text[heads[-1] + 1]
        return not (lower[heads[-1] + 1] in TOPIC_WORDS or after == "(" or after[:1].isdigit())

    def _trim(self, words: Words, start: int, end: int, label: str) -> tuple[int, int]:
        """Drop leading words ("the", an image credit's "Photo:") and trailing ones ("’s", a dangling "of")."""
        lower = words.lower
        leading = self.date_leading if label == "DATE" else self.leading
        while start < end and (
            lower[start] in leading or (lower[start] in self.credit_markers and lower[start + 1 : start + 2] == [":"])
        ):
            start += 1
        while start < end and lower[end - 1] in self.trailing:
            end -= 1
        return start, end

    def _is_currency(self, word: str) -> bool:
        """A currency sign, code or word, or a number written with its sign ("€2billion", "NZ$200m")."""
        return word in self.currencies or word.startswith(self.currency_prefixes) or word.lower() in self.currency_words

    def _money_bounds(self, text: list[str], start: int, end: int) -> tuple[int, int]:
        """MONEY starts at a currency sign, code or digit ("more than $5 billion"), ends before a name ("$5bn EV")."""

        is_currency = self._is_currency

        while start < end and not (
            is_currency(text[start]) or text[start][:1].isdigit() or text[start].lower() in self.fractions
        ):
            start += 1
        if 0 < start < end and text[start].lower() in self.fractions and text[start - 1].lower() in ("a", "one"):
            start -= 1  # "a quarter of a billion euros"
        while start < end and text[end - 1][:1].isupper() and not is_currency(text[end - 1]):
            end -= 1
        if "per" in text[start:end]:  # "$4 per hectare", "129.2 per dollar" (a rate)
            end = text.index("per", start, end)
        return start, end

    def _date_bounds(self, words: Words, start: int, end: int) -> tuple[int, int]:
        """A DATE starts at a calendar word or number ("Montevideo last December"), ends before a time of day."""
        text, lower = words.text, words.lower
        while start < end and text[start].istitle() and text[start].isalpha() and lower[start] not in self.anchors:
            start += 1
        while start < end and (TIME_OF_DAY.match(text[end - 1]) or lower[end - 1] in self.day_periods):
            end -= 1
        return start, end

    def _is_calendar_expression(self, text: list[str], lower: list[str]) -> bool:
        """A DATE needs a calendar word or a number, and is not an unanchored duration ("three years").

        A span ending in a unit (year, months, ...) is a duration unless something anchors it
        to the calendar: a month or season word, a four-digit year, or a relative word
        ("last year", "next fiscal year").
        """
        if lower[-1] in self.offsets:
            return False
        has_number = any(any(ch.isdigit() for ch in word) for word in text)
        if not (has_number or any(word in self.calendar for word in lower)):
            return False
        if lower[-1] not in self.units:
            return True
        if len(lower) > 1 and lower[-1] == "quarter" and lower[-2] in self.quarter_words:
            return True
        return any(word in self.anchors or (len(word) == 4 and word.isdigit()) for word in lower)

    def _is_named_organization(
        self, words: Words, start: int, end: int, people: set[str], label_lines: _LabelLines
    ) -> bool:
        """Reject the model's ORG that is a person's name, a region, a field of study or holds a concept acronym.

        A real name ending in a field word ("Centre for European Policy Studies") has a head
        word a rule recognizes, and rule proposals are not filtered here.
        """
        surface = words.span_text(start, end)
        text = words.text[start:end]
        if surface in people or surface in self.regions or surface in self.furniture:
            return False
        if _is_shouted(text) or label_lines.holds(words.idx[start]):
            return False
        headless = not any(words.lower[i] in self._head_labels for i in range(start, end))
        if headless and _is_later_menu_item(words, start, end):
            return False  # "SemiAsia Review | Equipment & Materials": a section, after the masthead
        lower = words.lower
        if lower[end - 1] in self.officeholders or lower[start] in self.officeholders:
            return False  # "Official Spokesperson", "Minister of Communications" are titles
        if len(text) == 1 and text[0] in self.currencies:
            return False  # "approvals in both EGP and USD"
        followed_by_title = end < len(lower) and lower[end] in self.officeholders
        if followed_by_title and headless and len(text) > 1 and not surface.isupper():
            return False  # "the External Affairs Minister"
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


def _is_name_word(word: str) -> bool:
    return word[:1].isupper() and word.lower() != "the"


def _run_start(text: list[str], lower: list[str], end: int) -> int:
    """Where the run of capitalized words ending before `end` starts ("Production Linked Incentive")."""
    start = end
    while start > 0 and (
        _is_name_word(text[start - 1])
        or (lower[start - 1] in RUN_CONNECTORS and start > 1 and _is_name_word(text[start - 2]) and start < end)
    ):
        start -= 1
    return start


def _run_end(text: list[str], lower: list[str], start: int) -> int:
    """Where the run of capitalized words starting at `start` ends ("Team Europe", "Digital Silk Road")."""
    end = start
    while end < len(text) and (
        _is_name_word(text[end])
        or (lower[end] in RUN_CONNECTORS and end > start and end + 1 < len(text) and _is_name_word(text[end + 1]))
    ):
        end += 1
    return end


def _is_spaced_dash(words: Words, i: int) -> bool:
    """A dash with a space on each side separates ("July 8 (Reuters) - Nigerian ..."); one inside a name does not."""
    if words.text[i] not in DASHES or i == 0 or i + 1 >= len(words.text):
        return False
    return words.source[words.idx[i] - 1].isspace() and words.source[words.idx[i] + 1].isspace()


def _is_later_menu_item(words: Words, start: int, end: int) -> bool:
    """Whether the span is a whole item, not the first, of a line of items split by "|"."""
    text = words.text
    if start == 0 or text[start - 1] != "|":
        return False
    return end == len(text) or text[end] == "|" or "\n" in text[end]


def _byline_names(words: Words) -> set[str]:
    """The names after a line-initial "By" ("By Helena Albuquerque | November 28"): people, never ORG."""
    names = set()
    text = words.text
    for i, word in enumerate(text[:-1]):
        if word != "By" or (i > 0 and "\n" not in text[i - 1]):
            continue
        end = i + 1
        while end < len(text) and text[end].istitle():
            end += 1
        if end > i + 1:
            names.add(words.span_text(i + 1, end))
    return names


def _is_shouted(text: list[str]) -> bool:
    """Two or more words in capitals, none an acronym: a photographer or a section label ("MAURO PIMENTEL")."""
    letters = [word for word in text if word.isalpha()]
    return len(letters) > 1 and all(word.isupper() and len(word) > MAX_ACRONYM_LETTERS for word in letters)


class _LabelLines:
    """The lines of a doc's text that are section labels: capitals with a separator ("MINING & ENERGY | FINANCE").

    Each line is judged once: a scraped page may put thousands of names on one long line.
    """

    def __init__(self, source: str) -> None:
        lines = source.split("\n")
        self._starts = list(accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
        self._labels = {
            number
            for number, line in enumerate(lines)
            if any(mark in line for mark in "|&/") and line.upper() == line and any(ch.isalpha() for ch in line)
        }

    def holds(self, offset: int) -> bool:
        """Whether the character at `offset` is on a label line."""
        return bisect_right(self._starts, offset) - 1 in self._labels


def _balance_parentheses(text: list[str], start: int, end: int) -> tuple[int, int]:
    """Cut at a "(" that does not close inside the span, and after a ")" that did not open in it."""
    depth = 0
    for i in range(start, end):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            if depth == 0 and i == end - 1:
                end = i  # "Reuters)": the credit's closing parenthesis
            elif depth == 0:
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


@Language.factory(
    "policy_spans",
    assigns=["doc.spans", "doc.ents"],
    default_config={
        "rules_key": "policy_rules",
        "spans_key": SPANS_KEY,
        "label_map": DEFAULT_LABEL_MAP,
        "scorer": {"@scorers": "policy_extract.spans_scorer.v1"},
    },
    default_score_weights={f"spans_{SPANS_KEY}_f": 1.0, f"spans_{SPANS_KEY}_p": 0.0, f"spans_{SPANS_KEY}_r": 0.0},
)
def make_policy_spans(
    nlp: Language,
    name: str,
    rules_key: str,
    spans_key: str,
    label_map: dict[str, str],
    scorer: Callable[..., dict[str, Any]] | None,
) -> PolicySpans:
    """Create `policy_spans` with the packaged rules (`initialize(rules=...)` or `from_disk` replaces them)."""
    return PolicySpans(nlp, name, rules_key=rules_key, spans_key=spans_key, label_map=label_map, scorer=scorer)
