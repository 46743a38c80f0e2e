"""Score relations against gold, strictly: both spans (start, end, label) and the relation label exact.

Only articles whose gold lists `relations` (even an empty list) are scored: an article nobody
annotated for relations says nothing about them. Counts are summed over articles, per relation
label and micro. Every false positive and false negative is listed with its sentence, so a
curator sees which rule or which span went wrong.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from .spans import RELATION_SIGNATURES

RelationKey = tuple[int, int, str, int, int, str, str]
Pair = tuple[dict[str, Any], dict[str, Any]]


def relation_key(relation: dict[str, Any]) -> RelationKey:
    """What makes two relations the same under strict matching: both spans and the label."""
    head, child = relation["head_span"], relation["child_span"]
    return head["start"], head["end"], head["label"], child["start"], child["end"], child["label"], relation["label"]


def relation_scores(pairs: Sequence[Pair]) -> dict[str, Any]:
    """Precision, recall and F1 per relation label and micro, over the pairs whose gold has `relations`."""
    counts: dict[str, Counter[str]] = {label: Counter() for label in RELATION_SIGNATURES}
    articles = 0
    for gold, prediction in pairs:
        if "relations" not in gold:
            continue
        articles += 1
        expected = {relation_key(relation) for relation in gold["relations"]}
        found = {relation_key(relation) for relation in prediction.get("relations") or []}
        for key in expected | found:
            counts[key[-1]]["tp" if key in expected and key in found else "fn" if key in expected else "fp"] += 1
    micro: Counter[str] = sum(counts.values(), Counter())
    return {
        "articles": articles,
        "micro": _figures(micro),
        **{label: _figures(count) for label, count in counts.items()},
    }


def _figures(count: Counter[str]) -> dict[str, Any]:
    tp, fp, fn = count["tp"], count["fp"], count["fn"]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def relation_errors(gold: dict[str, Any], prediction: dict[str, Any]) -> list[dict[str, Any]]:
    """The false positives and false negatives of one article, each with the texts of its spans and its sentence."""
    if "relations" not in gold:
        return []
    text = gold["text"]
    expected = {relation_key(relation): relation for relation in gold["relations"]}
    found = {relation_key(relation): relation for relation in prediction.get("relations") or []}
    sentences = prediction.get("sentences") or gold.get("sentences") or []
    listed = []
    kinds = (
        ("false_positive", found.keys() - expected.keys(), found),
        ("false_negative", expected.keys() - found.keys(), expected),
    )
    for kind, keys, relations in kinds:
        for key in sorted(keys):
            relation = relations[key]
            head, child = relation["head_span"], relation["child_span"]
            listed.append(
                {
                    "id": gold["meta"]["id"],
                    "split": gold["meta"].get("split"),
                    "type": kind,
                    "label": relation["label"],
                    "head": text[head["start"] : head["end"]],
                    "child": text[child["start"] : child["end"]],
                    "source": relation.get("source"),
                    "sentence": _sentence(text, sentences, min(head["start"], child["start"])),
                }
            )
    return listed


def _sentence(text: str, sentences: Sequence[Sequence[int]], offset: int) -> str:
    """The sentence around `offset` (from the record's sentence ranges), or its line when there are none."""
    for start, end in sentences:
        if start <= offset < end:
            return " ".join(text[start:end].split())
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return " ".join(text[start : end if end != -1 else len(text)].split())
