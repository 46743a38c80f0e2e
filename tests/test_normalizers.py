"""policy_dates and policy_money on spacy.blank("en"), the vocabulary file, and the values end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CORPUS_DIR
from spacy.language import Language
from spacy.tokens import Doc

from pipeline.components.attributes import register_attributes
from pipeline.corpus import read_articles
from pipeline.errors import PatternFileError
from pipeline.extract import extract
from pipeline.patterns import load_rules


@pytest.fixture()
def dates(blank_nlp: Language):
    return blank_nlp.create_pipe("policy_dates")


@pytest.fixture()
def money(blank_nlp: Language):
    return blank_nlp.create_pipe("policy_money")


def _doc(nlp: Language, text: str, spans: list[tuple[str, str]], article_date: str | None = None) -> Doc:
    register_attributes()
    doc = nlp.make_doc(text)
    placed = []
    for surface, label in spans:
        start = text.index(surface)
        placed.append(doc.char_span(start, start + len(surface), label=label))
    doc.spans["policy"] = placed
    doc._.article_date = article_date
    return doc


def _values(doc: Doc) -> list[tuple[str, object, object]]:
    return [(span.text, span._.norm, span._.norm_details) for span in doc.spans["policy"]]


def test_policy_dates_resolve_against_the_article_date(blank_nlp, dates) -> None:
    doc = dates(
        _doc(blank_nlp, "In July, and last year, in 2019.", [("July", "DATE"), ("last year", "DATE")], "2021-09-01")
    )
    (_, july_norm, july_details), (_, last_norm, _) = _values(doc)
    assert (july_norm, july_details["anchor"], july_details["granularity"]) == ("2021-07", "article_date", "month")
    assert last_norm == "2020"


def test_policy_dates_without_article_date_take_the_nearest_earlier_explicit_year(blank_nlp, dates) -> None:
    text = "In June it met. A summit in April 2021 came, then July; trade in 2020, then in January."
    spans = [("June", "DATE"), ("April 2021", "DATE"), ("July", "DATE"), ("2020", "DATE"), ("January", "DATE")]
    doc = dates(_doc(blank_nlp, text, spans))
    norms = {text: (norm, details["anchor"], details["resolved"]) for text, norm, details in _values(doc)}
    assert norms["June"] == ("XXXX-06", None, False)
    assert norms["April 2021"] == ("2021-04", None, True)
    assert norms["July"] == ("2021-07", "text_year", True)
    assert norms["January"] == ("2020-01", "text_year", True)


def test_policy_dates_leave_unparsed_spans_without_norm(blank_nlp, dates) -> None:
    doc = dates(_doc(blank_nlp, "over the coming period", [("coming period", "DATE")], "2021-01-01"))
    assert _values(doc) == [("coming period", None, None)]


def test_policy_money_sets_amount_currency_and_approximate(blank_nlp, money) -> None:
    text = "It gave more than $252 billion and ¥800 billion."
    doc = money(_doc(blank_nlp, text, [("$252 billion", "MONEY"), ("¥800 billion", "MONEY")]))
    assert _values(doc) == [
        ("$252 billion", {"amount": 252000000000, "currency": "USD"}, {"approximate": True}),
        ("¥800 billion", {"amount": 800000000000, "currency": "JPY"}, {"approximate": False}),
    ]


def test_vocabulary_refuses_a_missing_or_unknown_section(tmp_path: Path) -> None:
    (tmp_path / "normalization.yml").write_text("normalization:\n  months: {january: 1}\n  planets: []\n")
    with pytest.raises(PatternFileError, match="unknown normalization section 'planets'"):
        load_rules(tmp_path)
    (tmp_path / "normalization.yml").write_text("normalization:\n  months: {january: 1}\n")
    with pytest.raises(PatternFileError, match="missing key 'weekdays'"):
        load_rules(tmp_path)


@pytest.fixture(scope="module")
def corpus_run(nlp: Language) -> list:
    articles, _ = read_articles([CORPUS_DIR / "articles"])
    return list(extract(nlp, articles))


def test_end_to_end_records_carry_values_that_serialize(corpus_run) -> None:
    extractions = corpus_run
    first = next(item for item in extractions if item.record["meta"]["id"] == "us-japan-rd-collaboration")
    by_text = {span["text"]: span for span in first.record["spans"]}
    assert by_text["$252 billion"]["norm"] == {"amount": 252000000000, "currency": "USD"}
    assert (by_text["July"]["norm"], by_text["July"]["anchor"]) == ("2021-07", "text_year")
    assert by_text["DOE"]["canonical"] == "U.S. Department of Energy"
    assert by_text["CoRe Partnership"]["canonical"] == "Competitiveness and Resilience (CoRe) Partnership"
    json.dumps(first.record)


def test_end_to_end_aliases_list_each_definition_with_its_mentions(corpus_run) -> None:
    extractions = corpus_run
    first = next(item for item in extractions if item.record["meta"]["id"] == "us-japan-rd-collaboration")
    aliases = {alias["short"]: alias for alias in first.aliases}
    assert aliases["DOE"] == {
        "doc_id": "us-japan-rd-collaboration",
        "short": "DOE",
        "long": "U.S. Department of Energy",
        "label": "ORG",
        "mentions": 1,
    }
    assert aliases["JWLC"]["mentions"] == 2
    assert "MNE" not in aliases and "R&D" not in aliases
