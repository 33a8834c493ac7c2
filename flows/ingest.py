"""The ingest flow: poll feeds, fetch new pages, extract, dedup, load.

Tasks are coarse on purpose (one per source, one per batch of pages, one per load of
hundreds of pages): thousands of tiny Prefect tasks overwhelm a local Prefect server.
"""
from __future__ import annotations

from flows import localstate

localstate.configure_prefect()

import asyncio  # noqa: E402
import concurrent.futures  # noqa: E402
import logging  # noqa: E402
import shutil  # noqa: E402
import threading  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from dataclasses import replace  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.artifacts import acreate_table_artifact  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.futures import as_completed  # noqa: E402
from prefect.runtime import flow_run  # noqa: E402
from prefect.utilities.annotations import quote  # noqa: E402

import warehouse  # noqa: E402
from flows import config as configuration  # noqa: E402
from flows import extract, extractpool, feeds, staging  # noqa: E402
from flows.identity import dedup  # noqa: E402
from flows.identity import neardup  # noqa: E402
from flows.plan import pipeline  # noqa: E402
from flows.plan import schedule  # noqa: E402
from flows.identity import urls  # noqa: E402
from flows.http import Fetcher  # noqa: E402
from flows.records import PageJob, PageResult, RunSummary, Source  # noqa: E402
from warehouse import reads, store  # noqa: E402

PAGE_BATCH_SIZE = 50       # pages per fetch-and-extract task (each task costs the Prefect server ~40 ms)
BATCHES_IN_FLIGHT = 6      # batches being fetched or extracted at once
BATCHES_QUEUED = 2         # finished batches waiting for the loader
LOAD_EVERY = 400           # pages per warehouse transaction
TAIL_BATCHES = 2           # batches in the final load
ROBOTS_TTL = timedelta(days=1)
progress = logging.getLogger("newsdesk.progress")
log = logging.getLogger(__name__)


class RunFailed(RuntimeError):
    """Every source failed, or the load failed: nothing useful happened."""

    def __init__(self, summary: RunSummary):
        super().__init__(summary.message or "run failed")
        self.summary = summary


@task(name="poll-source", cache_policy=NO_CACHE)
async def poll_source(fetcher: Fetcher, source: Source, state: dict[str, Any]) -> pipeline.SourcePoll:
    """Fetch one feed (conditionally) and parse it; errors are returned, not raised."""
    poll = await fetcher.fetch_feed(source, state.get("etag"), state.get("last_modified"))
    if poll.error_kind == "deferred":  # its host was held in this run: not asked, not a failure
        return pipeline.SourcePoll(source, poll)
    if poll.status == 410:
        return pipeline.SourcePoll(source, poll, error="HTTP 410 Gone: source retired (checked again daily)")
    if not poll.ok:
        return pipeline.SourcePoll(source, poll, error=poll.error)
    if poll.not_modified or poll.body is None:
        return pipeline.SourcePoll(source, poll)
    try:
        parsed = await asyncio.to_thread(feeds.parse, poll.body, poll.headers, poll.final_url or poll.url)
    except feeds.FeedError as exc:
        return pipeline.SourcePoll(source, poll, error=f"not a readable feed: {exc}")
    except Exception as exc:  # a feed that breaks the parser is this source's failure, not the run's
        log.exception("feed parser crashed on %s", source.feed_url)
        return pipeline.SourcePoll(source, poll, error=f"feed parser error: {type(exc).__name__}: {exc}")
    return pipeline.SourcePoll(source, poll, feed=parsed)


@task(name="fetch-and-extract", cache_policy=NO_CACHE)
async def fetch_and_extract(fetcher: Fetcher, jobs: Sequence[PageJob], min_body_chars: int) -> list[PageResult]:
    """Fetch a batch of pages concurrently; each is extracted in the worker processes as it arrives."""
    return list(await asyncio.gather(*(_page_result(fetcher, job, min_body_chars, extractpool.article)
                                       for job in jobs)))


@task(name="fetch-and-extract-staged", cache_policy=NO_CACHE)
def fetch_and_extract_staged(settings: configuration.Settings, sources: Sequence[Source],
                             robots: dict[str, str | None], jobs: Sequence[PageJob], path: str) -> str:
    """On a Dask worker: fetch and extract a batch in this process, then stage the results
    as Parquet for the flow's process to load (workers never open the warehouse)."""
    async def batch() -> list[PageResult]:
        async with _fetcher(settings, sources, robots) as fetcher:
            return list(await asyncio.gather(*(_page_result(fetcher, job, settings.min_body_chars,
                                                            _extract_in_thread) for job in jobs)))

    return str(staging.write(asyncio.run(batch()), Path(path)))


async def _page_result(fetcher: Fetcher, job: PageJob, min_body_chars: int, extractor) -> PageResult:
    page = await fetcher.fetch_page(job.url)
    if not page.ok:
        return PageResult(job, page, failed_stage="fetch", error=page.error)
    try:
        article = await extractor(page.body, page.final_url or job.url, page.headers, job.entry, min_body_chars)
    except extract.ExtractionFailed as exc:
        return PageResult(job, page, failed_stage="extract", error=str(exc))
    except Exception as exc:  # a page that breaks the extractor is recorded, not fatal to the run
        log.exception("extractor crashed on %s", job.url)
        return PageResult(job, page, failed_stage="extract", error=f"extractor error: {type(exc).__name__}: {exc}")
    return PageResult(job, page, article=article)


async def _extract_in_thread(*args):
    return await asyncio.to_thread(extract.article, *args)


def _fetcher(settings: configuration.Settings, sources: Sequence[Source],
             robots: dict[str, str | None], held_hosts: dict[str, datetime] | None = None) -> Fetcher:
    fetcher = Fetcher(settings, known_robots=robots, held_hosts=held_hosts)
    for source in sources:
        if source.per_host_concurrency or source.min_delay_seconds is not None:
            for url in filter(None, (source.feed_url, source.site)):
                fetcher.configure_host(url, source.per_host_concurrency, source.min_delay_seconds)
    return fetcher


@task(name="load-pages", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
async def load_pages(path: Path, lock_wait: float, run_id: str, entries: Sequence[pipeline.KeyedEntry],
                     results: Sequence[PageResult]) -> pipeline.Tally:
    """Resolve a batch of pages against the warehouse and write it, with the new feed
    entries behind them, in one transaction."""
    return await asyncio.to_thread(_write_pages, path, lock_wait, run_id, entries, results)


def _write_pages(path: Path, lock_wait: float, run_id: str, entries: Sequence[pipeline.KeyedEntry],
                 results: Sequence[PageResult]) -> pipeline.Tally:
    extracted = [r for r in results if r.article]
    # One DuckDB thread: the extractor processes already keep every core busy, and more
    # threads would only add their coordination to the CPU the run needs.
    with warehouse.writing(path, lock_wait, threads=1) as con:
        resolution = dedup.resolve(
            results,
            reads.articles_by_url(con, (u for r in extracted for u in dedup.urls_of(r))),
            reads.articles_by_hash(con, (r.article.content_hash for r in extracted)))
        tables = pipeline.batch_tables(run_id, results, resolution, entries, datetime.now(timezone.utc))
        stories = neardup.Presketched({r.article.body: r.article.band_keys for r in extracted})
        store.load(con, tables, resolved_retries=[r.job.url for r in extracted], stories=stories)
    return pipeline.batch_tally(results, resolution)


@task(name="record-run", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def record_run(path: Path, lock_wait: float, draft: RunSummary, sources: Sequence[Source],
               polls: Sequence[pipeline.SourcePoll], states: dict[str, dict[str, Any]], plan: pipeline.Plan,
               tally: pipeline.Tally, robots_rows: list[dict[str, Any]],
               held: Sequence[pipeline.HeldSource]) -> RunSummary:
    """After the last batch: the feeds' new state, the poll ledger and the run's own row."""
    finished = datetime.now(timezone.utc)
    reports = tuple(pipeline.source_reports(polls, plan, tally, finished, held))
    outcome = pipeline.outcome(reports)
    summary = replace(draft, finished_at=finished, outcome=outcome, sources=reports,
                      pages_fetched=tally.pages_fetched, message=_failure_message(outcome, polls))
    tables = pipeline.closing_tables(summary, sources, polls, states, plan)
    tables["runs"] = [pipeline.run_row(summary, _flow_run_id())]
    tables["robots_txt"] = robots_rows
    with warehouse.writing(path, lock_wait) as con:
        store.load(con, tables)
    return summary


@flow(name="ingest", log_prints=False)
async def ingest(sources_path: str = "sources.yaml", db: str | None = None,
                 only: list[str] | None = None, everything: bool = False) -> RunSummary:
    """One pass over the sources that are due (or `only` these, or `everything` enabled):
    poll them, fetch new pages, load them."""
    config = configuration.load(Path(sources_path), Path(db) if db else None)
    localstate.refuse_dask_without_server(config)
    path = config.settings.warehouse
    with warehouse.run_lock(path, config.settings.lock_wait_seconds):
        return await _run(config, only, everything, path)


async def _run(config: configuration.Config, only: list[str] | None, everything: bool,
               path: Path) -> RunSummary:
    logger = get_run_logger()
    started = datetime.now(timezone.utc)
    run_id = started.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    with warehouse.writing(path) as con:
        states = reads.feed_states(con)
        retries = reads.due_retries(con, started)
        robots = reads.robots_since(con, started - ROBOTS_TTL)
        host_holds = reads.host_holds(con, started)
    sources, held = _select(config, only, everything, states, host_holds, started)
    retries = [row for row in retries if urls.host_of(row["url"]) not in host_holds]  # stay queued
    lock_wait = config.settings.lock_wait_seconds
    if held:
        _say(logger, f"{len(held)} sources held by their servers (Retry-After): not asked")
    async with _fetcher(config.settings, sources, robots, host_holds) as fetcher:
        _say(logger, f"polling {len(sources)} feeds")
        polls = list(await asyncio.gather(*(poll_source(fetcher, s, states.get(s.name, {})) for s in sources)))
        plan = _plan(path, polls, retries)
        _say(logger, f"{len(plan.new_entries)} new entries; fetching {len(plan.jobs)} pages")
        pages = _PageStream(logger, path, lock_wait, run_id, plan)
        if config.settings.dask:
            robots = {**robots, **{host: body for host, (_, body) in fetcher.robots_fetched.items()}}
            tally = await pages.run_on_dask(config.settings, sources, robots)
        else:
            tally = await pages.run(fetcher, config.settings.min_body_chars)
        requests_made = fetcher.requests_made
        robots_rows = [{"host": host, "fetched_at": started, "status": status, "body": body}
                       for host, (status, body) in fetcher.robots_fetched.items()]
        new_holds = tuple(fetcher.host_holds.values())
    draft = RunSummary(run_id, started, started, "ok", (), 0, requests_made, str(path), host_holds=new_holds)
    # quote(): Prefect would otherwise walk every entry of these looking for futures
    summary = record_run(path, lock_wait, draft, config.sources, quote(polls), quote(states), quote(plan),
                         tally + pipeline.known_links_tally(plan), robots_rows, quote(held))
    return await _finish(logger, summary)


class _PageStream:
    """Pages flow fetch -> extract (worker processes) -> load (batches of LOAD_EVERY pages),
    with a bounded number of batches in each stage: fetching never waits for the load
    unless the load falls far behind, and memory stays flat however many pages there are."""

    def __init__(self, logger: logging.Logger, path: Path, lock_wait: float, run_id: str,
                 plan: pipeline.Plan):
        self.logger, self.path, self.lock_wait, self.run_id, self.plan = logger, path, lock_wait, run_id, plan
        jobs = pipeline.interleave_by_host(plan.jobs)
        self.batches = [jobs[i:i + PAGE_BATCH_SIZE] for i in range(0, len(jobs), PAGE_BATCH_SIZE)]
        self.done: asyncio.Queue[list[PageResult] | BaseException] = asyncio.Queue(maxsize=BATCHES_QUEUED)

    async def run(self, fetcher: Fetcher, min_body_chars: int) -> pipeline.Tally:
        if not self.batches:
            return pipeline.Tally()
        extractpool.warm()
        slots = asyncio.Semaphore(BATCHES_IN_FLIGHT)
        producers = [asyncio.create_task(self._produce(slots, fetcher, batch, min_body_chars))
                     for batch in self.batches]
        try:
            return await self._consume()
        finally:
            for producer in producers:
                producer.cancel()
            await asyncio.gather(*producers, return_exceptions=True)

    async def run_on_dask(self, settings: configuration.Settings, sources: Sequence[Source],
                          robots: dict[str, str | None]) -> pipeline.Tally:
        if not self.batches:
            return pipeline.Tally()
        folder = settings.dask.staging_dir / self.run_id
        folder.mkdir(parents=True, exist_ok=True)
        stop = threading.Event()
        feeder = asyncio.create_task(asyncio.to_thread(
            self._feed_from_dask, settings, sources, robots, folder, stop, asyncio.get_running_loop()))
        try:
            return await self._consume()
        finally:
            stop.set()
            await asyncio.gather(feeder, return_exceptions=True)
            shutil.rmtree(folder, ignore_errors=True)

    def _feed_from_dask(self, settings: configuration.Settings, sources: Sequence[Source],
                        robots: dict[str, str | None], folder: Path, stop: threading.Event,
                        loop: asyncio.AbstractEventLoop) -> None:
        """In a thread: submit every batch to the cluster, queue each staged batch as it lands.
        A cluster that cannot be reached is queued as the failure, so the loader stops waiting."""
        def hand_over(staged: list[PageResult] | BaseException) -> bool:
            return _handed_over(asyncio.run_coroutine_threadsafe(self.done.put(staged), loop), stop)

        try:
            with _dask_runner(settings.dask) as runner:
                futures = [runner.submit(fetch_and_extract_staged, {
                    "settings": settings, "sources": sources, "robots": robots, "jobs": batch,
                    "path": str(folder / f"batch-{index:05d}.parquet")})
                    for index, batch in enumerate(self.batches)]
                for future in as_completed(futures):
                    try:
                        staged: list[PageResult] | BaseException = staging.read(Path(future.result()))
                    except Exception as exc:
                        staged = exc
                    if not hand_over(staged):
                        return
        except Exception as exc:
            hand_over(exc)

    async def _produce(self, slots: asyncio.Semaphore, fetcher: Fetcher, batch: Sequence[PageJob],
                       min_body_chars: int) -> None:
        async with slots:  # held until the batch is queued for loading: that is the back-pressure
            try:
                results: list[PageResult] | BaseException = await fetch_and_extract(
                    fetcher, quote(batch), min_body_chars)
            except Exception as exc:
                results = exc
            await self.done.put(results)

    async def _consume(self) -> pipeline.Tally:
        tally, pending, seen, total = pipeline.Tally(), [], 0, sum(map(len, self.batches))
        last = len(self.batches) - 1
        for index in range(len(self.batches)):
            results = await self.done.get()
            if isinstance(results, BaseException):
                raise results
            pending.extend(results)
            seen += len(results)
            _say(self.logger, f"pages done: {seen}/{total}")
            # A load is also made TAIL_BATCHES before the end, while those batches are still
            # being extracted: the final load, which nothing overlaps, then holds only them.
            if len(pending) >= LOAD_EVERY or index in (last - TAIL_BATCHES, last):
                _say(self.logger, f"loading {len(pending)} pages into {self.path}")
                entries = pipeline.entries_of(pending, self.plan)
                tally += await load_pages(self.path, self.lock_wait, self.run_id, quote(entries), quote(pending))
                pending = []
        return tally


def _handed_over(put: concurrent.futures.Future, stop: threading.Event) -> bool:
    """Wait for the loader to take a staged batch; once `stop` is set, cancel and say no."""
    while not stop.is_set():
        try:
            put.result(timeout=0.5)
            return True
        except TimeoutError:
            continue
    put.cancel()
    return False


def _dask_runner(dask: configuration.DaskSettings):
    from prefect_dask import DaskTaskRunner

    if dask.address:
        return DaskTaskRunner(address=dask.address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": dask.workers, "threads_per_worker": 1,
                                          "dashboard_address": None})


def _plan(path: Path, polls: list[pipeline.SourcePoll], retries: list[dict[str, Any]]) -> pipeline.Plan:
    keyed = pipeline.keyed_entries(polls)
    with warehouse.reading(path) as con:
        known_keys = reads.known_entry_keys(con, (key for _, key, _ in keyed))
        known_urls = reads.articles_by_url(con, (urls.canonical(e.link) for _, _, e in keyed))
    return pipeline.plan_pages(keyed, known_keys, known_urls, retries)


async def _finish(logger: logging.Logger, summary: RunSummary) -> RunSummary:
    await acreate_table_artifact(
        key="newsdesk-ingest-summary",
        table=[{"source": r.source, "status": r.status, "not_modified": r.not_modified,
                "entries": r.entries, "new_entries": r.entries_new, "new_articles": r.articles_new,
                "duplicates": r.duplicates, "fetch_failures": r.fetch_failures,
                "extraction_failures": r.extraction_failures, "error": r.error or "",
                "held_until": r.held_until.isoformat() if r.held_until else ""}
               for r in summary.sources],
        description=f"newsdesk run {summary.run_id}: {summary.outcome}")
    _say(logger, f"run {summary.run_id} {summary.outcome}: {summary.total('articles_new')} new articles")
    if summary.outcome == "failed":
        raise RunFailed(summary)
    return summary


def _failure_message(outcome: str, polls: Sequence[pipeline.SourcePoll]) -> str | None:
    if outcome != "failed":
        return None
    if pipeline.network_looks_down(polls):
        return "the network looks down: every source failed to connect (their backoff was not increased)"
    return "every source failed"


def _select(config: configuration.Config, only: list[str] | None, everything: bool,
            states: dict[str, dict[str, Any]], host_holds: dict[str, datetime],
            now: datetime) -> tuple[list[Source], list[pipeline.HeldSource]]:
    """The sources to ask now, and those whose server asked us to wait: `everything` and
    `only` skip our schedule and backoff, never a server's Retry-After."""
    chosen = _chosen(config, only, everything, states, now)
    ask, held = [], []
    for source in chosen:
        until = schedule.server_hold(source, states.get(source.name, {}), host_holds, now)
        if until is None:
            ask.append(source)
        else:
            held.append(pipeline.HeldSource(source, until))
    return ask, held


def _chosen(config: configuration.Config, only: list[str] | None, everything: bool,
            states: dict[str, dict[str, Any]], now: datetime) -> list[Source]:
    if everything:
        return list(config.enabled_sources)
    if not only:
        return schedule.due(config.sources, states, now)
    names = {s.name for s in config.sources}
    unknown = sorted(set(only) - names)
    if unknown:
        raise configuration.ConfigError(f"{config.path}: no source named {', '.join(map(repr, unknown))}")
    return [s for s in config.sources if s.name in set(only)]


def _flow_run_id() -> str | None:
    value = flow_run.get_id()
    return str(value) if value else None


def _say(logger: logging.Logger, message: str) -> None:
    logger.info(message)
    progress.info(message)

