"""Each word list is written once, in patterns/normalization.yml; the other files refer to it.

A list written again somewhere drifts from the original ("NT$" in the parser, not in the
patterns), so these tests fail when a pattern or lexicon list, or a regex alternation, repeats
one, and when normalization itself lists a word twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import PATTERNS_DIR

from pipeline import yamlio
from pipeline.patterns import RuleSet
from pipeline.vocabulary import REFERENCE, SECTIONS

NORMALIZATION_FILE = PATTERNS_DIR / "normalization.yml"
OTHER_FILES = sorted(path for path in PATTERNS_DIR.glob("*.yml") if path != NORMALIZATION_FILE)
# A list may share this many words with a normalization list by coincidence ("today" is both a
# relative day and a word trimmed from a span's start); more is a copy.
SHARED_WORDS_ALLOWED = 2
# The letters of a regex: a run not after a backslash (\d) or "?" (the flag of (?i:...)).
REGEX_WORDS = re.compile(r"(?<![\\?])[A-Za-z]+")


def _normalization_lists() -> dict[str, set[str]]:
    section = yamlio.load(NORMALIZATION_FILE.read_text(encoding="utf-8"))["normalization"]
    return {name: {str(word).lower() for word in section[name]} for name in SECTIONS}


NORMALIZATION_LISTS = _normalization_lists()


def _written_lists(node: Any, where: str) -> Iterator[tuple[str, set[str]]]:
    """Every list of words a file writes out, and the words of every regex, with where each is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "REGEX" and isinstance(value, str):
                yield f"{where}.REGEX", {word.lower() for word in REGEX_WORDS.findall(REFERENCE.sub("", value))}
            else:
                yield from _written_lists(value, f"{where}.{key}")
    elif isinstance(node, list):
        words = {item.lower() for item in node if isinstance(item, str) and not item.startswith("@")}
        if words:
            yield where, words
        for index, item in enumerate(node):
            yield from _written_lists(item, f"{where}[{index}]")


@pytest.mark.parametrize("path", OTHER_FILES, ids=[path.name for path in OTHER_FILES])
def test_word_lists_no_file_writes_a_normalization_list_again(path: Path) -> None:
    document = yamlio.load(path.read_text(encoding="utf-8"))
    copies = [
        f"{where} repeats {sorted(words & listed)} of normalization's {name}; refer to it as @{name}"
        for where, words in _written_lists(document, path.name)
        for name, listed in NORMALIZATION_LISTS.items()
        if len(words & listed) > SHARED_WORDS_ALLOWED
    ]
    assert copies == []


def _entries(node: yaml.Node) -> list[str]:
    """The entries of a section as written, duplicates kept (a YAML mapping keeps only the last of a repeated key)."""
    if isinstance(node, yaml.MappingNode):
        return [key.value for key, _ in node.value]
    assert isinstance(node, yaml.SequenceNode)
    return [item.value for item in node.value]


def _sections() -> dict[str, list[str]]:
    root = yamlio.compose(NORMALIZATION_FILE.read_text(encoding="utf-8"))
    assert isinstance(root, yaml.MappingNode)
    (_, normalization), *_ = root.value
    return {key.value: [entry.lower() for entry in _entries(value)] for key, value in normalization.value}


def test_word_lists_normalization_lists_each_word_once() -> None:
    sections = _sections()
    repeated = {name: sorted({w for w in words if words.count(w) > 1}) for name, words in sections.items()}
    assert {name: words for name, words in repeated.items() if words} == {}
    owners: dict[str, list[str]] = {}
    for name, words in sections.items():
        for word in words:
            owners.setdefault(word, []).append(name)
    assert {word: names for word, names in owners.items() if len(names) > 1} == {}


def test_word_lists_duplicate_key_in_normalization_is_seen() -> None:
    node = yamlio.compose("{yen: JPY, yen: CNY}")
    assert node is not None
    assert _entries(node) == ["yen", "yen"]


def test_word_lists_lexicon_derives_currency_tokens_and_prefixes(rules: RuleSet) -> None:
    vocabulary = rules.vocabulary
    assert vocabulary is not None
    tokens = set(rules.lexicon["currency_tokens"])
    assert {*vocabulary.currency_codes, *vocabulary.code_aliases, "$", "NT$", "R$", "Rs"} <= tokens
    assert {"NZ$", "NT$", "R$", "HK$", "US$"} <= set(rules.lexicon["currency_prefixes"])
    assert not {"Rs", "Rs.", "KSh", "€", "$"} & set(rules.lexicon["currency_prefixes"])


def test_word_lists_lexicon_calendar_words_come_from_months_seasons_weekdays(rules: RuleSet) -> None:
    vocabulary = rules.vocabulary
    assert vocabulary is not None
    calendar = set(rules.lexicon["calendar_words"])
    assert {*vocabulary.months, *vocabulary.seasons, *vocabulary.weekdays, *vocabulary.days_relative} <= calendar


def test_word_lists_iso_codes_are_three_capitals_each_once(rules: RuleSet) -> None:
    vocabulary = rules.vocabulary
    assert vocabulary is not None
    assert all(re.fullmatch(r"[A-Z]{3}", code) for code in vocabulary.currency_codes)
    # Every currency the words, signs and aliases name is an ISO code ("$" is the default currency).
    named = {
        *vocabulary.currency_signs.values(),
        *vocabulary.code_aliases.values(),
        *vocabulary.currency_words.values(),
    }
    assert named - {"$"} <= set(vocabulary.currency_codes)


def test_word_lists_patterns_hold_plain_lists_after_loading(rules: RuleSet) -> None:
    assert [entry.id for entry in rules.entries if REFERENCE.search(str(entry.pattern))] == []
    assert [name for name, words in rules.lexicon.items() if any(word.startswith("@") for word in words)] == []
