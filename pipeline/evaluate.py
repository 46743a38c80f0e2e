"""Score predictions against gold: precision, recall and F1 per label, strict and partial.

The arithmetic is nervaluate's: `strict` is an exact match of start, end and label;
`partial` is nervaluate's partial scheme (an overlapping prediction counts half) applied
within each label, so a label never gets credit for another's span. The micro average sums
the per-label counts. Nesting (an ORG inside an EVENT) is harmless here because each label
is scored on its own spans, which the guideline keeps flat.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from nervaluate import Evaluator
from nervaluate.entities import EvaluationResult

from .errors import GoldError, Messages, PolicyExtractError, shown_path
from .export import write_text_atomically
from .relation_scores import relation_errors, relation_scores
from .spans import match_key
from .types import SCORED_LABELS

SCHEMES = ("strict", "partial")
CONTEXT_CHARS = 40
NO_SPLIT = "(no split)"
Pair = tuple[dict[str, Any], dict[str, Any]]
NORMALIZED_FIELD = {"DATE": "norm", "MONEY": "norm", "ORG": "canonical", "INITIATIVE": "canonical"}


def _entities(record: dict[str, Any]) -> list[dict[str, Any]]:
    # nervaluate's offsets are inclusive at both ends; ours end exclusive.
    return [
        {"label": span["label"], "start": span["start"], "end": span["end"] - 1}
        for span in record["spans"]
        if span["label"] in SCORED_LABELS and span.get("scored", True)
    ]


def score(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    """nervaluate's scores for (gold, prediction) record pairs, per label and micro-averaged."""
    if not pairs:
        return {scheme: {} for scheme in SCHEMES}
    true = [_entities(gold) for gold, _ in pairs]
    pred = [_entities(prediction) for _, prediction in pairs]
    results = Evaluator(true, pred, tags=list(SCORED_LABELS), loader="dict").evaluate()["entities"]
    scores: dict[str, Any] = {}
    for scheme in SCHEMES:
        per_label = {label: results[label][scheme] for label in SCORED_LABELS if label in results}
        micro = EvaluationResult()
        for result in per_label.values():
            for field in ("correct", "incorrect", "partial", "missed", "spurious"):
                setattr(micro, field, getattr(micro, field) + getattr(result, field))
        micro.compute_metrics(partial_or_type=scheme == "partial")
        scores[scheme] = {label: _figures(result) for label, result in per_label.items()}
        scores[scheme]["micro"] = _figures(micro)
    return scores


def _figures(result: EvaluationResult) -> dict[str, Any]:
    figures = asdict(result)
    return {key: round(value, 4) if isinstance(value, float) else value for key, value in figures.items()}


def _snippet(text: str, start: int, end: int) -> str:
    left = text[max(0, start - CONTEXT_CHARS) : start].replace("\n", " ")
    right = text[end : end + CONTEXT_CHARS].replace("\n", " ")
    return f"…{left}[{text[start:end]}]{right}…"


def errors(gold: dict[str, Any], prediction: dict[str, Any]) -> list[dict[str, Any]]:
    """Every strict false positive and false negative of one article, with context."""
    gold_spans = {match_key(span): span for span in gold["spans"] if span["label"] in SCORED_LABELS}
    pred_spans = {
        match_key(span): span
        for span in prediction["spans"]
        if span["label"] in SCORED_LABELS and span.get("scored", True)
    }
    found = []
    for kind, spans, other in (
        ("false_negative", gold_spans, pred_spans),
        ("false_positive", pred_spans, gold_spans),
    ):
        for span_key in sorted(set(spans) - set(other)):
            span = spans[span_key]
            found.append(
                {
                    "doc_id": gold["meta"]["id"],
                    "split": gold["meta"].get("split", NO_SPLIT),
                    "kind": kind,
                    "label": span["label"],
                    "start": span["start"],
                    "end": span["end"],
                    "text": span["text"],
                    "source": span.get("source"),
                    "context": _snippet(gold["text"], span["start"], span["end"]),
                }
            )
    return sorted(found, key=lambda error: (error["doc_id"], error["start"], error["kind"]))


def normalization_accuracy(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    """Of the strictly matched spans whose gold has a `norm` (DATE, MONEY) or `canonical` (ORG,
    INITIATIVE), the share whose predicted value equals it, per label, with every mismatch."""
    checked: dict[str, list[bool]] = defaultdict(list)
    mismatches = []
    for gold, prediction in pairs:
        predicted = {match_key(s): s for s in prediction["spans"] if s.get("scored", True)}
        for span in gold["spans"]:
            field = NORMALIZED_FIELD.get(span["label"])
            match = predicted.get(match_key(span))
            if field is None or field not in span or match is None:
                continue
            equal = match.get(field) == span[field]
            checked[span["label"]].append(equal)
            if not equal:
                mismatches.append(
                    {
                        "doc_id": gold["meta"]["id"],
                        "split": gold["meta"].get("split", NO_SPLIT),
                        "label": span["label"],
                        "text": span["text"],
                        "expected": span[field],
                        "got": match.get(field),
                    }
                )
    per_label = {
        label: {"checked": len(results), "correct": sum(results), "accuracy": round(sum(results) / len(results), 4)}
        for label, results in sorted(checked.items())
    }
    return {"labels": per_label, "mismatches": mismatches}


# A name mention scored for its entity: (label, gold entity as "LABEL:id", predicted entity as
# (label, id), text).
Mention = tuple[str, str, tuple[str, str], str]


def entity_scores(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    """B-cubed precision, recall and F1 of the predicted entities over the correctly found name mentions.

    A mention counts when a predicted span matches a gold span strictly and both carry an
    `entity`; entities are told apart by label too (one id on an ORG and an INITIATIVE is
    two). For each mention, precision is the share of its predicted entity's mentions that
    share its gold entity, recall the share of its gold entity's mentions that share its
    predicted one (Bagga & Baldwin 1998); the figures are their means, overall and per label.
    `wrong_merges` lists each predicted entity that holds mentions of several gold entities,
    `wrong_splits` each gold entity whose mentions got several predicted ones, each with its
    mentions counted per entity.
    """
    mentions: list[Mention] = []
    for gold, prediction in pairs:
        predicted = {match_key(span): span for span in prediction["spans"] if span.get("scored", True)}
        for span in gold["spans"]:
            match = predicted.get(match_key(span))
            if "entity" in span and match is not None and match.get("entity"):
                label = span["label"]
                mentions.append((label, f"{label}:{span['entity']}", (label, match["entity"]), span["text"]))
    per_label = {
        label: _b_cubed([m for m in mentions if m[0] == label])
        for label in SCORED_LABELS
        if any(m[0] == label for m in mentions)
    }
    return {
        "micro": _b_cubed(mentions),
        **per_label,
        "wrong_merges": _confusions(mentions, group=2, member=1),
        "wrong_splits": _confusions(mentions, group=1, member=2),
    }


def _b_cubed(mentions: list[Mention]) -> dict[str, Any]:
    if not mentions:
        return {"mentions": 0, "precision": 0.0, "recall": 0.0, "f1": 0.0}
    shared = Counter((gold, predicted) for _, gold, predicted, _ in mentions)
    gold_sizes = Counter(gold for _, gold, _, _ in mentions)
    predicted_sizes = Counter(predicted for _, _, predicted, _ in mentions)
    # Each of the n mentions in a (gold, predicted) cell scores n / size: n * n / size for the cell.
    precision = sum(n * n / predicted_sizes[p] for (_, p), n in shared.items()) / len(mentions)
    recall = sum(n * n / gold_sizes[g] for (g, _), n in shared.items()) / len(mentions)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"mentions": len(mentions), "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def _confusions(mentions: list[Mention], *, group: int, member: int) -> list[dict[str, Any]]:
    """The groups (predicted or gold entities) whose mentions fall into several members, with their texts.

    A gold entity is shown as `LABEL:id`, a predicted one by its id as written.
    """
    members: dict[Any, Counter[Any]] = defaultdict(Counter)
    texts: dict[tuple[Any, Any], set[str]] = defaultdict(set)
    for mention in mentions:
        members[mention[group]][mention[member]] += 1
        texts[(mention[group], mention[member])].add(mention[3])

    def shown(entity: Any) -> str:
        return entity[1] if isinstance(entity, tuple) else entity

    kind = ("predicted", "gold") if group == 2 else ("gold", "predicted")
    return [
        {
            kind[0]: shown(entity),
            kind[1]: [
                {"entity": shown(other), "mentions": count, "texts": sorted(texts[(entity, other)])}
                for other, count in counts.most_common()
            ],
        }
        for entity, counts in sorted(members.items())
        if len(counts) > 1
    ]


def evaluate(
    gold: dict[str, dict[str, Any]],
    predictions: Iterable[dict[str, Any]],
    *,
    align: bool = False,
    relations_on_gold_spans: Iterable[dict[str, Any]] = (),
) -> dict[str, Any]:
    """Compare predictions with gold by article id.

    Returns the scores over all articles, per `meta.split` (e.g. `first`, `dev`), per article,
    the normalization accuracy, the entity scores (`entity_scores`) overall and per split, the
    relation scores (`relation_scores`) overall and per split with their errors, the list of
    span errors, and the ids that had no prediction (their spans count as missed).
    `relations_on_gold_spans` are records with the relations found among the gold spans
    themselves; their scores tell relation errors from span errors. With
    `align`, only the predicted articles are scored, and where a prediction's text differs
    from the gold's (a web page or PDF of a gold article) the gold spans are carried over to it
    (`align_gold`); `aligned` then says what could not be.

    Raises:
        GoldError: when, without `align`, a prediction's text differs from the gold text of the same id.
    """
    predicted = {record["meta"]["id"]: record for record in predictions}
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    missing = []
    aligned: dict[str, dict[str, int]] = {}
    for doc_id, gold_record in sorted(gold.items()):
        prediction = predicted.get(doc_id)
        if prediction is None:
            if align:
                continue
            missing.append(doc_id)
            prediction = {"text": gold_record["text"], "meta": gold_record["meta"], "spans": []}
        elif prediction["text"] != gold_record["text"]:
            if not align:
                raise GoldError(Messages.G003.format(gold_id=doc_id, gold_path=gold_record.get("_where", "?")))
            gold_record, prediction, aligned[doc_id] = align_gold(gold_record, prediction)
        pairs.append((gold_record, prediction))
    related = [
        (gold[record["meta"]["id"]], record) for record in relations_on_gold_spans if record["meta"]["id"] in gold
    ]
    return {
        **_overall_and_splits(score, pairs),
        "normalization": normalization_accuracy(pairs),
        "entities": _overall_and_splits(entity_scores, pairs),
        "relations": {
            **_overall_and_splits(relation_scores, pairs),
            **({"gold_spans": _overall_and_splits(relation_scores, related)} if related else {}),
        },
        "relation_errors": [error for pair in pairs for error in relation_errors(*pair)],
        "articles": {
            gold_record["meta"]["id"]: score([(gold_record, prediction)])["strict"]["micro"]
            for gold_record, prediction in pairs
        },
        "errors": [error for gold_record, prediction in pairs for error in errors(gold_record, prediction)],
        "missing_predictions": missing,
        "unmatched_predictions": sorted(set(predicted) - set(gold)),
        **({"aligned": aligned} if align else {}),
    }


def _overall_and_splits(scorer: Callable[[list[Pair]], dict[str, Any]], pairs: list[Pair]) -> dict[str, Any]:
    """`scorer` over all pairs and over the pairs of each `meta.split` of the gold."""
    by_split: dict[str, list[Pair]] = defaultdict(list)
    for pair in pairs:
        by_split[str(pair[0]["meta"].get("split", NO_SPLIT))].append(pair)
    return {"overall": scorer(pairs), "splits": {split: scorer(members) for split, members in sorted(by_split.items())}}


def align_gold(
    gold: dict[str, Any], prediction: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, int]]:
    """Gold spans carried over to the prediction's text, which a reader made from another rendering of it.

    The texts are aligned character by character (difflib); a gold span inside one stretch of
    text both share moves with it. One that is not (the reader lost or changed its words) is
    `lost`: it still counts as missed, placed past the end of the text where no prediction can
    meet it. Predicted spans in text the gold does not have (a page's headline, a caption) are
    set aside as `outside`: no gold says what they should be. Returns the gold and the
    prediction to score, and those two counts.
    """
    blocks = SequenceMatcher(None, gold["text"], prediction["text"], autojunk=False).get_matching_blocks()

    def moved(start: int, end: int, *, to_prediction: bool) -> tuple[int, int] | None:
        for block in blocks:
            origin, destination = (block.a, block.b) if to_prediction else (block.b, block.a)
            if origin <= start and end <= origin + block.size:
                return start - origin + destination, end - origin + destination
        return None

    spans, lost = [], 0
    past_the_end = len(prediction["text"])
    for span in gold["spans"]:
        where = moved(span["start"], span["end"], to_prediction=True)
        if where is None:
            lost += 1
            where = (past_the_end + lost, past_the_end + lost + 1)
        spans.append({**span, "start": where[0], "end": where[1]})
    kept = [span for span in prediction["spans"] if moved(span["start"], span["end"], to_prediction=False)]
    counts = {"lost": lost, "outside": len(prediction["spans"]) - len(kept)}
    return {**gold, "text": prediction["text"], "spans": spans}, {**prediction, "spans": kept}, counts


def write_evaluation(report: dict[str, Any], path: Path) -> None:
    """Write an evaluation (as `evaluate` returns it) to `path` as indented JSON, atomically."""
    write_text_atomically(path, json.dumps(report, ensure_ascii=False, indent=2) + "\n")


def read_evaluation(path: Path | None) -> dict[str, Any] | None:
    """The evaluation written to `path` by `write_evaluation`, or None when there is none.

    Raises:
        PolicyExtractError: when the file is there but is not an evaluation.
    """
    if path is None or not path.exists():
        return None
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PolicyExtractError(Messages.E003.format(path=shown_path(path), problem=error)) from error
    if not isinstance(report, dict) or "overall" not in report:
        raise PolicyExtractError(Messages.E003.format(path=shown_path(path), problem="no `overall` scores"))
    return report
