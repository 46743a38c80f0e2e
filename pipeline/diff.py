"""What changed between two runs: the scored spans of two `mentions.jsonl`, compared article by article.

Articles are paired by `meta.id` while both files stream in; an article waits only until its
partner comes, so memory grows with how far the two orders drift apart, not with the corpus
(two runs over the same inputs write the same order). Within an article the spans pair off in
rounds, each round taking only what the rounds before left:

1. the same span (`spans.match_key`): unchanged, its values changed, or made by another rule;
2. the same offsets under another label: relabelled;
3. the same label over overlapping offsets, the largest overlap first: re-bounded;
4. the rest: removed from the old run, added by the new one.

Entities are compared over the mentions both runs have (round 1, names only): mentions that
share an entity in the new run and did not in the old one were merged, the reverse split.
Both are reported as groups of entity ids, not as pairs of mentions; a missing `entity` is none.
"""

from __future__ import annotations

import hashlib
import os
from bisect import bisect_left
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any

from .corpus import _parse_gold_line
from .errors import ArticleError, GoldError, Messages, PolicyExtractError, shown_path
from .evaluate import SCHEMES, read_evaluation
from .readers.jsonl import decoded_lines
from .spans import NAME_LABELS, SpanRecord, match_key, overlaps, sort_key

MENTIONS = "mentions.jsonl"
# Where `make run` writes the scores of a run's mentions (`evaluate --out OUT/evaluation.json`).
EVALUATION = "evaluation.json"

# The kinds of change to a span, and how a person reads each, in the order summaries show them.
ADDED = "added"
REMOVED = "removed"
RELABELLED = "relabelled"
REBOUNDED = "rebounded"
VALUES = "values"
SOURCE = "source"
KIND_HEADINGS = {
    ADDED: "added",
    REMOVED: "removed",
    RELABELLED: "relabelled",
    REBOUNDED: "re-bounded",
    VALUES: "other values",
    SOURCE: "other rule",
}
KINDS = tuple(KIND_HEADINGS)
MERGED, SPLIT, RENAMED = "merged", "split", "renamed"
# A span's keys that are not values: what it is, which rule made it, whether it is scored, and its
# entity and how it was linked (compared across the corpus as groups, not span by span).
NOT_VALUES = frozenset({"start", "end", "label", "text", "source", "scored", "entity", "entity_evidence"})
# The summary's name for the rule of a span that names none (a hand-made file).
NO_SOURCE = "(none)"
# A few texts of an entity group's mentions are enough to recognize it.
NAMES_SHOWN = 3


class RunOutput:
    """The output folder of a run, its `mentions.jsonl` open for reading.

    Opened before a run that replaces the file, it still reads the old datasets: the run
    renames new files into place, and an open file keeps the one it opened. Close it (or use
    it as a context manager) when done. `name` is how the comparison names it (default: the folder).

    Raises:
        PolicyExtractError: when `folder` is not a folder holding a `mentions.jsonl`.
    """

    def __init__(self, folder: Path, *, name: str | None = None) -> None:
        self.folder = folder
        self.name = name or shown_path(folder)
        self.path = folder / MENTIONS
        if not folder.is_dir():
            problem = "no such folder" if not folder.exists() else "it is not a folder"
            raise PolicyExtractError(Messages.D001.format(path=shown_path(folder), problem=problem))
        if not self.path.is_file():
            raise PolicyExtractError(Messages.D001.format(path=shown_path(folder), problem=f"no {MENTIONS} in it"))
        self.stream = self.path.open("rb")
        # When the open file was last written: an evaluation.json older than that scores an earlier run.
        self.written_ns = os.fstat(self.stream.fileno()).st_mtime_ns

    def close(self) -> None:
        self.stream.close()

    def __enter__(self) -> RunOutput:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass(frozen=True)
class FieldChange:
    """One value of a span that differs: its field (`norm.amount` inside a structured `norm`), old and new."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class SpanChange:
    """One change in one article: `old` and `new` span records (one is None for `added` and `removed`), and
    the values that differ between them (of a relabelled or re-bounded span too)."""

    kind: str
    doc_id: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    fields: tuple[FieldChange, ...] = ()

    @property
    def spans(self) -> list[dict[str, Any]]:
        """The spans the change involves, old first."""
        return [span for span in (self.old, self.new) if span is not None]


@dataclass(frozen=True)
class EntityGroup:
    """Entity ids that the mentions both runs have went from (`old`) and to (`new`).

    `unlinked` counts those mentions that had no entity on the side with several ids (a
    merge that also took in unlinked mentions, a split that left some unlinked); `names` are
    a few of the mentions' texts.
    """

    kind: str
    old: tuple[str, ...]
    new: tuple[str, ...]
    mentions: int
    unlinked: int = 0
    names: tuple[str, ...] = ()


@dataclass
class RunDiff:
    """Everything that differs between two runs, as `diff_runs` finds it."""

    old: str
    new: str
    articles: dict[str, int] = field(default_factory=lambda: {"old": 0, "new": 0, "compared": 0})
    spans: dict[str, int] = field(default_factory=lambda: {"old": 0, "new": 0, "unchanged": 0})
    added_articles: list[str] = field(default_factory=list)
    removed_articles: list[str] = field(default_factory=list)
    # Articles in both runs whose text differs: their spans are compared by offsets all the same.
    text_changed: list[str] = field(default_factory=list)
    changes: list[SpanChange] = field(default_factory=list)
    entities: list[EntityGroup] = field(default_factory=list)
    evaluation: list[dict[str, Any]] | None = None
    # Folders whose evaluation.json is older than their mentions.jsonl, so scores an earlier run.
    stale_evaluations: list[str] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        """Whether the two runs' articles, texts, scored spans or entities differ."""
        return bool(self.added_articles or self.removed_articles or self.text_changed or self.changes or self.entities)

    def totals(self) -> dict[str, int]:
        """How many changes of each kind (`KINDS`)."""
        counts = Counter(change.kind for change in self.changes)
        return {kind: counts[kind] for kind in KINDS}

    def by_label(self) -> dict[str, dict[str, int]]:
        """Changes of each kind per label; a relabelling counts under both labels."""
        return _tally(self.changes, lambda span: span["label"])

    def by_source(self) -> dict[str, dict[str, int]]:
        """Changes of each kind per pattern id (`source`): a removed span's old rule, an added one's new
        rule, both rules of a change."""
        return _tally(self.changes, lambda span: span.get("source") or NO_SOURCE)

    def to_dict(self) -> dict[str, Any]:
        """The whole comparison as JSON-ready data: figures, summaries, every change and entity group."""
        return {
            "old": self.old,
            "new": self.new,
            "differs": self.differs,
            "articles": {
                **self.articles,
                "added": self.added_articles,
                "removed": self.removed_articles,
                "text_changed": self.text_changed,
            },
            "spans": self.spans,
            "totals": self.totals(),
            "by_label": self.by_label(),
            "by_source": self.by_source(),
            "changes": [asdict(change) for change in self.changes],
            "entities": [asdict(group) for group in self.entities],
            "evaluation": self.evaluation,
            "stale_evaluations": self.stale_evaluations,
        }


@dataclass(frozen=True)
class _Article:
    """What the comparison keeps of one record: its id, a digest of its text, its scored spans."""

    doc_id: str
    text_digest: str
    spans: list[dict[str, Any]]


def diff_runs(old: RunOutput, new: RunOutput, *, evaluations: bool = True) -> RunDiff:
    """Compare the datasets of two runs, article by article (see the module's docstring).

    With `evaluations`, and an `evaluation.json` in both folders, the F1 scores of each are
    set side by side (`evaluation_delta`).

    Raises:
        GoldError: on a line of either `mentions.jsonl` that is not a record (naming the file and
            the line), or an article id seen twice in one file.
        ArticleError: on a line that is not UTF-8.
    """
    result = RunDiff(old=old.name, new=new.name)
    entity_pairs: Counter[tuple[str | None, str | None]] = Counter()
    entity_names: dict[tuple[str | None, str | None], list[str]] = defaultdict(list)
    for before, after in _paired(_articles(old, "old", result), _articles(new, "new", result), result):
        result.articles["compared"] += 1
        if before.text_digest != after.text_digest:
            result.text_changed.append(before.doc_id)
        changes, same = compare_spans(before.doc_id, before.spans, after.spans)
        result.changes.extend(changes)
        result.spans["unchanged"] += len(same) - sum(1 for change in changes if change.kind in (VALUES, SOURCE))
        for a, b in same:
            pair = (a.get("entity"), b.get("entity"))
            if a["label"] in NAME_LABELS and pair != (None, None):
                entity_pairs[pair] += 1
                if b["text"] not in entity_names[pair] and len(entity_names[pair]) < NAMES_SHOWN:
                    entity_names[pair].append(b["text"])
    result.entities = entity_groups(entity_pairs, entity_names)
    if evaluations:
        result.evaluation, result.stale_evaluations = _evaluations(old, new)
    return result


def compare_spans(
    doc_id: str, old: Sequence[dict[str, Any]], new: Sequence[dict[str, Any]]
) -> tuple[list[SpanChange], list[tuple[dict[str, Any], dict[str, Any]]]]:
    """The changes between one article's old and new scored spans, in text order, and the pairs of
    the same span (`match_key`) in both, changed values and rule included.

    >>> old = [{"start": 0, "end": 2, "label": "ORG", "text": "EU"},
    ...        {"start": 7, "end": 11, "label": "DATE", "text": "July", "norm": "2021-07"}]
    >>> new = [{"start": 0, "end": 2, "label": "INITIATIVE", "text": "EU"},
    ...        {"start": 7, "end": 11, "label": "DATE", "text": "July", "norm": "2022-07"}]
    >>> [(change.kind, [f.field for f in change.fields]) for change in compare_spans("a", old, new)[0]]
    [('relabelled', []), ('values', ['norm'])]
    """
    changes: list[SpanChange] = []
    old_left, new_left, same = _pair_equal(old, new, match_key)
    for a, b in same:
        fields = value_changes(a, b)
        if fields:
            changes.append(SpanChange(VALUES, doc_id, a, b, fields))
        elif a.get("source") != b.get("source"):
            changes.append(SpanChange(SOURCE, doc_id, a, b))
    old_left, new_left, relabelled = _pair_equal(old_left, new_left, lambda span: (span["start"], span["end"]))
    changes.extend(SpanChange(RELABELLED, doc_id, a, b, value_changes(a, b)) for a, b in relabelled)
    old_left, new_left, rebounded = _pair_overlapping(old_left, new_left)
    changes.extend(SpanChange(REBOUNDED, doc_id, a, b, value_changes(a, b)) for a, b in rebounded)
    changes.extend(SpanChange(REMOVED, doc_id, a, None) for a in old_left)
    changes.extend(SpanChange(ADDED, doc_id, None, b) for b in new_left)
    changes.sort(key=lambda change: sort_key(change.spans[0]))
    return changes, same


def value_changes(old: SpanRecord, new: SpanRecord) -> tuple[FieldChange, ...]:
    """The values (every key but `NOT_VALUES`) that differ between two spans, a missing value as None.

    >>> value_changes({"norm": {"amount": 5, "currency": "USD"}}, {"norm": {"amount": 6, "currency": "USD"}})
    (FieldChange(field='norm.amount', old=5, new=6),)
    """
    before, after = _values(old), _values(new)
    return tuple(
        FieldChange(name, before.get(name), after.get(name))
        for name in sorted(before.keys() | after.keys())
        if before.get(name) != after.get(name)
    )


def _values(span: SpanRecord) -> dict[str, Any]:
    """A span's values by field, a structured value (a MONEY's `norm`) by each of its keys."""
    values: dict[str, Any] = {}
    for key, value in span.items():
        if key in NOT_VALUES:
            continue
        if isinstance(value, dict):
            values.update({f"{key}.{inner}": item for inner, item in value.items()})
        else:
            values[key] = value
    return values


def entity_groups(
    pairs: Counter[tuple[str | None, str | None]], names: dict[tuple[str | None, str | None], list[str]]
) -> list[EntityGroup]:
    """Merges, splits and renamings of entities, from how many shared mentions went from each old
    entity to each new one (None: no entity; a mention without one shares it with no other).

    A new entity whose mentions had two or more old entities (or none) is a merge; an old entity
    whose mentions went to two or more is a split; an entity that kept its mentions, and only
    them, under another id was renamed.

    >>> merged = Counter({("org-mofa", "org-foreign-ministry"): 2, ("org-gaimusho", "org-foreign-ministry"): 1})
    >>> [(g.kind, g.old, g.new, g.mentions) for g in entity_groups(merged, {})]
    [('merged', ('org-gaimusho', 'org-mofa'), ('org-foreign-ministry',), 3)]
    """
    to_new: dict[str, Counter[str | None]] = defaultdict(Counter)  # new entity -> old entities of its mentions
    to_old: dict[str, Counter[str | None]] = defaultdict(Counter)  # old entity -> new entities of its mentions
    for (old, new), count in pairs.items():
        if new is not None:
            to_new[new][old] += count
        if old is not None:
            to_old[old][new] += count
    groups = []
    for new, olds in sorted(to_new.items()):
        linked = sorted(old for old in olds if old is not None)
        shown = _group_names(names, [(old, new) for old in olds])
        if len(linked) + olds[None] >= 2:
            groups.append(EntityGroup(MERGED, tuple(linked), (new,), olds.total(), olds[None], shown))
        elif linked and linked[0] != new and set(to_old[linked[0]]) == {new}:
            groups.append(EntityGroup(RENAMED, (linked[0],), (new,), olds.total(), names=shown))
    for old, news in sorted(to_old.items()):
        linked = sorted(new for new in news if new is not None)
        if len(linked) + news[None] >= 2:
            shown = _group_names(names, [(old, new) for new in news])
            groups.append(EntityGroup(SPLIT, (old,), tuple(linked), news.total(), news[None], shown))
    return groups


def _group_names(
    names: dict[tuple[str | None, str | None], list[str]], pairs: list[tuple[str | None, str | None]]
) -> tuple[str, ...]:
    """A few distinct texts of the mentions of these (old, new) entity pairs."""
    texts = dict.fromkeys(text for pair in sorted(pairs, key=str) for text in names.get(pair, []))
    return tuple(texts)[:NAMES_SHOWN]


def evaluation_delta(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Strict and partial F1 of two evaluations (as `evaluate.evaluate` writes them) side by side.

    One row per set (`all`, then each split either has) and label (`micro` last): the old F1,
    the new, and the difference where both are numbers.

    >>> old = {"overall": {"strict": {"ORG": {"f1": 0.5}, "micro": {"f1": 0.5}}}}
    >>> new = {"overall": {"strict": {"ORG": {"f1": 0.75}, "micro": {"f1": 0.75}}}}
    >>> [(row["label"], row["strict"]) for row in evaluation_delta(old, new)]
    [('ORG', {'old': 0.5, 'new': 0.75, 'delta': 0.25}), ('micro', {'old': 0.5, 'new': 0.75, 'delta': 0.25})]
    """
    sets = [("all", old.get("overall"), new.get("overall"))]
    old_splits, new_splits = _mapping(old.get("splits")), _mapping(new.get("splits"))
    sets += [(split, old_splits.get(split), new_splits.get(split)) for split in sorted(old_splits | new_splits)]
    rows = []
    for name, before, after in sets:
        before, after = _mapping(before), _mapping(after)
        labels = {label for scores in (before, after) for scheme in SCHEMES for label in _mapping(scores.get(scheme))}
        for label in [*sorted(labels - {"micro"}), *(["micro"] if "micro" in labels else [])]:
            row: dict[str, Any] = {"set": name, "label": label}
            for scheme in SCHEMES:
                a, b = _f1(before, scheme, label), _f1(after, scheme, label)
                numbers = all(isinstance(value, int | float) and not isinstance(value, bool) for value in (a, b))
                row[scheme] = {"old": a, "new": b, "delta": round(b - a, 4) if numbers else None}
            rows.append(row)
    return rows


def _mapping(value: Any) -> dict[str, Any]:
    """`value` where it is a mapping, else nothing: an evaluation file is read, not trusted."""
    return value if isinstance(value, dict) else {}


def _f1(scores: dict[str, Any], scheme: str, label: str) -> Any:
    return _mapping(_mapping(scores.get(scheme)).get(label)).get("f1")


def _evaluations(old: RunOutput, new: RunOutput) -> tuple[list[dict[str, Any]] | None, list[str]]:
    """The evaluation delta of two runs when both have an evaluation.json, and the folders whose one is stale."""
    reports = [read_evaluation(run.folder / EVALUATION) for run in (old, new)]
    if reports[0] is None or reports[1] is None:
        return None, []
    stale = [
        shown_path(run.folder) for run in (old, new) if (run.folder / EVALUATION).stat().st_mtime_ns < run.written_ns
    ]
    return evaluation_delta(reports[0], reports[1]), stale


def _articles(run: RunOutput, side: str, result: RunDiff) -> Iterator[_Article]:
    """The records of a run's `mentions.jsonl`, streamed, each reduced to what the comparison needs.

    Counts the articles and scored spans of the run into `result` under `side` as they come.
    """
    seen: dict[str, int] = {}
    for number, line in decoded_lines(run.path, run.stream, None):
        if isinstance(line, ArticleError):
            raise line
        if not line.strip():
            continue
        record = _parse_gold_line(run.path, number, line, check_nesting=False)
        doc_id = str(record["meta"]["id"])
        if doc_id in seen:
            problem = f"article id {doc_id!r} seen before, on line {seen[doc_id]}; a run writes each article once"
            raise GoldError(Messages.G001.format(path=shown_path(run.path), line=number, problem=problem))
        seen[doc_id] = number
        spans = [span for span in record["spans"] if span.get("scored", True)]
        result.articles[side] += 1
        result.spans[side] += len(spans)
        # A JSON escape may spell a lone surrogate, which plain UTF-8 cannot encode.
        digest = hashlib.sha256(record["text"].encode("utf-8", "surrogatepass")).hexdigest()
        yield _Article(doc_id, digest, spans)


def _paired(old: Iterator[_Article], new: Iterator[_Article], result: RunDiff) -> Iterator[tuple[_Article, _Article]]:
    """Old and new articles paired by id as both streams come in; those only one run has go to `result`."""
    waiting_old: dict[str, _Article] = {}
    waiting_new: dict[str, _Article] = {}
    for before, after in zip_longest(old, new):
        if before is not None:
            if before.doc_id in waiting_new:
                yield before, waiting_new.pop(before.doc_id)
            else:
                waiting_old[before.doc_id] = before
        if after is not None:
            if after.doc_id in waiting_old:
                yield waiting_old.pop(after.doc_id), after
            else:
                waiting_new[after.doc_id] = after
    result.removed_articles.extend(waiting_old)
    result.added_articles.extend(waiting_new)


Pairs = list[tuple[dict[str, Any], dict[str, Any]]]


def _pair_equal(
    old: Sequence[dict[str, Any]], new: Sequence[dict[str, Any]], key: Callable[[dict[str, Any]], Hashable]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Pairs]:
    """Old and new spans with equal keys paired in order; returns the unpaired old, the unpaired new, the pairs."""
    waiting: dict[Hashable, deque[dict[str, Any]]] = defaultdict(deque)
    for span in new:
        waiting[key(span)].append(span)
    pairs, old_left = [], []
    for span in old:
        partners = waiting.get(key(span))
        if partners:
            pairs.append((span, partners.popleft()))
        else:
            old_left.append(span)
    paired = {id(b) for _, b in pairs}
    return old_left, [span for span in new if id(span) not in paired], pairs


def _pair_overlapping(
    old: Sequence[dict[str, Any]], new: Sequence[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Pairs]:
    """Old and new spans of one label over overlapping offsets, paired one to one, the largest overlap first."""
    candidates = []
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for span in sorted(new, key=sort_key):
        by_label[span["label"]].append(span)
    for label, spans in by_label.items():
        starts = [span["start"] for span in spans]
        longest = max(span["end"] - span["start"] for span in spans)
        for a in (span for span in old if span["label"] == label):
            # A new span overlapping `a` starts after a.start - longest and before a.end.
            for b in spans[bisect_left(starts, a["start"] - longest + 1) : bisect_left(starts, a["end"])]:
                if overlaps(a["start"], a["end"], b["start"], b["end"]):
                    shared = min(a["end"], b["end"]) - max(a["start"], b["start"])
                    candidates.append((-shared, sort_key(a), sort_key(b), a, b))
    candidates.sort(key=lambda candidate: candidate[:3])
    pairs: Pairs = []
    taken: set[int] = set()
    for *_, a, b in candidates:
        if id(a) not in taken and id(b) not in taken:
            taken.update((id(a), id(b)))
            pairs.append((a, b))
    return [a for a in old if id(a) not in taken], [b for b in new if id(b) not in taken], pairs


def _tally(changes: Sequence[SpanChange], key: Callable[[dict[str, Any]], str]) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for change in changes:
        for name in dict.fromkeys(key(span) for span in change.spans):
            counts[name][change.kind] += 1
    return {name: {kind: counted[kind] for kind in KINDS} for name, counted in sorted(counts.items())}
