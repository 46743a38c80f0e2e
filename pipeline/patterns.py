"""Read and validate the rule files in `patterns/` into spaCy pattern dicts.

Five kinds of file live there:

* pattern files (top-level key `patterns`): a list of entries, each with an `id`, a
  `label`, a token `pattern` for spaCy's Matcher (or a phrase string), a `description`,
  and `examples` (`match` strings with the expected span in [brackets], `no_match`
  strings where the entry must find nothing);
* the lexicon (top-level key `lexicon`): named word lists that the components use to
  trim and filter spans;
* the normalization vocabulary (top-level key `normalization`): month, season, currency and
  scale words that dates and money are read with (see `vocabulary.py`);
* the head-word classes (top-level key `head_words`): the words that decide what a name is
  (a body, an undertaking, a meeting), each class with its label and whether it overrides the
  model's label; the name patterns refer to them as word lists (`"@org_heads"`);
* the gazetteer (top-level key `groups`): names of widely known institutions, agreements and
  meeting series, each with its label, grouped by region and kind, matched as exact phrases;
* the entity tables (top-level key `entities`, `aliases.yml`): the curated aliases and the names
  kept apart that corpus-wide entity resolution reads, and the national qualifiers of names
  ("Japanese", "Japan's" -> Japan).

Each word list is written once, in the normalization file; the other files refer to it
(`"@months"` in an `IN` list or a lexicon list, `@months` inside a `REGEX`), and the references
are expanded here, before validation, so the rule set holds plain lists. The lexicon's
`currency_prefixes` (the tokenizer's) are derived from the currency signs.

Every problem is reported with the file, the entry id, its line and what is allowed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import yaml

from . import yamlio
from .errors import Messages, PatternFileError
from .relation_rules import RelationRules, validate_relation_rules
from .types import SCORED_LABELS
from .vocabulary import Vocabulary, currency_prefixes, expand_regex, expand_words, vocabulary_from_dict, word_lists

if TYPE_CHECKING:
    from spacy.language import Language

# `token_classes` holds YAML anchors (&name) that entries reuse (*name, or `<<: *name` to add an OP).
PATTERN_FILE_KEYS = {"patterns", "token_classes"}
HEAD_CLASS_KEYS = ("class", "label", "over_model", "opens_name", "short_mentions", "description", "words")
CUE_KEYS = ("label", "before", "after", "after_comma", "description")
GROUP_KEYS = ("id", "description", "region", "kind", "label", "entries", "examples")
GAZETTEER_ENTRY_KEYS = ("name", "label", "aliases")
# The sections of the entity tables, with the keys of their entries (a plain list of words has none).
ENTITY_SECTIONS: dict[str, tuple[str, ...]] = {
    "aliases": ("name", "label", "aliases"),
    "distinct": ("name", "label"),
    "qualifiers": ("country", "forms"),
    "qualified_heads": (),
}
# Gazetteer group ids start with this, so the proposals they make are told from shape rules'.
GAZETTEER_PREFIX = "gaz-"
ENTRY_KEYS = ("id", "label", "description", "pattern", "examples")
REQUIRED_ENTRY_KEYS = ("id", "label", "pattern", "examples")
EXAMPLE_KEYS = ("match", "no_match")
LEXICON_LISTS = (
    "leading_words",
    "credit_markers",
    "trailing_words",
    "date_edge_words",
    "calendar_words",
    "duration_units",
    "relative_date_words",
    "quarter_words",
    "offset_words",
    "day_periods",
    "currency_tokens",
    "currency_words",
    "money_fractions",
    "not_entities",
    "not_org_last_words",
    "officeholders",
    "furniture",
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
class Phrase:
    """A gazetteer name or alias, matched exactly as written, with its label and the name it stands for."""

    text: str
    label: str
    canonical: str


@dataclass(frozen=True)
class PatternEntry:
    """One validated rule: a Matcher token pattern (list), a phrase (str) or a gazetteer group's phrases."""

    id: str
    label: str
    pattern: list[dict[str, Any]] | str
    match_examples: tuple[str, ...]
    no_match_examples: tuple[str, ...]
    path: str
    line: int
    phrases: tuple[Phrase, ...] = ()

    def as_spacy_patterns(self) -> list[dict[str, Any]]:
        """The dicts `SpanRuler.add_patterns` takes; the id travels to `span.id_`."""
        if self.phrases:
            return [
                {"label": p.label, "pattern": p.text, "id": self.id, "canonical": p.canonical} for p in self.phrases
            ]
        return [{"label": self.label, "pattern": self.pattern, "id": self.id}]


@dataclass(frozen=True)
class CuratedEntities:
    """The entity tables of `aliases.yml` (see there): aliases as (label, form, name), the names kept
    apart as (label, name), qualifiers as (form, country), and the heads qualifiers move for."""

    aliases: tuple[tuple[str, str, str], ...] = ()
    distinct: tuple[tuple[str, str], ...] = ()
    qualifiers: tuple[tuple[str, str], ...] = ()
    qualified_heads: tuple[str, ...] = ()


@dataclass(frozen=True)
class HeadWordClass:
    """Words that, as the head of a name, say what it is: `label`, over the model's label if `over_model`."""

    name: str
    label: str
    over_model: bool
    words: tuple[str, ...]
    opens_name: bool = False  # the head word comes first ("Banco de ...", "Fundo ...")
    short_mentions: bool = False  # later mentions drop it ("Samsung" for "Samsung Electronics Co.")


@dataclass(frozen=True)
class LabelCue:
    """Lower-case words before or after a name without a head word that say what it is ("under X", "X programme")."""

    label: str
    before: tuple[str, ...]
    after: tuple[str, ...]
    after_comma: tuple[str, ...] = ()  # participles past a comma: "Partners in the Blue Pacific (PBP), launched in"


@dataclass(frozen=True)
class LabelRules:
    """The label decisions as data: head-word classes and cues (`patterns/labels.yml`)."""

    head_words: tuple[HeadWordClass, ...] = ()
    cues: tuple[LabelCue, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "head_words": [
                {
                    "class": c.name,
                    "label": c.label,
                    "over_model": c.over_model,
                    "opens_name": c.opens_name,
                    "short_mentions": c.short_mentions,
                    "words": list(c.words),
                }
                for c in self.head_words
            ],
            "cues": [
                {"label": c.label, "before": list(c.before), "after": list(c.after), "after_comma": list(c.after_comma)}
                for c in self.cues
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabelRules:
        return cls(
            tuple(
                HeadWordClass(
                    c["class"],
                    c["label"],
                    bool(c["over_model"]),
                    tuple(c["words"]),
                    bool(c["opens_name"]),
                    bool(c.get("short_mentions")),
                )
                for c in data.get("head_words", [])
            ),
            tuple(
                LabelCue(c["label"], tuple(c["before"]), tuple(c["after"]), tuple(c.get("after_comma", [])))
                for c in data.get("cues", [])
            ),
        )


@dataclass(frozen=True)
class RuleSet:
    """All pattern entries and the lexicon, with a digest of the files they came from."""

    entries: tuple[PatternEntry, ...]
    lexicon: dict[str, list[str]]
    vocabulary: Vocabulary | None
    file_digests: dict[str, str]
    labels: LabelRules = LabelRules()
    entities: CuratedEntities = CuratedEntities()
    relations: RelationRules = field(default_factory=RelationRules)

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


def marked_spans(example: str) -> tuple[str, list[str]]:
    """Split a match example into its plain text and every span text in [brackets].

    >>> marked_spans("the [WHO] and [UNICEF] said")
    ('the WHO and UNICEF said', ['WHO', 'UNICEF'])
    """
    return MARKED_SPAN.sub(lambda found: found.group(1), example), MARKED_SPAN.findall(example)


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
    # The other files refer to the vocabulary's lists and the head-word classes, so those are read first.
    for path, document, _ in documents:
        if isinstance(document, dict) and set(document) == {"normalization"}:
            vocabulary = vocabulary_from_dict(path, document["normalization"])
    lists = word_lists(vocabulary)
    labels = LabelRules()
    entities = CuratedEntities()
    relations = RelationRules()
    for path, document, lines in documents:
        if isinstance(document, dict) and "head_words" in document:
            labels, name_words = _validate_labels(path, document, lines, lists)
            lists.update({c.name: list(c.words) for c in labels.head_words})
            lists.update(name_words)
    for path, document, lines in documents:
        kind = set(document) if isinstance(document, dict) else set()
        if kind == {"normalization"} or "head_words" in kind:
            continue
        if kind == {"lexicon"}:
            lexicon.update(_validate_lexicon(path, document["lexicon"], lines, lists))
            continue
        if kind == {"entities"}:
            entities = _validate_entities(path, document["entities"], lines)
            continue
        if kind == {"relations"}:
            relations = validate_relation_rules(path, document["relations"], lines, expand_references)
            continue
        if kind == {"groups"}:
            for index, raw_group in enumerate(document["groups"] or []):
                entry = _validate_group(path, lines.get(index, 0), index, raw_group)
                _claim_id(entry, first_seen)
                entries.append(entry)
            continue
        if not (isinstance(document, dict) and "patterns" in document and set(document) <= PATTERN_FILE_KEYS):
            got = sorted(document) if isinstance(document, dict) else type(document).__name__
            allowed = (
                "patterns (with optional token_classes), lexicon, normalization, head_words, groups, entities "
                "or relations"
            )
            raise PatternFileError(Messages.P002.format(path=path, allowed=allowed, got=got))
        for index, raw_entry in enumerate(document["patterns"] or []):
            line = lines.get(index, 0)
            entry = _validate_entry(path, line, index, raw_entry, check_tokens, lists)
            _claim_id(entry, first_seen)
            entries.append(entry)
    if vocabulary is not None:
        lexicon["currency_prefixes"] = currency_prefixes(vocabulary)
    return RuleSet(
        entries=tuple(entries),
        lexicon=lexicon,
        vocabulary=vocabulary,
        file_digests=digests,
        labels=labels,
        entities=entities,
        relations=relations,
    )


def _claim_id(entry: PatternEntry, first_seen: dict[str, str]) -> None:
    if entry.id in first_seen:
        raise PatternFileError(
            Messages.P008.format(path=entry.path, line=entry.line, entry=entry.id, first=first_seen[entry.id])
        )
    first_seen[entry.id] = f"{entry.path}:{entry.line}"


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
            if key.value in ("patterns", "groups", "head_words") and isinstance(value, yaml.SequenceNode):
                lines = {index: item.start_mark.line + 1 for index, item in enumerate(value.value)}
            if key.value == "lexicon" and isinstance(value, yaml.MappingNode):
                lines = {name.value: name.start_mark.line + 1 for name, _ in value.value}
            if key.value in ("entities", "relations") and isinstance(value, yaml.MappingNode):
                lines = {
                    f"{section.value}.{index}": item.start_mark.line + 1
                    for section, items in value.value
                    if isinstance(items, yaml.SequenceNode)
                    for index, item in enumerate(items.value)
                }
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
    examples = _validated_examples(where, raw["examples"])
    return PatternEntry(
        id=entry_id,
        label=raw["label"],
        pattern=pattern,
        match_examples=tuple(examples["match"]),
        no_match_examples=tuple(examples.get("no_match") or ()),
        path=str(path),
        line=line,
    )


def _check_keys(where: dict[str, Any], raw: Any, allowed: tuple[str, ...], required: tuple[str, ...]) -> None:
    if not isinstance(raw, dict):
        raise PatternFileError(Messages.P005.format(**where, key="an entry", expected="a mapping", got=raw))
    for key in raw:
        if key not in allowed:
            raise PatternFileError(Messages.P003.format(**where, key=key, allowed=", ".join(allowed)))
    for key in required:
        if key not in raw:
            raise PatternFileError(Messages.P004.format(**where, key=key))


def _string_list(where: dict[str, Any], key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise PatternFileError(Messages.P005.format(**where, key=key, expected="a list of strings", got=value))
    return tuple(value)


def _label(where: dict[str, Any], label: Any) -> str:
    if label not in SCORED_LABELS:
        raise PatternFileError(Messages.P006.format(**where, label=label, allowed=", ".join(SCORED_LABELS)))
    return str(label)


def _validate_labels(
    path: Path, document: dict[str, Any], lines: dict[int | str, int], lists: dict[str, list[str]]
) -> tuple[LabelRules, dict[str, list[str]]]:
    """The head-word classes, cues and other name words of a `head_words` file.

    A class or list name may not shadow a vocabulary list; `name_words` are lists only the
    patterns refer to (particles inside names, legal suffixes).
    """
    file_where = {"path": path, "line": 1, "entry": "(file)"}
    _check_keys(file_where, document, ("head_words", "cues", "name_words"), ("head_words",))
    name_words: dict[str, list[str]] = {}
    raw_words = document.get("name_words") or {}
    if not isinstance(raw_words, dict):
        raise PatternFileError(
            Messages.P005.format(**file_where, key="name_words", expected="a mapping", got=raw_words)
        )
    for key, words in raw_words.items():
        where = {"path": path, "line": 0, "entry": f"name_words.{key}"}
        if key in lists:
            raise PatternFileError(Messages.P008.format(**where, first="another word list"))
        name_words[str(key)] = list(_string_list(where, key, words))
    classes: list[HeadWordClass] = []
    for index, raw in enumerate(document["head_words"] or []):
        where = {"path": path, "line": lines.get(index, 0), "entry": f"head_words #{index + 1}"}
        _check_keys(where, raw, HEAD_CLASS_KEYS, ("class", "label", "words"))
        where["entry"] = str(raw["class"])
        if raw["class"] in lists or any(c.name == raw["class"] for c in classes):
            raise PatternFileError(Messages.P008.format(**where, first="another word list or class"))
        words = tuple(word.lower() for word in _string_list(where, "words", raw["words"]))
        classes.append(
            HeadWordClass(
                str(raw["class"]),
                _label(where, raw["label"]),
                bool(raw.get("over_model")),
                words,
                bool(raw.get("opens_name")),
                bool(raw.get("short_mentions")),
            )
        )
    cues = []
    for index, raw in enumerate(document.get("cues") or []):
        where = {"path": path, "line": 0, "entry": f"cues #{index + 1}"}
        _check_keys(where, raw, CUE_KEYS, ("label",))
        cues.append(
            LabelCue(
                _label(where, raw["label"]),
                _string_list(where, "before", raw.get("before", [])),
                _string_list(where, "after", raw.get("after", [])),
                _string_list(where, "after_comma", raw.get("after_comma", [])),
            )
        )
    return LabelRules(tuple(classes), tuple(cues)), name_words


def _validate_group(path: Path, line: int, index: int, raw: Any) -> PatternEntry:
    """One gazetteer group as a pattern entry whose phrases are its names and aliases."""
    where: dict[str, Any] = {"path": path, "line": line, "entry": f"#{index + 1}"}
    _check_keys(where, raw, GROUP_KEYS, ("id", "label", "entries", "examples"))
    where["entry"] = str(raw["id"])
    if not str(raw["id"]).startswith(GAZETTEER_PREFIX):
        raise PatternFileError(
            Messages.P005.format(**where, key="id", expected=f"an id starting with {GAZETTEER_PREFIX!r}", got=raw["id"])
        )
    group_label = _label(where, raw["label"])
    phrases = []
    if not isinstance(raw["entries"], list) or not raw["entries"]:
        raise PatternFileError(
            Messages.P005.format(**where, key="entries", expected="a non-empty list", got=raw["entries"])
        )
    for item in raw["entries"]:
        _check_keys(where, item, GAZETTEER_ENTRY_KEYS, ("name",))
        label = _label(where, item.get("label", group_label))
        name = str(item["name"])
        for text in (name, *_string_list(where, "aliases", item.get("aliases", []))):
            phrases.append(Phrase(text, label, name))
    examples = _validated_examples(where, raw["examples"])
    return PatternEntry(
        id=str(raw["id"]),
        label=group_label,
        pattern="",
        match_examples=tuple(examples["match"]),
        no_match_examples=tuple(examples.get("no_match") or ()),
        path=str(path),
        line=line,
        phrases=tuple(phrases),
    )


def _validated_examples(where: dict[str, Any], examples: Any) -> dict[str, Any]:
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
    return examples


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


def _validate_entities(path: Path, raw: Any, lines: dict[int | str, int]) -> CuratedEntities:
    if not isinstance(raw, dict):
        allowed = ", ".join(ENTITY_SECTIONS)
        raise PatternFileError(Messages.P002.format(path=path, allowed=allowed, got=type(raw).__name__))
    aliases: list[tuple[str, str, str]] = []
    distinct: list[tuple[str, str]] = []
    qualifiers: list[tuple[str, str]] = []
    qualified_heads: tuple[str, ...] = ()
    for section, items in raw.items():
        if section not in ENTITY_SECTIONS:
            raise PatternFileError(Messages.P021.format(path=path, key=section, allowed=", ".join(ENTITY_SECTIONS)))
        if not isinstance(items, list):
            where = {"path": path, "line": "-", "entry": section}
            raise PatternFileError(Messages.P005.format(**where, key=section, expected="a list of mappings", got=items))
        keys = ENTITY_SECTIONS[section]
        if not keys:
            where = {"path": path, "line": "-", "entry": section}
            qualified_heads = _string_list(where, section, items)
            continue
        for index, item in enumerate(items):
            name = item.get("name", item.get("country")) if isinstance(item, dict) else item
            where = {"path": path, "line": lines.get(f"{section}.{index}", "-"), "entry": f"{section} {name!r}"}
            _check_keys(where, item, keys, keys)
            first = item[keys[0]]
            if not isinstance(first, str) or not first:
                raise PatternFileError(Messages.P005.format(**where, key=keys[0], expected="a name", got=first))
            if section == "aliases":
                label = _label(where, item["label"])
                aliases += [(label, form, first) for form in _string_list(where, "aliases", item["aliases"])]
            elif section == "distinct":
                distinct.append((_label(where, item["label"]), first))
            else:
                qualifiers += [(form, first) for form in _string_list(where, "forms", item["forms"])]
    return CuratedEntities(tuple(aliases), tuple(distinct), tuple(qualifiers), qualified_heads)


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
    ruler.add_patterns(flagged_patterns(nlp.vocab, entry.as_spacy_patterns()))
    failures = []
    for example in entry.match_examples:
        text, expected_spans = marked_spans(example)
        doc = ruler(nlp.make_doc(text))
        found = [span.text for span in filter_spans(doc.spans["check"])]
        for expected in expected_spans:
            if expected not in found:
                failures.append(
                    f"{entry.path}:{entry.line} {entry.id}: expected [{expected}] in {text!r}, found {found}"
                )
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
    One ruler holds every entry, each under its index as id, so the examples are matched once.
    """
    import spacy
    from spacy.pipeline import SpanRuler

    nlp = spacy.blank("en")
    texts = [marked_spans(e)[0] for entry in rules.entries for e in entry.match_examples]
    texts += [text for entry in rules.entries for text in entry.no_match_examples]
    docs = [nlp.make_doc(text) for text in texts]
    tokens = sum(len(doc) for doc in docs)
    ruler = SpanRuler(nlp, name="greedy", spans_key="greedy", spans_filter=None)
    ruler.add_patterns(
        [{**pattern, "id": str(n)} for n, entry in enumerate(rules.entries) for pattern in entry.as_spacy_patterns()]
    )
    covered: list[set[tuple[int, int]]] = [set() for _ in rules.entries]
    for d, doc in enumerate(docs):
        matched = ruler(doc.copy())
        for span in matched.spans["greedy"]:
            covered[int(span.id_)].update((d, i) for i in range(span.start, span.end))
    warnings = []
    for entry, tokens_matched in zip(rules.entries, covered, strict=True):
        share = len(tokens_matched) / max(tokens, 1)
        if share > GREEDY_SHARE:
            warnings.append(Messages.P015.format(path=entry.path, line=entry.line, entry=entry.id, share=share))
    return warnings
