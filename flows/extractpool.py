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
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from flows import extract
from flows.records import Article, FeedEntry

log = logging.getLogger(__name__)

MAX_CHUNK = 8  # pages sent to a worker in one round trip, at most
CHUNKS_IN_FLIGHT_PER_WORKER = 2  # one being extracted, one waiting: a worker never waits for us

_pool: ProcessPoolExecutor | None = None
_retry_pool: ProcessPoolExecutor | None = None
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


async def article(
    body: bytes, url: str, headers: Mapping[str, str], entry: FeedEntry | None, min_body_chars: int
) -> Article:
    """extract.article in a worker process; raises extract.ExtractionFailed like it does.
    A worker that dies (a crash in a C library) is replaced, and each page it had is tried
    once more, alone, in a separate process: a page that kills its worker fails only itself."""
    args = (body, url, headers, entry, min_body_chars)
    sender = _sender_here()
    try:
        found, failure = await sender.together(args)
    except BrokenProcessPool:
        found, failure = await sender.alone(args)
    if failure is not None:
        raise extract.ExtractionFailed(failure)
    assert found is not None  # _extract returns an article or a failure
    return found


Outcome = tuple[Article | None, str | None]
Args = tuple[bytes, str, Mapping[str, str], FeedEntry | None, int]
Waiting = tuple[Args, "asyncio.Future[Outcome]"]


def _sender_here() -> _Sender:
    global _sender
    loop = asyncio.get_running_loop()
    if _sender is None or _sender.loop is not loop:
        _sender = _Sender(loop)
    return _sender


class _Sender:
    """Sends pages to the workers, several to a round trip when they have to wait anyway:
    per page, the sending process then spends a third of the CPU (0.23 ms against 0.75).
    A page goes at once while a worker has room; pages gather only while all are busy."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.waiting: list[Waiting] = []
        self.in_flight = 0
        self.retrying = asyncio.Lock()

    async def together(self, args: Args) -> Outcome:
        future: asyncio.Future[Outcome] = self.loop.create_future()
        self.waiting.append((args, future))
        self._send()
        return await future

    async def alone(self, args: Args) -> Outcome:
        """One page at a time, in a one-process pool of its own."""
        global _retry_pool
        async with self.retrying:
            if _retry_pool is None:
                _retry_pool = _new_pool(1)
            try:
                return await self.loop.run_in_executor(_retry_pool, _extract, *args)
            except BrokenProcessPool:
                _stop(_retry_pool)
                _retry_pool = None
                raise extract.ExtractionFailed("the extractor process died on this page") from None

    def _send(self) -> None:
        while self.in_flight < CHUNKS_IN_FLIGHT_PER_WORKER * workers():
            chunk = self._next_chunk()
            if not chunk:
                return
            futures = [future for _, future in chunk]
            pool = _shared()
            try:
                sent = self.loop.run_in_executor(pool, _extract_chunk, [args for args, _ in chunk])
            except Exception as exc:  # a broken pool (the pages are tried alone) or a shut-down one
                _settle(futures, [_replaced_if_broken(pool, exc)] * len(futures))
                continue
            self.in_flight += 1
            sent.add_done_callback(functools.partial(self._received, pool, futures))

    def _next_chunk(self) -> list[Waiting]:
        """Up to MAX_CHUNK waiting pages whose callers still wait (a cancelled run's do not)."""
        self.waiting = [item for item in self.waiting if not item[1].done()]
        chunk, self.waiting = self.waiting[:MAX_CHUNK], self.waiting[MAX_CHUNK:]
        return chunk

    def _received(
        self,
        pool: ProcessPoolExecutor,
        futures: list[asyncio.Future[Outcome]],
        sent: asyncio.Future[list[Outcome | BaseException]],
    ) -> None:
        self.in_flight -= 1
        try:
            if sent.cancelled():
                for future in futures:
                    future.cancel()
            elif (error := sent.exception()) is not None:
                _settle(futures, [_replaced_if_broken(pool, error)] * len(futures))
            else:
                _settle(futures, sent.result())
        finally:
            self._send()


def _settle(futures: list[asyncio.Future[Outcome]], outcomes: list[Outcome | BaseException]) -> None:
    for future, outcome in zip(futures, outcomes):
        if future.done():  # its caller gave up (the run is stopping)
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


def _replaced_if_broken(pool: ProcessPoolExecutor, exc: BaseException) -> BaseException:
    if isinstance(exc, BrokenProcessPool):
        _replace(pool)
    return exc


def _shared() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = _new_pool(workers())
    return _pool


def _new_pool(size: int) -> ProcessPoolExecutor:
    # Not plain fork: the parent runs threads (Prefect, asyncio) that a fork would copy
    # mid-flight. A fork server imports the extractor once and forks clean workers from it.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    pool = ProcessPoolExecutor(size, mp_context=context, initializer=_load_models)
    # A finalizer, not atexit: when this process is itself a multiprocessing child (as
    # Prefect's runner starts flow runs), its exit joins child processes before atexit
    # would tell the workers to stop, and waits forever. Priority above the pool's own
    # queues (10), whose finalizers would otherwise close them before the workers hear.
    multiprocessing.util.Finalize(None, pool.shutdown, kwargs={"cancel_futures": True}, exitpriority=100)
    return pool


def _replace(broken: ProcessPoolExecutor) -> None:
    global _pool
    if _pool is broken:
        log.warning("an extractor process died; starting a new pool")
        _stop(broken)
        _pool = None


def _stop(broken: ProcessPoolExecutor) -> None:
    """Shut a broken pool down. It may have started a replacement worker after it gave up;
    nothing would ever tell that one to stop, and exiting this process would wait for it."""
    leftovers = list((broken._processes or {}).values())
    broken.shutdown(wait=False, cancel_futures=True)
    for process in leftovers:
        process.kill()


def _load_models() -> None:
    """A worker's initializer. A model that will not load is logged here and raised again by
    each page's extraction, with the page: an initializer that raised would break the pool."""
    try:
        extract.load_models()
    except Exception:
        log.exception("the extractor's models did not load")


def _ready() -> None:
    """Runs in a worker, once its initializer has loaded the models."""


def _extract_chunk(chunk: list[Args]) -> list[Outcome | BaseException]:
    """Several pages in one round trip. An error in one page is that page's alone: it is
    logged here, with its traceback, and comes back as a RuntimeError (which always pickles)."""
    outcomes: list[Outcome | BaseException] = []
    for args in chunk:
        try:
            outcomes.append(_extract(*args))
        except Exception as exc:
            log.exception("extractor crashed on %s", args[1])
            outcomes.append(RuntimeError(f"{type(exc).__name__}: {exc}"))
    return outcomes


def _extract(
    body: bytes, url: str, headers: Mapping[str, str], entry: FeedEntry | None, min_body_chars: int
) -> Outcome:
    try:
        return extract.article(body, url, headers, entry, min_body_chars), None
    except extract.ExtractionFailed as exc:
        return None, str(exc)
