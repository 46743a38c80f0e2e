"""Scoring on small hand-made records: strict and partial, per label, per split, with error context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pipeline.errors import GoldError, PolicyExtractError
from pipeline.evaluate import CONTEXT_CHARS, errors, evaluate, read_evaluation, score, write_evaluation

TEXT = (
    "In July, the Carnegie Endowment for International Peace published a report.\n"
    "Leaders met at the G20 Osaka Summit in June 2019 and pledged $252 billion to the "
    "US-Japan Climate Partnership."
)


def _span(needle: str, label: str, *, text: str = TEXT, trim: tuple[int, int] = (0, 0), **extra: Any) -> dict:
    """A span over `needle` in `text`; `trim` moves its start and end (a boundary error)."""
    start = text.index(needle) + trim[0]
    end = text.index(needle) + len(needle) + trim[1]
    return {"start": start, "end": end, "label": label, "text": text[start:end], **extra}


def _record(doc_id: str, spans: list[dict], *, text: str = TEXT, **meta: Any) -> dict:
    return {"text": text, "meta": {"id": doc_id, **meta}, "spans": spans}


GOLD_SPANS = [
    _span("July", "DATE"),
    _span("Carnegie Endowment for International Peace", "ORG"),
    _span("G20 Osaka Summit", "EVENT"),
    _span("G20", "ORG"),
    _span("June 2019", "DATE"),
    _span("$252 billion", "MONEY"),
    _span("US-Japan Climate Partnership", "INITIATIVE"),
]


def _micro(scores: dict, scheme: str) -> dict:
    return scores[scheme]["micro"]


def test_score_perfect_match_is_f1_one() -> None:
    gold = _record("a", GOLD_SPANS)
    scores = score([(gold, _record("a", list(GOLD_SPANS)))])
    for scheme in ("strict", "partial"):
        micro = _micro(scores, scheme)
        assert (micro["precision"], micro["recall"], micro["f1"]) == (1.0, 1.0, 1.0)
        assert micro["correct"] == len(GOLD_SPANS)
        assert micro["possible"] == micro["actual"] == len(GOLD_SPANS)
    assert set(scores["strict"]) == {"ORG", "INITIATIVE", "EVENT", "DATE", "MONEY", "micro"}
    assert scores["strict"]["ORG"]["correct"] == 2
    assert scores["strict"]["DATE"]["correct"] == 2


def test_score_no_pairs_is_empty() -> None:
    assert score([]) == {"strict": {}, "partial": {}}


@pytest.mark.parametrize(
    "trim",
    [(4, 0), (0, -10), (-4, 0)],
    ids=["start-too-late", "end-too-early", "leading-the-included"],
)
def test_score_boundary_error_is_half_under_partial_and_wrong_under_strict(trim: tuple[int, int]) -> None:
    gold = _record("a", [_span("Carnegie Endowment for International Peace", "ORG")])
    prediction = _record("a", [_span("Carnegie Endowment for International Peace", "ORG", trim=trim)])
    scores = score([(gold, prediction)])

    strict = scores["strict"]["ORG"]
    assert (strict["correct"], strict["possible"], strict["actual"]) == (0, 1, 1)
    assert (strict["precision"], strict["recall"], strict["f1"]) == (0, 0, 0)

    partial = scores["partial"]["ORG"]
    assert (partial["partial"], partial["possible"], partial["actual"]) == (1, 1, 1)
    assert (partial["precision"], partial["recall"], partial["f1"]) == (0.5, 0.5, 0.5)
    assert _micro(scores, "partial")["f1"] == 0.5


def test_errors_boundary_error_is_one_false_positive_and_one_false_negative() -> None:
    gold = _record("a", [_span("June 2019", "DATE")])
    prediction = _record("a", [_span("June 2019", "DATE", trim=(-3, 0))])
    found = errors(gold, prediction)
    assert [(error["kind"], error["text"]) for error in found] == [
        ("false_positive", "in June 2019"),
        ("false_negative", "June 2019"),
    ]


@pytest.mark.parametrize(
    ("needle", "gold_label", "predicted_label"),
    [
        ("US-Japan Climate Partnership", "INITIATIVE", "ORG"),
        ("G20 Osaka Summit", "EVENT", "INITIATIVE"),
        ("June 2019", "DATE", "MONEY"),
    ],
    ids=["initiative-as-org", "event-as-initiative", "date-as-money"],
)
def test_score_wrong_label_gets_no_credit(needle: str, gold_label: str, predicted_label: str) -> None:
    gold = _record("a", [_span(needle, gold_label)])
    prediction = _record("a", [_span(needle, predicted_label)])
    scores = score([(gold, prediction)])
    for scheme in ("strict", "partial"):
        assert scores[scheme][gold_label]["missed"] == 1
        assert scores[scheme][gold_label]["recall"] == 0
        assert scores[scheme][predicted_label]["spurious"] == 1
        assert scores[scheme][predicted_label]["precision"] == 0
        micro = _micro(scores, scheme)
        assert (micro["correct"], micro["partial"], micro["f1"]) == (0, 0, 0)


def test_score_wrong_label_with_boundary_error_gets_no_partial_credit() -> None:
    gold = _record("a", [_span("G20 Osaka Summit", "EVENT")])
    prediction = _record("a", [_span("G20 Osaka Summit", "ORG", trim=(0, -13))])
    micro = _micro(score([(gold, prediction)]), "partial")
    assert (micro["partial"], micro["missed"], micro["spurious"], micro["f1"]) == (0, 1, 1, 0)


@pytest.mark.parametrize(
    ("predicted", "event", "org"),
    [
        ([_span("G20 Osaka Summit", "EVENT"), _span("G20", "ORG")], (1, 0, 0), (1, 0, 0)),
        ([_span("G20 Osaka Summit", "EVENT")], (1, 0, 0), (0, 1, 0)),
        ([_span("G20", "ORG")], (0, 1, 0), (1, 0, 0)),
        ([_span("G20 Osaka Summit", "ORG")], (0, 1, 0), (0, 0, 1)),
    ],
    ids=["both", "event-only", "org-only", "event-labelled-org"],
)
def test_score_nested_org_inside_event(
    predicted: list[dict], event: tuple[int, int, int], org: tuple[int, int, int]
) -> None:
    gold = _record("a", [_span("G20 Osaka Summit", "EVENT"), _span("G20", "ORG")])
    strict = score([(gold, _record("a", predicted))])["strict"]

    def counts(label: str) -> tuple[int, int, int]:
        return strict[label]["correct"], strict[label]["missed"], strict[label]["incorrect"]

    assert counts("EVENT") == event
    assert counts("ORG") == org


def test_score_ignores_unscored_predictions() -> None:
    gold = _record("a", [_span("June 2019", "DATE")])
    prediction = _record(
        "a",
        [
            _span("June 2019", "DATE"),
            _span("G20", "ORG", scored=False),
            _span("Leaders", "PERSON", scored=False),
        ],
    )
    assert _micro(score([(gold, prediction)]), "strict")["f1"] == 1.0
    assert errors(gold, prediction) == []


def test_evaluate_groups_by_split() -> None:
    gold = {
        "first-article": _record("first-article", GOLD_SPANS, split="first"),
        "dev-1": _record("dev-1", GOLD_SPANS, split="dev"),
        "dev-2": _record("dev-2", GOLD_SPANS[:2], split="dev"),
    }
    predictions = [
        _record("first-article", GOLD_SPANS),
        _record("dev-1", GOLD_SPANS[:5]),
        _record("dev-2", []),
    ]
    report = evaluate(gold, predictions)
    assert list(report["splits"]) == ["dev", "first"]
    assert report["splits"]["first"]["strict"]["micro"]["f1"] == 1.0
    dev = report["splits"]["dev"]["strict"]["micro"]
    assert (dev["correct"], dev["missed"], dev["possible"]) == (5, 4, 9)
    overall = report["overall"]["strict"]["micro"]
    assert (overall["correct"], overall["missed"], overall["possible"]) == (12, 4, 16)
    assert report["articles"]["first-article"]["f1"] == 1.0
    assert report["articles"]["dev-2"]["recall"] == 0
    assert report["missing_predictions"] == []


def test_evaluate_without_split_groups_under_no_split() -> None:
    gold = {"a": _record("a", GOLD_SPANS)}
    report = evaluate(gold, [_record("a", GOLD_SPANS)])
    assert list(report["splits"]) == ["(no split)"]
    assert report["splits"]["(no split)"] == report["overall"]


def test_evaluate_prediction_text_differs_raises() -> None:
    gold = {"a": {**_record("a", GOLD_SPANS), "_where": "corpus/gold/a.jsonl:1"}}
    prediction = _record("a", [], text=TEXT.replace("July", "June"))
    with pytest.raises(GoldError) as caught:
        evaluate(gold, [prediction])
    assert "'a'" in str(caught.value)
    assert "corpus/gold/a.jsonl:1" in str(caught.value)


def test_evaluate_missing_prediction_counts_spans_as_missed() -> None:
    gold = {
        "a": _record("a", GOLD_SPANS, split="dev"),
        "b": _record("b", GOLD_SPANS[:3], split="dev"),
    }
    report = evaluate(gold, [_record("a", GOLD_SPANS), _record("stray", [])])
    assert report["missing_predictions"] == ["b"]
    assert report["unmatched_predictions"] == ["stray"]
    micro = report["overall"]["strict"]["micro"]
    assert (micro["correct"], micro["missed"], micro["possible"]) == (7, 3, 10)
    assert micro["recall"] == 0.7
    assert report["articles"]["b"]["missed"] == 3
    missed = [error for error in report["errors"] if error["doc_id"] == "b"]
    assert [error["kind"] for error in missed] == ["false_negative"] * 3


def test_evaluate_errors_carry_context_snippets() -> None:
    gold = {"a": _record("a", [_span("Carnegie Endowment for International Peace", "ORG"), _span("G20", "ORG")])}
    prediction = _record(
        "a",
        [_span("Carnegie Endowment for International Peace", "ORG"), _span("$252 billion", "MONEY", source="money")],
    )
    report = evaluate(gold, [prediction])
    assert [(error["kind"], error["label"], error["text"]) for error in report["errors"]] == [
        ("false_negative", "ORG", "G20"),
        ("false_positive", "MONEY", "$252 billion"),
    ]
    missed, spurious = report["errors"]
    start = TEXT.index("G20")
    left = TEXT[start - CONTEXT_CHARS : start].replace("\n", " ")
    right = TEXT[start + 3 : start + 3 + CONTEXT_CHARS]
    assert missed["context"] == f"…{left}[G20]{right}…"
    # The newline before "Leaders" becomes a space, so the snippet stays on one line.
    assert missed["context"] == (
        "… published a report. Leaders met at the [G20] Osaka Summit in June 2019 and pledged $…"
    )
    assert "\n" not in missed["context"]
    assert "[$252 billion] to the US-Japan" in spurious["context"]
    assert spurious["source"] == "money"
    assert (missed["doc_id"], missed["start"], missed["end"]) == ("a", start, start + 3)


def test_evaluate_context_is_clipped_at_text_edges() -> None:
    gold = {"a": _record("a", [_span("July", "DATE")])}
    (error,) = evaluate(gold, [_record("a", [])])["errors"]
    assert error["context"].startswith("…In [July], the Carnegie")


# --- the evaluation file --------------------------------------------------------------------------


def test_write_evaluation_round_trips_through_read_evaluation(tmp_path: Path) -> None:
    report = evaluate({"a": _record("a", GOLD_SPANS)}, [_record("a", GOLD_SPANS)])
    write_evaluation(report, tmp_path / "out" / "evaluation.json")
    assert read_evaluation(tmp_path / "out" / "evaluation.json") == report


def test_read_evaluation_without_a_file_is_none(tmp_path: Path) -> None:
    assert read_evaluation(None) is None
    assert read_evaluation(tmp_path / "nope.json") is None


@pytest.mark.parametrize("content", ["{broken", '["not", "a", "report"]'], ids=["not-json", "no-scores"])
def test_read_evaluation_of_another_file_is_refused_with_what_to_do(tmp_path: Path, content: str) -> None:
    path = tmp_path / "evaluation.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PolicyExtractError) as caught:
        read_evaluation(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: not an evaluation file")
    assert message.endswith("write it again with `policy-extract evaluate`")


ENTITY_TEXT = "The Asian Development Bank (ADB) and the Bank lent more. ADB said so. The Bank of Japan did not."


def _named(needle: str, entity: str, occurrence: int = 0) -> dict:
    start = -1
    for _ in range(occurrence + 1):
        start = ENTITY_TEXT.index(needle, start + 1)
    return {"start": start, "end": start + len(needle), "label": "ORG", "text": needle, "entity": entity}


def test_entity_scores_are_b_cubed_over_the_correctly_found_mentions() -> None:
    """Gold: ADB's four mentions are one entity, the Bank of Japan another. Predicted: the long
    form and its acronym one entity, "the Bank" its own (a split), the Bank of Japan with ADB (a
    merge); a span the gold lacks counts nowhere."""
    gold = _record(
        "a",
        [
            _named("Asian Development Bank", "Asian Development Bank"),
            _named("ADB", "Asian Development Bank"),
            _named("Bank", "Asian Development Bank", 1),
            _named("ADB", "Asian Development Bank", 1),
            _named("Bank of Japan", "Bank of Japan"),
        ],
        text=ENTITY_TEXT,
    )
    predicted = _record(
        "a",
        [
            _named("Asian Development Bank", "org:adb"),
            _named("ADB", "org:adb"),
            _named("Bank", "org:bank", 1),
            _named("ADB", "org:adb", 1),
            _named("Bank of Japan", "org:adb"),
            _named("Japan", "org:japan"),
        ],
        text=ENTITY_TEXT,
    )
    scores = evaluate({"a": gold}, [predicted])["entities"]["overall"]
    # Precision: three ADB mentions score 3/4 each, "the Bank" 1, the Bank of Japan 1/4 -> 3.5/5.
    # Recall: three ADB mentions score 3/4 each, "the Bank" 1/4, the Bank of Japan 1 -> 3.5/5.
    assert scores["micro"] == {"mentions": 5, "precision": 0.7, "recall": 0.7, "f1": 0.7}
    assert scores["wrong_merges"] == [
        {
            "predicted": "org:adb",
            "gold": [
                {"entity": "ORG:Asian Development Bank", "mentions": 3, "texts": ["ADB", "Asian Development Bank"]},
                {"entity": "ORG:Bank of Japan", "mentions": 1, "texts": ["Bank of Japan"]},
            ],
        }
    ]
    assert [split["gold"] for split in scores["wrong_splits"]] == ["ORG:Asian Development Bank"]


def test_entity_scores_are_perfect_when_the_clusters_agree_whatever_the_ids() -> None:
    gold = _record("a", [_named("ADB", "x"), _named("ADB", "x", 1), _named("Bank of Japan", "y")], text=ENTITY_TEXT)
    predicted = _record(
        "a", [_named("ADB", "org:1"), _named("ADB", "org:1", 1), _named("Bank of Japan", "org:2")], text=ENTITY_TEXT
    )
    scores = evaluate({"a": gold}, [predicted])["entities"]["overall"]
    assert scores["micro"]["f1"] == 1.0 and scores["wrong_merges"] == scores["wrong_splits"] == []
