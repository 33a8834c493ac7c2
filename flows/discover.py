"""One-off lookups for the command line: find a site's feed, read a page to extract."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from pathlib import Path

from flows import feeds, sitemaps
from flows.configuration import Settings
from flows.http import Fetcher
from flows.records import Page, SourceKind


class NoFeed(ValueError):
    """Neither the URL nor anything it links to is a readable feed."""


class FetchFailed(OSError):
    """A page could not be fetched."""


@dataclass(frozen=True)
class FoundFeed:
    url: str
    title: str | None
    format: str
    entries: int


def _trusting(settings: Settings) -> Settings:
    """The user typed this URL: the private-address guard is for links found in feeds."""
    return replace(settings, allow_private_networks=True)


async def find_feed(url: str, settings: Settings) -> FoundFeed:
    """Accept `url` when it is a feed; otherwise follow the feed links the page advertises."""
    async with Fetcher(_trusting(settings)) as fetcher:
        page = await fetcher.fetch_page(url)
        if not page.ok:
            raise NoFeed(f"{url}: {page.error}")
        try:
            return _found(url, page)
        except feeds.FeedError as not_a_feed:
            reason = str(not_a_feed)
        for candidate in feeds.discover(page.body, page.final_url or url):
            linked = await fetcher.fetch_page(candidate)
            if linked.ok:
                try:
                    return _found(candidate, linked)
                except feeds.FeedError:
                    continue
    raise NoFeed(f"{url} is not a feed ({reason}) and links to no readable feed")


async def check_sitemap(url: str, kind: SourceKind, settings: Settings) -> FoundFeed:
    """Accept `url` when it is a sitemap or sitemap index we can read."""
    async with Fetcher(_trusting(settings)) as fetcher:
        page = await fetcher.fetch_page(url)
    if not page.ok:
        raise NoFeed(f"{url}: {page.error}")
    try:
        document = sitemaps.read(page.body)
    except sitemaps.SitemapError as exc:
        raise NoFeed(f"{url} is not a readable sitemap: {exc}") from None
    return FoundFeed(url=url, title=None, format=str(kind), entries=len(document.entries) + len(document.children))


def read_input(item: str, url: str | None, settings: Settings) -> tuple[bytes, str, dict[str, str]]:
    """A saved file (with `url` as its address) or an http(s) URL -> (bytes, url, headers)."""
    if item.startswith(("http://", "https://")):
        page = asyncio.run(_fetch(item, settings))
        if not page.ok:
            raise FetchFailed(page.error or f"HTTP {page.status}")
        return page.body, page.final_url or item, page.headers
    path = Path(item)
    return path.read_bytes(), url or path.resolve().as_uri(), {}


def _found(url: str, page: Page) -> FoundFeed:
    parsed = feeds.parse(page.body, page.headers, page.final_url or url)
    return FoundFeed(url=url, title=parsed.title, format=parsed.format, entries=len(parsed.entries))


async def _fetch(url: str, settings: Settings) -> Page:
    async with Fetcher(_trusting(settings)) as fetcher:
        return await fetcher.fetch_page(url)
