"""Reading a sitemap source: its root document, then, for an index, the sitemaps it lists
(and theirs), bounded in depth and number, skipping any whose <lastmod> has not changed
since we last read it and asking for the rest conditionally."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping
from datetime import datetime

from flows import sitemaps
from flows.http import Fetcher
from flows.records import FeedEntry, FeedPoll, ParsedFeed, Source
from warehouse.records import SitemapChild

MAX_DEPTH = 3  # index -> index -> URL set
MAX_SITEMAPS_PER_RUN = 50  # listed sitemaps fetched per source and run; the rest wait for the next


@dataclasses.dataclass
class _Reading:
    source: Source
    known: Mapping[str, SitemapChild]
    now: datetime
    entries: list[FeedEntry] = dataclasses.field(default_factory=list)
    read: list[SitemapChild] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)


async def read_source(
    fetcher: Fetcher, source: Source, root: FeedPoll, known: Mapping[str, SitemapChild], now: datetime
) -> tuple[ParsedFeed, tuple[SitemapChild, ...]]:
    """The entries a sitemap source lists now, and the listed sitemaps read on the way.
    Raises SitemapError when the root document is not a sitemap; a listed sitemap that
    fails is noted in the feed's warning and asked for again next run."""
    document = await asyncio.to_thread(sitemaps.read, root.body or b"")
    reading = _Reading(source, known, now, list(document.entries), notes=[document.warning] if document.warning else [])
    seen = {source.feed_url, root.final_url or root.url}
    level, depth, budget = list(document.children), 1, MAX_SITEMAPS_PER_RUN
    while level and depth <= MAX_DEPTH:
        fresh = [child for child in level if child.url not in seen]
        if len(fresh) < len(level):
            reading.notes.append("an index lists itself or one of its parents: not read again")
        seen.update(child.url for child in fresh)
        chosen = sitemaps.worth_fetching(fresh, known, budget)
        budget -= len(chosen)
        found = await asyncio.gather(*(_read_listed(fetcher, reading, child) for child in chosen))
        level, depth = [child for children in found for child in children], depth + 1
    if level:
        reading.notes.append(f"sitemap indexes nested deeper than {MAX_DEPTH}: the deepest were not read")
    entries, left_out = sitemaps.fresh_entries(reading.entries, source, now)
    feed = ParsedFeed(
        format=str(source.kind),
        title=None,
        entries=tuple(entries),
        skipped_without_link=0,
        warning="; ".join(reading.notes) or None,
    )
    return feed, tuple(reading.read)


async def _read_listed(fetcher: Fetcher, reading: _Reading, child: sitemaps.Listed) -> list[sitemaps.Listed]:
    """Fetch one listed sitemap; its entries join the reading; the sitemaps it lists are returned."""
    before = reading.known.get(child.url)
    poll = await fetcher.fetch_feed(
        dataclasses.replace(reading.source, feed_url=child.url),
        before.etag if before else None,
        before.last_modified if before else None,
    )
    if not poll.ok:
        reading.notes.append(f"{child.url}: {poll.error}")
        return []
    remembered = SitemapChild(reading.source.name, child.url, child.lastmod, poll.etag, poll.last_modified, reading.now)
    if poll.not_modified:
        reading.read.append(remembered)
        return []
    try:
        document = await asyncio.to_thread(sitemaps.read, poll.body or b"")
    except sitemaps.SitemapError as exc:
        reading.notes.append(f"{child.url}: {exc}")
        return []
    reading.entries.extend(document.entries)
    if document.warning:
        reading.notes.append(f"{child.url}: {document.warning}")
    reading.read.append(remembered)
    return list(document.children)
