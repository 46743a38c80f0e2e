"""The normalization vocabulary of `patterns/normalization.yml`, validated into a frozen value."""

from __future__ import annotations

from collections.abc import Callable
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
    quarters: dict[str, int]
    modifiers: dict[str, str]
    relative: dict[str, int]
    days_relative: dict[str, int]
    currency_signs: dict[str, str]
    currency_codes: list[str]
    code_aliases: dict[str, str]
    currency_words: dict[str, str]
    yuan_markers: list[str]
    scales: dict[str, int]
    approximate_words: list[str]


SECTIONS = tuple(field.name for field in fields(Vocabulary))
SECTION_TYPES = {field.name: dict if str(field.type).startswith("dict") else list for field in fields(Vocabulary)}


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
