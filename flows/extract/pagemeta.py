"""Metadata a page states about itself: JSON-LD, OpenGraph/meta tags, <html lang>, canonical.

Read before trafilatura cleans the tree, because we want what trafilatura drops:
the time of day and time zone of the publication date.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import html as lxml_html

from flows.text import dates

log = logging.getLogger(__name__)

_ARTICLE_TYPES = {
    "newsarticle",
    "article",
    "reportagenewsarticle",
    "blogposting",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "report",
    "webpage",
}
_PUBLISHED_META = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "dc.date.issued",
    "dcterms.created",
)
_MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified")


@dataclass(frozen=True)
class PageMeta:
    published: tuple[tuple[datetime | None, str], ...] = ()  # candidates, most trusted first
    modified: datetime | None = None
    authors: tuple[str, ...] = ()
    headlines: tuple[str | None, ...] = ()  # JSON-LD headline, H1, og:title, <title>
    site_names: tuple[str | None, ...] = ()  # og:site_name, JSON-LD publisher
    canonical: str | None = None
    language: str | None = None


def read(tree: lxml_html.HtmlElement) -> PageMeta:
    ld = _first_article_object(tree)
    meta = _meta_tags(tree)
    ld_published = dates.timestamp(_text(ld.get("datePublished")))
    meta_published = next((dates.timestamp(meta[k]) for k in _PUBLISHED_META if k in meta), None)
    modified = dates.timestamp(_text(ld.get("dateModified"))) or next(
        (dates.timestamp(meta[k]) for k in _MODIFIED_META if k in meta), None
    )
    publisher = ld.get("publisher")
    return PageMeta(
        published=((ld_published, "jsonld"), (meta_published, "meta")),
        modified=modified,
        authors=tuple(_ld_authors(ld.get("author"))),
        headlines=(
            _text(ld.get("headline")),
            _first_text(tree, "//h1"),
            meta.get("og:title"),
            _first_text(tree, "//title"),
        ),
        site_names=(meta.get("og:site_name"), _text(publisher.get("name")) if isinstance(publisher, dict) else None),
        canonical=_canonical(tree, meta),
        language=_language(tree, meta),
    )


def _first_text(tree: lxml_html.HtmlElement, xpath: str) -> str | None:
    found = tree.xpath(xpath)
    return _text(found[0].text_content()) if found else None


def _ld_objects(tree: lxml_html.HtmlElement) -> Iterator[dict[str, Any]]:
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text_content() or "")
        except ValueError:
            log.debug("skipping unparseable JSON-LD block")
            continue
        stack = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                yield item
                stack.extend(item.get("@graph", []))


def _first_article_object(tree: lxml_html.HtmlElement) -> dict[str, Any]:
    for item in _ld_objects(tree):
        kinds = item.get("@type", [])
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if any(str(kind).lower() in _ARTICLE_TYPES for kind in kinds) and (
            item.get("headline") or item.get("datePublished")
        ):
            return item
    return {}


def _ld_authors(value: Any) -> Iterator[str]:
    for item in value if isinstance(value, list) else [value]:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name.strip():
            yield name.strip()


def _meta_tags(tree: lxml_html.HtmlElement) -> dict[str, str]:
    found: dict[str, str] = {}
    for element in tree.xpath("//meta[@content]"):
        key = (element.get("property") or element.get("name") or element.get("itemprop") or "").lower()
        if key and key not in found:
            found[key] = element.get("content", "").strip()
    return found


def _canonical(tree: lxml_html.HtmlElement, meta: dict[str, str]) -> str | None:
    links = tree.xpath('//link[@rel="canonical"]/@href')
    return (links[0].strip() if links else None) or meta.get("og:url") or None


def _language(tree: lxml_html.HtmlElement, meta: dict[str, str]) -> str | None:
    declared = tree.get("lang") or meta.get("og:locale") or meta.get("content-language") or ""
    code = declared.replace("_", "-").split("-")[0].strip().lower()
    return code if len(code) == 2 and code.isalpha() else None


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
