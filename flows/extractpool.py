"""Extraction in worker processes: trafilatura is CPU-bound Python, so threads would share
one core and stall the event loop that fetches pages. One pool per process, sized to the
cores, started on first use and reused by later runs in the same process."""
from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
import multiprocessing.util
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from flows import extract
from flows.records import Article, FeedEntry

log = logging.getLogger(__name__)

MAX_CHUNK = 8                    # pages sent to a worker in one round trip, at most
CHUNKS_IN_FLIGHT_PER_WORKER = 2  # one being extracted, one waiting: a worker never waits for us

_pool: ProcessPoolExecutor | None = None
_sender: _Sender | None = None


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
    A worker that dies (a crash in a C library) is replaced and the page tried once more,
    on its own, so that one page that kills its worker cannot fail the pages sent with it."""
    args = (body, url, headers, entry, min_body_chars)
    for attempt in (_together, _alone):
        pool = _shared()
        try:
            found, failure = await attempt(pool, args)
            break
        except BrokenProcessPool:
            _replace(pool)
    else:
        raise extract.ExtractionFailed("the extractor process died on this page")
    if failure is not None:
        raise extract.ExtractionFailed(failure)
    return found


Outcome = tuple[Article | None, str | None]


async def _alone(pool: ProcessPoolExecutor, args: tuple) -> Outcome:
    return await asyncio.get_running_loop().run_in_executor(pool, _extract, *args)


async def _together(pool: ProcessPoolExecutor, args: tuple) -> Outcome:
    global _sender
    loop = asyncio.get_running_loop()
    if _sender is None or _sender.pool is not pool or _sender.loop is not loop:
        _sender = _Sender(pool, loop)
    return await _sender.extract(args)


class _Sender:
    """Sends pages to the workers, several to a round trip when they have to wait anyway:
    per page, the sending process then spends a third of the CPU (0.25 ms against 0.8).
    A page goes at once while a worker has room; pages gather only while all are busy."""

    def __init__(self, pool: ProcessPoolExecutor, loop: asyncio.AbstractEventLoop):
        self.pool, self.loop = pool, loop
        self.waiting: list[tuple[tuple, asyncio.Future]] = []
        self.in_flight = 0

    def extract(self, args: tuple) -> asyncio.Future:
        future = self.loop.create_future()
        self.waiting.append((args, future))
        self._send()
        return future

    def _send(self) -> None:
        while self.waiting and self.in_flight < CHUNKS_IN_FLIGHT_PER_WORKER * workers():
            chunk, self.waiting = self.waiting[:MAX_CHUNK], self.waiting[MAX_CHUNK:]
            futures = [future for _, future in chunk]
            try:
                sent = self.loop.run_in_executor(self.pool, _extract_chunk, [args for args, _ in chunk])
            except BrokenProcessPool as exc:  # every page waiting here is tried again, alone
                _settle(futures, [exc] * len(futures))
                continue
            self.in_flight += 1
            sent.add_done_callback(functools.partial(self._received, futures))

    def _received(self, futures: list[asyncio.Future], sent: asyncio.Future) -> None:
        self.in_flight -= 1
        if sent.cancelled():
            for future in futures:
                future.cancel()
        elif sent.exception() is not None:
            _settle(futures, [sent.exception()] * len(futures))
        else:
            _settle(futures, sent.result())
        self._send()


def _settle(futures: list[asyncio.Future], outcomes: list[Outcome | BaseException]) -> None:
    for future, outcome in zip(futures, outcomes):
        if future.done():  # its page was given up on (the run is stopping)
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


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


def _extract_chunk(chunk: list[tuple]) -> list[Outcome | BaseException]:
    """Several pages in one round trip; an error in one page is that page's alone."""
    outcomes: list[Outcome | BaseException] = []
    for args in chunk:
        try:
            outcomes.append(_extract(*args))
        except Exception as exc:
            outcomes.append(exc)
    return outcomes


def _extract(body: bytes, url: str, headers: dict[str, str], entry: FeedEntry | None,
             min_body_chars: int) -> tuple[Article | None, str | None]:
    try:
        return extract.article(body, url, headers, entry, min_body_chars), None
    except extract.ExtractionFailed as exc:
        return None, str(exc)
