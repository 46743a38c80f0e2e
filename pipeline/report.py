"""A static HTML report of the datasets and the evaluation, readable from disk with no server.

Pages: `index.html` (the corpus at a glance), one page per article (its text with every span
drawn by displaCy's span renderer, and a table of the spans with their values), and
`evaluation.html` (precision, recall and F1 as SVG bars beside the bare model's, and every
error with its context). Every style is inline and there is no script, so nothing is fetched
and nothing can fail in the browser; every value shown, from the records or the evaluation
files, is escaped, and every link leads to a page written (see `page_name`).
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Collection
from html import escape
from pathlib import Path
from typing import Any

from .export import write_text_atomically
from .relation_scores import relation_key
from .spans import match_key, sort_key
from .types import SCORED_LABELS

LABEL_COLORS = {
    "ORG": "#7aecec",
    "INITIATIVE": "#bfeeb7",
    "EVENT": "#ffeb80",
    "DATE": "#bfe1d9",
    "MONEY": "#e4e7d2",
}
MISSED = "missed"
SPURIOUS = "spurious"
STATUS_COLORS = {MISSED: "#ff8a8a", SPURIOUS: "#c9a0ff"}
TOP_NAMES = 15
BAR_WIDTH, BAR_GAP, CHART_HEIGHT = 14, 4, 160
# Page names: "article-" (so none starts with a dot or is index.html or evaluation.html), a readable slug of at
# most SLUG_LENGTH characters, and HASH_LENGTH hex digits of the id's sha256, which keep apart ids that slug
# alike; 8 + 60 + 1 + 10 + 5 = 84 bytes at most, under the 255 of every file system.
PAGE_PREFIX, SLUG_LENGTH, HASH_LENGTH = "article-", 60, 10

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
.legend span { display: inline-block; padding: 0.1rem 0.5rem; margin-right: 0.4rem; border-radius: 3px;
  font-size: 0.8rem; }
.missed td { background: #ffecec; } .spurious td { background: #f3ebff; }
.context { font-family: ui-monospace, monospace; font-size: 0.8rem; }
nav a { margin-right: 1rem; }
"""


def page_name(doc_id: str) -> str:
    """A file name for an article's page, one per id, bounded and safe on every file system.

    The slug keeps the id readable (accents folded, anything but ASCII letters, digits, `.`,
    `_` and `-` run together as `_`); the hash of the whole id keeps ids apart that slug alike,
    that differ only in case (for case-insensitive file systems), or past the slug's length.

    >>> page_name("dev-01/eu japan")
    'article-dev-01_eu_japan-06871e7867.html'
    >>> page_name("Ministère/../index")
    'article-Ministere_.._index-fe258976a2.html'
    """
    folded = "".join(c for c in unicodedata.normalize("NFKD", doc_id) if not unicodedata.combining(c))
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", folded)[:SLUG_LENGTH].strip("._-")
    digest = hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:HASH_LENGTH]
    return PAGE_PREFIX + (f"{slug}-" if slug else "") + f"{digest}.html"


def _text(value: Any) -> str:
    """Any value of a record or of evaluation.json, as escaped text."""
    return escape(str(value))


def _figure(value: Any) -> str:
    """A score as `0.937`; a value that is not a number (a hand-edited evaluation.json) as escaped text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.3f}"
    return _text(value)


def _fraction(value: Any) -> float:
    """A score as the share of a bar it fills: 0 for what is not a number, clamped to 0..1."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return min(max(float(value), 0.0), 1.0)
    return 0.0


def _table(value: Any) -> dict[str, Any]:
    """A mapping of evaluation.json, or an empty one where the file holds something else."""
    return value if isinstance(value, dict) else {}


def _article_link(doc_id: Any, linked: Collection[str]) -> str:
    """The id, linked to its page when that page is written (an error may name an article not shown)."""
    if str(doc_id) in linked:
        return f'<a href="{page_name(str(doc_id))}">{_text(doc_id)}</a>'
    return _text(doc_id)


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>\n"
        '<nav><a href="index.html">Corpus</a><a href="evaluation.html">Evaluation</a></nav>\n'
        f"{body}\n</body></html>\n"
    )


def _legend() -> str:
    items = [f'<span style="background:{color}">{label}</span>' for label, color in LABEL_COLORS.items()]
    items += [
        f'<span style="background:{STATUS_COLORS[MISSED]}">{MISSED}: in gold, not found</span>',
        f'<span style="background:{STATUS_COLORS[SPURIOUS]}">{SPURIOUS}: found, not in gold</span>',
    ]
    return '<p class="legend">' + "".join(items) + "</p>"


def _statuses(record: dict[str, Any], gold: dict[str, Any] | None) -> list[tuple[dict[str, Any], str]]:
    """Each scored span with its status: `found` (no gold), `correct`, `spurious`, or a gold span `missed`."""
    predicted = [span for span in record["spans"] if span.get("scored", True) and span["label"] in SCORED_LABELS]
    if gold is None:
        return [(span, "found") for span in predicted]
    gold_keys = {match_key(span) for span in gold["spans"]}
    predicted_keys = {match_key(span) for span in predicted}
    rows = [(span, "correct" if match_key(span) in gold_keys else SPURIOUS) for span in predicted]
    rows += [(span, MISSED) for span in gold["spans"] if match_key(span) not in predicted_keys]
    return sorted(rows, key=lambda row: sort_key(row[0]))


def render_spans_html(text: str, rows: list[tuple[dict[str, Any], str]]) -> str:
    """The article text with its spans drawn by displaCy's span renderer (text escaped by displaCy)."""
    import spacy
    from spacy import displacy

    doc = spacy.blank("en").make_doc(text)
    spans, colors = [], dict(LABEL_COLORS)
    for span, status in rows:
        aligned = doc.char_span(span["start"], span["end"], alignment_mode="expand")
        if aligned is None:
            continue
        label = span["label"] if status in ("found", "correct") else f"{span['label']} {status}"
        colors.setdefault(label, STATUS_COLORS.get(status, "#ddd"))
        spans.append({"start_token": aligned.start, "end_token": aligned.end, "label": label})
    data = {"text": text, "tokens": [token.text for token in doc], "spans": spans}
    return displacy.render(data, style="span", manual=True, page=False, options={"colors": colors})


def _value(span: dict[str, Any]) -> str:
    norm = span.get("norm")
    if isinstance(norm, dict):
        amount = f"{norm.get('amount')}" + (f"–{norm['amount_max']}" if "amount_max" in norm else "")
        return f"{amount} {norm.get('currency', '')}"
    return "" if norm is None else str(norm)


def article_page(record: dict[str, Any], gold: dict[str, Any] | None) -> str:
    """One article: its spans drawn over the text, then a table of them."""
    meta = record["meta"]
    rows = _statuses(record, gold)
    table_rows = "".join(
        f'<tr class="{escape(status)}"><td>{escape(span["label"])}</td><td>{escape(span["text"])}</td>'
        f"<td>{_text(span['start'])}–{_text(span['end'])}</td><td>{escape(_value(span))}</td>"
        f"<td>{escape(str(span.get('canonical') or ''))}</td><td>{escape(str(span.get('source') or ''))}</td>"
        f"<td>{escape(status)}</td></tr>"
        for span, status in rows
    )
    title = str(meta.get("title") or meta["id"])
    details = ", ".join(f"{escape(str(key))}: {escape(str(value))}" for key, value in meta.items() if key != "title")
    body = (
        f"<h1>{escape(title)}</h1><p>{details}</p>{_legend()}"
        f'<div class="article">{render_spans_html(record["text"], rows)}</div>'
        "<h2>Spans</h2><table><tr><th>label</th><th>text</th><th>offsets</th><th>value</th>"
        f"<th>canonical</th><th>source</th><th>status</th></tr>{table_rows}</table>"
        f"{_relations_table(record, gold)}"
    )
    return _page(title, body)


def _relations_table(record: dict[str, Any], gold: dict[str, Any] | None) -> str:
    """The article's relations, head -> child, each marked against gold when the gold lists relations."""
    found = {relation_key(relation): relation for relation in record.get("relations") or []}
    expected = {relation_key(r): r for r in gold.get("relations") or []} if gold and "relations" in gold else None
    rows = [
        (relation, "spurious" if expected is not None and key not in expected else "correct")
        for key, relation in found.items()
    ]
    if expected is not None:
        rows += [(relation, "missed") for key, relation in expected.items() if key not in found]
    if not rows:
        return ""
    text = record["text"]

    def shown(span: dict[str, Any]) -> str:
        return f"{escape(text[span['start'] : span['end']])} <small>{escape(span['label'])}</small>"

    cells = "".join(
        f'<tr class="{escape(status)}"><td>{escape(relation["label"])}</td><td>{shown(relation["head_span"])}</td>'
        f"<td>{shown(relation['child_span'])}</td><td>{escape(str(relation.get('source') or ''))}</td>"
        f"<td>{escape(status if expected is not None else '')}</td></tr>"
        for relation, status in sorted(rows, key=lambda row: relation_key(row[0]))
    )
    return (
        "<h2>Relations</h2><table><tr><th>relation</th><th>head</th><th>child</th><th>rule</th><th>status</th></tr>"
        f"{cells}</table>"
    )


def index_page(records: list[dict[str, Any]], evaluation: dict[str, Any] | None) -> str:
    """The corpus at a glance: articles with their counts and F1, the most frequent names."""
    scores = _table(_table(evaluation).get("articles"))
    header = "".join(f"<th>{label}</th>" for label in SCORED_LABELS)
    rows = []
    names: Counter[tuple[str, str]] = Counter()
    for record in records:
        doc_id = str(record["meta"]["id"])
        counts = Counter(span["label"] for span in record["spans"] if span.get("scored", True))
        for span in record["spans"]:
            if span["label"] in ("ORG", "INITIATIVE") and span.get("scored", True):
                names[(span["label"], span.get("canonical") or span["text"])] += 1
        figures = _table(scores.get(doc_id))
        score = _figure(figures["f1"]) if "f1" in figures else "–"
        title = record["meta"].get("title") or ""
        cells = "".join(f"<td>{counts.get(label, 0)}</td>" for label in SCORED_LABELS)
        rows.append(
            f'<tr><td><a href="{page_name(doc_id)}">{escape(doc_id)}</a></td><td>{escape(str(title))}</td>'
            f"{cells}<td>{score}</td></tr>"
        )
    top = "".join(
        f"<tr><td>{_text(label)}</td><td>{_text(name)}</td><td>{count}</td></tr>"
        for (label, name), count in sorted(names.items(), key=lambda item: (-item[1], item[0]))[:TOP_NAMES]
    )
    body = (
        f"<h1>policy-extract report</h1><p>{len(records)} articles.</p>"
        f"<table><tr><th>article</th><th>title</th>{header}<th>strict F1</th></tr>{''.join(rows)}</table>"
        "<h2>Most frequent organizations and initiatives (by canonical name)</h2>"
        f"<table><tr><th>label</th><th>name</th><th>mentions</th></tr>{top}</table>"
    )
    return _page("policy-extract report", body)


def bar_chart(title: str, series: dict[str, dict[str, Any]]) -> str:
    """Grouped SVG bars: for each label, precision, recall and F1 of each system (values 0..1)."""
    systems = list(series)
    labels = [label for label in [*SCORED_LABELS, "micro"] if any(label in series[s] for s in systems)]
    metrics = ("precision", "recall", "f1")
    shades = {"precision": 0.55, "recall": 0.75, "f1": 1.0}
    hues = ["#1f77b4", "#ff7f0e"]
    group = len(systems) * len(metrics) * BAR_WIDTH + 3 * BAR_GAP
    width = len(labels) * (group + 2 * BAR_GAP) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{CHART_HEIGHT + 50}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for i, label in enumerate(labels):
        x0 = 30 + i * (group + 2 * BAR_GAP)
        x = x0
        for s, system in enumerate(systems):
            for metric in metrics:
                value = _table(series[system].get(label)).get(metric, 0.0)
                height = _fraction(value) * CHART_HEIGHT
                color, opacity = hues[s % len(hues)], shades[metric]
                parts.append(
                    f'<rect x="{x}" y="{10 + CHART_HEIGHT - height:.1f}" width="{BAR_WIDTH - 2}" height="{height:.1f}" '
                    f'fill="{color}" fill-opacity="{opacity}">'
                    f"<title>{escape(system)} {escape(label)} {metric} {_figure(value)}</title></rect>"
                )
                x += BAR_WIDTH
            x += BAR_GAP
        parts.append(f'<text x="{x0}" y="{CHART_HEIGHT + 28}" font-size="11">{escape(label)}</text>')
    parts.append(f'<line x1="28" y1="{10 + CHART_HEIGHT}" x2="{width}" y2="{10 + CHART_HEIGHT}" stroke="#999"/>')
    parts.append("</svg>")
    return "".join(parts)


def evaluation_page(
    evaluation: dict[str, Any] | None, bare: dict[str, Any] | None, *, linked: Collection[str] = ()
) -> str:
    """Scores as bars beside the bare model's, then the normalization accuracy and every error.

    Every value read from the evaluation files is escaped, and one that is not the number
    expected is shown as text; an error's article links to its page when it is in `linked`.
    """
    if evaluation is None:
        return _page("Evaluation", "<h1>Evaluation</h1><p>No evaluation was run for these outputs.</p>")
    legend = (
        '<p class="legend"><span style="background:#1f77b4;color:#fff">rules + model</span>'
        '<span style="background:#ff7f0e">bare model</span> (each group: precision, recall, F1)</p>'
    )
    charts = []
    for scheme in ("strict", "partial"):
        series = {"rules + model": _table(_table(evaluation.get("overall")).get(scheme))}
        if bare is not None:
            series["bare model"] = _table(_table(bare.get("overall")).get(scheme))
        charts.append(f"<h2>{scheme.capitalize()} scheme</h2>{bar_chart(f'{scheme} scores', series)}")
        rows = "".join(
            f"<tr><td>{escape(label)}</td>"
            + "".join(
                f"<td>{_figure(_table(figures[label]).get(m, '–'))}</td>" if label in figures else "<td>–</td>"
                for figures in series.values()
                for m in ("precision", "recall", "f1")
            )
            + "</tr>"
            for label in [*SCORED_LABELS, "micro"]
            if label in series["rules + model"]
        )
        heads = "".join(f"<th>{escape(s)} {m}</th>" for s in series for m in ("P", "R", "F1"))
        charts.append(f"<table><tr><th>label</th>{heads}</tr>{rows}</table>")
    normalization = _table(_table(evaluation.get("normalization")).get("labels"))
    norm_rows = "".join(
        f"<tr><td>{_text(label)}</td><td>{_text(figures.get('checked', '–'))}</td>"
        f"<td>{_figure(figures.get('accuracy', '–'))}</td></tr>"
        for label, figures in ((label, _table(figures)) for label, figures in normalization.items())
    )
    listed = evaluation.get("errors")
    found = [_table(error) for error in listed] if isinstance(listed, list) else []
    errors = "".join(
        f"<tr><td>{_text(e.get('kind', ''))}</td><td>{_article_link(e.get('doc_id', ''), linked)}</td>"
        f'<td>{_text(e.get("label", ""))}</td><td class="context">{_text(e.get("context", ""))}</td></tr>'
        for e in found
    )
    body = (
        f"<h1>Evaluation</h1>{legend}{''.join(charts)}"
        "<h2>Normalization accuracy</h2><table><tr><th>label</th><th>checked</th><th>accuracy</th></tr>"
        f"{norm_rows}</table><h2>Errors ({len(found)})</h2>"
        f"<table><tr><th>kind</th><th>article</th><th>label</th><th>context</th></tr>{errors}</table>"
    )
    return _page("Evaluation", body)


def write_report(
    records: list[dict[str, Any]],
    out_dir: Path,
    *,
    gold: dict[str, dict[str, Any]] | None = None,
    evaluation: dict[str, Any] | None = None,
    bare: dict[str, Any] | None = None,
) -> list[Path]:
    """Write the site into `out_dir`; return the pages written."""
    gold = gold or {}
    ids = {str(record["meta"]["id"]) for record in records}
    pages = {
        "index.html": index_page(records, evaluation),
        "evaluation.html": evaluation_page(evaluation, bare, linked=ids),
    }
    for record in records:
        doc_id = str(record["meta"]["id"])
        pages[page_name(doc_id)] = article_page(record, gold.get(doc_id))
    written = []
    for name, html in pages.items():
        write_text_atomically(out_dir / name, html)
        written.append(out_dir / name)
    return written
