"""One-off lookups for the command line: find a site's feed, read a page to extract."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from flows import feeds, sitemaps
from flows.identity import urls
from flows.configuration import Settings
from flows.http import Fetcher
from flows.records import Page, SourceKind


class NoFeed(ValueError):
    """Neither the URL nor anything it links to is a readable feed."""


class FetchFailed(OSError):
    """A page could not be fetched."""


MAX_SITEMAP_CANDIDATES = 8  # advertised and usual-path sitemaps tried per site
SAMPLED_CHILDREN = 3  # children of an index opened to tell whether it holds news


@dataclass(frozen=True)
class FoundFeed:
    """A feed or sitemap found for a URL; ``given``: it is the URL the user typed."""

    url: str
    title: str | None
    format: str
    entries: int
    kind: SourceKind = SourceKind.FEED
    given: bool = False

    @property
    def summary(self) -> str:
        unit = "sitemaps" if self.format.endswith("index") else "entries"
        return f"{self.format}, {self.entries} {unit}"


def as_url(text: str) -> str:
    """What the user typed as a source: a URL, or a bare domain meaning its https home page."""
    return text if "://" in text else f"https://{text.rstrip('/')}/"


def _trusting(settings: Settings) -> Settings:
    """The user typed this URL: the private-address guard is for links found in feeds."""
    return replace(settings, allow_private_networks=True)


async def find_sources(url: str, settings: Settings) -> list[FoundFeed]:
    """`url` itself when it is a feed or sitemap; otherwise every feed the page advertises and
    every sitemap of its site (robots.txt ``Sitemap:`` lines, ``<link rel="sitemap">``, usual
    paths), best evidence first."""
    async with Fetcher(_trusting(settings)) as fetcher:
        page = await fetcher.fetch_page(url)
        if not page.ok:
            raise NoFeed(f"{url}: {page.error}")
        try:
            return [replace(_found(url, page), given=True)]
        except feeds.FeedError as not_a_feed:
            reason = str(not_a_feed)
        try:
            document = sitemaps.read(page.body)
        except sitemaps.SitemapError:
            pass
        else:
            return [replace((await _survey(fetcher, url, document))[0], given=True)]
        site = page.final_url or url
        found = [feed for link in feeds.discover(page.body, site) if (feed := await _feed_at(fetcher, link))]
        found += await _site_sitemaps(fetcher, site, _robots_txt(fetcher, site, url), page.body)
    if not found:
        raise NoFeed(f"{url} is not a feed ({reason}) and leads to no readable feed or sitemap")
    return found


def best(found: list[FoundFeed], kind: SourceKind) -> FoundFeed | None:
    """The first found source of `kind`; a sitemap the user typed counts as whichever
    sitemap kind they asked for."""
    for candidate in found:
        if candidate.kind is kind or (candidate.given and SourceKind.FEED not in (kind, candidate.kind)):
            return candidate
    return None


async def _feed_at(fetcher: Fetcher, url: str) -> FoundFeed | None:
    page = await fetcher.fetch_page(url)
    if not page.ok:
        return None
    try:
        return _found(url, page)
    except feeds.FeedError:
        return None


def _robots_txt(fetcher: Fetcher, *addresses: str) -> str:
    """The robots.txt the fetcher read for the first of these URLs' hosts that has one."""
    for address in addresses:
        _, body = fetcher.robots_fetched.get(urls.host_of(address), (None, None))
        if body:
            return body
    return ""


async def _site_sitemaps(fetcher: Fetcher, site: str, robots_txt: str, html: bytes) -> list[FoundFeed]:
    """Every readable sitemap among the site's candidates, each URL once."""
    advertised = sitemaps.robots_sitemaps(robots_txt, site) + feeds.sitemap_links(html, site)
    found: dict[str, FoundFeed] = {}
    for candidate in sitemaps.candidates(site, advertised)[:MAX_SITEMAP_CANDIDATES]:
        document = None if candidate in found else await _sitemap_at(fetcher, candidate)
        for item in await _survey(fetcher, candidate, document) if document else []:
            found.setdefault(item.url, item)
    return list(found.values())


async def _survey(fetcher: Fetcher, url: str, document: sitemaps.Sitemap) -> list[FoundFeed]:
    """The sitemap at `url`, its kind told from its entries (an index: from a few children);
    the news sitemaps inside an index that also lists other sitemaps come after it."""
    if not document.children:
        kind = SourceKind.NEWS_SITEMAP if sitemaps.is_news(document) else SourceKind.SITEMAP
        return [FoundFeed(url, _sitemap_title(url, kind), kind.replace("_", " "), len(document.entries), kind)]
    news_children: list[FoundFeed] = []
    kinds: list[SourceKind] = []
    for child in sitemaps.children_to_sample(document, SAMPLED_CHILDREN):
        child_document = await _sitemap_at(fetcher, child.url)
        if child_document is not None:
            (leaf,) = await _survey(fetcher, child.url, replace(child_document, children=()))
            kinds.append(leaf.kind)
            news_children += [leaf] if leaf.kind is SourceKind.NEWS_SITEMAP else []
    kind = sitemaps.kind_of_index(kinds)
    index = FoundFeed(url, _sitemap_title(url, kind), kind.replace("_", " ") + " index", len(document.children), kind)
    return [index] if kind is SourceKind.NEWS_SITEMAP else [index, *news_children]


def _sitemap_title(url: str, kind: SourceKind) -> str:
    """A sitemap has no title of its own: "<host> news sitemap" names the source."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return f"{host} {kind.replace('_', ' ')}"


async def _sitemap_at(fetcher: Fetcher, url: str) -> sitemaps.Sitemap | None:
    page = await fetcher.fetch_page(url)
    if not page.ok:
        return None
    try:
        return sitemaps.read(page.body)
    except sitemaps.SitemapError:
        return None


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
