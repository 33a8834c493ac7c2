"""Render a publisher's news sitemap: an index with one Google News sitemap per section."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from flows.demo.catalog import Article, Catalog, Feed, listing_url
from flows.demo.feedgen import sub, xml_document

SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS = "http://www.google.com/schemas/sitemap-news/0.9"
ET.register_namespace("", SITEMAP)
ET.register_namespace("news", NEWS)


def documents(catalog: Catalog, feed: Feed, base_url: str) -> dict[str, tuple[bytes, datetime]]:
    """Path -> (document, newest change in it): the index at ``feed.path`` and its children."""
    listed = [a for a in catalog.articles if any(item.feed == feed.name for item in a.listings)]
    children: dict[str, tuple[bytes, datetime]] = {}
    for section in feed.sections:
        articles = sorted((a for a in listed if a.section == section), key=lambda a: a.published, reverse=True)
        if articles:
            path = feed.path.removesuffix(".xml") + f"-{section}.xml"
            children[path] = (_urlset(catalog, feed, articles, base_url), max(a.updated for a in articles))
    index = ET.Element(f"{{{SITEMAP}}}sitemapindex")
    for path, (_, lastmod) in children.items():
        entry = _sub(index, "sitemap")
        _sub(entry, "loc", base_url + path)
        _sub(entry, "lastmod", lastmod.isoformat())
    newest = max(lastmod for _, lastmod in children.values())
    return {feed.path: (xml_document(index), newest)} | children


def _urlset(catalog: Catalog, feed: Feed, articles: list[Article], base_url: str) -> bytes:
    publisher = catalog.publisher(feed.publisher)
    urlset = ET.Element(f"{{{SITEMAP}}}urlset")
    for article in articles:
        (listing,) = [item for item in article.listings if item.feed == feed.name]
        url = _sub(urlset, "url")
        _sub(url, "loc", listing_url(article, listing, feed, base_url))
        _sub(url, "lastmod", article.updated.isoformat())
        news = ET.SubElement(url, f"{{{NEWS}}}news")
        publication = ET.SubElement(news, f"{{{NEWS}}}publication")
        sub(publication, f"{{{NEWS}}}name", publisher.name)
        sub(publication, f"{{{NEWS}}}language", publisher.language)
        sub(news, f"{{{NEWS}}}publication_date", article.published.isoformat())
        sub(news, f"{{{NEWS}}}title", article.headline)
        if article.tags:
            sub(news, f"{{{NEWS}}}keywords", ", ".join(article.tags))
    return xml_document(urlset)


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    return sub(parent, f"{{{SITEMAP}}}{tag}", text)
