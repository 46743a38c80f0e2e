"""Where extraction runs: in this process, in a pool of local processes, or on a Dask cluster.

Every engine takes a chunk of articles and gives back their renderings in the same order, so
the datasets are byte-identical whichever engine made them. `submit` returns at once for the
pools, so the next chunk is on its way while the last one is written. Workers build the
pipeline once (`workers.pipeline_for`) and never receive a pickled model, only settings and
rules.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import threading
import time
import weakref
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any, Protocol

from .errors import Messages, PolicyExtractError
from .patterns import RuleSet
from .records import Rendered
from .types import Article, PipelineSettings, Skipped

# More partitions than workers, so that one slow partition does not idle the others.
PARTITIONS_PER_WORKER = 2
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class Engine(Protocol):
    """Extracts chunks of articles, in order."""

    def submit(self, articles: Sequence[Article]) -> Any: ...

    def collect(self, handle: Any) -> list[Rendered | Skipped]: ...

    def close(self, *, abort: bool = False) -> None: ...


def partitions(articles: Sequence[Article], count: int) -> list[Sequence[Article]]:
    """Split a chunk into at most `count` contiguous, nearly equal partitions.

    >>> [len(part) for part in partitions(list(range(10)), 3)]
    [4, 3, 3]
    """
    count = max(1, min(count, len(articles)))
    size, extra = divmod(len(articles), count)
    bounds = [i * size + min(i, extra) for i in range(count + 1)]
    return [articles[bounds[i] : bounds[i + 1]] for i in range(count)]


def _task(settings: PipelineSettings, rules: RuleSet, batch_size: int) -> Any:
    from .workers import process_articles  # imported where the work is done: spaCy loads there

    return partial(process_articles, settings=settings, rules=rules, batch_size=batch_size)


class LocalEngine:
    """This process (`workers=1`), or a pool of `workers` processes.

    The pipeline is built here first and the pool forked from this process, as spaCy's own
    `n_process` does: every worker starts with the model already in memory (shared copy-on-
    write) instead of importing spaCy and loading it again.
    """

    def __init__(self, settings: PipelineSettings, rules: RuleSet, *, workers: int, batch_size: int) -> None:
        from .workers import pipeline_for

        self.workers = workers
        self.task = _task(settings, rules, batch_size)
        self._pool: ProcessPoolExecutor | None = None
        self.restarts = 0
        self._submitted: weakref.WeakSet[Future[list[Rendered | Skipped]]] = weakref.WeakSet()
        pipeline_for(settings, rules)

    def submit(self, articles: Sequence[Article]) -> Any:
        if self.workers == 1:
            return self.task(articles)
        try:
            return [(part, self._submit(part)) for part in self._partitions(articles)]
        except BrokenProcessPool:  # a worker died between two chunks
            self._restart()
            return [(part, self._submit(part)) for part in self._partitions(articles)]

    def collect(self, handle: Any) -> list[Rendered | Skipped]:
        """The renderings of a chunk; a partition whose worker died (killed, out of memory) is retried once.

        Raises:
            PolicyExtractError: when its worker dies a second time; what was done is cached.
        """
        if self.workers == 1:
            return handle
        done: list[Rendered | Skipped] = []
        for part, future in handle:
            try:
                done += future.result()
            except BrokenProcessPool:
                if future in self._submitted:  # not a partition of a pool already replaced
                    self._restart()
                try:
                    done += self._submit(part).result()
                except BrokenProcessPool as error:
                    raise PolicyExtractError(Messages.E011.format(articles=len(part), first=part[0].where)) from error
        return done

    def close(self, *, abort: bool = False) -> None:
        if self._pool is None:
            return
        if abort:  # a signal or a dead worker: stop at once instead of finishing the partitions under way
            for process in list(getattr(self._pool, "_processes", {}).values()):
                process.kill()
        self._pool.shutdown(wait=not abort, cancel_futures=True)
        self._pool = None

    def _submit(self, part: Sequence[Article]) -> Future[list[Rendered | Skipped]]:
        future = self._started().submit(self.task, part)
        self._submitted.add(future)
        return future

    def _restart(self) -> None:
        self.restarts += 1
        self.close(abort=True)
        self._submitted.clear()

    def _partitions(self, articles: Sequence[Article]) -> list[Sequence[Article]]:
        return partitions(articles, self.workers * PARTITIONS_PER_WORKER)

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=die_with_parent,
                initargs=(os.getpid(),),
            )
        return self._pool


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
        self.task = _task(settings, rules, batch_size)
        self._cluster: Any = None
        if scheduler:
            self._client = Client(scheduler)
        else:
            self._cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
            self._client = Client(self._cluster)
        self.workers = max(1, len(self._client.scheduler_info().get("workers", {})) or workers)

    def submit(self, articles: Sequence[Article]) -> Any:
        parts = [list(part) for part in partitions(articles, self.workers * PARTITIONS_PER_WORKER)]
        return self._client.map(self.task, parts, pure=False)

    def collect(self, handle: Any) -> list[Rendered | Skipped]:
        return [rendered for part in self._client.gather(handle) for rendered in part]

    def close(self, *, abort: bool = False) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def die_with_parent(parent: int) -> None:
    """Make this worker end when the run's process does, however it ends (SIGKILL, the OOM killer).

    Linux's `prctl(PR_SET_PDEATHSIG)` has the kernel kill the worker; elsewhere a thread
    watches the parent's pid. A parent already gone by now ends the worker at once.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
            raise OSError(ctypes.get_errno(), "prctl")
    except (OSError, AttributeError):
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:
        os._exit(1)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)
