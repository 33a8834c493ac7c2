"""Extraction in worker processes: trafilatura is CPU-bound Python, so threads would share
one core and stall the event loop that fetches pages. One pool per process, sized to the
cores, started on first use and reused by later runs in the same process."""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.util
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from flows import extract
from flows.records import Article, FeedEntry

log = logging.getLogger(__name__)

_pool: ProcessPoolExecutor | None = None


def workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def warm() -> None:
    """Start the workers now: the fork server imports trafilatura and each worker loads the
    language model (a second or two in all), while the feeds are still being polled and the
    cores would otherwise wait. Does nothing once they are started."""
    if _pool is None:
        pool = _shared()
        for _ in range(workers()):
            pool.submit(_ready)


async def article(body: bytes, url: str, headers: dict[str, str], entry: FeedEntry | None,
                  min_body_chars: int) -> Article:
    """extract.article in a worker process; raises extract.ExtractionFailed like it does.
    A worker that dies (a crash in a C library) is replaced and the page tried once more."""
    for _ in range(2):
        try:
            found, failure = await _in_pool(body, url, headers, entry, min_body_chars)
            break
        except BrokenProcessPool:
            continue
    else:
        raise extract.ExtractionFailed("the extractor process died on this page")
    if failure is not None:
        raise extract.ExtractionFailed(failure)
    return found


async def _in_pool(*args) -> tuple[Article | None, str | None]:
    pool = _shared()
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, _extract, *args)
    except BrokenProcessPool:
        _replace(pool)
        raise


def _shared() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        # Not plain fork: the parent runs threads (Prefect, asyncio) that a fork would copy
        # mid-flight. A fork server imports the extractor once and forks clean workers from it.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        _pool = ProcessPoolExecutor(workers(), mp_context=context, initializer=extract.load_models)
        # A finalizer, not atexit: when this process is itself a multiprocessing child (as
        # Prefect's runner starts flow runs), its exit joins child processes before atexit
        # would tell the workers to stop, and waits forever. Priority above the pool's own
        # queues (10), whose finalizers would otherwise close them before the workers hear.
        multiprocessing.util.Finalize(None, _pool.shutdown, kwargs={"cancel_futures": True}, exitpriority=100)
    return _pool


def _replace(broken: ProcessPoolExecutor) -> None:
    global _pool
    if _pool is broken:
        log.warning("an extractor process died; starting a new pool")
        # A broken pool may have started a replacement worker after it gave up; nothing
        # would ever tell that one to stop, and exiting this process would wait for it.
        leftovers = list((broken._processes or {}).values())
        broken.shutdown(wait=False, cancel_futures=True)
        for process in leftovers:
            process.kill()
        _pool = None


def _ready() -> None:
    """Runs in a worker, once its initializer has loaded the models."""


def _extract(body: bytes, url: str, headers: dict[str, str], entry: FeedEntry | None,
             min_body_chars: int) -> tuple[Article | None, str | None]:
    try:
        return extract.article(body, url, headers, entry, min_body_chars), None
    except extract.ExtractionFailed as exc:
        return None, str(exc)
