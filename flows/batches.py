"""What a batch of pages, and then the run's end, write to the warehouse: the pipeline's
records turned into rows of warehouse tables (by warehouse.rows), one transaction each."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone

import warehouse
from flows.identity import dedup, neardup
from flows.plan import feedstate
from flows.plan import retries, tally
from flows.plan.pagejobs import KeyedEntry, Plan, entries_without_page
from flows.plan.feedstate import SourcePoll
from flows.records import PageResult, RunSummary, Source
from flows.plan.tally import Tally
from warehouse import reads, rows, store
from warehouse.db import Location
from warehouse.records import FeedState

Tables = dict[str, list[rows.Row]]


def batch_tables(
    run_id: str,
    results: Sequence[PageResult],
    resolution: dedup.Resolution,
    entries: Iterable[KeyedEntry],
    now: datetime,
) -> Tables:
    """The new entries behind the pages, the articles with their raw pages and URLs, which
    article each entry became, and the failed pages queued. A run killed after this commit
    has lost nothing of the batch."""
    return {
        "feed_entries": rows.entries(run_id, entries, now),
        "articles": rows.articles(run_id, resolution.new),
        "pages": rows.pages(resolution.new),
        "article_urls": rows.article_urls(resolution.aliases, now),
        "entry_articles": rows.entry_articles(resolution.entry_links),
        "fetch_queue": rows.queued_pages(retries.queued(results, now)),
    }


def write_pages(
    path: Location, lock_wait: float | None, run_id: str, entries: Sequence[KeyedEntry], results: Sequence[PageResult]
) -> Tally:
    """Resolve a batch of pages against the warehouse and write it, with the new entries
    behind them, in one transaction."""
    extracted = [r.article for r in results if r.article]
    # One DuckDB thread: the extractor processes already keep every core busy, and more
    # threads would only add their coordination to the CPU the run needs.
    with warehouse.writing(path, lock_wait, threads=1) as con:
        resolution = dedup.resolve(
            results,
            reads.articles_by_url(con, (u for r in results if r.article for u in dedup.urls_of(r))),
            reads.articles_by_hash(con, (article.content_hash for article in extracted)),
        )
        tables = batch_tables(run_id, results, resolution, entries, datetime.now(timezone.utc))
        stories = neardup.Presketched({article.body: article.band_keys for article in extracted})
        store.load(con, tables, resolved_retries=[r.job.url for r in results if r.article], matcher=stories)
    return tally.batch_tally(results, resolution)


def known_link_tables(run_id: str, plan: Plan, now: datetime) -> Tables:
    """New entries whose link is an article we already have, and which article that is."""
    return {
        "feed_entries": rows.entries(run_id, entries_without_page(plan), now),
        "entry_articles": rows.entry_articles(plan.known_links),
    }


def closing_tables(
    summary: RunSummary,
    flow_run_id: str | None,
    sources: Sequence[Source],
    polls: Sequence[SourcePoll],
    states: Mapping[str, FeedState],
    plan: Plan,
) -> Tables:
    """The feeds' new state and poll ledger, the new entries that needed no page, the hosts
    held, and the run's own ledger row."""
    now = summary.finished_at
    new = tally.new_by_source(plan)
    down = feedstate.network_looks_down(polls)
    return {
        "sources": rows.sources(sources, now),
        "feed_state": rows.feed_states(feedstate.next_state(sp, states.get(sp.source.name), now, down) for sp in polls),
        "sitemap_children": rows.sitemap_children(child for sp in polls for child in sp.sitemaps_read),
        "polls": rows.polls(
            summary.run_id, [(sp, new[sp.source.name]) for sp in polls if sp.held_until(now) is None], now
        ),
        "host_holds": rows.host_holds(summary.host_holds, summary.started_at, summary.run_id),
        "feed_entries": rows.entries(summary.run_id, [*entries_without_page(plan), *plan.retitled], now),
        "entry_articles": rows.entry_articles(plan.known_links),
        "runs": [rows.run(summary, flow_run_id)],
    }
