"""Read and validate the rule files in `patterns/` into spaCy pattern dicts.

Three kinds of file live there:

* pattern files (top-level key `patterns`): a list of entries, each with an `id`, a
  `label`, a token `pattern` for spaCy's Matcher (or a phrase string), a `description`,
  and `examples` (`match` strings with the expected span in [brackets], `no_match`
  strings where the entry must find nothing);
* the lexicon (top-level key `lexicon`): named word lists that the components use to
  trim and filter spans;
* the normalization vocabulary (top-level key `normalization`): month, season, currency and
  scale words that dates and money are read with (see `vocabulary.py`).

Each word list is written once, in the normalization file; the other files refer to it
(`"@months"` in an `IN` list or a lexicon list, `@months` inside a `REGEX`), and the references
are expanded here, before validation, so the rule set holds plain lists. The lexicon's
`currency_prefixes` (the tokenizer's) are derived from the currency signs.

Every problem is reported with the file, the entry id, its line and what is allowed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import yaml

from . import yamlio
from .errors import Messages, PatternFileError
from .types import SCORED_LABELS
from .vocabulary import Vocabulary, currency_prefixes, expand_regex, expand_words, vocabulary_from_dict, word_lists

if TYPE_CHECKING:
    from spacy.language import Language

# `token_classes` holds YAML anchors (&name) that entries reuse (*name, or `<<: *name` to add an OP).
PATTERN_FILE_KEYS = {"patterns", "token_classes"}
ENTRY_KEYS = ("id", "label", "description", "pattern", "examples")
REQUIRED_ENTRY_KEYS = ("id", "label", "pattern", "examples")
EXAMPLE_KEYS = ("match", "no_match")
LEXICON_LISTS = (
    "leading_words",
    "trailing_words",
    "date_edge_words",
    "calendar_words",
    "duration_units",
    "relative_date_words",
    "currency_tokens",
    "not_entities",
    "not_org_last_words",
    "regions",
)
# Lists the lexicon gets from the normalization vocabulary rather than from its file.
DERIVED_LEXICON_LISTS = {"currency_prefixes": "normalization's currency_signs (those ending in a currency symbol)"}
# Token-pattern operators whose list, or regex, may refer to a word list.
LIST_OPERATORS = ("IN", "NOT_IN")
# The repository's patterns/ folder, installed with the package (see pyproject.toml).
PACKAGED_PATTERNS = "pipeline.default_patterns"
MARKED_SPAN = re.compile(r"\[([^\[\]]+)\]")
# build_nlp excludes the tagger, parser and lemmatizer for speed, so these would never match.
ATTRIBUTES_NOT_SET = ("POS", "TAG", "MORPH", "DEP", "LEMMA", "IS_SENT_START", "SENT_START")


@dataclass(frozen=True)
class PatternEntry:
    """One validated rule: a Matcher token pattern (list) or a phrase (str) with its label."""

    id: str
    label: str
    pattern: list[dict[str, Any]] | str
    match_examples: tuple[str, ...]
    no_match_examples: tuple[str, ...]
    path: str
    line: int

    def as_spacy_pattern(self) -> dict[str, Any]:
        """The dict `SpanRuler.add_patterns` takes; the id travels to `span.id_`."""
        return {"label": self.label, "pattern": self.pattern, "id": self.id}


@dataclass(frozen=True)
class RuleSet:
    """All pattern entries and the lexicon, with a digest of the files they came from."""

    entries: tuple[PatternEntry, ...]
    lexicon: dict[str, list[str]]
    vocabulary: Vocabulary | None
    file_digests: dict[str, str]

    def digest(self) -> str:
        """One digest for the whole rule set: the digests of the files it was read from."""
        return rules_digest(self.file_digests)


def rules_digest(file_digests: dict[str, str]) -> str:
    """The digest of a set of pattern files, from their own digests."""
    joined = ",".join(f"{name}:{digest}" for name, digest in sorted(file_digests.items()))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def packaged_patterns_dir() -> Path:
    """The folder of the rule set shipped with the tool, used wherever no other folder is given."""
    return Path(str(resources.files(PACKAGED_PATTERNS))).absolute()


def pattern_file_digests(patterns_dir: Path) -> dict[str, str]:
    """The sha256 of every pattern file, read without parsing (to look the rules up in a cache)."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(Path(patterns_dir).glob("*.yml"))
    }


def marked_example(example: str) -> tuple[str, str]:
    """Split a match example into its plain text and the span text in [brackets].

    >>> marked_example("launched the [US-Japan Climate Partnership] in April")
    ('launched the US-Japan Climate Partnership in April', 'US-Japan Climate Partnership')
    """
    found = MARKED_SPAN.search(example)
    if found is None:
        raise ValueError(example)
    return example[: found.start()] + found.group(1) + example[found.end() :], found.group(1)


def load_rules(patterns_dir: Path | None = None, *, check_tokens: bool = True) -> RuleSet:
    """Load every `*.yml` file in `patterns_dir` (default: the packaged rule set); the first bad entry refuses all.

    `check_tokens=False` skips spaCy's validation of the token patterns (and so importing
    spaCy); only for files whose exact bytes were validated before.
    """
    patterns_dir = Path(patterns_dir).absolute() if patterns_dir is not None else packaged_patterns_dir()
    paths = sorted(patterns_dir.glob("*.yml"))
    if not paths:
        raise PatternFileError(Messages.P011.format(path=patterns_dir))
    entries: list[PatternEntry] = []
    lexicon: dict[str, list[str]] = {}
    vocabulary: Vocabulary | None = None
    first_seen: dict[str, str] = {}
    digests: dict[str, str] = {}
    documents: list[tuple[Path, Any, dict[int | str, int]]] = []
    for path in paths:
        raw = path.read_bytes()
        digests[path.name] = hashlib.sha256(raw).hexdigest()
        documents.append((path, *_parse_yaml(path, raw.decode("utf-8"))))
    # The other files refer to the vocabulary's lists, so it is read first.
    for path, document, _ in documents:
        if isinstance(document, dict) and set(document) == {"normalization"}:
            vocabulary = vocabulary_from_dict(path, document["normalization"])
    lists = word_lists(vocabulary)
    for path, document, lines in documents:
        if isinstance(document, dict) and set(document) == {"lexicon"}:
            lexicon.update(_validate_lexicon(path, document["lexicon"], lines, lists))
            continue
        if isinstance(document, dict) and set(document) == {"normalization"}:
            continue
        if not (isinstance(document, dict) and "patterns" in document and set(document) <= PATTERN_FILE_KEYS):
            got = sorted(document) if isinstance(document, dict) else type(document).__name__
            allowed = "patterns (with optional token_classes), lexicon, or normalization"
            raise PatternFileError(Messages.P002.format(path=path, allowed=allowed, got=got))
        for index, raw_entry in enumerate(document["patterns"] or []):
            line = lines.get(index, 0)
            entry = _validate_entry(path, line, index, raw_entry, check_tokens, lists)
            if entry.id in first_seen:
                raise PatternFileError(
                    Messages.P008.format(path=path, line=entry.line, entry=entry.id, first=first_seen[entry.id])
                )
            first_seen[entry.id] = f"{path}:{entry.line}"
            entries.append(entry)
    if vocabulary is not None:
        lexicon["currency_prefixes"] = currency_prefixes(vocabulary)
    return RuleSet(entries=tuple(entries), lexicon=lexicon, vocabulary=vocabulary, file_digests=digests)


def _parse_yaml(path: Path, text: str) -> tuple[Any, dict[int | str, int]]:
    """Parse YAML and return the document with the 1-based line of each item one level down.

    The items are the entries under `patterns` (by index) or the lists under `lexicon` (by name).
    """
    try:
        document = yamlio.load(text)
        node = yamlio.compose(text)
    except yaml.YAMLError as error:
        raise PatternFileError(Messages.P001.format(path=path, problem=error)) from error
    lines: dict[int | str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "patterns" and isinstance(value, yaml.SequenceNode):
                lines = {index: item.start_mark.line + 1 for index, item in enumerate(value.value)}
            if key.value == "lexicon" and isinstance(value, yaml.MappingNode):
                lines = {name.value: name.start_mark.line + 1 for name, _ in value.value}
    return document, lines


def expand_references(pattern: list[Any], lists: dict[str, list[str]], where: dict[str, Any]) -> list[Any]:
    """A token pattern with every word-list reference in its IN / NOT_IN lists and REGEX strings expanded.

    Under LOWER the words are lower-cased, since that attribute is compared in lower case. The
    pattern's dicts are copied, never changed: YAML anchors share them between entries.

    >>> expand_references([{"LOWER": {"IN": ["@m"]}}, {"OP": "?"}], {"m": ["May"]}, {})
    [{'LOWER': {'IN': ['may']}}, {'OP': '?'}]
    """
    return [
        {attr: _expand_predicate(attr, value, lists, where) for attr, value in token.items()}
        if isinstance(token, dict)
        else token
        for token in pattern
    ]


def _expand_predicate(attr: str, value: Any, lists: dict[str, list[str]], where: dict[str, Any]) -> Any:
    if not isinstance(value, dict) or attr == "_":
        return value
    lower = attr == "LOWER"
    expanded = {}
    for operator, argument in value.items():
        if operator in LIST_OPERATORS and isinstance(argument, list):
            argument = expand_words(argument, lists, where, lower=lower)
        elif operator == "REGEX" and isinstance(argument, str):
            argument = expand_regex(argument, lists, where, lower=lower)
        expanded[operator] = argument
    return expanded


def token_attributes() -> tuple[str, ...]:
    """The token attributes spaCy's Matcher accepts."""
    from spacy.schemas import TokenPattern

    # pydantic 2 names them `model_fields`, pydantic 1 `__fields__`; both map names to fields.
    fields = cast(dict[str, Any], getattr(TokenPattern, "model_fields", None) or TokenPattern.__fields__)
    return tuple(sorted(field.alias for field in fields.values() if field.alias))


def _spacy_problems(pattern: list[dict[str, Any]]) -> list[str]:
    from spacy.schemas import validate_token_pattern  # spaCy loads only when a pattern is checked

    return validate_token_pattern(pattern)


def _validate_entry(
    path: Path, line: int, index: int, raw: Any, check_tokens: bool, lists: dict[str, list[str]]
) -> PatternEntry:
    where = {"path": path, "line": line}
    if not isinstance(raw, dict):
        raise PatternFileError(
            Messages.P005.format(**where, entry=f"#{index + 1}", key="an entry", expected="a mapping", got=raw)
        )
    entry_id = str(raw.get("id", f"#{index + 1}"))
    where["entry"] = entry_id
    for key in raw:
        if key not in ENTRY_KEYS:
            raise PatternFileError(Messages.P003.format(**where, key=key, allowed=", ".join(ENTRY_KEYS)))
    for key in REQUIRED_ENTRY_KEYS:
        if key not in raw:
            raise PatternFileError(Messages.P004.format(**where, key=key))
    if raw["label"] not in SCORED_LABELS:
        raise PatternFileError(Messages.P006.format(**where, label=raw["label"], allowed=", ".join(SCORED_LABELS)))
    pattern = raw["pattern"]
    if isinstance(pattern, list):
        pattern = expand_references(pattern, lists, where)
        problems = _spacy_problems(pattern) if check_tokens else []
        if problems:
            allowed = ", ".join(a for a in token_attributes() if a not in ATTRIBUTES_NOT_SET)
            raise PatternFileError(Messages.P007.format(**where, problem="; ".join(problems), allowed=allowed))
        unset = sorted({key for token in pattern if isinstance(token, dict) for key in token} & set(ATTRIBUTES_NOT_SET))
        if unset:
            raise PatternFileError(Messages.P012.format(**where, attributes=", ".join(unset)))
    elif not isinstance(pattern, str):
        raise PatternFileError(
            Messages.P005.format(**where, key="pattern", expected="a token list or a phrase string", got=pattern)
        )
    examples = raw["examples"]
    if not isinstance(examples, dict) or not examples.get("match"):
        raise PatternFileError(
            Messages.P005.format(
                **where, key="examples", expected="a mapping with a non-empty `match` list", got=examples
            )
        )
    for key in examples:
        if key not in EXAMPLE_KEYS:
            raise PatternFileError(Messages.P003.format(**where, key=f"examples.{key}", allowed="match, no_match"))
    for example in examples["match"]:
        if not isinstance(example, str) or not MARKED_SPAN.search(example):
            raise PatternFileError(Messages.P009.format(**where, example=example))
    return PatternEntry(
        id=entry_id,
        label=raw["label"],
        pattern=pattern,
        match_examples=tuple(examples["match"]),
        no_match_examples=tuple(examples.get("no_match") or ()),
        path=str(path),
        line=line,
    )


def _validate_lexicon(
    path: Path, raw: Any, lines: dict[int | str, int], lists: dict[str, list[str]]
) -> dict[str, list[str]]:
    if not isinstance(raw, dict):
        raise PatternFileError(Messages.P002.format(path=path, allowed="named lists of words", got=type(raw).__name__))
    lexicon: dict[str, list[str]] = {}
    for key, words in raw.items():
        where = {"path": path, "line": lines.get(key, "-"), "entry": key}
        if key in DERIVED_LEXICON_LISTS:
            raise PatternFileError(Messages.P018.format(path=path, key=key, source=DERIVED_LEXICON_LISTS[key]))
        if key not in LEXICON_LISTS:
            raise PatternFileError(Messages.P010.format(path=path, key=key, allowed=", ".join(LEXICON_LISTS)))
        if not isinstance(words, list) or not all(isinstance(word, str) for word in words):
            raise PatternFileError(Messages.P005.format(**where, key=key, expected="a list of strings", got=words))
        lexicon[key] = expand_words(words, lists, where, lower=False)
    return lexicon


def example_failures(entry: PatternEntry, nlp: Language) -> list[str]:
    """Run one entry's examples on `nlp` (a tokenizer is enough); describe each that fails.

    The entry runs as `build_nlp` runs it, with word-level predicates as lexeme flags.
    A `match` example passes when the bracketed span is among the entry's longest matches;
    a `no_match` example passes when the entry matches nothing.
    """
    from spacy.pipeline import SpanRuler
    from spacy.util import filter_spans

    from .lexeme_flags import flagged_patterns

    ruler = SpanRuler(nlp, name=f"check_{entry.id}", spans_key="check", spans_filter=None)
    ruler.add_patterns(flagged_patterns(nlp.vocab, [entry.as_spacy_pattern()]))
    failures = []
    for example in entry.match_examples:
        text, expected = marked_example(example)
        doc = ruler(nlp.make_doc(text))
        found = [span.text for span in filter_spans(doc.spans["check"])]
        if expected not in found:
            failures.append(f"{entry.path}:{entry.line} {entry.id}: expected [{expected}] in {text!r}, found {found}")
    for text in entry.no_match_examples:
        doc = ruler(nlp.make_doc(text))
        if doc.spans["check"]:
            found = [span.text for span in doc.spans["check"]]
            failures.append(f"{entry.path}:{entry.line} {entry.id}: expected no match in {text!r}, found {found}")
    return failures


# A pattern matching more than this share of the tokens of every example text is too broad.
GREEDY_SHARE = 0.5


def greedy_pattern_warnings(rules: RuleSet) -> list[str]:
    """Warnings for entries that match most tokens of a neutral text: all examples of all entries.

    Each example is matched on its own: a pattern such as `[{OP: "+"}]` has matches that grow
    with the square of a text's length, so one text of every example joined would take seconds.
    """
    import spacy
    from spacy.pipeline import SpanRuler

    nlp = spacy.blank("en")
    texts = [marked_example(e)[0] for entry in rules.entries for e in entry.match_examples]
    texts += [text for entry in rules.entries for text in entry.no_match_examples]
    docs = [nlp.make_doc(text) for text in texts]
    tokens = sum(len(doc) for doc in docs)
    warnings = []
    for entry in rules.entries:
        ruler = SpanRuler(nlp, name="greedy", spans_key="greedy", spans_filter=None)
        ruler.add_patterns([entry.as_spacy_pattern()])
        covered = 0
        for doc in docs:
            matched = ruler(doc.copy())
            covered += len({i for span in matched.spans["greedy"] for i in range(span.start, span.end)})
        share = covered / max(tokens, 1)
        if share > GREEDY_SHARE:
            warnings.append(Messages.P015.format(path=entry.path, line=entry.line, entry=entry.id, share=share))
    return warnings
