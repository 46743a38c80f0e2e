"""The word lists of `patterns/normalization.yml`: validated into a frozen value, and referred to by the other files.

Every list is written once, there. A pattern or lexicon file names one as `@months` (an item of
an `IN` / `NOT_IN` list or of a lexicon list, or inside a `REGEX`), and `load_rules` replaces the
reference with the words (`expand_words`, `expand_regex`); the tokenizer's currency prefixes are
derived from the currency signs (`currency_prefixes`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

from .errors import Messages, PatternFileError


@dataclass(frozen=True)
class Vocabulary:
    """Words that dates and money are read with; every field is a section of the YAML file."""

    months: dict[str, int]
    weekdays: dict[str, int]
    seasons: dict[str, dict[str, Any]]
    ordinals: dict[str, int]
    quarters: dict[str, int]
    modifiers: dict[str, str]
    relative: dict[str, int]
    days_relative: dict[str, int]
    currency_signs: dict[str, str]
    currency_codes: list[str]
    code_aliases: dict[str, str]
    currency_words: dict[str, str]
    scales: dict[str, int]
    fractions: dict[str, float]
    approximate_words: list[str]


SECTIONS = tuple(field.name for field in fields(Vocabulary))
SECTION_TYPES = {field.name: dict if str(field.type).startswith("dict") else list for field in fields(Vocabulary)}
# `@name` or `@name.view`; `\@` in a REGEX is a literal "@".
REFERENCE = re.compile(r"(?<!\\)@([a-z_]+)(?:\.([a-z_]+))?")
# What a view takes from each entry of several words; plain `@name` takes the entries of one word.
VIEWS: dict[str, Callable[[list[str]], list[str]]] = {
    "leading": lambda words: words[:-1],
    "last": lambda words: words[-1:],
}


def vocabulary_from_dict(path: Path | str, raw: Any) -> Vocabulary:
    """Validate the `normalization` mapping: every section present, none unknown, each of the right type."""
    if not isinstance(raw, dict):
        raise PatternFileError(
            Messages.P002.format(path=path, allowed="the sections " + ", ".join(SECTIONS), got=type(raw).__name__)
        )
    for key in raw:
        if key not in SECTIONS:
            raise PatternFileError(Messages.P014.format(path=path, key=key, allowed=", ".join(SECTIONS)))
    for key in SECTIONS:
        if key not in raw:
            raise PatternFileError(Messages.P004.format(path=path, line="-", entry="normalization", key=key))
        expected = SECTION_TYPES[key]
        if not isinstance(raw[key], expected):
            raise PatternFileError(
                Messages.P005.format(
                    path=path,
                    line="-",
                    entry="normalization",
                    key=key,
                    expected=f"a {expected.__name__}",
                    got=raw[key],
                )
            )
    return Vocabulary(**{key: raw[key] for key in SECTIONS})


def word_lists(vocabulary: Vocabulary | None) -> dict[str, list[str]]:
    """Every section as the list of its entries (a mapping's keys), by name: what `@name` may refer to.

    >>> word_lists(None)
    {}
    """
    if vocabulary is None:
        return {}
    return {name: [str(word) for word in getattr(vocabulary, name)] for name in SECTIONS}


def alternation(words: Iterable[str]) -> str:
    """A regex alternation of `words`, escaped, longest first (so "sept" is tried before "sep").

    >>> alternation(["sep", "sept", "NZ$"])
    'sept|sep|NZ\\\\$'
    """
    return "|".join(re.escape(word) for word in sorted(dict.fromkeys(words), key=len, reverse=True))


def referenced_words(reference: str, lists: dict[str, list[str]], where: dict[str, Any]) -> list[str]:
    """The words `@name` or `@name.view` stands for in one token; `where` (path, line, entry) names the place in errors.

    >>> lists = {"currency_words": ["yen", "us dollars", "hong kong dollars"]}
    >>> referenced_words("@currency_words", lists, {})
    ['yen']
    >>> referenced_words("@currency_words.leading", lists, {})
    ['us', 'hong', 'kong']
    >>> referenced_words("@currency_words.last", lists, {})
    ['dollars']
    """
    found = REFERENCE.fullmatch(reference)
    name, view = (found[1], found[2]) if found else (reference, None)
    if found is None or name not in lists or (view is not None and view not in VIEWS):
        raise PatternFileError(Messages.P016.format(**where, reference=reference, allowed=_allowed(lists)))
    entries = [entry.split() for entry in lists[name]]
    if view is None:
        words = [entry[0] for entry in entries if len(entry) == 1]
    else:
        words = [word for entry in entries if len(entry) > 1 for word in VIEWS[view](entry)]
    if not words:
        raise PatternFileError(Messages.P017.format(**where, reference=reference))
    return list(dict.fromkeys(words))


def expand_words(items: list[Any], lists: dict[str, list[str]], where: dict[str, Any], *, lower: bool) -> list[Any]:
    """A list with each `@name` item replaced by its words (lower-cased when `lower`), duplicates dropped.

    >>> expand_words(["@months", "fy"], {"months": ["May", "june"]}, {}, lower=True)
    ['may', 'june', 'fy']
    """
    expanded: list[Any] = []
    for item in items:
        if isinstance(item, str) and item.startswith("@"):
            expanded.extend(word.lower() if lower else word for word in referenced_words(item, lists, where))
        else:
            expanded.append(item)
    return list(dict.fromkeys(expanded))


def expand_regex(regex: str, lists: dict[str, list[str]], where: dict[str, Any], *, lower: bool) -> str:
    """A regex with each `@name` replaced by a non-capturing group of its words, longest first.

    >>> expand_regex("^(?i:@months)$", {"months": ["may", "june"]}, {}, lower=False)
    '^(?i:(?:june|may))$'
    """

    def group(found: re.Match[str]) -> str:
        words = referenced_words(found[0], lists, where)
        return f"(?:{alternation(word.lower() if lower else word for word in words)})"

    return REFERENCE.sub(group, regex)


def currency_prefixes(vocabulary: Vocabulary) -> list[str]:
    """The signs the tokenizer splits off a following number: several characters ending in a currency symbol.

    Single symbols ($, €) are split by spaCy already; a sign ending in a letter ("Rs", "KSh")
    would split words such as "Rsomething".

    >>> from pipeline.patterns import load_rules
    >>> prefixes = currency_prefixes(load_rules(Path("patterns")).vocabulary)
    >>> "NZ$" in prefixes, "R$" in prefixes, "Rs" in prefixes, "€" in prefixes
    (True, True, False, False)
    """
    return [sign for sign in vocabulary.currency_signs if len(sign) > 1 and unicodedata.category(sign[-1]) == "Sc"]


def _allowed(lists: dict[str, list[str]]) -> str:
    if not lists:
        return "none (no file has the top-level key `normalization`)"
    views = ", ".join(f".{view}" for view in VIEWS)
    return ", ".join(f"@{name}" for name in lists) + f"; each also with {views} for its entries of several words"


Compiled = TypeVar("Compiled")


def per_vocabulary(build: Callable[[Vocabulary], Compiled]) -> Callable[[Vocabulary], Compiled]:
    """Cache what `build` makes of a vocabulary (its compiled grammar) per vocabulary object.

    A vocabulary holds dicts, so it cannot key an `lru_cache`; the object itself is kept beside
    the result so that a recycled `id` never returns another vocabulary's grammar.
    """
    cache: dict[int, tuple[Vocabulary, Compiled]] = {}

    def cached(vocabulary: Vocabulary) -> Compiled:
        hit = cache.get(id(vocabulary))
        if hit is None or hit[0] is not vocabulary:
            hit = (vocabulary, build(vocabulary))
            cache[id(vocabulary)] = hit
        return hit[1]

    return cached
