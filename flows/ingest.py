"""The ingest flow: poll feeds, fetch new pages, extract, dedup, load.

Tasks are coarse on purpose (one per source, one per batch of pages, one load):
thousands of tiny Prefect tasks overwhelm a local Prefect server.
"""
from __future__ import annotations

from flows.runtime import configure_prefect

configure_prefect()

import asyncio  # noqa: E402
import logging  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from dataclasses import replace  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.artifacts import acreate_table_artifact  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.runtime import flow_run  # noqa: E402

import warehouse  # noqa: E402
from flows import config as configuration  # noqa: E402
from flows import dedup, extract, feeds, neardup, pipeline, schedule, urls  # noqa: E402
from flows.http import Fetcher  # noqa: E402
from flows.records import PageJob, PageResult, RunSummary, Source  # noqa: E402
from warehouse import reads, store  # noqa: E402

PAGE_BATCH_SIZE = 25
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
    """Fetch a batch of pages concurrently, extracting each as it arrives."""
    async def one(job: PageJob) -> PageResult:
        page = await fetcher.fetch_page(job.url)
        if not page.ok:
            return PageResult(job, page, failed_stage="fetch", error=page.error)
        try:
            article = await asyncio.to_thread(
                extract.article, page.body, page.final_url or job.url, page.headers, job.entry, min_body_chars)
        except extract.ExtractionFailed as exc:
            return PageResult(job, page, failed_stage="extract", error=str(exc))
        except Exception as exc:  # a page that breaks the extractor is recorded, not fatal to the run
            log.exception("extractor crashed on %s", job.url)
            return PageResult(job, page, failed_stage="extract", error=f"extractor error: {type(exc).__name__}: {exc}")
        return PageResult(job, page, article=article)

    return list(await asyncio.gather(*(one(job) for job in jobs)))


@task(name="load", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def load(path: Path, lock_wait: float, draft: RunSummary, sources: Sequence[Source], polls: Sequence[pipeline.SourcePoll],
         states: dict[str, dict[str, Any]], plan: pipeline.Plan, results: Sequence[PageResult],
         robots_rows: list[dict[str, Any]]) -> RunSummary:
    """Resolve duplicates against the warehouse and write the whole run in one transaction."""
    extracted = [r for r in results if r.article]
    with warehouse.writing(path, lock_wait) as con:
        resolution = dedup.resolve(
            results,
            reads.articles_by_url(con, (u for r in extracted for u in dedup.urls_of(r))),
            reads.articles_by_hash(con, (r.article.content_hash for r in extracted)))
        reports = tuple(pipeline.source_reports(polls, plan, results, resolution))
        outcome = pipeline.outcome(reports)
        summary = replace(draft, finished_at=datetime.now(timezone.utc), outcome=outcome, sources=reports,
                          message=_failure_message(outcome, polls))
        tables = pipeline.run_tables(summary, sources, polls, states, plan, results, resolution)
        tables["runs"] = [pipeline.run_row(summary, _flow_run_id())]
        tables["robots_txt"] = robots_rows
        store.load(con, tables, resolved_retries=[r.job.url for r in extracted], stories=neardup.StoryRules())
    return summary


@flow(name="ingest", log_prints=False)
async def ingest(sources_path: str = "sources.yaml", db: str | None = None,
                 only: list[str] | None = None, everything: bool = False) -> RunSummary:
    """One pass over the sources that are due (or `only` these, or `everything` enabled):
    poll them, fetch new pages, load them."""
    config = configuration.load(Path(sources_path), Path(db) if db else None)
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
    sources = _select(config, only, everything, states, started)
    async with Fetcher(config.settings, known_robots=robots) as fetcher:
        for source in sources:
            if source.per_host_concurrency or source.min_delay_seconds is not None:
                for url in filter(None, (source.feed_url, source.site)):
                    fetcher.configure_host(url, source.per_host_concurrency, source.min_delay_seconds)
        _say(logger, f"polling {len(sources)} feeds")
        polls = list(await asyncio.gather(*(poll_source(fetcher, s, states.get(s.name, {})) for s in sources)))
        plan = _plan(path, polls, retries)
        _say(logger, f"{len(plan.new_entries)} new entries; fetching {len(plan.jobs)} pages")
        results = await _fetch_all(logger, fetcher, plan.jobs, config.settings.min_body_chars)
        requests_made = fetcher.requests_made
        robots_rows = [{"host": host, "fetched_at": started, "status": status, "body": body}
                       for host, (status, body) in fetcher.robots_fetched.items()]
    _say(logger, f"loading {sum(1 for r in results if r.article)} extracted articles into {path}")
    fetched = sum(1 for r in results if r.page.status is not None)
    draft = RunSummary(run_id, started, started, "ok", (), fetched, requests_made, str(path))
    summary = load(path, config.settings.lock_wait_seconds, draft, config.sources, polls, states, plan,
                   results, robots_rows)
    return await _finish(logger, summary)


async def _fetch_all(logger: logging.Logger, fetcher: Fetcher, jobs: Sequence[PageJob],
                     min_body_chars: int) -> list[PageResult]:
    """All page batches at once (the fetcher bounds concurrency); results in job order."""
    batches = [jobs[i:i + PAGE_BATCH_SIZE] for i in range(0, len(jobs), PAGE_BATCH_SIZE)]
    results: list[PageResult] = []
    for finished in asyncio.as_completed([fetch_and_extract(fetcher, b, min_body_chars) for b in batches]):
        results.extend(await finished)
        if len(batches) > 1:
            _say(logger, f"pages done: {len(results)}/{len(jobs)}")
    order = {job.url: index for index, job in enumerate(jobs)}
    return sorted(results, key=lambda result: order[result.job.url])


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
                "extraction_failures": r.extraction_failures, "error": r.error or ""}
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

