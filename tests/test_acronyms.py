"""policy_acronyms: Schwartz & Hearst definitions, labels and canonical forms, on spacy.blank("en")."""

from __future__ import annotations

import pytest
from spacy.language import Language
from spacy.tokens import Doc

from pipeline.components.acronyms import abbreviates, find_long_form_start, is_short_form


@pytest.fixture()
def component(blank_nlp: Language):
    return blank_nlp.create_pipe("policy_acronyms")


def _doc(nlp: Language, text: str, spans: list[tuple[str, str]]) -> Doc:
    doc = nlp.make_doc(text)
    placed = []
    for surface, label in spans:
        start = text.index(surface)
        placed.append(doc.char_span(start, start + len(surface), label=label, span_id="test-rule"))
    doc.spans["policy"] = placed
    return doc


def _spans(doc: Doc) -> list[tuple[str, str, str | None]]:
    return [(span.text, span.label_, span._.canonical) for span in doc.spans["policy"]]


@pytest.mark.parametrize(
    ("short", "long", "expected"),
    [
        ("TRI", "Toyota Research Institute", True),
        ("DOE", "U.S. Department of Energy", True),
        ("SCEP", "U.S.-India Strategic Clean Energy Partnership", True),
        ("MEXT", "Ministry of Education, Culture, Sports Science and Technology of Japan", True),
        ("2021", "Toyota Research Institute", False),
        ("XYZ", "Toyota Research Institute", False),
    ],
    ids=["initials", "skips-function-words", "prefix-outside", "first-letter-fallback", "a-year", "unrelated"],
)
def test_abbreviates(short: str, long: str, expected: bool) -> None:
    assert abbreviates(short, long) is expected


def test_find_long_form_start_needs_first_letter_at_word_start() -> None:
    candidate = "artificial intelligence research and development"
    assert candidate[find_long_form_start("R&D", candidate) :] == "research and development"


@pytest.mark.parametrize(("text", "expected"), [("DOE", True), ("iCET", True), ("2021", False), ("a", False)])
def test_is_short_form(text: str, expected: bool) -> None:
    assert is_short_form(text) is expected


def test_acronyms_label_and_link_every_mention(blank_nlp, component) -> None:
    text = "the U.S. Department of Energy (DOE) and Japan. Later, DOE said no."
    doc = component(_doc(blank_nlp, text, [("U.S. Department of Energy", "ORG")]))
    assert _spans(doc) == [
        ("U.S. Department of Energy", "ORG", None),
        ("DOE", "ORG", "U.S. Department of Energy"),
        ("DOE", "ORG", "U.S. Department of Energy"),
    ]


def test_acronyms_take_the_label_of_the_long_form(blank_nlp, component) -> None:
    text = "the Just Energy Transition Partnership (JETP) with Indonesia. The JETP grew."
    doc = component(_doc(blank_nlp, text, [("Just Energy Transition Partnership", "INITIATIVE"), ("JETP grew", "ORG")]))
    assert ("JETP", "INITIATIVE", "Just Energy Transition Partnership") in _spans(doc)


def test_acronyms_inside_a_name_give_the_short_mention_the_full_name(blank_nlp, component) -> None:
    text = "launched the Competitiveness and Resilience (CoRe) Partnership. In addition to the CoRe Partnership, more."
    doc = component(_doc(blank_nlp, text, [("Competitiveness and Resilience (CoRe) Partnership", "INITIATIVE")]))
    assert _spans(doc) == [
        ("Competitiveness and Resilience (CoRe) Partnership", "INITIATIVE", None),
        ("CoRe Partnership", "INITIATIVE", "Competitiveness and Resilience (CoRe) Partnership"),
    ]


def test_acronyms_with_lower_case_long_form_are_concepts(blank_nlp, component) -> None:
    text = "in machine-assisted cognition (MAC) and robotics. MAC is hard."
    doc = component(_doc(blank_nlp, text, [("MAC", "ORG")]))
    assert _spans(doc) == []


def test_acronyms_ignore_a_parenthesized_year(blank_nlp, component) -> None:
    text = "the Toyota Research Institute (2021) said"
    doc = component(_doc(blank_nlp, text, [("Toyota Research Institute", "ORG")]))
    assert _spans(doc) == [("Toyota Research Institute", "ORG", None)]


def test_a_capitalised_back_reference_takes_the_label_and_canonical_of_the_name_it_heads(
    component, blank_nlp: Language
) -> None:
    text = (
        "The African Development Bank and the World Bank signed the Ghana Energy Compact. "
        "The Bank will lend, and the Compact runs to 2030. The Bank of Ghana agreed; the bank said so."
    )
    names = [
        ("African Development Bank", "ORG"),
        ("World Bank", "ORG"),
        ("Ghana Energy Compact", "INITIATIVE"),
        ("Bank of Ghana", "ORG"),
    ]
    found = [span for span in _spans(component(_doc(blank_nlp, text, names))) if span[0] in ("Bank", "Compact")]
    assert found == [
        ("Bank", "ORG", "African Development Bank"),
        ("Compact", "INITIATIVE", "Ghana Energy Compact"),
    ]
