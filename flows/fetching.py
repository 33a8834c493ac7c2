"""One page job -> PageResult: fetch it, extract it, and record either failure by stage.
Shared by the run's own process and the Dask workers; no Prefect here."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from urllib.parse import urlsplit

from flows import configuration
from flows.http import Fetcher
from flows.records import Article, FeedEntry, PageJob, PageResult, Source, Stage

Extractor = Callable[[bytes, str, Mapping[str, str], FeedEntry | None, int], Awaitable[Article]]
log = logging.getLogger(__name__)


async def page_result(fetcher: Fetcher, job: PageJob, min_body_chars: int, extractor: Extractor) -> PageResult:
    from flows import extract  # trafilatura and lxml: only a run with pages pays for them
    from flows.extract import access

    page = await fetcher.fetch_page(job.url)
    if not page.ok:
        return PageResult(job, page, failed_stage=Stage.FETCH, error=page.error)
    if kind := access.challenge(page.body):  # not the article: ask again later, as for a 503
        error = f"HTTP {page.status} but a {kind} page, not the article"
        return PageResult(job, replace(page, transient=True, error=error), failed_stage=Stage.FETCH, error=error)
    try:
        article = await extractor(page.body, page.final_url or job.url, page.headers, job.entry, min_body_chars)
    except extract.ExtractionFailed as exc:
        return PageResult(job, page, failed_stage=Stage.EXTRACT, error=str(exc))
    except Exception as exc:  # a page that breaks the extractor is recorded, not fatal to the run
        log.exception("extractor crashed on %s", job.url)
        return PageResult(job, page, failed_stage=Stage.EXTRACT, error=f"extractor error: {type(exc).__name__}: {exc}")
    return PageResult(job, page, article=await _with_host_rules(fetcher, article, page.final_url or job.url))


async def _with_host_rules(fetcher: Fetcher, article: Article, url: str) -> Article:
    """The article with what its host says site-wide: robots.txt's rules for AI crawlers, and
    the TDM reservation of its tdmrep.json when the page itself declared none."""
    from flows.extract import consent

    article = replace(article, ai_crawlers_disallowed=fetcher.ai_crawlers_disallowed(url))
    if article.tdm_reserved is not None:
        return article
    declared = consent.site_wide(await fetcher.tdmrep(url), urlsplit(url).path or "/")
    if declared is None:
        return article
    return replace(article, tdm_reserved=declared.reserved, tdm_policy=declared.policy, tdm_source=declared.origin)


async def extract_in_thread(
    body: bytes, url: str, headers: Mapping[str, str], entry: FeedEntry | None, min_body_chars: int
) -> Article:
    from flows import extract

    return await asyncio.to_thread(extract.article, body, url, headers, entry, min_body_chars)


def fetcher_for(
    settings: configuration.Settings,
    sources: Sequence[Source],
    robots: dict[str, str | None],
    held_hosts: dict[str, datetime] | None = None,
    tdmrep: dict[str, str | None] | None = None,
) -> Fetcher:
    """A Fetcher with the sources' own host limits, the robots.txt and tdmrep.json files
    already known and the hosts held by their servers."""
    fetcher = Fetcher(settings, known_robots=robots, held_hosts=held_hosts, known_tdmrep=tdmrep)
    for source in sources:
        if source.per_host_concurrency or source.min_delay_seconds is not None:
            for url in filter(None, (source.feed_url, source.site)):
                fetcher.configure_host(url, source.per_host_concurrency, source.min_delay_seconds)
    return fetcher
