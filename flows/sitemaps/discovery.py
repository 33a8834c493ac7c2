"""Where a site's sitemaps are: robots.txt ``Sitemap:`` lines, else the usual paths; and
whether a sitemap file is a news sitemap."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from flows.records import SourceKind
from flows.sitemaps.document import Listed, Sitemap

# Where publishers' CMSs put them (WordPress, Yoast, Drupal, Arc, and the Google News guide's examples).
USUAL_PATHS = ("/news-sitemap.xml", "/sitemap_news.xml", "/sitemap-news.xml", "/sitemap_index.xml", "/sitemap.xml")


def robots_sitemaps(robots_txt: str, base_url: str) -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt, absolute and each once (the field applies to
    every user agent, so it may stand anywhere in the file)."""
    found: list[str] = []
    for line in robots_txt.splitlines():
        field, _, value = line.partition("#")[0].partition(":")
        url = urljoin(base_url, value.strip())
        if field.strip().lower() == "sitemap" and value.strip() and urlsplit(url).scheme in ("http", "https"):
            found.append(url)
    return list(dict.fromkeys(found))


def candidates(site_url: str, advertised: Iterable[str]) -> list[str]:
    """Sitemap URLs to try for a site: what it advertises (robots.txt, ``<link rel="sitemap">``),
    or, when it advertises none, the usual paths at its root."""
    named = list(dict.fromkeys(advertised))
    return named or [urljoin(site_url, path) for path in USUAL_PATHS]


def is_news(document: Sitemap) -> bool:
    """A URL set whose entries carry Google News tags (a publication date or a news title)."""
    return any(entry.published or entry.title for entry in document.entries)


def children_to_sample(document: Sitemap, limit: int) -> list[Listed]:
    """The listed sitemaps to open to tell what an index holds: news-named ones first."""
    return sorted(document.children, key=lambda child: "news" not in child.url.lower())[:limit]


def kind_of_index(child_kinds: list[SourceKind]) -> SourceKind:
    """An index is a news sitemap when every child we opened is one."""
    news = bool(child_kinds) and all(kind is SourceKind.NEWS_SITEMAP for kind in child_kinds)
    return SourceKind.NEWS_SITEMAP if news else SourceKind.SITEMAP
