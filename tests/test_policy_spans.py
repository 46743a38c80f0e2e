"""policy_spans on spacy.blank("en"): proposals are set by hand, as the model and the ruler would."""

from __future__ import annotations

from dataclasses import replace

import pytest
from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.components.overlaps import MODEL_SOURCE, Proposal, resolve_overlaps
from pipeline.patterns import RuleSet


@pytest.fixture()
def component(blank_nlp: Language, rules: RuleSet):
    """policy_spans with the project's word lists but no patterns: the tests place the rule proposals."""
    pipe = blank_nlp.create_pipe("policy_spans")
    pipe.initialize(rules=replace(rules, entries=()))
    return pipe


def _doc(nlp: Language, text: str, *, ents=(), rules=()) -> Doc:
    """`ents` and `rules` are (surface text, label) pairs placed at their first occurrence."""
    doc = nlp.make_doc(text)

    def span(surface: str, label: str, span_id: str = "") -> Span:
        start = text.index(surface)
        found = doc.char_span(start, start + len(surface), label=label, span_id=span_id)
        assert found is not None, surface
        return found

    doc.ents = [span(surface, label) for surface, label in ents]
    doc.spans["policy_rules"] = [span(surface, label, "test-rule") for surface, label in rules]
    return doc


def _spans(doc: Doc) -> list[tuple[str, str]]:
    return [(span.text, span.label_) for span in doc.spans["policy"]]


def test_policy_spans_drops_leading_determiner(blank_nlp, component) -> None:
    doc = component(
        _doc(blank_nlp, "In July, the Carnegie Endowment published.", ents=[("the Carnegie Endowment", "ORG")])
    )
    assert _spans(doc) == [("Carnegie Endowment", "ORG")]


def test_policy_spans_rule_beats_shorter_model_fragment(blank_nlp, component) -> None:
    text = "the Japan-US Joint Working Level Committee met"
    doc = component(
        _doc(
            blank_nlp,
            text,
            ents=[("Working Level Committee", "ORG")],
            rules=[("Japan-US Joint Working Level Committee", "ORG")],
        )
    )
    assert _spans(doc) == [("Japan-US Joint Working Level Committee", "ORG")]


def test_policy_spans_keeps_org_nested_in_event(blank_nlp, component) -> None:
    doc = component(
        _doc(
            blank_nlp,
            "at the G20 Osaka Summit in 2019",
            rules=[("G20 Osaka Summit", "EVENT"), ("G20", "ORG")],
        )
    )
    assert _spans(doc) == [("G20 Osaka Summit", "EVENT"), ("G20", "ORG")]


def test_policy_spans_refuses_model_fragment_nested_in_event(blank_nlp, component) -> None:
    text = "the 16th Joint Meeting on Science and Technology took place"
    doc = component(
        _doc(
            blank_nlp,
            text,
            ents=[("Science and Technology", "ORG")],
            rules=[("16th Joint Meeting on Science and Technology", "EVENT")],
        )
    )
    assert _spans(doc) == [("16th Joint Meeting on Science and Technology", "EVENT")]


def test_policy_spans_refuses_org_that_is_the_event_but_its_ordinal(blank_nlp, component) -> None:
    text = "at the 3rd EU-Japan Digital Council in Osaka"
    doc = component(
        _doc(
            blank_nlp,
            text,
            rules=[("3rd EU-Japan Digital Council", "EVENT"), ("EU-Japan Digital Council", "ORG")],
        )
    )
    assert _spans(doc) == [("3rd EU-Japan Digital Council", "EVENT")]


@pytest.mark.parametrize(
    ("text", "ent", "expected"),
    [
        (
            "Photo: European Commission / Kyodo News]",
            "European Commission / Kyodo News",
            ["European Commission", "Kyodo News"],
        ),
        (
            "by the European Commission’s Directorate for Trade.",
            "European Commission’s Directorate",
            ["European Commission", "Directorate"],
        ),
        (
            "and Washington’s Inflation Reduction Act passed",
            "Washington’s Inflation Reduction Act",
            ["Inflation Reduction Act"],
        ),
        (
            "The World Health Organization (WHO used",
            "World Health Organization (WHO",
            ["World Health Organization"],
        ),
        (
            "the Organisation for Economic and Social Development said",
            "Organisation for Economic and",
            ["Organisation for Economic and Social Development"],
        ),
        (
            "ABUJA, July 8 (Reuters) - Nigerian National Petroleum Company said",
            "Reuters) - Nigerian National Petroleum Company",
            ["Reuters", "Nigerian National Petroleum Company"],
        ),
        ("rose 2.1% on the Nigerian Exchange on Monday.", "Nigerian Exchange on Monday", ["Nigerian Exchange"]),
        ("orders from Sony Corp. Analysts expect more", "Sony Corp. Analysts", ["Sony Corp."]),
        ('conversion," CBK Governor Kamau Thugge told reporters', "CBK Governor Kamau Thugge", ["CBK"]),
    ],
    ids=[
        "credit-slash",
        "possessive-chain",
        "possessive-place",
        "open-parenthesis",
        "fragment-ending-in-and",
        "wire-dateline-dash",
        "date-after-name",
        "legal-form-ends-a-sentence",
        "officeholder-and-person",
    ],
)
def test_policy_spans_repairs_model_org(blank_nlp, component, text: str, ent: str, expected: list[str]) -> None:
    doc = component(_doc(blank_nlp, text, ents=[(ent, "ORG")]))
    assert [span for span, _ in _spans(doc)] == expected


@pytest.mark.parametrize(
    ("text", "ent"),
    [
        ("increased R&D collaboration", "R&D"),
        ("any other Indo-Pacific country", "Indo-Pacific"),
        ("concentrating in Asian Studies and Government", "Asian Studies and Government"),
        ("Korean FDI into the United States", "Korean FDI"),
        ("on the final night. Photo: MAURO PIMENTEL/AFP via Getty", "MAURO PIMENTEL"),
        ("MINING & ENERGY | FINANCE\nArgentine lithium", "FINANCE"),
        ("Media statement\nPress release | 4 March 2025", "Press"),
        ("Transcript of the briefing by the Official Spokesperson today", "Official Spokesperson"),
        ("First, the External Affairs Minister will travel", "External Affairs"),
        ("negotiators from the Least Developed Countries group", "Least Developed Countries"),
        ("SemiAsia Review | Equipment & Materials\nTokyo", "Equipment & Materials"),
        ("approvals in both EGP and USD.", "USD"),
        ("introduced by the Minister of Communications on", "Minister of Communications"),
    ],
    ids=[
        "concept-acronym",
        "region",
        "field-of-study",
        "holds-concept-acronym",
        "photographer-in-capitals",
        "section-label-line",
        "page-furniture",
        "title",
        "before-a-title",
        "generic-group-of-states",
        "later-menu-item",
        "currency-code",
        "title-opening-a-name",
    ],
)
def test_policy_spans_drops_model_org_that_is_no_organization(blank_nlp, component, text: str, ent: str) -> None:
    assert _spans(component(_doc(blank_nlp, text, ents=[(ent, "ORG")]))) == []


def test_policy_spans_drops_byline_person_read_as_org(blank_nlp, component) -> None:
    text = "Commentary\nBy Helena Albuquerque | November 28, 2025\nHelena Albuquerque is a senior fellow."
    doc = _doc(blank_nlp, text, ents=[("Helena Albuquerque", "ORG")])
    assert _spans(component(doc)) == []


@pytest.mark.parametrize(
    ("text", "ent", "label"),
    [
        ("Afreximbank will host the Intra-African Trade Fair in Algiers", "Intra-African Trade Fair", "EVENT"),
        (
            "banks joined the Pan-African Payment and Settlement System last year",
            "Pan-African Payment and Settlement System",
            "INITIATIVE",
        ),
        ("Can the Forest Facility Pay", "Forest Facility", "INITIATIVE"),
        ("The Production Linked Incentive (PLI) programme for solar", "Production Linked Incentive", "INITIATIVE"),
        ("digital trade systems under its Digital Superhighway.", "Digital Superhighway", "INITIATIVE"),
        ("a peso loan from Banco de la Nación Argentina to", "Banco de la Nación Argentina", "ORG"),
        ("the Hyundai project alone", "Hyundai", "ORG"),
        (
            "farmers must comply with the Nature Restoration Regulation from",
            "Nature Restoration Regulation",
            "INITIATIVE",
        ),
        ("work on the Trans-Saharan Gas Pipeline resumed", "Trans-Saharan Gas Pipeline", "INITIATIVE"),
        ("homes built under Pradhan Mantri Awas Yojana in", "Pradhan Mantri Awas Yojana", "INITIATIVE"),
        ("the Blue Carbon Accelerator (BCA), launched in Lima", "Blue Carbon Accelerator", "INITIATIVE"),
        ("the Blue Carbon Accelerator, founded in Lima", "Blue Carbon Accelerator", "ORG"),
    ],
    ids=[
        "meeting-head",
        "system-head",
        "facility-head",
        "cue-after",
        "cue-before",
        "opening-head",
        "no-cue",
        "regulation-head",
        "pipeline-head",
        "scheme-word-in-hindi",
        "cue-participle-after-comma",
        "no-cue-participle",
    ],
)
def test_policy_spans_labels_a_model_name_by_what_it_is(blank_nlp, component, text: str, ent: str, label: str) -> None:
    doc = component(_doc(blank_nlp, text, ents=[(ent, "ORG")]))
    assert _spans(doc) == [(ent, label)]


def test_policy_spans_splits_two_names_joined_by_and(blank_nlp, component) -> None:
    text = "Sumitomo Corp. and Mitsubishi Corporation both hold stakes"
    doc = _doc(
        blank_nlp,
        text,
        ents=[("Sumitomo Corp. and Mitsubishi Corporation", "ORG")],
        rules=[("Sumitomo Corp.", "ORG"), ("Mitsubishi Corporation", "ORG")],
    )
    assert _spans(component(doc)) == [("Sumitomo Corp.", "ORG"), ("Mitsubishi Corporation", "ORG")]


def test_policy_spans_drops_person_read_as_org(blank_nlp, component) -> None:
    doc = _doc(blank_nlp, "Minister Suga spoke; Biden and Suga launched", ents=[("Minister Suga", "PERSON")])
    later_suga = doc.char_span(doc.text.rindex("Suga"), doc.text.rindex("Suga") + 4, label="ORG")
    doc.ents = [*doc.ents, later_suga]
    assert _spans(component(doc)) == []


@pytest.mark.parametrize(
    ("text", "ent", "expected"),
    [
        ("launched earlier in April", "earlier in April", "April"),
        ("about 5 percent more than this year.", "more than this year", "this year"),
        ("through the 1990s, it was", "the 1990s", "1990s"),
        ("grew in mid-2020 when", "mid-2020", "mid-2020"),
    ],
    ids=["earlier-in", "more-than", "the-decade", "mid-year"],
)
def test_policy_spans_cuts_date_to_calendar_words(blank_nlp, component, text: str, ent: str, expected: str) -> None:
    assert _spans(component(_doc(blank_nlp, text, ents=[(ent, "DATE")]))) == [(expected, "DATE")]


@pytest.mark.parametrize(
    "ent",
    ["three years", "the past two decades", "earlier in"],
    ids=["duration", "past-decades", "no-calendar-word"],
)
def test_policy_spans_drops_date_that_is_no_calendar_expression(blank_nlp, component, ent: str) -> None:
    assert _spans(component(_doc(blank_nlp, f"it took {ent} to agree", ents=[(ent, "DATE")]))) == []


@pytest.mark.parametrize(
    ("text", "ent", "expected"),
    [
        ("supports more than $5 billion in trade", "more than $5 billion", "$5 billion"),
        ("on a US$5.54bn EV plant", "US$5.54bn EV", "US$5.54bn"),
    ],
    ids=["leading-words", "trailing-name"],
)
def test_policy_spans_cuts_money_to_amount(blank_nlp, component, text: str, ent: str, expected: str) -> None:
    assert _spans(component(_doc(blank_nlp, text, ents=[(ent, "MONEY")]))) == [(expected, "MONEY")]


def test_policy_spans_repeats_capitalized_org_everywhere(blank_nlp, component) -> None:
    text = "The EU said so. EU-Japan trade grew."
    assert _spans(component(_doc(blank_nlp, text, ents=[("EU", "ORG")]))) == [("EU", "ORG"), ("EU", "ORG")]


def test_policy_spans_sets_ents_to_outermost_spans(blank_nlp, component) -> None:
    doc = component(
        _doc(
            blank_nlp,
            "at the G20 Osaka Summit with Biden",
            ents=[("Biden", "PERSON")],
            rules=[("G20 Osaka Summit", "EVENT"), ("G20", "ORG")],
        )
    )
    assert [(ent.text, ent.label_) for ent in doc.ents] == [
        ("G20 Osaka Summit", "EVENT"),
        ("Biden", "PERSON"),
    ]


def test_resolve_overlaps_prefers_rule_on_tie(blank_nlp) -> None:
    doc = blank_nlp.make_doc("the Young Professionals Program at")
    kept = resolve_overlaps(doc, [Proposal(1, 4, "ORG", MODEL_SOURCE), Proposal(1, 4, "INITIATIVE", "rule")])
    assert kept == [Proposal(1, 4, "INITIATIVE", "rule")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("for digital trade systems under its Digital Superhighway.", [("Digital Superhighway", "INITIATIVE")]),
        (
            "India brings the Production Linked Incentive (PLI) programme",
            [("Production Linked Incentive", "INITIATIVE")],
        ),
        ("launched Team Europe in 2021", [("Team Europe", "INITIATIVE")]),
        ("under President Ruto the plan", []),
        ("the World Bank programme in Kenya", []),
    ],
    ids=["before", "after-an-acronym", "launched", "a-title-is-no-name", "a-head-word-decides"],
)
def test_policy_spans_proposes_names_a_cue_labels(blank_nlp, component, text: str, expected: list) -> None:
    assert _spans(component(_doc(blank_nlp, text))) == expected


def test_policy_spans_finds_a_company_named_again_without_its_legal_form(blank_nlp, component) -> None:
    text = "Hanbit Ocean Energy Corp. signed. Hanbit said the Hanbit Ocean Energy plant opens in Tokyo."
    doc = component(_doc(blank_nlp, text, rules=[("Hanbit Ocean Energy Corp.", "ORG")]))
    assert [(span.text, span._.canonical) for span in doc.spans["policy"]] == [
        ("Hanbit Ocean Energy Corp.", None),
        ("Hanbit", "Hanbit Ocean Energy Corp."),
        ("Hanbit Ocean Energy", "Hanbit Ocean Energy Corp."),
    ]


def test_policy_spans_gives_a_cued_label_to_every_mention_of_the_name(blank_nlp, component) -> None:
    text = "Delegates discussed Equitable Access to Seeds (EAS) on Monday. The EAS annex is due in May."
    doc = blank_nlp.make_doc(text)
    second = text.rindex("EAS")
    doc.ents = [
        doc.char_span(20, 45, label="ORG"),
        doc.char_span(47, 50, label="ORG"),
        doc.char_span(second, second + 3, label="ORG"),
    ]
    assert _spans(component(doc)) == [
        ("Equitable Access to Seeds", "INITIATIVE"),
        ("EAS", "INITIATIVE"),
        ("EAS", "INITIATIVE"),
    ]
