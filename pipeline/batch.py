"""A batch run: stream articles in, reuse what the cache knows, extract the rest, stream datasets out.

Articles are read lazily and handled in chunks; each chunk's cache misses go to the engine
(this process, a local process pool, or Dask) and come back in order, so memory stays flat and
the outputs are byte-identical whatever the engine or the number of workers.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from itertools import islice
from pathlib import Path
from typing import Any

from . import __version__
from .cache import CACHE_FORMAT, ExtractionCache, code_digest, run_fingerprint
from .corpus import duplicate_id
from .engines import DaskEngine, Engine, LocalEngine
from .entities import EntityResolver, EntityRules
from .errors import Messages, PolicyExtractError, shown_path
from .export import DatasetWriter
from .lock import OutputLock
from .patterns import RuleSet
from .readers import formats_text
from .records import Rendered
from .types import SCORED_LABELS, Article, PipelineSettings, Skipped

# Chunks submitted beyond the one being written: workers never wait for the writer.
CHUNKS_IN_FLIGHT = 2


@dataclass(frozen=True)
class RunOptions:
    """How a batch runs; none of it changes what is extracted."""

    workers: int = 1
    batch_size: int = 64
    chunk_size: int = 256
    cache_dir: Path | None = None
    force: bool = False
    engine: str = "local"
    scheduler: str | None = None


@dataclass
class Progress:
    """Running totals, passed to the progress callback after every chunk."""

    articles: int = 0
    words: int = 0
    reused: int = 0
    processed: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    spans: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.perf_counter)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def summary(self) -> dict[str, Any]:
        """The figures the manifest and the end-of-run line report."""
        seconds = self.seconds
        return {
            "articles": self.articles,
            "reused": self.reused,
            "processed": self.processed,
            "skipped": len(self.skipped),
            "words": self.words,
            "seconds": round(seconds, 3),
            "words_per_second": round(self.words / seconds) if seconds else 0,
            "spans_per_label": {label: self.spans.get(label, 0) for label in SCORED_LABELS},
        }


def run_batch(
    items: Iterable[Article | Skipped],
    settings: PipelineSettings,
    rules: RuleSet,
    out_dir: Path,
    options: RunOptions,
    *,
    manifest: dict[str, Any] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_skip: Callable[[Skipped], None] | None = None,
    late_manifest: Callable[[], dict[str, Any]] | None = None,
) -> tuple[dict[str, Any], Progress]:
    """Extract every article of `items` into the datasets in `out_dir`; return the manifest and totals.

    `on_skip` hears of each file a worker could not convert (the reader's skips are in `items`);
    `late_manifest` gives the manifest's fields known only once every input is read.

    Raises:
        PolicyExtractError: when another run holds `out_dir`, or the Dask extra is missing.
    """
    check_folders(out_dir, options.cache_dir or out_dir / ".cache")
    progress = Progress()
    versions = _versions(settings, code_digest())
    fingerprint = run_fingerprint(_run_identity(versions, settings, rules))
    cache = ExtractionCache(options.cache_dir or out_dir / ".cache", fingerprint)
    inputs: dict[str, str] = {}
    engine: Engine | None = None
    in_flight: deque[_Chunk] = deque()

    def finish(chunk: _Chunk, writer: DatasetWriter) -> None:
        fresh = iter(engine.collect(chunk.handle)) if chunk.handle is not None and engine else iter(())
        rendered, origins = [], []
        for article, hit in zip(chunk.articles, chunk.hits, strict=True):
            if hit is None:
                result = next(fresh)
                if isinstance(result, Skipped):  # a web page or PDF that did not convert
                    progress.skipped.append(result)
                    if on_skip:
                        on_skip(result)
                    continue
                hit = result
                cache.put(article, hit)
                progress.processed += 1
            else:
                progress.reused += 1
            rendered.append(hit)
            origins.append((article.where, article.sha256, article.format))
            inputs[article.where] = article.sha256
            progress.words += hit.words
            progress.spans.update(hit.counts)
        writer.add(rendered, origins)
        progress.articles += len(rendered)
        if on_progress:
            on_progress(progress)

    with OutputLock(out_dir):
        writer = DatasetWriter(
            out_dir, EntityResolver(EntityRules.from_rules(rules)), fingerprint, rules.relations.statuses
        )
        try:
            for articles in _chunks(_unique(items, progress), options.chunk_size):
                hits = [None if options.force else cache.get(article) for article in articles]
                misses = [article for article, hit in zip(articles, hits, strict=True) if hit is None]
                handle = None
                if misses:
                    engine = engine or _engine(settings, rules, options)
                    handle = engine.submit(misses)
                in_flight.append(_Chunk(articles, hits, handle))
                if len(in_flight) > CHUNKS_IN_FLIGHT:
                    finish(in_flight.popleft(), writer)
            while in_flight:
                finish(in_flight.popleft(), writer)
            if progress.articles == 0:  # a mistyped path must not replace the datasets with empty ones
                message = Messages.E006.format(
                    skipped=len(progress.skipped), path=shown_path(out_dir), formats=formats_text()
                )
                raise PolicyExtractError(message)
            written = writer.commit(
                {
                    **(manifest or {}),
                    **(late_manifest() if late_manifest else {}),
                    **versions,
                    "patterns": rules.file_digests,
                    "inputs": dict(sorted(inputs.items())),
                    "run": {
                        **progress.summary(),
                        "engine": options.engine,
                        "workers": options.workers,
                        "worker_restarts": getattr(engine, "restarts", 0),
                    },
                },
                progress.skipped,
            )
        except OSError as error:  # a full disk, under the cache or the datasets: one line, the old datasets kept
            writer.abort()
            problem = error.strerror or str(error)
            raise PolicyExtractError(Messages.E008.format(path=shown_path(out_dir), problem=problem)) from error
        except BaseException:
            writer.abort()
            if engine is not None:
                engine.close(abort=True)
                engine = None
            raise
        finally:
            if engine is not None:
                engine.close()
    return written, progress


def check_folders(out_dir: Path, cache_dir: Path) -> None:
    """Refuse, before any work, an output or cache folder that is a file (or /dev/null).

    Raises:
        PolicyExtractError: naming the path and what it should be.
    """
    uses = {out_dir: "--out names the folder the datasets go in", cache_dir: "the cache (--cache DIR) is a folder"}
    for folder, what in uses.items():
        if folder.exists() and not folder.is_dir():
            raise PolicyExtractError(Messages.E010.format(path=shown_path(folder), what=f"{what}; name another"))


@dataclass(frozen=True)
class _Chunk:
    """A chunk on its way: its articles, the cache's answers, the engine's handle for the misses."""

    articles: list[Article]
    hits: list[Rendered | None]
    handle: Any


def _versions(settings: PipelineSettings, code: str) -> dict[str, Any]:
    """Tool (with the digest `code` of its source), spaCy and model versions; no model is loaded for this."""
    return {
        "tool": {"name": "policy-extract", "version": __version__, "code": code},
        "spacy": _installed_version("spacy"),
        "model": {"name": settings.model, "version": _installed_version(settings.model)},
    }


def _installed_version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _run_identity(versions: dict[str, Any], settings: PipelineSettings, rules: RuleSet) -> dict[str, str]:
    """Everything besides the article that decides its extraction: the cache fingerprint's parts."""
    return {
        "cache_format": str(CACHE_FORMAT),
        "tool": versions["tool"]["version"],
        "code": versions["tool"]["code"],
        "spacy": str(versions["spacy"]),
        "model": settings.model,
        "model_version": str(versions["model"]["version"]),
        "rules": rules.digest(),
        "use_rules": str(settings.use_rules),
        "relations": str(settings.relations),
        "exclude": ",".join(settings.exclude),
    }


def _engine(settings: PipelineSettings, rules: RuleSet, options: RunOptions) -> Engine:
    if options.engine == "dask":
        return DaskEngine(
            settings, rules, workers=options.workers, batch_size=options.batch_size, scheduler=options.scheduler
        )
    return LocalEngine(settings, rules, workers=options.workers, batch_size=options.batch_size)


def _unique(items: Iterable[Article | Skipped], progress: Progress) -> Iterator[Article]:
    """Articles with an id not seen before; skipped inputs and repeated ids go to `progress.skipped`."""
    seen: dict[str, str] = {}  # id -> where it was first read (never the text)
    for item in items:
        if isinstance(item, Skipped):
            progress.skipped.append(item)
        elif item.id in seen:
            progress.skipped.append(duplicate_id(seen[item.id], item))
        else:
            seen[item.id] = item.where
            yield item


def _chunks(articles: Iterable[Article], size: int) -> Iterator[list[Article]]:
    iterator = iter(articles)
    while chunk := list(islice(iterator, size)):
        yield chunk
