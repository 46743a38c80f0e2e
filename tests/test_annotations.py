"""Gold built from annotation sources: offsets found by code, and the committed gold never drifts from them."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import CORPUS_DIR, ROOT

from pipeline.annotations import build_gold, build_gold_record, whole_word_offsets, write_gold
from pipeline.corpus import read_articles
from pipeline.errors import GoldError, Messages
from pipeline.types import Article

ARTICLES_DIR = CORPUS_DIR / "articles"
ANNOTATIONS_DIR = CORPUS_DIR / "annotations"
GOLD_DIR = CORPUS_DIR / "gold"
GOLD_FILES = sorted(GOLD_DIR.glob("*.jsonl"))
ANNOTATION_FILES = sorted(ANNOTATIONS_DIR.glob("*.yml"))
FIRST_SOURCE_FILE = "000_3e753b5aeb065143.txt"


def _articles_by_id() -> dict[str, Article]:
    articles, skipped = read_articles([ARTICLES_DIR])
    assert skipped == []
    return {article.id: article for article in articles}


# --- whole_word_offsets ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "needle", "expected"),
    [
        ("DOE and DOES and (DOE)", "DOE", [0, 18]),
        ("the OECD’s Blue Dot Network", "OECD", [4]),
        ("DOE2 and 2DOE and xDOE", "DOE", []),
        ("DOEé and éDOE", "DOE", []),
        ("US-Japan and US-Japan-Mekong", "US-Japan", [0, 13]),
        ("the U.S. and the U.S.A.", "U.S.", [4]),
        ("$252 billion, not $252 billions", "$252 billion", [0]),
        ("DOE_report by DOE", "DOE", [0, 14]),
        ("Partnership\nPartnership", "Partnership", [0, 12]),
        ("nothing here", "DOE", []),
    ],
    ids=[
        "doctest",
        "possessive",
        "glued-digit-or-letter",
        "glued-non-ascii-letter",
        "hyphenated-name",
        "trailing-dot",
        "money",
        "underscore-is-not-a-letter",
        "line-start",
        "absent",
    ],
)
def test_whole_word_offsets_finds_unglued_occurrences(text: str, needle: str, expected: list[int]) -> None:
    assert whole_word_offsets(text, needle) == expected
    for start in expected:
        assert text[start : start + len(needle)] == needle


def test_whole_word_offsets_escapes_regex_characters() -> None:
    text = "Competitiveness and Resilience (CoRe) Partnership, not CoRe Partnership"
    assert whole_word_offsets(text, "(CoRe)") == [31]
    assert whole_word_offsets("a+b and aab", "a+b") == [0]


# --- build_gold_record ----------------------------------------------------------------------------

TEXT = (
    "The U.S. Department of Energy (DOE) and the Department of Energy staff met at the "
    "G20 Osaka Summit in June 2019. DOE pledged $5 million. The Department of Energy said DOE would "
    "fund the Blue Dot Network."
)


def _article(text: str = TEXT, doc_id: str = "doc") -> Article:
    return Article(id=doc_id, text=text, meta={"id": doc_id, "split": "dev"}, path=f"{doc_id}.md")


def _annotation(tmp_path: Path, body: str, name: str = "doc.yml") -> Path:
    path = tmp_path / name
    path.write_text("id: doc\nspans:\n" + body, encoding="utf-8")
    return path


def _spans(record: dict) -> list[tuple[int, int, str, str]]:
    return [(span["start"], span["end"], span["label"], span["text"]) for span in record["spans"]]


def _at(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    start = whole_word_offsets(text, needle)[occurrence - 1]
    return start, start + len(needle)


def test_build_gold_record_annotates_every_occurrence(tmp_path: Path) -> None:
    record = build_gold_record(_article(), _annotation(tmp_path, "  - {text: DOE, label: ORG}\n"))
    starts = whole_word_offsets(TEXT, "DOE")
    assert len(starts) == 3
    assert _spans(record) == [(start, start + 3, "ORG", "DOE") for start in starts]
    assert record["text"] == TEXT
    assert record["meta"] == {"id": "doc", "split": "dev"}


def test_build_gold_record_occurrences_picks_listed_ones(tmp_path: Path) -> None:
    path = _annotation(tmp_path, "  - {text: DOE, label: ORG, occurrences: [1, 3]}\n")
    record = build_gold_record(_article(), path)
    assert _spans(record) == [(*_at(TEXT, "DOE", 1), "ORG", "DOE"), (*_at(TEXT, "DOE", 3), "ORG", "DOE")]


def test_build_gold_record_occurrence_out_of_range_refused(tmp_path: Path) -> None:
    path = _annotation(tmp_path, "  - {text: DOE, label: ORG, occurrences: [4]}\n")
    with pytest.raises(GoldError) as caught:
        build_gold_record(_article(), path)
    assert str(caught.value) == Messages.G005.format(path=path, line=3, text="DOE", occurrence=4, count=3)


def test_build_gold_record_drops_same_label_contained_occurrence(tmp_path: Path) -> None:
    path = _annotation(
        tmp_path,
        "  - {text: Department of Energy, label: ORG}\n  - {text: U.S. Department of Energy, label: ORG}\n",
    )
    record = build_gold_record(_article(), path)
    short = whole_word_offsets(TEXT, "Department of Energy")
    assert len(short) == 3
    # The first short form sits inside the long name and is dropped; the two standalone ones stay.
    assert _spans(record) == [
        (*_at(TEXT, "U.S. Department of Energy"), "ORG", "U.S. Department of Energy"),
        (short[1], short[1] + 20, "ORG", "Department of Energy"),
        (short[2], short[2] + 20, "ORG", "Department of Energy"),
    ]


def test_build_gold_record_nests_org_inside_event(tmp_path: Path) -> None:
    path = _annotation(
        tmp_path,
        "  - {text: G20, label: ORG}\n  - {text: G20 Osaka Summit, label: EVENT}\n",
    )
    record = build_gold_record(_article(), path)
    start, end = _at(TEXT, "G20 Osaka Summit")
    # Sorted by start, then end descending: the outer EVENT comes first.
    assert _spans(record) == [(start, end, "EVENT", "G20 Osaka Summit"), (start, start + 3, "ORG", "G20")]


def test_build_gold_record_carries_norm_and_canonical(tmp_path: Path) -> None:
    path = _annotation(
        tmp_path,
        "  - {text: June 2019, label: DATE, norm: 2019-06}\n"
        "  - {text: $5 million, label: MONEY, norm: {amount: 5000000, currency: USD}}\n"
        "  - {text: DOE, label: ORG, canonical: U.S. Department of Energy, occurrences: [2]}\n",
    )
    record = build_gold_record(_article(), path)
    by_text = {span["text"]: span for span in record["spans"]}
    assert by_text["June 2019"]["norm"] == "2019-06"
    assert by_text["$5 million"]["norm"] == {"amount": 5000000, "currency": "USD"}
    assert by_text["DOE"]["canonical"] == "U.S. Department of Energy"
    assert "canonical" not in by_text["June 2019"]
    assert "norm" not in by_text["DOE"]
    assert [span["start"] for span in record["spans"]] == sorted(span["start"] for span in record["spans"])


def test_build_gold_record_entity_is_explicit_else_canonical_else_text(tmp_path: Path) -> None:
    path = _annotation(
        tmp_path,
        "  - {text: U.S. Department of Energy, label: ORG, entity: United States Department of Energy}\n"
        "  - {text: DOE, label: ORG, canonical: Department of Energy, entity: United States Department of Energy}\n"
        "  - {text: Blue Dot Network, label: INITIATIVE, canonical: OECD Blue Dot Network}\n"
        "  - {text: G20 Osaka Summit, label: EVENT}\n"
        "  - {text: June 2019, label: DATE, norm: 2019-06}\n",
    )
    record = build_gold_record(_article(), path)
    entities = {(span["text"], span.get("entity")) for span in record["spans"]}
    assert entities == {
        ("U.S. Department of Energy", "United States Department of Energy"),
        ("DOE", "United States Department of Energy"),
        ("Blue Dot Network", "OECD Blue Dot Network"),
        ("G20 Osaka Summit", "G20 Osaka Summit"),
        ("June 2019", None),
    }


def test_build_gold_record_one_string_split_into_two_entities_by_occurrence(tmp_path: Path) -> None:
    path = _annotation(
        tmp_path,
        "  - {text: DOE, label: ORG, entity: U.S. Department of Energy, occurrences: [1, 3]}\n"
        "  - {text: DOE, label: ORG, entity: Department of Education, occurrences: [2]}\n",
    )
    record = build_gold_record(_article(), path)
    assert [span["entity"] for span in record["spans"]] == [
        "U.S. Department of Energy",
        "Department of Education",
        "U.S. Department of Energy",
    ]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            "  - {text: Department of Energy staff, label: ORG}\n  - {text: Energy staff met, label: EVENT}\n",
            "overlap",
        ),
        ("  - {text: G20 Osaka Summit, label: ORG}\n  - {text: Osaka Summit, label: EVENT}\n", "overlap"),
        ("  - {text: Blue Dot Network, label: INITIATIVE}\n  - {text: Blue Dot, label: EVENT}\n", "overlap"),
        ("  - {text: DOE, label: INITIATIVE}\n  - {text: DOE, label: ORG}\n", "overlap"),
        ("  - {text: DOE, label: ORG}\n  - {text: DOE, label: INITIATIVE}\n", "overlap"),
        ("  - {text: DOE, label: ORG}\n  - {text: DOE, label: EVENT}\n", "overlap"),
    ],
    ids=[
        "crossing",
        "event-inside-org",
        "event-inside-initiative",
        "same-offsets-initiative-first",
        "same-offsets-org-first",
        "same-offsets-org-and-event",
    ],
)
def test_build_gold_record_forbidden_overlap_refused(tmp_path: Path, body: str, problem: str) -> None:
    path = _annotation(tmp_path, body)
    with pytest.raises(GoldError, match=problem) as caught:
        build_gold_record(_article(), path)
    assert str(caught.value).startswith(str(path))
    assert "only an ORG strictly inside an EVENT or INITIATIVE may" in str(caught.value)


def test_build_gold_record_string_not_in_article_refused_with_file_and_line(tmp_path: Path) -> None:
    path = _annotation(
        tmp_path,
        "  # ORG\n  - {text: DOE, label: ORG}\n  - {text: Department of Commerce, label: ORG}\n",
    )
    with pytest.raises(GoldError) as caught:
        build_gold_record(_article(), path)
    assert str(caught.value) == Messages.G004.format(
        path=path, line=5, text="Department of Commerce", label="ORG", article="doc"
    )


def test_build_gold_record_glued_string_is_not_found(tmp_path: Path) -> None:
    path = _annotation(tmp_path, "  - {text: Depart, label: ORG}\n")
    with pytest.raises(GoldError, match="not found as a whole word in article doc"):
        build_gold_record(_article(), path)


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("{text: DOE, label: ORG, colour: red}", "unknown keys ['colour']"),
        ("{text: DOE, label: GPE}", "label 'GPE' is not one of ORG, INITIATIVE, EVENT, DATE, MONEY"),
        ("{text: June 2019, label: DATE}", "DATE 'June 2019' needs a `norm`"),
        ("{text: $5 million, label: MONEY}", "MONEY '$5 million' needs a `norm`"),
        (
            "{text: June 2019, label: DATE, norm: 2019-06, entity: June}",
            "DATE 'June 2019' takes no `entity`; only ORG, INITIATIVE, EVENT spans name one",
        ),
        (
            "{text: $5 million, label: MONEY, norm: {amount: 5000000, currency: USD}, entity: USD}",
            "MONEY '$5 million' takes no `entity`",
        ),
        ("{text: DOE, label: ORG, entity: ''}", "`entity` of 'DOE' must be a non-empty name"),
        ("{text: DOE, label: ORG, entity: [DOE]}", "`entity` of 'DOE' must be a non-empty name"),
    ],
    ids=[
        "unknown-key",
        "unscored-label",
        "date-without-norm",
        "money-without-norm",
        "date-with-entity",
        "money-with-entity",
        "empty-entity",
        "entity-not-text",
    ],
)
def test_build_gold_record_bad_entry_refused(tmp_path: Path, entry: str, problem: str) -> None:
    path = _annotation(tmp_path, f"  - {{text: DOE, label: ORG}}\n  - {entry}\n")
    with pytest.raises(GoldError) as caught:
        build_gold_record(_article(), path)
    assert str(caught.value).startswith(f"{path}, line 4: {problem}")


@pytest.mark.parametrize(
    ("content", "line", "problem"),
    [
        ("id: doc\nspans:\n  - {text: DOE, label: ORG\n", 4, "not valid YAML"),
        ("id: doc\n", 1, "expected a mapping with a `spans` list"),
        ("- DOE\n", 1, "expected a mapping with a `spans` list"),
        ("spans:\n  - {text: DOE, label: ORG}\n  - DOE\n", 3, "an entry must be a mapping with `text` and `label`"),
    ],
    ids=["broken-yaml", "no-spans", "not-a-mapping", "entry-not-a-mapping"],
)
def test_build_gold_record_malformed_source_refused_with_line(
    tmp_path: Path, content: str, line: int, problem: str
) -> None:
    path = tmp_path / "doc.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(GoldError) as caught:
        build_gold_record(_article(), path)
    assert str(caught.value).startswith(f"{path}, line {line}: {problem}")
    assert "\n" not in str(caught.value)


# --- relations ------------------------------------------------------------------------------------

RELATION_TEXT = (
    "Norfund and the IFC unveiled the Blue Economy Compact at the G20 Osaka Summit in May 2023. "
    "Norfund alone committed NOK 2 billion to the Compact in June 2023! Who added $25 million? "
    "The IFC, i.e. the World Bank's lender, lent $5 million in 2024\n\n"
    "Norfund said the Compact was signed in 2024"
)
RELATION_SPANS = (
    "  - {text: Norfund, label: ORG}\n"
    "  - {text: IFC, label: ORG}\n"
    "  - {text: World Bank, label: ORG}\n"
    "  - {text: Blue Economy Compact, label: INITIATIVE}\n"
    "  - {text: Compact, label: INITIATIVE, canonical: Blue Economy Compact}\n"
    "  - {text: G20, label: ORG}\n"
    "  - {text: G20 Osaka Summit, label: EVENT}\n"
    "  - {text: May 2023, label: DATE, norm: 2023-05}\n"
    "  - {text: June 2023, label: DATE, norm: 2023-06}\n"
    "  - {text: '2024', label: DATE, norm: '2024'}\n"
    "  - {text: NOK 2 billion, label: MONEY, norm: {amount: 2000000000, currency: NOK}}\n"
    "  - {text: $25 million, label: MONEY, norm: {amount: 25000000, currency: USD}}\n"
    "  - {text: $5 million, label: MONEY, norm: {amount: 5000000, currency: USD}}\n"
)
# The relations list starts on the line after the 13 span entries, "id:" and "spans:".
FIRST_RELATION_LINE = 17


def _relation_annotation(tmp_path: Path, relations: str) -> Path:
    return _annotation(tmp_path, RELATION_SPANS + "relations:\n" + relations)


def _relation_tuples(record: dict) -> list[tuple[str, str, str]]:
    text = record["text"]
    return [
        (
            text[relation["head_span"]["start"] : relation["head_span"]["end"]],
            text[relation["child_span"]["start"] : relation["child_span"]["end"]],
            relation["label"],
        )
        for relation in record["relations"]
    ]


def test_build_gold_record_resolves_relations_to_gold_spans_in_order(tmp_path: Path) -> None:
    path = _relation_annotation(
        tmp_path,
        "  - {head: NOK 2 billion, child: Norfund, label: FUNDER, child_occurrence: 2}\n"
        "  - {head: Blue Economy Compact, child: May 2023, label: DATE}\n"
        "  - {head: Blue Economy Compact, child: IFC, label: PARTY}\n"
        "  - {head: Blue Economy Compact, child: Norfund, label: PARTY}\n"
        "  - {head: NOK 2 billion, child: Compact, label: TARGET}\n"
        "  - {head: NOK 2 billion, child: June 2023, label: DATE}\n"
        "  - {head: $5 million, child: IFC, label: FUNDER, child_occurrence: 2}\n"
        "  - {head: Compact, child: '2024', label: DATE, head_occurrence: 2, child_occurrence: 2}\n",
    )
    record = build_gold_record(_article(RELATION_TEXT), path)
    assert _relation_tuples(record) == [
        ("Blue Economy Compact", "Norfund", "PARTY"),
        ("Blue Economy Compact", "IFC", "PARTY"),
        ("Blue Economy Compact", "May 2023", "DATE"),
        ("NOK 2 billion", "Norfund", "FUNDER"),
        ("NOK 2 billion", "Compact", "TARGET"),
        ("NOK 2 billion", "June 2023", "DATE"),
        ("$5 million", "IFC", "FUNDER"),
        ("Compact", "2024", "DATE"),
    ]
    spans = {(span["start"], span["end"], span["label"]) for span in record["spans"]}
    funder = record["relations"][3]
    assert funder == {
        "head_span": {"start": funder["head_span"]["start"], "end": funder["head_span"]["end"], "label": "MONEY"},
        "child_span": {
            "start": RELATION_TEXT.index("Norfund alone"),
            "end": RELATION_TEXT.index(" alone"),
            "label": "ORG",
        },
        "label": "FUNDER",
    }
    for relation in record["relations"]:
        for role in ("head_span", "child_span"):
            assert (relation[role]["start"], relation[role]["end"], relation[role]["label"]) in spans
    # The last DATE is the last sentence's "2024", across the blank line from the first one.
    assert record["relations"][-1]["child_span"]["start"] == RELATION_TEXT.rindex("2024")


def test_build_gold_record_relations_only_where_the_source_lists_them(tmp_path: Path) -> None:
    without = build_gold_record(_article(RELATION_TEXT), _annotation(tmp_path, RELATION_SPANS, "without.yml"))
    assert "relations" not in without
    empty = build_gold_record(_article(RELATION_TEXT), _annotation(tmp_path, RELATION_SPANS + "relations: []\n"))
    assert empty["relations"] == []
    assert empty["spans"] == without["spans"]


@pytest.mark.parametrize(
    ("relation", "problem"),
    [
        (
            "{head: NOK 2 billion, child: Norfund, label: FUNDER, child_occurence: 2}",
            "unknown keys ['child_occurence']; allowed: head, child, label, head_occurrence, child_occurrence",
        ),
        (
            "{head: NOK 2 billion, child: Norfund, label: FUNDS}",
            "relation label 'FUNDS' is not one of PARTY, DATE, FUNDER, TARGET",
        ),
        (
            "{head: NOK 2 billion, child: Norfund alone, label: FUNDER}",
            "child 'Norfund alone' is no gold span of the article",
        ),
        (
            "{head: Osaka Summit, child: G20, label: PARTY}",
            "head 'Osaka Summit' is no gold span of the article",
        ),
        (
            "{head: NOK 2 billion, child: Norfund, label: FUNDER, child_occurrence: 4}",
            "child_occurrence 4 of 'Norfund': the article has 3 gold span(s) with that text; give 1 to 3",
        ),
        (
            "{head: NOK 2 billion, child: Norfund, label: FUNDER, head_occurrence: 0}",
            "head_occurrence 0 of 'NOK 2 billion': the article has 1 gold span(s) with that text; give 1 to 1",
        ),
        (
            "{head: Norfund, child: NOK 2 billion, label: FUNDER, head_occurrence: 2}",
            "FUNDER links MONEY -> ORG, not ORG 'Norfund' -> MONEY 'NOK 2 billion'",
        ),
        (
            "{head: NOK 2 billion, child: June 2023, label: TARGET}",
            "TARGET links MONEY -> INITIATIVE/EVENT, not MONEY 'NOK 2 billion' -> DATE 'June 2023'",
        ),
        (
            "{head: G20 Osaka Summit, child: G20, label: PARTY}",
            "'G20' is nested in 'G20 Osaka Summit'; a nested ORG is never linked to its span",
        ),
        (
            "{head: Blue Economy Compact, child: June 2023, label: DATE}",
            "'Blue Economy Compact' and 'June 2023' are not in one sentence",
        ),
        ("{head: NOK 2 billion, child: $25 million, label: DATE}", "DATE links INITIATIVE/EVENT/MONEY -> DATE"),
        ("{head: $25 million, child: Compact, label: TARGET}", "not in one sentence"),
        ("{head: $25 million, child: IFC, label: FUNDER, child_occurrence: 2}", "not in one sentence"),
        ("{head: $5 million, child: '2024', label: DATE, child_occurrence: 2}", "not in one sentence"),
        ("[NOK 2 billion, Norfund, FUNDER]", "a relation must be a mapping with `head`, `child` and `label`"),
        ("{head: NOK 2 billion, child: Norfund}", "a relation must be a mapping with `head`, `child` and `label`"),
    ],
    ids=[
        "unknown-key",
        "unknown-label",
        "child-not-a-span",
        "head-not-a-span",
        "occurrence-out-of-range",
        "occurrence-zero",
        "head-and-child-swapped",
        "child-label-does-not-fit",
        "nested-org-and-its-event",
        "across-a-full-stop",
        "money-is-no-date",
        "across-an-exclamation-mark",
        "across-a-question-mark",
        "across-a-blank-line",
        "not-a-mapping",
        "no-label",
    ],
)
def test_build_gold_record_bad_relation_refused_with_file_and_line(tmp_path: Path, relation: str, problem: str) -> None:
    path = _relation_annotation(
        tmp_path, f"  - {{head: Blue Economy Compact, child: IFC, label: PARTY}}\n  - {relation}\n"
    )
    with pytest.raises(GoldError) as caught:
        build_gold_record(_article(RELATION_TEXT), path)
    assert str(caught.value).startswith(f"{path}, line {FIRST_RELATION_LINE + 1}: ")
    assert problem in str(caught.value)
    assert "\n" not in str(caught.value)


def test_build_gold_record_sentence_end_needs_white_space_and_a_capital(tmp_path: Path) -> None:
    # "i.e. the" is no sentence end: a stop ends one only before white space and a capital ("! Who").
    path = _relation_annotation(tmp_path, "  - {head: $5 million, child: IFC, label: FUNDER, child_occurrence: 2}\n")
    record = build_gold_record(_article(RELATION_TEXT), path)
    assert _relation_tuples(record) == [("$5 million", "IFC", "FUNDER")]
    across = _relation_annotation(
        tmp_path, "  - {head: NOK 2 billion, child: IFC, label: FUNDER, child_occurrence: 2}\n"
    )
    with pytest.raises(GoldError, match="not in one sentence"):
        build_gold_record(_article(RELATION_TEXT), across)


def test_build_gold_record_stop_inside_a_gold_span_ends_no_sentence(tmp_path: Path) -> None:
    text = "The Blue Dot Network of the U.S. Department of Energy and the OECD was launched in June 2019."
    spans = (
        "  - {text: Blue Dot Network, label: INITIATIVE}\n"
        "  - {text: OECD, label: ORG}\n"
        "  - {text: June 2019, label: DATE, norm: 2019-06}\n"
    )
    relations = "relations:\n  - {head: Blue Dot Network, child: OECD, label: PARTY}\n"
    named = _annotation(tmp_path, spans + "  - {text: U.S. Department of Energy, label: ORG}\n" + relations)
    record = build_gold_record(_article(text), named)
    assert _relation_tuples(record) == [("Blue Dot Network", "OECD", "PARTY")]
    # Outside a span, "U.S. Department" reads as a sentence end: the simple rule's known over-split.
    unnamed = _annotation(tmp_path, spans + relations, "unnamed.yml")
    with pytest.raises(GoldError, match="not in one sentence"):
        build_gold_record(_article(text), unnamed)


def test_build_gold_record_duplicate_relation_refused_naming_both_lines(tmp_path: Path) -> None:
    path = _relation_annotation(
        tmp_path,
        "  - {head: NOK 2 billion, child: Norfund, label: FUNDER, child_occurrence: 2}\n"
        "  - {head: Blue Economy Compact, child: IFC, label: PARTY}\n"
        "  - {head: NOK 2 billion, child: Norfund, child_occurrence: 2, label: FUNDER}\n",
    )
    with pytest.raises(GoldError) as caught:
        build_gold_record(_article(RELATION_TEXT), path)
    assert str(caught.value) == (
        f"{path}, line {FIRST_RELATION_LINE + 2}: FUNDER 'NOK 2 billion' -> 'Norfund' is listed twice "
        f"(line {FIRST_RELATION_LINE})"
    )


def test_build_gold_record_relations_not_a_list_refused(tmp_path: Path) -> None:
    path = _annotation(tmp_path, RELATION_SPANS + "relations: {head: NOK 2 billion}\n")
    with pytest.raises(GoldError) as caught:
        build_gold_record(_article(RELATION_TEXT), path)
    assert str(caught.value).startswith(f"{path}, line {FIRST_RELATION_LINE - 1}: `relations` must be a list")


# --- build_gold / write_gold ----------------------------------------------------------------------


def test_build_gold_compiles_every_source_in_file_name_order() -> None:
    records, skipped = build_gold(ANNOTATIONS_DIR, ARTICLES_DIR)
    assert skipped == []
    assert [record["meta"]["id"] for record in records] == [path.stem for path in ANNOTATION_FILES]


def test_write_gold_writes_one_line_per_article_atomically(tmp_path: Path) -> None:
    records, _ = build_gold(ANNOTATIONS_DIR, ARTICLES_DIR)
    written = write_gold(records, tmp_path / "gold")
    assert written == [tmp_path / "gold" / path.name for path in GOLD_FILES]
    for path in GOLD_FILES:
        assert (tmp_path / "gold" / path.name).read_bytes() == path.read_bytes(), path.name
    assert not list((tmp_path / "gold").glob(".*"))


def test_build_gold_source_without_article_refused_naming_both_folders(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "annotations").mkdir()
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "doc.md").write_text(TEXT, encoding="utf-8")
    (tmp_path / "annotations" / "doc.yml").write_text("spans:\n  - {text: DOE, label: ORG}\n", encoding="utf-8")
    (tmp_path / "annotations" / "other.yml").write_text("spans: []\n", encoding="utf-8")
    with pytest.raises(GoldError) as caught:
        build_gold(Path("annotations"), Path("articles"))
    assert str(caught.value) == Messages.G006.format(
        path=tmp_path / "annotations" / "other.yml", id="other", articles=tmp_path / "articles"
    )


def test_build_gold_missing_folder_refused(tmp_path: Path) -> None:
    with pytest.raises(GoldError, match="no such file or folder; check the path"):
        build_gold(tmp_path / "nope", ARTICLES_DIR)


# --- the committed corpus -------------------------------------------------------------------------


def _gold_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_corpus_has_gold_for_every_annotation_source() -> None:
    assert GOLD_FILES
    assert [path.stem for path in GOLD_FILES] == [path.stem for path in ANNOTATION_FILES]


@pytest.mark.parametrize("gold_path", GOLD_FILES, ids=[path.stem for path in GOLD_FILES])
def test_corpus_gold_span_text_matches_offsets(gold_path: Path) -> None:
    for record in _gold_lines(gold_path):
        assert record["spans"], gold_path
        for span in record["spans"]:
            assert record["text"][span["start"] : span["end"]] == span["text"], span


@pytest.mark.parametrize("gold_path", GOLD_FILES, ids=[path.stem for path in GOLD_FILES])
def test_corpus_gold_spans_sorted_by_start_then_end_descending(gold_path: Path) -> None:
    for record in _gold_lines(gold_path):
        keys = [(span["start"], -span["end"]) for span in record["spans"]]
        assert keys == sorted(keys)


@pytest.mark.parametrize("gold_path", GOLD_FILES, ids=[path.stem for path in GOLD_FILES])
def test_corpus_gold_names_carry_an_entity_and_values_none(gold_path: Path) -> None:
    for record in _gold_lines(gold_path):
        for span in record["spans"]:
            assert ("entity" in span) == (span["label"] in ("ORG", "INITIATIVE", "EVENT")), span


def _spelling_key(entity: str) -> str:
    """An entity id without case, punctuation or spacing: two ids that share it are one name typed twice."""
    return re.sub(r"[\W_]", "", entity.casefold().replace("&", "and"))


def test_corpus_gold_entity_ids_spelled_one_way_across_articles() -> None:
    # An id is reused across articles by copying it; one that differs from another only in case,
    # dashes, apostrophes or spacing is a typo that would split one entity in two.
    spellings: dict[tuple[str, str], set[str]] = defaultdict(set)
    for gold_path in GOLD_FILES:
        for record in _gold_lines(gold_path):
            for span in record["spans"]:
                if "entity" in span:
                    spellings[(span["label"], _spelling_key(span["entity"]))].add(span["entity"])
    assert {key: ids for key, ids in spellings.items() if len(ids) > 1} == {}


@pytest.mark.parametrize("gold_path", GOLD_FILES, ids=[path.stem for path in GOLD_FILES])
def test_corpus_gold_relations_link_spans_of_the_record_in_order(gold_path: Path) -> None:
    for record in _gold_lines(gold_path):
        spans = {(span["start"], span["end"], span["label"]) for span in record["spans"]}
        relations = record.get("relations", [])
        for relation in relations:
            for role in ("head_span", "child_span"):
                assert (relation[role]["start"], relation[role]["end"], relation[role]["label"]) in spans, relation
        keys = [(r["head_span"]["start"], r["child_span"]["start"], r["label"]) for r in relations]
        assert keys == sorted(keys)


@pytest.mark.parametrize("gold_path", GOLD_FILES, ids=[path.stem for path in GOLD_FILES])
def test_corpus_gold_text_equals_article_body(gold_path: Path) -> None:
    articles = _articles_by_id()
    (record,) = _gold_lines(gold_path)
    doc_id = record["meta"]["id"]
    assert doc_id == gold_path.stem
    assert record["text"] == articles[doc_id].text
    assert record["meta"] == articles[doc_id].meta


@pytest.mark.parametrize("source", ANNOTATION_FILES, ids=[path.stem for path in ANNOTATION_FILES])
def test_corpus_gold_rebuilds_from_annotations(source: Path) -> None:
    article = _articles_by_id()[source.stem]
    rebuilt = json.dumps(build_gold_record(article, source), ensure_ascii=False, sort_keys=True) + "\n"
    assert rebuilt == (GOLD_DIR / f"{source.stem}.jsonl").read_text(encoding="utf-8")


def _shared_corpus_file() -> Path | None:
    for shared in (ROOT.parent / "shared", ROOT.parent.parent / "shared"):
        if (shared / "corpus" / FIRST_SOURCE_FILE).is_file():
            return shared / "corpus" / FIRST_SOURCE_FILE
    return None


def test_corpus_first_article_equals_shared_source() -> None:
    source = _shared_corpus_file()
    if source is None:
        pytest.skip(f"shared/corpus/{FIRST_SOURCE_FILE} not found beside the clone")
    firsts = [article for article in _articles_by_id().values() if article.meta.get("source_file") == source.name]
    assert len(firsts) == 1
    assert firsts[0].text == source.read_text(encoding="utf-8")
