"""Where extraction runs: in this process, in a pool of local processes, or on a Dask cluster.

Every engine takes a chunk of articles and returns their extractions in the same order, so
the datasets are byte-identical whichever engine made them. Workers build the pipeline once
(`workers.pipeline_for`) and never receive a pickled model, only settings and rules.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from typing import Any, Protocol

from .errors import Messages, PolicyExtractError
from .extract import Extraction
from .patterns import RuleSet
from .types import Article, PipelineSettings
from .workers import process_articles


class Engine(Protocol):
    """Extracts chunks of articles, in order."""

    def process(self, articles: Sequence[Article]) -> list[Extraction]: ...

    def close(self) -> None: ...


def partitions(articles: Sequence[Article], count: int) -> list[Sequence[Article]]:
    """Split a chunk into at most `count` contiguous, nearly equal partitions.

    >>> [len(part) for part in partitions(list(range(10)), 3)]
    [4, 3, 3]
    """
    count = max(1, min(count, len(articles)))
    size, extra = divmod(len(articles), count)
    bounds = [i * size + min(i, extra) for i in range(count + 1)]
    return [articles[bounds[i] : bounds[i + 1]] for i in range(count)]


class LocalEngine:
    """One process (`workers=1`), or a pool of `workers` processes started with `spawn`.

    `spawn` rather than `fork`: a worker starts clean and builds its own pipeline, whatever
    threads or models the parent holds.
    """

    def __init__(self, settings: PipelineSettings, rules: RuleSet, *, workers: int, batch_size: int) -> None:
        self.settings = settings
        self.rules = rules
        self.workers = workers
        self.batch_size = batch_size
        self._pool: ProcessPoolExecutor | None = None

    def process(self, articles: Sequence[Article]) -> list[Extraction]:
        if self.workers == 1:
            return process_articles(articles, self.settings, self.rules, self.batch_size)
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        parts = partitions(articles, self.workers)
        results = self._pool.map(
            process_articles,
            parts,
            [self.settings] * len(parts),
            [self.rules] * len(parts),
            [self.batch_size] * len(parts),
        )
        return [extraction for part in results for extraction in part]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()


class DaskEngine:
    """Partitions of each chunk run as tasks on a Dask distributed cluster.

    With a scheduler address it joins that cluster (whose workers must have policy-extract
    and the model installed); without one it starts a `LocalCluster` of `workers` processes.
    """

    def __init__(
        self,
        settings: PipelineSettings,
        rules: RuleSet,
        *,
        workers: int,
        batch_size: int,
        scheduler: str | None,
    ) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as error:
            raise PolicyExtractError(Messages.E001) from error
        self.settings = settings
        self.rules = rules
        self.batch_size = batch_size
        self._cluster: Any = None
        if scheduler:
            self._client = Client(scheduler)
        else:
            self._cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
            self._client = Client(self._cluster)
        self.workers = max(1, len(self._client.scheduler_info().get("workers", {})) or workers)

    def process(self, articles: Sequence[Article]) -> list[Extraction]:
        parts = [list(part) for part in partitions(articles, self.workers)]
        # Bound with partial: `batch_size` is also a parameter of Client.map itself.
        task = partial(process_articles, settings=self.settings, rules=self.rules, batch_size=self.batch_size)
        futures = self._client.map(task, parts, pure=False)
        return [extraction for part in self._client.gather(futures) for extraction in part]

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()
