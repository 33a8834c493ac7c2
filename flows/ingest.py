"""The ingest flow: poll feeds, fetch new pages, extract, dedup, load.

Tasks are coarse on purpose (one per source, one per batch of pages, one per load of
hundreds of pages): thousands of tiny Prefect tasks overwhelm a local Prefect server.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import shutil
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.utilities.annotations import quote

import warehouse
from flows import batches, feeds, localstate, logs, recheck, sitemapfetch, sitemaps
from flows import configuration
from flows.fetching import fetcher_for, page_result
from flows.http import Fetcher
from flows.identity import urls
from flows.plan import pagejobs, rechecks
from flows.plan import schedule, tally
from flows.plan.pagejobs import KeyedEntry, Plan
from flows.plan import feedstate
from flows.plan.feedstate import HeldSource, SourcePoll
from flows.plan.tally import Tally
from flows.records import FeedPoll, FetchErrorKind, Outcome, PageJob, PageResult, RunSummary, Source, SourceKind
from warehouse import maintenance, reads, rows, store
from warehouse.db import Location
from warehouse.records import FeedState, RetryJob, SitemapChild

POLL_BATCH_SIZE = 250  # sources per poll-sources task
PAGE_BATCH_SIZE = 50  # pages per fetch-and-extract task (each task costs the Prefect server ~40 ms)
BATCHES_IN_FLIGHT = 6  # batches being fetched or extracted at once
BATCHES_QUEUED = 2  # finished batches waiting for the loader
LOAD_EVERY = 400  # pages per warehouse transaction
TAIL_BATCHES = 2  # batches in the final load
ROBOTS_TTL = timedelta(days=1)
progress = logging.getLogger("newsdesk.progress")  # the command line shows these; see flows.cli
progress.addHandler(logging.NullHandler())
progress.propagate = False  # elsewhere (a flow run under serve) the run logger already says it
RunLogger = logging.Logger | logging.LoggerAdapter[logging.Logger]  # what get_run_logger() gives
log = logging.getLogger(__name__)


class RunFailed(RuntimeError):
    """Every source failed, or the load failed: nothing useful happened."""

    def __init__(self, summary: RunSummary):
        super().__init__(summary.message or "run failed")
        self.summary = summary


@task(name="poll-sources", cache_policy=NO_CACHE)
async def poll_sources(
    fetcher: Fetcher,
    sources: Sequence[Source],
    states: Mapping[str, FeedState],
    read_before: Mapping[str, Mapping[str, SitemapChild]],
) -> list[SourcePoll]:
    """Poll a batch of sources concurrently in this event loop: one Prefect task per batch,
    not per feed, so a run over thousands of feeds costs the Prefect server a few calls."""
    return list(
        await asyncio.gather(
            *(poll_source(fetcher, s, states.get(s.name), read_before.get(s.name, {})) for s in sources)
        )
    )


async def poll_source(
    fetcher: Fetcher, source: Source, state: FeedState | None, read_before: Mapping[str, SitemapChild]
) -> SourcePoll:
    """Fetch one feed or sitemap (conditionally) and parse it; errors are returned, not raised.
    `read_before`: for a sitemap index, the sitemaps it listed as we last read them."""
    poll = await fetcher.fetch_feed(source, state.etag if state else None, state.last_modified if state else None)
    if poll.error_kind == FetchErrorKind.DEFERRED:  # its host was held in this run: not asked, not a failure
        return SourcePoll(source, poll)
    if poll.status == 410:
        return SourcePoll(source, poll, error="HTTP 410 Gone: source retired (checked again daily)")
    if not poll.ok:
        return SourcePoll(source, poll, error=poll.error)
    if poll.not_modified or poll.body is None:
        return SourcePoll(source, poll)
    if source.kind is not SourceKind.FEED:
        return await _read_sitemap(fetcher, source, poll, read_before)
    try:
        parsed = await asyncio.to_thread(feeds.parse, poll.body, poll.headers, poll.final_url or poll.url)
    except feeds.FeedError as exc:
        return SourcePoll(source, poll, error=f"not a readable feed: {exc}")
    except Exception as exc:  # a feed that breaks the parser is this source's failure, not the run's
        log.exception("feed parser crashed on %s", source.feed_url)
        return SourcePoll(source, poll, error=f"feed parser error: {type(exc).__name__}: {exc}")
    return SourcePoll(source, poll, feed=parsed)


async def _read_sitemap(
    fetcher: Fetcher, source: Source, poll: FeedPoll, read_before: Mapping[str, SitemapChild]
) -> SourcePoll:
    try:
        feed, read = await sitemapfetch.read_source(fetcher, source, poll, read_before, datetime.now(timezone.utc))
    except sitemaps.SitemapError as exc:
        return SourcePoll(source, poll, error=f"not a readable sitemap: {exc}")
    except Exception as exc:  # a sitemap that breaks the parser is this source's failure, not the run's
        log.exception("sitemap reader crashed on %s", source.feed_url)
        return SourcePoll(source, poll, error=f"sitemap reader error: {type(exc).__name__}: {exc}")
    return SourcePoll(source, poll, feed=feed, sitemaps_read=read)


@task(name="fetch-and-extract", cache_policy=NO_CACHE)
async def fetch_and_extract(fetcher: Fetcher, jobs: Sequence[PageJob], min_body_chars: int) -> list[PageResult]:
    """Fetch a batch of pages concurrently; each is extracted in the worker processes as it arrives."""
    from flows import extractpool  # the extractor (trafilatura, lxml): only a run with pages needs it

    return list(await asyncio.gather(*(page_result(fetcher, job, min_body_chars, extractpool.article) for job in jobs)))


@task(name="load-pages", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
async def load_pages(
    path: Location, lock_wait: float | None, run_id: str, entries: Sequence[KeyedEntry], results: Sequence[PageResult]
) -> Tally:
    """Resolve a batch of pages against the warehouse and write it, with the new feed
    entries behind them, in one transaction."""
    return await asyncio.to_thread(batches.write_pages, path, lock_wait, run_id, entries, results)


@task(name="record-run", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def record_run(
    path: Location,
    lock_wait: float | None,
    draft: RunSummary,
    sources: Sequence[Source],
    polls: Sequence[SourcePoll],
    states: dict[str, FeedState],
    plan: Plan,
    produced: Tally,
    host_files: dict[str, list[dict[str, Any]]],
    held: Sequence[HeldSource],
) -> RunSummary:
    """After the last batch: the feeds' new state, the poll ledger and the run's own row."""
    finished = datetime.now(timezone.utc)
    reports = tuple(tally.source_reports(polls, plan, produced, finished, held))
    outcome = tally.outcome(reports)
    summary = replace(
        draft,
        finished_at=finished,
        outcome=outcome,
        sources=reports,
        pages_fetched=produced.pages_fetched,
        message=_failure_message(outcome, polls),
    )
    tables = batches.closing_tables(summary, _flow_run_id(), sources, polls, states, plan)
    tables |= host_files
    with warehouse.writing(path, lock_wait) as con:
        store.load(con, tables)
    return summary


@flow(name="ingest", log_prints=False)
async def ingest(
    sources_path: str = "sources.yaml", db: str | None = None, only: list[str] | None = None, everything: bool = False
) -> RunSummary:
    """One pass over the sources that are due (or `only` these, or `everything` enabled):
    poll them, fetch new pages, load them."""
    config = configuration.load(Path(sources_path), Path(db) if db else None)
    localstate.check_dask(config)
    path = config.settings.warehouse
    with warehouse.run_lock(path, config.settings.lock_wait_seconds):
        summary = await _run(config, only, everything, path)
        await maintain_warehouse(config.settings)
        return summary


@task(name="maintain-warehouse", cache_policy=NO_CACHE)
async def maintain_warehouse(settings: configuration.Settings) -> None:
    """Compact the warehouse's files and expire old snapshots, when settings.maintain_every_hours
    have passed since the last time (the run lock is held: no load interleaves)."""

    def maintain() -> None:
        path, wait = settings.warehouse, settings.lock_wait_seconds
        with warehouse.writing(path, wait) as con:
            if not maintenance.due(con, timedelta(hours=settings.maintain_every_hours)):
                return
            try:
                with warehouse.readers_paused(path, wait):
                    done = maintenance.maintain(con, settings.keep_snapshots_days)
            except warehouse.WarehouseBusy as exc:
                _say(get_run_logger(), f"maintenance put off to the next run: {exc}")
                return
        _say(
            get_run_logger(),
            f"maintenance: {done.files_before} data files -> {done.files_after}, "
            f"{done.snapshots_expired} snapshots expired",
        )

    await asyncio.to_thread(maintain)


async def _run(config: configuration.Config, only: list[str] | None, everything: bool, path: Location) -> RunSummary:
    logger = get_run_logger()
    started = datetime.now(timezone.utc)
    run_id = started.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    logs.RUN_ID.set(run_id)
    lock_wait = config.settings.lock_wait_seconds
    with warehouse.writing(path, lock_wait) as con:
        states = reads.feed_states(con)
        retries = reads.due_retries(con, started)
        robots = reads.robots_since(con, started - ROBOTS_TTL)
        tdmrep = reads.tdmrep_since(con, started - ROBOTS_TTL)
        host_holds = reads.host_holds(con, started)
        sitemaps_read = reads.sitemap_children(con)
    sources, held = _select(config, only, everything, states, host_holds, started)
    retries = [retry for retry in retries if urls.host_of(retry.url) not in host_holds]  # stay queued
    if held:
        _say(logger, f"{len(held)} sources held by their servers (Retry-After): not asked")
    async with fetcher_for(config.settings, sources, robots, host_holds, tdmrep) as fetcher:
        _say(logger, f"polling {len(sources)} feeds")
        batches = [sources[i : i + POLL_BATCH_SIZE] for i in range(0, len(sources), POLL_BATCH_SIZE)]
        polled = await asyncio.gather(
            *(
                poll_sources(fetcher, quote(batch), quote(states), quote(sitemaps_read))  # type: ignore[call-overload]
                for batch in batches
            )
        )
        polls = [poll for batch in polled for poll in batch]
        plan = _plan(path, lock_wait, polls, retries)
        _say(logger, f"{len(plan.new_entries)} new entries; fetching {len(plan.jobs)} pages")
        pages = _PageStream(logger, path, lock_wait, run_id, plan)
        if config.settings.dask:
            robots = {**robots, **{host: body for host, (_, body) in fetcher.robots_fetched.items()}}
            produced = await pages.run_on_dask(config.settings, sources, robots)
        else:
            produced = await pages.run(fetcher, config.settings.min_body_chars)
        rechecked = await recheck.recheck_due(
            fetcher,
            _recheck_run(config, path, run_id, host_holds),
            bool(plan.jobs),
            datetime.now(timezone.utc),
            plan.signalled,
        )
        if rechecked.due:
            _say(logger, rechecked.describe())
        requests_made = fetcher.requests_made
        host_files = {
            "robots_txt": rows.host_files(fetcher.robots_fetched, started),
            "tdmrep_files": rows.host_files(fetcher.tdmrep_fetched, started),
        }
        new_holds = tuple(fetcher.host_holds.values())
    draft = RunSummary(run_id, started, started, Outcome.OK, (), 0, requests_made, str(path), host_holds=new_holds)
    # quote(): Prefect would otherwise walk every entry of these looking for futures
    summary = record_run(
        path,
        lock_wait,
        draft,
        config.sources,
        quote(polls),
        quote(states),  # type: ignore[call-overload]
        quote(plan),
        produced + tally.known_links_tally(plan),
        host_files,
        quote(held),
    )
    return await _finish(logger, summary)


class _PageStream:
    """Pages flow fetch -> extract (worker processes) -> load (batches of LOAD_EVERY pages),
    with a bounded number of batches in each stage: fetching never waits for the load
    unless the load falls far behind, and memory stays flat however many pages there are."""

    def __init__(self, logger: RunLogger, path: Location, lock_wait: float | None, run_id: str, plan: Plan):
        self.logger, self.path, self.lock_wait, self.run_id, self.plan = logger, path, lock_wait, run_id, plan
        jobs = pagejobs.interleave_by_host(plan.jobs)
        self.batches = [jobs[i : i + PAGE_BATCH_SIZE] for i in range(0, len(jobs), PAGE_BATCH_SIZE)]
        self.done: asyncio.Queue[list[PageResult] | BaseException] = asyncio.Queue(maxsize=BATCHES_QUEUED)

    async def run(self, fetcher: Fetcher, min_body_chars: int) -> Tally:
        if not self.batches:
            return Tally()
        from flows import extractpool

        extractpool.warm()
        slots = asyncio.Semaphore(BATCHES_IN_FLIGHT)
        producers = [
            asyncio.create_task(self._produce(slots, fetcher, batch, min_body_chars)) for batch in self.batches
        ]
        try:
            return await self._consume()
        finally:
            for producer in producers:
                producer.cancel()
            await asyncio.gather(*producers, return_exceptions=True)

    async def run_on_dask(
        self, settings: configuration.Settings, sources: Sequence[Source], robots: dict[str, str | None]
    ) -> Tally:
        if not self.batches:
            return Tally()
        from flows import dask_runner  # the [dask] extra: only a Dask run needs it

        assert settings.dask is not None
        folder = settings.dask.staging_dir / self.run_id
        folder.mkdir(parents=True, exist_ok=True)
        stop, loop = threading.Event(), asyncio.get_running_loop()

        def hand_over(staged: list[PageResult] | BaseException) -> bool:
            return _handed_over(asyncio.run_coroutine_threadsafe(self.done.put(staged), loop), stop)

        feeder = asyncio.create_task(
            asyncio.to_thread(dask_runner.feed_batches, settings, sources, robots, self.batches, folder, hand_over)
        )
        try:
            return await self._consume()
        finally:
            stop.set()
            await asyncio.gather(feeder, return_exceptions=True)
            shutil.rmtree(folder, ignore_errors=True)

    async def _produce(
        self, slots: asyncio.Semaphore, fetcher: Fetcher, batch: Sequence[PageJob], min_body_chars: int
    ) -> None:
        async with slots:  # held until the batch is queued for loading: that is the back-pressure
            try:
                results: list[PageResult] | BaseException = await fetch_and_extract(
                    fetcher, quote(batch), min_body_chars
                )
            except Exception as exc:
                results = exc
            await self.done.put(results)

    async def _consume(self) -> Tally:
        produced, pending, seen, total = Tally(), [], 0, sum(map(len, self.batches))
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
                entries = pagejobs.entries_of(pending, self.plan)
                produced += await load_pages(self.path, self.lock_wait, self.run_id, quote(entries), quote(pending))
                pending = []
        return produced


def _handed_over(put: concurrent.futures.Future[None], stop: threading.Event) -> bool:
    """Wait for the loader to take a staged batch; once `stop` is set, cancel and say no."""
    while not stop.is_set():
        try:
            put.result(timeout=0.5)
            return True
        except TimeoutError:
            continue
    put.cancel()
    return False


def _recheck_run(
    config: configuration.Config, path: Location, run_id: str, host_holds: dict[str, datetime]
) -> recheck.RecheckRun:
    settings = config.settings
    return recheck.RecheckRun(
        path,
        settings.lock_wait_seconds,
        run_id,
        config.sources,
        settings.recheck_share,
        settings.min_body_chars,
        frozenset(host_holds),
    )


def _plan(path: Location, lock_wait: float | None, polls: list[SourcePoll], retries: list[RetryJob]) -> Plan:
    keyed = pagejobs.keyed_entries(polls)
    with warehouse.reading(path, lock_wait) as con:
        known = reads.known_entries(con, (k.key for k in keyed))
        known_urls = reads.articles_by_url(con, (k.canonical_link for k in keyed))
    plan = pagejobs.plan_pages(keyed, set(known), known_urls, retries)
    retitled = rechecks.signalled(keyed, known)
    signalled = frozenset(article_id for k in retitled if (article_id := known[k.key].article_id))
    return replace(plan, retitled=tuple(retitled), signalled=signalled)


async def _finish(logger: RunLogger, summary: RunSummary) -> RunSummary:
    await acreate_table_artifact(
        key="newsdesk-ingest-summary",
        table=[
            {
                "source": r.source,
                "status": r.status,
                "not_modified": r.not_modified,
                "entries": r.entries,
                "new_entries": r.entries_new,
                "new_articles": r.articles_new,
                "duplicates": r.duplicates,
                "fetch_failures": r.fetch_failures,
                "extraction_failures": r.extraction_failures,
                "error": r.error or "",
                "held_until": r.held_until.isoformat() if r.held_until else "",
            }
            for r in summary.sources
        ],
        description=f"newsdesk run {summary.run_id}: {summary.outcome}",
    )
    _say(logger, f"run {summary.run_id} {summary.outcome}: {summary.total('articles_new')} new articles")
    for report in summary.sources:
        if report.error:
            _tell_source(logger, report.source, f"{report.source} failed: {report.error}")
        if report.extraction_failures or report.fetch_failures:
            _tell_source(
                logger,
                report.source,
                f"{report.source}: {report.fetch_failures} pages not fetched, "
                f"{report.extraction_failures} without a body; queued for retry",
            )
    if summary.outcome == Outcome.FAILED:
        raise RunFailed(summary)
    return summary


def _failure_message(outcome: Outcome, polls: Sequence[SourcePoll]) -> str | None:
    if outcome != Outcome.FAILED:
        return None
    if feedstate.network_looks_down(polls):
        return "the network looks down: every source failed to connect (their backoff was not increased)"
    return "every source failed"


def _select(
    config: configuration.Config,
    only: list[str] | None,
    everything: bool,
    states: dict[str, FeedState],
    host_holds: dict[str, datetime],
    now: datetime,
) -> tuple[list[Source], list[HeldSource]]:
    """The sources to ask now, and those whose server asked us to wait: `everything` and
    `only` skip our schedule and backoff, never a server's Retry-After."""
    chosen = _chosen(config, only, everything, states, now)
    ask, held = [], []
    for source in chosen:
        until = schedule.server_hold(source, states.get(source.name), host_holds, now)
        if until is None:
            ask.append(source)
        else:
            held.append(HeldSource(source, until))
    return ask, held


def _chosen(
    config: configuration.Config, only: list[str] | None, everything: bool, states: dict[str, FeedState], now: datetime
) -> list[Source]:
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


def _say(logger: RunLogger, message: str) -> None:
    logger.info(message)
    progress.info(message)


def _tell_source(logger: RunLogger, source: str, message: str) -> None:
    """A warning about one source: in the run's log, and as a log event under --log-format json
    (the command line's summary table already shows it to a person)."""
    logger.warning(message, extra={"source": source})
    if logs.json_enabled():
        progress.warning(message, extra={"source": source})
