"""Feed documents -> ParsedFeed (pure: no network, no files, no Prefect, no DuckDB).

RSS 0.9x/1.0/2.0 and Atom go through feedparser here; JSON Feed 1.0/1.1 goes to
flows.feeds.jsonfeed, because feedparser has no reader for it. feedparser dicts end at this
module's boundary: callers only see ``ParsedFeed`` / ``FeedEntry`` records.

Choices worth knowing (see also the tests):

* feedparser only ever receives an ``io.BytesIO``: given ``bytes`` or ``str`` it would try
  ``open()`` them as a path (and a URL string makes it do its own HTTP).
* Character encoding is decided here, then handed to feedparser as the ``charset`` of an
  ``application/xml`` Content-Type: BOM, else the HTTP charset, else the XML prolog, else UTF-8.
  Two corrections on top: ISO-8859-1 and US-ASCII labels mean windows-1252 (as browsers
  do), and bytes that are valid UTF-8 containing non-ASCII text are read as UTF-8 whatever
  the label says (a mislabelled UTF-8 document is common; legacy text that happens to be
  valid UTF-8 is vanishingly rare). Left to itself, feedparser reads ``text/xml`` without
  a charset as US-ASCII and a header set without Content-Type as ISO-8859-1.
* feedparser gets no ``Content-Location``: with one it rewrites relative RSS guids such as
  ``12345`` into ``https://feed.host/12345``, which corrupts guids and invents links. Entry
  links are resolved against the final URL here instead (after feedparser applied any
  ``xml:base``).
* Entry link: the entry's own link (for Atom the rel=alternate one); otherwise, for RSS only,
  a guid that is itself an absolute http(s) URL and not marked ``isPermaLink="false"``.
  An Atom ``<id>`` is never used as a link. Only http/https links count.
* Authors: ``x@site.example (Name)`` and ``Name <x@site.example>`` give ``Name``; a bare
  e-mail address gives no author (its local part, e.g. ``newsroom``, is not a name);
  a leading ``By`` (von, par, por, di, door) is dropped; names are kept as given otherwise
  ("A and B" is one author).
  Atom and JSON Feed entries without authors inherit the feed's authors (as both specs say).
* Dates are aware UTC datetimes. An Atom entry with only ``<updated>`` keeps
  ``published=None`` (the caller decides). RSS items have no updated date: feedparser files
  ``dc:date`` (RSS 1.0, many RSS 2.0 feeds) under "updated", so for RSS it becomes ``published``.
* Malformed XML that feedparser still reads comes back with ``warning`` set; a document
  with no entries and no recognised RSS/Atom version raises FeedError saying why; so does
  any exception feedparser itself raises on corrupted bytes.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import feedparser

from flows.feeds import jsonfeed
from flows.feeds.fields import FeedError, collapse, distinct, http_url, plain_text, summary
from flows.text import bylines, dates, mediatype
from flows.text.charset import bom_codec, decode_html, is_utf8, known_codec
from flows.records import FeedEntry, ParsedFeed

log = logging.getLogger(__name__)

_WARNING_MAX_CHARS = 200
_SNIFF_BYTES = 1024
_JSON_CONTENT_TYPES = frozenset({"application/feed+json", "application/json"})
_FEED_LINK_TYPES = _JSON_CONTENT_TYPES | {"application/rss+xml", "application/atom+xml"}


# ---------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------


def parse(body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
    """Turn a feed response (bytes + HTTP headers + final URL) into a ParsedFeed.

    Raises FeedError when the body is not a feed we can read (HTML page, plain text,
    binary, invalid or truncated JSON, XML that is neither RSS nor Atom, ...).
    """
    if not body or not body.strip():
        raise FeedError("empty body, not a feed")
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    media_type, _ = mediatype.parse(lowered.get("content-type"))
    start = _first_char(body)
    if start in ("{", "[") or (media_type in _JSON_CONTENT_TYPES and start != "<"):
        return jsonfeed.parse(body, lowered, url)
    return _parse_xml_feed(body, lowered, url)


def discover(html: bytes, base_url: str) -> list[str]:
    """Feed URLs a web page advertises with ``<link rel="alternate" type=...>``.

    Types: application/rss+xml, atom+xml, feed+json, json. URLs are made absolute
    (honouring ``<base href>``), kept in page order and de-duplicated; only http(s).
    WordPress REST API links (``/wp-json/``), which WordPress advertises on every page as
    rel=alternate application/json, are not feeds and are left out.
    """
    found = _advertised(html, base_url, "alternate")
    return [url for url, media_type in found if media_type != "application/json" or not _is_wordpress_api(url)]


def sitemap_links(html: bytes, base_url: str) -> list[str]:
    """Sitemap URLs a web page advertises with ``<link rel="sitemap">``, absolute, in page order."""
    return [url for url, _ in _advertised(html, base_url, "sitemap")]


def _advertised(html: bytes, base_url: str, rel: str) -> list[tuple[str, str]]:
    """(absolute URL, media type) of the page's ``<link>`` tags of kind `rel`, each URL once."""
    finder = _LinkFinder()
    try:
        finder.feed(decode_html(html))
        finder.close()
    except AssertionError:  # HTMLParser on garbled "<![" sections; keep the links found so far
        log.debug("%s: page not parseable to the end", base_url)
    base = http_url(finder.base_href, base_url) or base_url
    found: dict[str, str] = {}
    for link_rel, href, media_type in finder.links:
        absolute = http_url(href, base)
        if link_rel == rel and absolute is not None and absolute not in found:
            found[absolute] = media_type
    return list(found.items())


# ---------------------------------------------------------------------------------------
# RSS / Atom via feedparser
# ---------------------------------------------------------------------------------------


def _parse_xml_feed(body: bytes, headers: dict[str, str], url: str) -> ParsedFeed:
    body = _strip_leading_space(body)
    encoding, encoding_note = _choose_xml_encoding(body, headers)
    fp_headers = {k: v for k, v in headers.items() if k not in ("content-type", "content-location")}
    fp_headers["content-type"] = f"application/xml; charset={encoding}" if encoding else "application/xml"
    try:
        result = feedparser.parse(io.BytesIO(body), response_headers=fp_headers)
    except Exception as exc:  # its own bugs on corrupted bytes (TypeError, UnicodeDecodeError, ...)
        raise FeedError(f"feed parser failed: {type(exc).__name__}: {collapse(str(exc))[:100]}") from exc

    version = result.get("version") or ""
    raw_entries = result.get("entries") or []
    bozo = result.get("bozo_exception") if result.get("bozo") else None
    if not version and not raw_entries:
        raise FeedError(_not_a_feed_reason(body, headers, bozo))

    is_rss = version.startswith("rss")
    feed = result.get("feed") or {}
    feed_authors = () if is_rss else _authors_from_dicts(_dict_get(feed, "authors"), None)
    entries = tuple(entry for raw in raw_entries if (entry := _entry_from_feedparser(raw, url, is_rss, feed_authors)))
    skipped = len(raw_entries) - len(entries)
    if skipped:
        log.debug("%s: skipped %d entries without a usable link", url, skipped)

    notes = [n for n in (_bozo_message(bozo, body) if bozo else None, encoding_note) if n]
    warning = "; ".join(notes)[:_WARNING_MAX_CHARS] or None
    if warning:
        log.info("%s: %s", url, warning)
    return ParsedFeed(
        format=version or "unknown",
        title=_detail_text(feed, "title"),
        entries=entries,
        skipped_without_link=skipped,
        warning=warning,
        ttl_minutes=_ttl_minutes(feed),
    )


def _entry_from_feedparser(
    raw: Mapping[str, Any], url: str, is_rss: bool, feed_authors: tuple[str, ...]
) -> FeedEntry | None:
    """One feedparser entry dict -> FeedEntry, or None when it has no usable link."""
    link = _entry_link(raw, url, is_rss)
    if link is None:
        return None
    guid = (_dict_get(raw, "id") or "").strip() or None
    published = dates.from_utc_struct(_dict_get(raw, "published_parsed"))
    # dict.get on purpose: FeedParserDict.get('updated_parsed') falls back to published.
    updated = dates.from_utc_struct(_dict_get(raw, "updated_parsed"))
    if is_rss and published is None:
        # feedparser files an RSS item's dc:date under "updated"; for RSS it is the item's date.
        published, updated = updated, None
    return FeedEntry(
        link=link,
        guid=guid,
        title=_detail_text(raw, "title"),
        published=published,
        updated=updated,
        authors=_authors_from_dicts(_dict_get(raw, "authors"), _dict_get(raw, "author")) or feed_authors,
        tags=_tags(_dict_get(raw, "tags")),
        summary=_entry_summary(raw),
    )


def _entry_link(raw: Mapping[str, Any], url: str, is_rss: bool) -> str | None:
    """The entry's own (alternate) link, else an RSS permalink guid; absolute http(s) only."""
    guid_is_link = bool(_dict_get(raw, "guidislink"))
    candidates: list[str] = []
    if not guid_is_link and _dict_get(raw, "link"):
        candidates.append(_dict_get(raw, "link"))
    for link in _dict_get(raw, "links") or []:
        if isinstance(link, Mapping) and (link.get("rel") or "alternate") == "alternate" and link.get("href"):
            candidates.append(link["href"])
    for candidate in candidates:
        absolute = http_url(candidate, url)
        if absolute:
            return absolute
    guid = (_dict_get(raw, "id") or "").strip()
    # no base: only a guid that is an absolute URL on its own counts
    if is_rss and guid_is_link and " " not in guid and http_url(guid, ""):
        return guid
    return None


def _entry_summary(raw: Mapping[str, Any]) -> str | None:
    text = _detail_text(raw, "summary")
    if not text:
        for content in _dict_get(raw, "content") or []:
            if isinstance(content, Mapping) and content.get("value"):
                text = plain_text(content["value"], content.get("type"))
                if text:
                    break
    return summary(text)


def _detail_text(raw: Mapping[str, Any], key: str) -> str | None:
    """Plain text of feedparser's ``key`` (title, summary), using ``key_detail``'s type."""
    value = _dict_get(raw, key)
    if not isinstance(value, str):
        return None
    detail = _dict_get(raw, f"{key}_detail") or {}
    return plain_text(value, detail.get("type") if isinstance(detail, Mapping) else None) or None


def _tags(raw_tags: Any) -> tuple[str, ...]:
    return distinct(
        collapse(tag.get("term") or tag.get("label") or "") for tag in raw_tags or [] if isinstance(tag, Mapping)
    )


def _authors_from_dicts(details: Any, raw_last: str | None) -> tuple[str, ...]:
    """Names from feedparser's ``authors`` list.

    feedparser splits "x@site.example (Name)" with an e-mail regex that stops after a
    4-letter TLD, leaving name='ple (Name' and email='x@site.exam'. The entry's ``author``
    string is the raw text of the last author, so the last one is re-parsed from it; the
    others are repaired from their name/email pieces.
    """
    details = [d for d in details or [] if isinstance(d, Mapping)]
    last = len(details) - 1
    return distinct(
        bylines.name(raw_last)
        if index == last and isinstance(raw_last, str) and "@" in raw_last
        else _repaired_name(detail.get("name"), detail.get("email"))
        for index, detail in enumerate(details)
    )


def _repaired_name(name: str | None, email: str | None) -> str | None:
    if not email:
        return bylines.name(name)
    text = collapse(name or "")
    if "(" in text:  # "ple (Name" : the name was in parentheses after the e-mail
        text = text.rsplit("(", 1)[1]
    text = re.sub(r"<[^>]*>", "", text)  # "Name <ple>" : the e-mail was in angle brackets
    if re.fullmatch(r"[a-z0-9.-]*", text):  # only the cut-off end of the e-mail's TLD
        return None
    return bylines.name(text)


def _dict_get(mapping: Any, key: str) -> Any:
    """dict.get without FeedParserDict's key aliasing (e.g. updated_parsed -> published_parsed)."""
    return dict.get(mapping, key) if isinstance(mapping, dict) else None


# ---------------------------------------------------------------------------------------
# character encoding (XML)
# ---------------------------------------------------------------------------------------

_PROLOG_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_WINDOWS_1252_ALIASES = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii"})


def _choose_xml_encoding(body: bytes, headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(encoding to tell feedparser or None to let it sniff, a note when we overrode a label)."""
    if bom_codec(body) or b"\x00" in body[:4]:
        return None, None  # BOM or UTF-16/32 without BOM: feedparser's own sniffing handles it
    _, header_charset = mediatype.parse(headers.get("content-type"))
    prolog = _PROLOG_ENCODING.match(body[:512])
    declared = known_codec(header_charset or (prolog.group(1).decode("ascii") if prolog else None))
    if not body.isascii() and is_utf8(body):
        if declared and codecs.lookup(declared).name != "utf-8":
            return "utf-8", f"declared {declared} but the bytes are UTF-8; read as UTF-8"
        return "utf-8", None
    if declared in _WINDOWS_1252_ALIASES:
        return "windows-1252", None
    return declared, None


def _strip_leading_space(body: bytes) -> bytes:
    """Whitespace before ``<?xml`` (a common server-side slip) makes the XML ill-formed."""
    if body.startswith(codecs.BOM_UTF8):
        return codecs.BOM_UTF8 + body[len(codecs.BOM_UTF8) :].lstrip()
    return body.lstrip() if body[:1].isspace() else body


def _first_char(body: bytes) -> str:
    """The document's first non-space character, read through its byte-order mark's codec."""
    codec = bom_codec(body)
    if codec is None:
        return body.lstrip()[:1].decode("latin-1")
    return body[:_SNIFF_BYTES].decode(codec, "ignore").lstrip()[:1]


def _strip_bom_and_space(body: bytes) -> bytes:
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
    return body.lstrip()


# ---------------------------------------------------------------------------------------
# not a feed: say why
# ---------------------------------------------------------------------------------------

_MAGIC = (
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"PK\x03\x04", "a zip archive"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)
_HTML_MARKERS = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.I)
_ROOT_ELEMENT = re.compile(rb"<([A-Za-z_][\w:.-]*)")


def _not_a_feed_reason(body: bytes, headers: Mapping[str, str], bozo: BaseException | None) -> str:
    head = _strip_bom_and_space(body)[:4096]
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return f"binary data ({what}), not a feed"
    if b"\x00" in head and not bom_codec(body):
        return "binary data, not a feed"
    if _HTML_MARKERS.search(head):
        return "HTML page, not a feed"
    if not head.startswith(b"<"):
        media_type, _ = mediatype.parse(headers.get("content-type"))
        return f"plain text ({media_type or 'no content type'}), not a feed"
    if bozo is not None and _error_line(bozo):
        return _bozo_message(bozo, body, recovered=False)
    root = _root_element(head)
    return f"XML but not RSS or Atom (root element <{root}>)" if root else "XML but not RSS or Atom"


def _root_element(head: bytes) -> str | None:
    for match in _ROOT_ELEMENT.finditer(re.sub(rb"<[?!][^>]*>", b"", head)):
        return match.group(1).decode("ascii", "replace")
    return None


def _error_line(exc: BaseException) -> int | None:
    """The line number of feedparser's XML (SAX) error, if it has one."""
    get_line = getattr(exc, "getLineNumber", None)
    try:
        return int(get_line()) if get_line else None
    except (TypeError, ValueError):
        return None


def _bozo_message(exc: BaseException, body: bytes, recovered: bool = True) -> str:
    """A short message for feedparser's bozo exception."""
    line = _error_line(exc)
    if line is not None:
        if not _strip_bom_and_space(body).startswith(b"<?xml"):
            line = max(1, line - 1)  # feedparser prepended an XML declaration line
        detail = exc.getMessage() if hasattr(exc, "getMessage") else str(exc)
        message = f"XML error at line {line}: {detail}"
        if recovered:
            message += " (read leniently)"
    else:
        message = str(exc) or type(exc).__name__
    return collapse(message)[:_WARNING_MAX_CHARS]


# ---------------------------------------------------------------------------------------
# discovery
# ---------------------------------------------------------------------------------------


class _LinkFinder(HTMLParser):
    """Collects <base href>, feed links (rel=alternate with a feed type) and rel=sitemap links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base_href: str | None = None
        self.links: list[tuple[str, str, str]] = []  # (rel, href, media type)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        if tag == "base" and self.base_href is None and values.get("href", "").strip():
            self.base_href = values["href"].strip()
        elif tag == "link" and (href := values.get("href", "").strip()):
            rels = values.get("rel", "").lower().split()
            media_type, _ = mediatype.parse(values.get("type"))
            if "alternate" in rels and media_type in _FEED_LINK_TYPES:
                self.links.append(("alternate", href, media_type))
            elif "sitemap" in rels:
                self.links.append(("sitemap", href, media_type))

    handle_startendtag = handle_starttag


def _is_wordpress_api(url: str) -> bool:
    parts = urlsplit(url)
    return "/wp-json/" in parts.path + "/" or "rest_route=" in parts.query


__all__ = ["FeedError", "discover", "parse", "sitemap_links"]


def _ttl_minutes(feed: Mapping[str, Any]) -> int | None:
    """RSS <ttl>: how many minutes the feed may be cached."""
    value = str(feed.get("ttl") or "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None
