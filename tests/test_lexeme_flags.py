"""Word-level predicates as lexeme flags: the span_ruler finds exactly what the plain patterns find."""

from __future__ import annotations

import spacy
from conftest import CORPUS_DIR, PATTERNS_DIR
from spacy import attrs
from spacy.pipeline import SpanRuler

from pipeline.corpus import read_articles
from pipeline.lexeme_flags import FREE_FLAG_BITS, WordTest, flagged_patterns
from pipeline.patterns import RuleSet, load_rules
from pipeline.tokenizer import customize_tokenizer


def _matches(nlp: spacy.language.Language, patterns: list[dict], texts: list[str]) -> list[list[tuple]]:
    ruler = SpanRuler(nlp, spans_key="found", spans_filter=None)
    ruler.add_patterns(patterns)
    found = []
    with nlp.memory_zone():  # words first seen here are transient lexemes, created after the flags
        for text in texts:
            doc = ruler(nlp.make_doc(text))
            found.append(sorted((span.start, span.end, span.label_, span.id_) for span in doc.spans["found"]))
    return found


def _fresh_nlp(rules: RuleSet) -> spacy.language.Language:
    nlp = spacy.blank("en")
    customize_tokenizer(nlp, rules.lexicon.get("currency_prefixes", []))
    return nlp


def test_flagged_patterns_find_the_same_spans_on_the_corpus() -> None:
    rules = load_rules(PATTERNS_DIR)
    articles, _ = read_articles([CORPUS_DIR / "articles"])
    texts = [article.text for article in articles]
    texts.append("Ministers of the Ñandú Development Fund met at the 4th Ωmega Summit on 3 May 2031 (US$2.5 billion).")
    plain = [pattern for entry in rules.entries for pattern in entry.as_spacy_patterns()]
    nlp = _fresh_nlp(rules)
    flagged = flagged_patterns(nlp.vocab, plain)

    assert flagged != plain
    found = _matches(nlp, flagged, texts)
    assert found == _matches(_fresh_nlp(rules), plain, texts)
    assert sum(map(len, found)) > 300


def test_flags_are_shared_between_token_specs_and_reused_on_the_same_vocab() -> None:
    nlp = spacy.blank("en")
    capitalized = {"SHAPE": {"REGEX": "^X"}, "LOWER": {"NOT_IN": ["the"]}}
    patterns = [
        {"label": "ORG", "pattern": [capitalized, {"LOWER": {"IN": ["bank", "fund"]}, "IS_TITLE": True}]},
        {"label": "EVENT", "pattern": [dict(capitalized), {"LOWER": "summit"}]},
    ]
    first = flagged_patterns(nlp.vocab, patterns)
    flags_after_first = set(nlp.vocab.lex_attr_getters)
    again = flagged_patterns(nlp.vocab, patterns)

    assert first == again
    assert set(nlp.vocab.lex_attr_getters) == flags_after_first
    capitalized_flag = next(iter(first[0]["pattern"][0]))
    assert first[1]["pattern"][0] == {capitalized_flag: True}
    assert first[0]["pattern"][1]["IS_TITLE"] is True  # spaCy's own flags stay as they are
    assert _matches(nlp, first, ["The World Bank and the Asia Summit."]) == [[(1, 3, "ORG", ""), (5, 7, "EVENT", "")]]


def test_predicates_stay_python_when_the_flag_bits_run_out_or_are_not_word_level() -> None:
    nlp = spacy.blank("en")
    for bit in FREE_FLAG_BITS:
        nlp.vocab.add_flag(lambda word: False, bit)
    patterns = [
        {"label": "ORG", "pattern": [{"LOWER": {"IN": ["bank"]}}]},
        {"label": "ORG", "pattern": "World Bank"},
    ]
    assert flagged_patterns(nlp.vocab, patterns) == patterns

    roomy = spacy.blank("en")
    not_word_level = [{"label": "MONEY", "pattern": [{"LENGTH": {">=": 2}}, {"NORM": {"IN": ["dollar"]}}]}]
    assert flagged_patterns(roomy.vocab, not_word_level) == not_word_level
    assert not any(isinstance(getter, WordTest) for getter in roomy.vocab.lex_attr_getters.values())
    assert attrs.FLAG19 not in roomy.vocab.lex_attr_getters


def test_the_last_bits_go_to_loops_of_the_common_opening_before_other_inner_tokens() -> None:
    nlp = spacy.blank("en")
    for bit in list(FREE_FLAG_BITS)[:-3]:  # three bits left
        nlp.vocab.add_flag(lambda word: False, bit)
    capitalized = {"SHAPE": {"REGEX": "^X"}}
    inner = {"TEXT": {"REGEX": "^(?:[A-Z]|and$)"}, "OP": "*"}
    patterns = [
        {"label": "ORG", "pattern": [capitalized, inner, {"LOWER": {"IN": ["bank", "fund"]}}]},
        {"label": "EVENT", "pattern": [capitalized, inner, {"LOWER": {"IN": ["summit"]}}]},
        {"label": "DATE", "pattern": [{"LOWER": {"IN": ["mid"]}}, {"LOWER": {"IN": ["-", "–"]}}]},
    ]
    flagged = flagged_patterns(nlp.vocab, patterns)
    org, event, date = (entry["pattern"] for entry in flagged)
    assert event[1] == org[1]  # the loop is shared
    assert all(isinstance(key, int) for key in org[0]) and all(isinstance(key, int) for key in date[0])
    assert any(isinstance(key, int) for key in org[1])  # the loop of the common opening: the third bit
    assert org[2] == {"LOWER": {"IN": ["bank", "fund"]}} and date[1] == {"LOWER": {"IN": ["-", "–"]}}
    assert _matches(nlp, flagged, ["The World Bank met at the Asia Summit in mid-2025."]) == _matches(
        spacy.blank("en"), patterns, ["The World Bank met at the Asia Summit in mid-2025."]
    )
