"""Extraction inside a worker process: the model is built once per process and kept here.

The cache lives in this importable module on purpose: a `ProcessPoolExecutor` or a Dask
worker imports it once, so every later task in that process finds the pipeline already
built instead of loading the model again (a closure or a pickled `Language` would not).
"""

from __future__ import annotations

from collections.abc import Sequence

from spacy.language import Language

from .errors import Messages, shown_path
from .extract import extract
from .nlp import build_nlp
from .patterns import RuleSet
from .readers import convert
from .records import Rendered, render
from .types import Article, PipelineSettings, Skipped

PipelineKey = tuple[PipelineSettings, str]

_PIPELINES: dict[PipelineKey, Language] = {}
_TOKENIZER_CACHE_FILLED: set[PipelineKey] = set()


def _pipeline_key(settings: PipelineSettings, rules: RuleSet) -> PipelineKey:
    return settings, rules.digest()


def pipeline_for(settings: PipelineSettings, rules: RuleSet) -> Language:
    """The pipeline for these settings and rules, built on the first call in this process."""
    key = _pipeline_key(settings, rules)
    if key not in _PIPELINES:
        _PIPELINES[key] = build_nlp(settings, rules)
    return _PIPELINES[key]


def process_articles(
    articles: Sequence[Article], settings: PipelineSettings, rules: RuleSet, batch_size: int
) -> list[Rendered | Skipped]:
    """Convert (web pages, PDFs), extract and render a partition of articles with `nlp.pipe`, in order.

    A file that does not convert is a `Skipped` in its place. `nlp.memory_zone()` frees the
    strings and vocabulary entries the partition added, so a long-lived worker does not grow
    with the corpus. The first partition a process sees is tokenized once outside the zone
    first (see `_fill_tokenizer_cache`).
    """
    converted = [convert(article) for article in articles]
    readable = [article for article in converted if isinstance(article, Article)]
    nlp = pipeline_for(settings, rules)
    key = _pipeline_key(settings, rules)
    if key not in _TOKENIZER_CACHE_FILLED:
        _fill_tokenizer_cache(nlp, readable)
        _TOKENIZER_CACHE_FILLED.add(key)
    try:
        results: list[Rendered | Skipped] = list(_rendered(nlp, readable, settings, batch_size))
    except Exception:
        # An input that trips a bug must cost only itself: redo the partition one article at a time.
        results = [_rendered_alone(nlp, article, settings, batch_size) for article in readable]
    done = iter(results)
    return [next(done) if isinstance(article, Article) else article for article in converted]


def _rendered(
    nlp: Language, articles: Sequence[Article], settings: PipelineSettings, batch_size: int
) -> list[Rendered]:
    with nlp.memory_zone():
        return render(list(extract(nlp, articles, batch_size=batch_size, use_rules=settings.use_rules)))


def _rendered_alone(nlp: Language, article: Article, settings: PipelineSettings, batch_size: int) -> Rendered | Skipped:
    """One article's rendering, or its `Skipped` naming the internal error it raised."""
    try:
        return _rendered(nlp, [article], settings, batch_size)[0]
    except Exception as error:
        problem = f"{type(error).__name__}: {error}"[:200]
        return Skipped(article.where, Messages.A026.format(path=shown_path(article.where), problem=problem))


def _fill_tokenizer_cache(nlp: Language, articles: Sequence[Article]) -> None:
    """Tokenize `articles` outside any memory zone, so that their words fill the tokenizer's cache.

    spaCy's tokenizer caches how it split a whitespace-delimited chunk only outside a memory
    zone, and keeps at most `max_cache_size` (10,000) chunks; inside a zone every chunk is split
    afresh, which cost about 8% of the NER's time. One partition's words stay in the vocab for
    good: a bounded cost, whatever the corpus size.
    """
    for article in articles:
        nlp.make_doc(article.text)
