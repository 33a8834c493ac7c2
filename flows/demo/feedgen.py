"""Render a publisher's feed as RSS 2.0, Atom 1.0, RSS 1.0 (RDF) or JSON Feed 1.1."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from flows.demo.catalog import Article, Catalog, Feed, Publisher, listing_url

ATOM = "http://www.w3.org/2005/Atom"
DC = "http://purl.org/dc/elements/1.1/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RSS1 = "http://purl.org/rss/1.0/"
for _prefix, _uri in (("atom", ATOM), ("dc", DC), ("rdf", RDF)):
    ET.register_namespace(_prefix, _uri)

CONTENT_TYPES = {
    "rss2": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "rdf": "application/rdf+xml; charset=utf-8",
    "jsonfeed": "application/feed+json; charset=utf-8",
    "news_sitemap": "application/xml; charset=utf-8",
}


def media_type(feed_format: str) -> str:
    """The bare media type of a feed format, e.g. for ``<link rel="alternate" type=...>``."""
    return CONTENT_TYPES[feed_format].split(";")[0]


@dataclass(frozen=True)
class FeedItem:
    """One entry of a rendered feed; ``link`` is None for link-less notices."""

    guid: str
    link: str | None
    title: str
    summary: str
    published: datetime
    updated: datetime
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    permalink: bool


@dataclass(frozen=True)
class FeedDoc:
    """What a feed renderer needs besides the items."""

    feed: Feed
    publisher: Publisher
    url: str
    home_url: str
    items: tuple[FeedItem, ...]

    @property
    def updated(self) -> datetime:
        """Newest change among the items (the feed's Last-Modified)."""
        return max(item.updated for item in self.items)


def feed_doc(catalog: Catalog, feed: Feed, base_url: str) -> FeedDoc:
    """Everything one feed document shows, with absolute URLs on ``base_url``."""
    publisher = catalog.publisher(feed.publisher)
    return FeedDoc(
        feed, publisher, base_url + feed.path, base_url + publisher.home_path, _feed_items(catalog, feed, base_url)
    )


def render(doc: FeedDoc) -> bytes:
    """The feed document's bytes in the feed's format, items newest first."""
    return RENDERERS[doc.feed.format](doc)


def _feed_items(catalog: Catalog, feed: Feed, base_url: str) -> tuple[FeedItem, ...]:
    """Every article listing and notice of this feed, newest first."""
    items = [
        _article_item(article, feed, listing_url(article, listing, feed, base_url), base_url)
        for article in catalog.articles
        for listing in article.listings
        if listing.feed == feed.name
    ]
    items += [
        FeedItem(n.guid, None, n.title, n.summary, n.published, n.published, (), (), False)
        for n in catalog.notices
        if n.feed == feed.name
    ]
    return tuple(sorted(items, key=lambda item: item.published, reverse=True))


def _article_item(article: Article, feed: Feed, link: str, base_url: str) -> FeedItem:
    """The feed's view of an article; its guid keeps the URL it was first published under."""
    permalink = base_url + (article.moved_from or article.path)
    return FeedItem(
        guid=feed.guid.format(url=permalink, slug=article.slug),
        link=link,
        title=article.headline,
        summary=article.summary,
        published=article.published,
        updated=article.updated,
        authors=article.authors,
        tags=article.tags,
        permalink=feed.guid == "{url}",
    )


def sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    """A child element with text (the demo's feeds and sitemaps build their XML with it)."""
    element = ET.SubElement(parent, tag, attrib)
    element.text = text
    return element


def xml_document(root: ET.Element) -> bytes:
    """The indented document with its XML declaration."""
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def _rss2(doc: FeedDoc) -> bytes:
    rss = ET.Element("rss", version="2.0")
    channel = sub(rss, "channel")
    sub(channel, "title", doc.feed.title)
    sub(channel, "link", doc.home_url)
    sub(channel, "description", doc.publisher.tagline)
    sub(channel, "language", doc.publisher.language)
    sub(channel, "lastBuildDate", format_datetime(doc.updated))
    sub(channel, "generator", "newsdesk demo newsroom")
    sub(channel, f"{{{ATOM}}}link", href=doc.url, rel="self", type=media_type("rss2"))
    for item in doc.items:
        entry = sub(channel, "item")
        sub(entry, "title", item.title)
        if item.link:
            sub(entry, "link", item.link)
        sub(entry, "description", item.summary)
        sub(entry, "pubDate", format_datetime(item.published))
        sub(entry, "guid", item.guid, isPermaLink="true" if item.permalink else "false")
        for author in item.authors:
            sub(entry, f"{{{DC}}}creator", author)
        for tag in item.tags:
            sub(entry, "category", tag)
    return xml_document(rss)


def _atom(doc: FeedDoc) -> bytes:
    feed = ET.Element("feed", {"xmlns": ATOM, "xml:lang": doc.publisher.language})
    sub(feed, "id", doc.url)
    sub(feed, "title", doc.feed.title)
    sub(feed, "subtitle", doc.publisher.tagline)
    sub(feed, "updated", doc.updated.isoformat())
    sub(feed, "link", rel="self", href=doc.url, type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=doc.home_url, type="text/html")
    sub(sub(feed, "author"), "name", doc.publisher.name)
    for item in doc.items:
        entry = sub(feed, "entry")
        sub(entry, "id", item.guid)
        sub(entry, "title", item.title)
        if item.link:
            sub(entry, "link", rel="alternate", type="text/html", href=item.link)
        sub(entry, "published", item.published.isoformat())
        sub(entry, "updated", item.updated.isoformat())
        for author in item.authors:
            sub(sub(entry, "author"), "name", author)
        for tag in item.tags:
            sub(entry, "category", term=tag)
        sub(entry, "summary", item.summary, type="text")
    return xml_document(feed)


def _rdf(doc: FeedDoc) -> bytes:
    root = ET.Element(f"{{{RDF}}}RDF", xmlns=RSS1)
    channel = sub(root, "channel", **{f"{{{RDF}}}about": doc.url})
    sub(channel, "title", doc.feed.title)
    sub(channel, "link", doc.home_url)
    sub(channel, "description", doc.publisher.tagline)
    sub(channel, f"{{{DC}}}language", doc.publisher.language)
    sub(channel, f"{{{DC}}}date", doc.updated.isoformat())
    sequence = sub(sub(channel, "items"), f"{{{RDF}}}Seq")
    linked = [(item, item.link) for item in doc.items if item.link]
    for _, link in linked:
        sub(sequence, f"{{{RDF}}}li", **{f"{{{RDF}}}resource": link})
    for item, link in linked:
        entry = sub(root, "item", **{f"{{{RDF}}}about": link})
        sub(entry, "title", item.title)
        sub(entry, "link", link)
        sub(entry, "description", item.summary)
        sub(entry, f"{{{DC}}}date", item.published.isoformat())
        for author in item.authors:
            sub(entry, f"{{{DC}}}creator", author)
        for tag in item.tags:
            sub(entry, f"{{{DC}}}subject", tag)
    return xml_document(root)


def _jsonfeed(doc: FeedDoc) -> bytes:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": doc.feed.title,
        "home_page_url": doc.home_url,
        "feed_url": doc.url,
        "description": doc.publisher.tagline,
        "language": doc.publisher.language,
        "authors": [{"name": doc.publisher.name}],
        "items": [_json_item(item) for item in doc.items],
    }
    return json.dumps(feed, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def _json_item(item: FeedItem) -> dict[str, object]:
    entry: dict[str, object] = {"id": item.guid}
    if item.link:
        entry["url"] = item.link
    entry |= {
        "title": item.title,
        "summary": item.summary,
        "content_text": item.summary,
        "date_published": item.published.isoformat(),
        "date_modified": item.updated.isoformat(),
        "authors": [{"name": author} for author in item.authors],
        "tags": list(item.tags),
    }
    return entry


RENDERERS: dict[str, Callable[[FeedDoc], bytes]] = {
    "rss2": _rss2,
    "atom": _atom,
    "rdf": _rdf,
    "jsonfeed": _jsonfeed,
}
