"""Which listed sitemaps to fetch this run, and which listed pages are wanted."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from flows.records import FeedEntry, Source
from flows.sitemaps.document import Listed
from warehouse.records import SitemapChild

_OLDEST = datetime.min.replace(tzinfo=None)


def worth_fetching(listed: Sequence[Listed], known: Mapping[str, SitemapChild], limit: int) -> list[Listed]:
    """The listed sitemaps whose <lastmod> is new or changed since we read them (one without
    a <lastmod> is asked for conditionally), newest first, at most `limit`."""
    changed = [
        child
        for child in listed
        if child.url not in known or child.lastmod is None or known[child.url].lastmod != child.lastmod
    ]
    changed.sort(key=lambda child: child.lastmod.replace(tzinfo=None) if child.lastmod else _OLDEST, reverse=True)
    return changed[:limit]


def fresh_entries(entries: Iterable[FeedEntry], source: Source, now: datetime) -> tuple[list[FeedEntry], int]:
    """The entries a sitemap source wants, newest first, each link once: within
    max_age_days (an undated entry is kept) and matching url_pattern. Also how many were
    left out as too old or unmatched."""
    oldest = now - timedelta(days=source.max_age_days) if source.max_age_days is not None else None
    pattern = re.compile(source.url_pattern) if source.url_pattern else None
    kept: dict[str, FeedEntry] = {}
    left_out = 0
    for entry in entries:
        when = entry.published or entry.updated
        if (oldest is not None and when is not None and when < oldest) or (pattern and not pattern.search(entry.link)):
            left_out += 1
        elif entry.link not in kept:
            kept[entry.link] = entry
    newest_first = sorted(kept.values(), key=_age_key, reverse=True)
    return newest_first, left_out


def _age_key(entry: FeedEntry) -> datetime:
    when = entry.published or entry.updated
    return when.replace(tzinfo=None) if when else _OLDEST
