"""Metadata a page states about itself: JSON-LD, OpenGraph/meta tags, <html lang>, canonical.

Read before trafilatura cleans the tree, because we want what trafilatura drops:
the time of day and time zone of the publication date.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from flows.extract import access
from flows.text import bylines, dates

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
_TAG_META = etree.XPath('//meta[@property="article:tag" or @name="keywords" or @name="news_keywords"][@content]')
_AUTHOR_KEYS = ("author", "dc.creator", "article:author", "byl", "sailthru.author")
_LOWER = "translate({}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"  # <meta name="Author">
_AUTHOR_META = etree.XPath(
    "//meta[@content]["
    + " or ".join(f"{_LOWER.format(attr)}='{k}'" for k in _AUTHOR_KEYS for attr in ("@name", "@property"))
    + "]"
)
_MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified")
_IN_BREADCRUMB = etree.XPath("ancestor::nav or ancestor::li or ancestor-or-self::*[contains(@class, 'readcrumb')]")


@dataclass(frozen=True)
class PageMeta:
    published: tuple[tuple[datetime | None, str], ...] = ()  # candidates, most trusted first
    modified: datetime | None = None
    authors: tuple[str, ...] = ()
    headlines: tuple[str | None, ...] = ()  # H1, og:title, JSON-LD headline, <title>
    site_names: tuple[str | None, ...] = ()  # og:site_name, JSON-LD publisher
    canonical: str | None = None
    language: str | None = None
    description: str | None = None
    image: str | None = None
    tags: tuple[str, ...] = ()
    bylines: tuple[str, ...] = ()  # what the meta author tags say
    access: str | None = None  # as the markup states it (flows.extract.access)
    tdm: dict[str, str] | None = None  # the tdm-reservation and tdm-policy meta tags


def read(tree: lxml_html.HtmlElement) -> PageMeta:
    ld_objects = list(_ld_objects(tree))
    ld = _first_article_object(ld_objects)
    meta = _meta_tags(tree)
    ld_published = dates.timestamp(_text(ld.get("datePublished")))
    meta_published = next((dates.timestamp(meta[k]) for k in _PUBLISHED_META if k in meta), None)
    microdata_published = _microdata_stamp(tree, "datePublished")
    modified = dates.timestamp(_text(ld.get("dateModified"))) or next(
        (dates.timestamp(meta[k]) for k in _MODIFIED_META if k in meta), None
    )
    publisher = ld.get("publisher")
    return PageMeta(
        published=((ld_published, "jsonld"), (meta_published, "meta"), (microdata_published, "microdata")),
        modified=modified,
        authors=tuple(_ld_authors(ld.get("author"))),
        headlines=(
            _shown_headline(tree),
            meta.get("og:title"),
            _text(ld.get("headline")),
            _first_text(tree, "//title"),
        ),
        site_names=(meta.get("og:site_name"), _text(publisher.get("name")) if isinstance(publisher, dict) else None),
        canonical=_canonical(tree, meta),
        language=_language(tree, meta),
        description=meta.get("og:description") or meta.get("description") or _text(ld.get("description")),
        image=meta.get("og:image") or meta.get("twitter:image") or _ld_image(ld.get("image")),
        tags=_tags(tree, ld),
        bylines=_stated_bylines(tree),
        access=access.stated([ld, *ld_objects], meta),
        tdm={key: meta[key] for key in ("tdm-reservation", "tdm-policy") if key in meta},
    )


def _stated_bylines(tree: lxml_html.HtmlElement) -> tuple[str, ...]:
    """The values of the first author meta tag the page has (each may repeat, one per author)."""
    by_key: dict[str, list[str]] = {}
    for element in _AUTHOR_META(tree):
        key = (element.get("name") or element.get("property") or "").lower()
        value = element.get("content", "").strip()
        if value and "://" not in value:
            by_key.setdefault(key, []).append(bylines.structured(value) if key == "dc.creator" else value)
    return next((tuple(by_key[key]) for key in _AUTHOR_KEYS if key in by_key), ())


def _microdata_stamp(tree: lxml_html.HtmlElement, prop: str) -> datetime | None:
    """<time itemprop="datePublished" datetime="..."> (or content=): schema.org as microdata."""
    for element in tree.xpath(f'//*[@itemprop="{prop}"][@datetime or @content]'):
        if stamp := dates.timestamp(element.get("datetime") or element.get("content")):
            return stamp
    return None


def _tags(tree: lxml_html.HtmlElement, ld: dict[str, Any]) -> tuple[str, ...]:
    stated = [element.get("content", "") for element in _TAG_META(tree)]
    keywords = ld.get("keywords")
    stated.extend(keywords if isinstance(keywords, list) else [keywords] if isinstance(keywords, str) else [])
    return tuple(tag for value in stated for tag in (_text(part) for part in str(value).split(",")) if tag)


def _ld_image(value: Any) -> str | None:
    first = value[0] if isinstance(value, list) and value else value
    return _text(first.get("url") if isinstance(first, dict) else first)


def _shown_headline(tree: lxml_html.HtmlElement) -> str | None:
    """The first <h1>; where that is the last step of a breadcrumb trail (a label for search
    engines), the <h2> shown after it."""
    found = tree.xpath("//h1")
    if not found:
        return None
    shown = found[0].xpath("following::h2[1]") if _IN_BREADCRUMB(found[0]) else ()
    return _text((shown or found)[0].text_content())


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


def _first_article_object(objects: list[dict[str, Any]]) -> dict[str, Any]:
    for item in objects:
        kinds = item.get("@type", [])
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if any(str(kind).lower() in _ARTICLE_TYPES for kind in kinds) and (
            item.get("headline") or item.get("datePublished")
        ):
            return item
    return {}


def _ld_authors(value: Any) -> Iterator[str]:
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict) and (text := _text(item.get("name"))):
            yield bylines.structured(text)  # one person, "Surname, Given" as often as not
        elif text := _text(item):
            yield text


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
    """A stated string, its HTML entities decoded: JSON-LD often carries "R&uuml;ckbau" or "&#8217;"."""
    text = html.unescape(value).strip() if isinstance(value, str) else ""
    return text or None
