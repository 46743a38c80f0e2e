"""Pattern files: every entry's examples hold, and malformed files are refused with where and why."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import PATTERNS_DIR
from spacy.language import Language

from pipeline.errors import PatternFileError
from pipeline.patterns import (
    DERIVED_LEXICON_LISTS,
    LEXICON_LISTS,
    RuleSet,
    example_failures,
    load_rules,
    marked_spans,
)

ENTRIES = load_rules(PATTERNS_DIR).entries


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry.id for entry in ENTRIES])
def test_pattern_examples_match_and_no_match(entry, blank_nlp: Language) -> None:
    assert example_failures(entry, blank_nlp) == []


def test_patterns_every_entry_has_examples_and_unique_ids(rules: RuleSet) -> None:
    ids = [entry.id for entry in rules.entries]
    assert len(ids) == len(set(ids))
    assert all(entry.match_examples for entry in rules.entries)


def test_patterns_lexicon_lists_are_all_used_by_code(rules: RuleSet) -> None:
    # A list in lexicon.yml that the code does not know would be refused; one the code knows but the
    # data lacks would silently disable a repair.
    assert set(rules.lexicon) == {*LEXICON_LISTS, *DERIVED_LEXICON_LISTS}


def test_marked_spans_splits_text_and_spans() -> None:
    assert marked_spans("the [CoRe Partnership] was") == ("the CoRe Partnership was", ["CoRe Partnership"])


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "bad.yml").write_text(text, encoding="utf-8")
    return tmp_path


GOOD_ENTRY = """
  - id: org-test
    label: ORG
    pattern: [{LOWER: ministry}]
    examples:
      match: ["the [Ministry] said"]
"""

BAD_FILES = [
    ("patterns:\n\t- id: x\n", "not valid YAML"),
    ("patterns:" + GOOD_ENTRY + "    colour: red\n", "unknown key 'colour'"),
    ("patterns:" + GOOD_ENTRY.replace("label: ORG", "label: PERSON"), "label 'PERSON' is not one of"),
    ("patterns:" + GOOD_ENTRY.replace("{LOWER: ministry}", "{LOWERCASE: ministry}"), "not valid for spaCy"),
    ("patterns:" + GOOD_ENTRY.replace("pattern: [{LOWER: ministry}]", "pattern: 5"), "pattern must be"),
    ("patterns:\n  - id: x\n    label: ORG\n    pattern: [{LOWER: a}]\n", "missing key 'examples'"),
    ("patterns:" + GOOD_ENTRY.replace("the [Ministry] said", "the Ministry said"), "[brackets]"),
    ("patterns:" + GOOD_ENTRY + GOOD_ENTRY, "duplicate entry id 'org-test'"),
    ("lexicon:\n  colours: [red]\n", "unknown lexicon list 'colours'"),
    ("lexicon:\n  leading_words: [the, on]\n", "must be a list of strings"),
    ("rules: []\n", "expected a mapping with one of the keys"),
    ("patterns:" + GOOD_ENTRY.replace("{LOWER: ministry}", "{POS: PROPN}"), "POS need the tagger"),
    ("head_words:\n  - {class: heads, label: PLACE, words: [city]}\n", "label 'PLACE' is not one of"),
    ("head_words:\n  - {class: heads, label: ORG, words: [bank], colour: red}\n", "unknown key 'colour'"),
    (
        "head_words:\n  - {class: heads, label: ORG, words: [bank]}\n  - {class: heads, label: ORG, words: [fund]}\n",
        "duplicate entry id 'heads'",
    ),
    ("groups:\n  - {id: un, label: ORG, entries: [{name: UN}], examples: {match: ['[UN]']}}\n", "starting with 'gaz-'"),
    (
        "groups:\n  - {id: gaz-x, label: ORG, entries: [{name: UN, alias: [U.N.]}], examples: {match: ['[UN]']}}\n",
        "unknown key 'alias'",
    ),
]


@pytest.mark.parametrize(
    ("text", "message"),
    BAD_FILES,
    ids=[
        "tab-indent",
        "unknown-key",
        "unknown-label",
        "unknown-token-attribute",
        "wrong-type",
        "no-examples",
        "unmarked-example",
        "duplicate-id",
        "unknown-lexicon-list",
        "yaml-boolean-word",
        "unknown-top-level-key",
        "attribute-of-excluded-pipe",
        "head-class-label",
        "head-class-key",
        "head-class-twice",
        "gazetteer-group-id",
        "gazetteer-entry-key",
    ],
)
def test_load_rules_refuses_malformed_file_naming_it(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(PatternFileError) as raised:
        load_rules(_write(tmp_path, text))
    assert message in str(raised.value)
    assert "bad.yml" in str(raised.value)


def test_load_rules_names_entry_and_line(tmp_path: Path) -> None:
    text = "patterns:" + GOOD_ENTRY + GOOD_ENTRY.replace("org-test", "org-second").replace("LOWER", "LOWR")
    with pytest.raises(PatternFileError) as raised:
        load_rules(_write(tmp_path, text))
    assert "line 8, entry org-second" in str(raised.value)
    assert "allowed token attributes: " in str(raised.value) and "IS_TITLE" in str(raised.value)


NORMALIZATION = (PATTERNS_DIR / "normalization.yml").read_text(encoding="utf-8")

BAD_REFERENCES = [
    pytest.param(
        "patterns:" + GOOD_ENTRY.replace("{LOWER: ministry}", '{LOWER: {IN: ["@planets"]}}'),
        "line 2, entry org-test: unknown word list '@planets'; allowed: @months, @weekdays",
        id="unknown-list-in-token",
    ),
    pytest.param(
        "patterns:" + GOOD_ENTRY.replace("{LOWER: ministry}", '{TEXT: {REGEX: "^(?:@month)$"}}'),
        "entry org-test: unknown word list '@month'",
        id="unknown-list-in-regex",
    ),
    pytest.param(
        "patterns:" + GOOD_ENTRY.replace("{LOWER: ministry}", '{LOWER: {IN: ["@months.first"]}}'),
        "unknown word list '@months.first'; allowed: @months, @weekdays, ",
        id="unknown-view",
    ),
    pytest.param(
        "patterns:" + GOOD_ENTRY.replace("{LOWER: ministry}", '{LOWER: {IN: ["@months.last"]}}'),
        "entry org-test: '@months.last' gives no words",
        id="view-of-one-word-list",
    ),
    pytest.param('lexicon:\n  leading_words: [the, "@planets"]\n', "line 2, entry leading_words", id="lexicon-list"),
    pytest.param("lexicon:\n  currency_prefixes: [NZ$]\n", "'currency_prefixes' is derived from", id="derived-list"),
]


@pytest.mark.parametrize(("text", "message"), BAD_REFERENCES)
def test_load_rules_refuses_bad_word_list_reference_naming_file_and_entry(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "normalization.yml").write_text(NORMALIZATION, encoding="utf-8")
    with pytest.raises(PatternFileError) as raised:
        load_rules(_write(tmp_path, text))
    assert message in str(raised.value)
    assert "bad.yml" in str(raised.value)


def test_load_rules_without_normalization_allows_no_reference(tmp_path: Path) -> None:
    text = "patterns:" + GOOD_ENTRY.replace("{LOWER: ministry}", '{LOWER: {IN: ["@months"]}}')
    with pytest.raises(PatternFileError, match="allowed: none"):
        load_rules(_write(tmp_path, text))


def test_load_rules_expands_references_into_plain_lists(tmp_path: Path) -> None:
    (tmp_path / "normalization.yml").write_text(NORMALIZATION, encoding="utf-8")
    pattern = '[{LOWER: {IN: ["@seasons", the]}}, {ORTH: {IN: ["@code_aliases"]}}, {TEXT: {REGEX: "^(?:@modifiers)$"}}]'
    rules = load_rules(_write(tmp_path, "patterns:" + GOOD_ENTRY.replace("[{LOWER: ministry}]", pattern)))
    assert rules.vocabulary is not None
    assert rules.entries[0].pattern == [
        {"LOWER": {"IN": ["spring", "summer", "fall", "autumn", "winter", "the"]}},
        {"ORTH": {"IN": list(rules.vocabulary.code_aliases)}},
        {"TEXT": {"REGEX": "^(?:(?:early|late|mid))$"}},
    ]


def test_load_rules_refuses_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(PatternFileError, match="no pattern files"):
        load_rules(tmp_path)


def test_head_word_classes_load_with_their_label_and_flags(rules: RuleSet) -> None:
    classes = {head_class.name: head_class for head_class in rules.labels.head_words}
    assert classes["opening_org_heads"].opens_name and classes["opening_org_heads"].label == "ORG"
    assert classes["initiative_heads"].over_model and "facility" in classes["initiative_heads"].words
    assert not classes["org_or_meeting_heads"].over_model
