"""Entities across the corpus: which ORG, INITIATIVE and EVENT mentions name the same thing.

Every name span gets an entity id, `label:slug` of a name key (`org:asian-development-bank`),
and the evidence that linked it, in this order:

1. in the article: the long form an acronym, a back-reference or a short company name stands
   for (`acronym`, `back-reference`, `short-name`, from the span's `canonical`); a ministry named
   without its country where the article names it with one (`back-reference`);
2. the curated alias table (`patterns/aliases.yml`) and the gazetteer's aliases (`alias-table`);
3. variant spellings of one name (`variant`): "U.S." / "US", "&" / "and", curly / straight
   apostrophes, dashes, a trailing legal form, a national qualifier ("Japanese Ministry of
   Foreign Affairs" / "Ministry of Foreign Affairs of Japan");
4. an acronym the article does not define but the corpus defines one way only
   (`corpus-acronym`). An acronym defined two ways (`ADF`: African Development Fund, Asian
   Development Forum) is never linked: each definition's mentions keep their own long form, and
   an undefined mention is its own entity, listed in `ambiguous`.

A name that none of these link is its own entity (`name`). The key depends on the name only,
so an entity's id stays the same when articles are added, unless an acronym becomes defined or
ambiguous.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .patterns import GAZETTEER_PREFIX, RuleSet
from .records import Extraction
from .spans import NAME_LABELS

# The span sources that set `canonical` from evidence inside the article.
IN_ARTICLE_SOURCES = ("acronym", "back-reference", "short-name")
# How many names `plain` remembers: names recur across a corpus, and the cache stays bounded.
PLAIN_CACHE_SIZE = 1 << 16
# A national qualifier is moved behind a name of at least this many words ("Ministry of Finance",
# not "Ministry").
MIN_QUALIFIED_WORDS = 2

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"', "–": "-", "—": "-", "‐": "-"})
_INITIALISM_DOT = re.compile(r"(?<=\b[A-Za-z])\.(?=[A-Za-z]\.|\s|$)|(?<=\b[A-Za-z]\.[A-Za-z])\.")
_SPACES = re.compile(r"\s+")
_SLUG_DROPS = re.compile(r"[^\w]+")


@dataclass(frozen=True)
class EntityRules:
    """What resolution reads from the rule files: curated aliases, the forms kept apart, qualifiers.

    `aliases` maps (label, form) to the canonical name it stands for; `distinct` holds names
    that are their own entity whatever their variants; `qualifiers` maps a qualifier form
    ("Japanese", "U.S.") to its country, for names that open with a `qualified_heads` word
    ("Ministry"); `legal_forms` are the words a company's name may end in ("Ltd", "Inc.").
    """

    aliases: Mapping[tuple[str, str], str] = field(default_factory=dict)
    distinct: frozenset[tuple[str, str]] = frozenset()
    qualifiers: Mapping[str, str] = field(default_factory=dict)
    qualified_heads: frozenset[str] = frozenset()
    legal_forms: frozenset[str] = frozenset()

    @classmethod
    def from_rules(cls, rules: RuleSet) -> EntityRules:
        """The tables of `aliases.yml`, the gazetteer's aliases and the legal forms of `labels.yml`.

        A gazetteer form that two entries claim is no alias of either.
        """
        claims: dict[tuple[str, str], set[str]] = {}
        for entry in rules.entries:
            for phrase in entry.phrases:
                if phrase.text != phrase.canonical:
                    claims.setdefault((phrase.label, phrase.text), set()).add(phrase.canonical)
        aliases = {form: names.pop() for form, names in claims.items() if len(names) == 1}
        aliases.update({(label, form): name for label, form, name in rules.entities.aliases})
        curated = rules.entities
        return cls(
            aliases=aliases,
            distinct=frozenset(curated.distinct),
            qualifiers={**{country: country for _, country in curated.qualifiers}, **dict(curated.qualifiers)},
            qualified_heads=frozenset(curated.qualified_heads),
            legal_forms=frozenset(w for c in rules.labels.head_words if c.short_mentions for w in c.words),
        )


@dataclass(frozen=True)
class Link:
    """A mention's entity, the name it was resolved to, and the evidence that linked it."""

    entity: str
    name: str
    evidence: str


class EntityResolver:
    """Resolve name spans to entities, once the corpus's acronym definitions are all known.

    `add_definitions` is fed every article's definitions first; `links` then resolves one
    article's spans. Both are deterministic in the input order.
    """

    def __init__(self, rules: EntityRules) -> None:
        self._variants = _Variants(rules)
        self._aliases = {(label, self._variants.key(form)): name for (label, form), name in rules.aliases.items()}
        self._distinct = {(label, self._variants.key(name)) for label, name in rules.distinct}
        self._definitions: dict[tuple[str, str], dict[str, str]] = {}  # (label, short) -> {entity key: long form}
        self._long_forms: dict[tuple[str, str, str], str] = {}  # (label, short, long) -> entity id

    def add_definitions(self, definitions: Iterable[tuple[str, str, str]]) -> None:
        """Take an article's acronym definitions: (short form, long form, label)."""
        for short, long, label in definitions:
            key = self._curated_key(label, long)[0]
            self._definitions.setdefault((label, short), {}).setdefault(key, long)
            self._long_forms[(label, short, long)] = entity_id(label, key)

    def alias_entities(self) -> list[tuple[str, str, str, str]]:
        """Every definition seen as (label, short form, long form, the entity of the long form), sorted."""
        return sorted((*definition, entity) for definition, entity in self._long_forms.items())

    @property
    def ambiguous(self) -> dict[str, list[str]]:
        """The acronyms the corpus defines more than one way: `label:short` -> its long forms, sorted."""
        return {
            f"{label}:{short}": sorted(longs.values())
            for (label, short), longs in sorted(self._definitions.items())
            if len(longs) > 1
        }

    def links(self, spans: list[dict[str, Any]]) -> list[Link | None]:
        """The link of each span of one article (None for DATE, MONEY and unscored spans), in order."""
        qualified = self._qualified_in(spans)
        found: list[Link | None] = []
        for span in spans:
            label = span["label"]
            if label not in NAME_LABELS or not span.get("scored", True):
                found.append(None)
                continue
            found.append(self._link(span, qualified))
        return found

    def annotate(self, spans: list[dict[str, Any]]) -> list[Link | None]:
        """Set `entity` and `entity_evidence` on each name span of one article; return the links, in order."""
        links = self.links(spans)
        for span, link in zip(spans, links, strict=True):
            if link is not None:
                span["entity"], span["entity_evidence"] = link.entity, link.evidence
        return links

    def _link(self, span: dict[str, Any], qualified: dict[tuple[str, str], set[str]]) -> Link:
        label, text = span["label"], span["text"]
        canonical = span.get("canonical")
        source = str(span.get("source", ""))
        if canonical:
            key, name, _ = self._curated_key(label, canonical)
            if source.startswith(GAZETTEER_PREFIX):
                return self._made(label, key, name, "alias-table")
            return self._made(label, key, name, source if source in IN_ARTICLE_SOURCES else "acronym")
        key, name, curated = self._curated_key(label, text)
        if curated:
            return self._made(label, key, name, "alias-table")
        longs = self._definitions.get((label, text), {})
        if len(longs) == 1:
            ((key, long),) = longs.items()
            return self._made(label, key, self._curated_key(label, long)[1], "corpus-acronym")
        if len(longs) > 1:
            return self._made(label, key, name, "ambiguous-acronym")
        countries = qualified.get((label, self._variants.plain(text)), set())
        if len(countries) == 1 and (label, key) not in self._distinct:
            country = next(iter(countries))
            return self._made(label, self._variants.key(f"{text} of {country}"), text, "back-reference")
        evidence = "name" if key == self._variants.plain(text) else "variant"
        return self._made(label, key, name, evidence)

    def _curated_key(self, label: str, name: str) -> tuple[str, str, bool]:
        """The key and name `name` resolves to, and whether the alias table gave them."""
        key = self._variants.key(name)
        if (label, key) in self._distinct:
            return self._variants.plain(name), name, False
        curated = self._aliases.get((label, key))
        if curated is not None:
            return self._variants.key(curated), curated, True
        return key, name, False

    def _qualified_in(self, spans: list[dict[str, Any]]) -> dict[tuple[str, str], set[str]]:
        """The names the article gives with a country: (label, plain name) -> the countries."""
        found: dict[tuple[str, str], set[str]] = {}
        for span in spans:
            if span["label"] in NAME_LABELS:
                split = self._variants.qualified(span.get("canonical") or span["text"])
                if split is not None:
                    found.setdefault((span["label"], self._variants.plain(split[0])), set()).add(split[1])
        return found

    @staticmethod
    def _made(label: str, key: str, name: str, evidence: str) -> Link:
        return Link(entity_id(label, key), name, evidence)


def resolve_entities(resolver: EntityResolver, extractions: Sequence[Extraction]) -> None:
    """Give the name spans of extractions held in memory their entities, as a run does across its corpus."""
    for extraction in extractions:
        resolver.add_definitions((alias["short"], alias["long"], alias["label"]) for alias in extraction.aliases)
    for extraction in extractions:
        resolver.annotate(extraction.record["spans"])


def entity_id(label: str, key: str) -> str:
    """The readable id of an entity: its label and a slug of its key.

    >>> entity_id("ORG", "asian development bank")
    'org:asian-development-bank'
    """
    return f"{label.lower()}:{_SLUG_DROPS.sub('-', key).strip('-')}"


class _Variants:
    """The key of a name: the same for every variant spelling of it."""

    def __init__(self, rules: EntityRules) -> None:
        self._qualifiers = {self.plain(form): country for form, country in rules.qualifiers.items()}
        self._heads = {self.plain(word) for word in rules.qualified_heads}
        self._legal_forms = {self.plain(form) for form in rules.legal_forms}
        # Names recur across a corpus: each is keyed once.
        self._keys: dict[str, str] = {}
        self._qualified: dict[str, tuple[str, str] | None] = {}

    @staticmethod
    @functools.lru_cache(maxsize=PLAIN_CACHE_SIZE)
    def plain(name: str) -> str:
        """The name with the spelling differences that never change what it names ironed out.

        >>> _Variants.plain("The U.S. Department of Energy & Climate’s  Office")
        "us department of energy and climate's office"
        """
        text = unicodedata.normalize("NFKC", name).translate(_APOSTROPHES)
        text = _INITIALISM_DOT.sub("", text).replace("&", " and ")
        text = _SPACES.sub(" ", text).strip().casefold()
        return text.removeprefix("the ")

    def key(self, name: str) -> str:
        """`plain`, without a trailing legal form, with a national qualifier put behind ("X of Japan")."""
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = self._key(name)
        return key

    def _key(self, name: str) -> str:
        words = self.plain(name).split(" ")
        while len(words) > 1 and words[-1].strip(",") in self._legal_forms:
            words.pop()
            if words[-1].endswith(","):
                words[-1] = words[-1].rstrip(",")
        text = " ".join(words)
        split = self.qualified(text)
        if split is not None:
            return f"{self.plain(split[0])} of {self.plain(split[1])}"
        return text

    def qualified(self, name: str) -> tuple[str, str] | None:
        """(the name without its country, the country) for "Japanese X" or "X of Japan"; None otherwise."""
        if name not in self._qualified:
            self._qualified[name] = self._split_qualifier(name)
        return self._qualified[name]

    def _split_qualifier(self, name: str) -> tuple[str, str] | None:
        text = self.plain(name)
        words = text.split(" ")
        for width in (2, 1):  # "south korean ministry of ..." before "korean"
            qualifier = " ".join(words[:width]).removesuffix("'s")
            rest = words[width:]
            if qualifier in self._qualifiers and self._is_qualifiable(rest):
                return " ".join(rest), self._qualifiers[qualifier]
        head, of, country = text.rpartition(" of ")
        country = country.removeprefix("the ")
        if of and country in self._qualifiers and self._is_qualifiable(head.split(" ")):
            return head, self._qualifiers[country]
        return None

    def _is_qualifiable(self, words: list[str]) -> bool:
        return len(words) >= MIN_QUALIFIED_WORDS and words[0] in self._heads
