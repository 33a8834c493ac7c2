"""One sitemap file: uncompressed within the protocol's limits, refused when it is HTML or
declares entities, then read as an index (our reader: it keeps each child's <lastmod>) or as
a URL set (ultimate-sitemap-parser: every dialect, Google News and image tags included)."""

from __future__ import annotations

import logging
import re
import xml.parsers.expat
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone

from typing import TYPE_CHECKING

from flows.records import FeedEntry
from flows.text import charset, dates

if TYPE_CHECKING:
    from usp.objects.page import SitemapPage

MAX_URLS = 50_000  # per file, and
MAX_BYTES = 50 * 1024 * 1024  # uncompressed bytes per file: the sitemap protocol's limits
_GZIP_MAGIC = b"\x1f\x8b"
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>])", re.IGNORECASE | re.DOTALL)

logging.getLogger("usp").setLevel(logging.CRITICAL)  # its parse errors reach us as InvalidSitemap


class SitemapError(ValueError):
    """The document is not a sitemap we can read; the message says why, in one line."""


@dataclass(frozen=True)
class Listed:
    """A sitemap an index lists."""

    url: str
    lastmod: datetime | None


@dataclass(frozen=True)
class Sitemap:
    """What one sitemap file lists: other sitemaps (an index) or entries (a URL set)."""

    children: tuple[Listed, ...] = ()
    entries: tuple[FeedEntry, ...] = ()
    warning: str | None = None


def read(body: bytes) -> Sitemap:
    xml = _uncompressed(body)
    if not xml.strip():
        raise SitemapError("empty document, not a sitemap")
    if _HTML_START.match(xml[:4096]):
        raise SitemapError("an HTML page, not a sitemap")
    text = xml.decode(_encoding(xml), errors="replace")
    if _root_element(text) == "sitemapindex":
        return _index(text)
    return _url_set(text)


def _uncompressed(body: bytes) -> bytes:
    if not body.startswith(_GZIP_MAGIC):
        if len(body) > MAX_BYTES:
            raise SitemapError(f"larger than the protocol's {MAX_BYTES // 2**20} MB per sitemap")
        return body
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        xml = inflater.decompress(body, MAX_BYTES + 1)
    except zlib.error as exc:
        raise SitemapError(f"broken gzip data: {exc}") from None
    if len(xml) > MAX_BYTES or inflater.unconsumed_tail:
        raise SitemapError(f"uncompressed, larger than the protocol's {MAX_BYTES // 2**20} MB per sitemap")
    if not inflater.eof:
        raise SitemapError(f"truncated gzip data ({len(xml):,} bytes uncompressed before it ends)")
    return xml


def _encoding(xml: bytes) -> str:
    declared = _XML_ENCODING.match(xml[:200])
    return charset.bom_codec(xml) or charset.known_codec(declared.group(1).decode() if declared else None) or "utf-8"


def _hardened(parser: xml.parsers.expat.XMLParserType) -> None:
    def refuse(*_: object) -> None:
        raise SitemapError("declares a DOCTYPE or entities, which sitemaps never need: refused")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)


def _root_element(text: str) -> str | None:
    """The local name of the document's first element (parsing stops there)."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    _hardened(parser)
    found: list[str] = []

    def start(name: str, _attributes: object) -> None:
        found.append(name.rsplit(" ", 1)[-1])
        raise StopIteration

    parser.StartElementHandler = start
    try:
        parser.Parse(text, True)
    except StopIteration:
        return found[0]
    except xml.parsers.expat.ExpatError:
        return None  # a plain-text sitemap, or broken XML: the URL-set reader says which
    return None


def _index(text: str) -> Sitemap:
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    _hardened(parser)
    children: list[Listed] = []
    current: dict[str, str] = {}
    path: list[str] = []
    chars: list[str] = []

    def start(name: str, _attributes: object) -> None:
        path.append(name.rsplit(" ", 1)[-1])
        chars.clear()

    def end(_name: str) -> None:
        element = path.pop()
        if element in ("loc", "lastmod") and path[-1:] == ["sitemap"]:
            current[element] = "".join(chars).strip()
        elif element == "sitemap":
            if current.get("loc", "").startswith(("http://", "https://")):
                children.append(Listed(current["loc"], dates.parse(current.get("lastmod"))))
            current.clear()
        chars.clear()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars.append
    try:
        parser.Parse(text, True)
    except xml.parsers.expat.ExpatError as exc:
        if not children:
            raise SitemapError(f"broken XML: {exc}") from None
        return Sitemap(children=tuple(children), warning=f"broken XML after {len(children)} sitemaps: {exc}")
    return Sitemap(children=tuple(children))


def _url_set(text: str) -> Sitemap:
    # Imported here: it brings `requests` along, which a run without sitemaps need not load.
    from usp.objects.sitemap import AbstractPagesSitemap, InvalidSitemap
    from usp.tree import sitemap_from_str

    parsed = sitemap_from_str(text)
    if isinstance(parsed, InvalidSitemap) or not isinstance(parsed, AbstractPagesSitemap):
        raise SitemapError("neither a sitemap index nor a URL set")
    entries: list[FeedEntry] = []
    warning = None
    for page in parsed.pages:
        if len(entries) == MAX_URLS:
            warning = f"lists more than the protocol's {MAX_URLS:,} URLs per sitemap: read the first {MAX_URLS:,}"
            break
        entries.append(_entry(page))
    return Sitemap(entries=tuple(entries), warning=warning)


def _entry(page: SitemapPage) -> FeedEntry:
    story = page.news_story
    lastmod = _utc(page.last_modified)
    return FeedEntry(
        link=page.url,
        title=(story.title or None) if story else None,
        published=_utc(story.publish_date) if story else None,
        updated=lastmod,
        tags=tuple(story.keywords) if story else (),
        language=(story.publication_language or None) if story else None,
        image_url=page.images[0].loc if page.images else None,
        origin="sitemap",
    )


def _utc(when: datetime | None) -> datetime | None:
    if when is None:
        return None
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
