"""Feed documents -> ParsedFeed (pure: no network, no files, no Prefect, no DuckDB).

RSS 0.9x/1.0/2.0 and Atom go through feedparser; JSON Feed 1.0/1.1 has its own small
parser here because feedparser has none. feedparser dicts end at this module's boundary:
callers only see ``ParsedFeed`` / ``FeedEntry`` records.

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
  a leading ``By`` is dropped; names are kept as given otherwise ("A and B" is one author).
  Atom and JSON Feed entries without authors inherit the feed's authors (as both specs say).
* Dates are aware UTC datetimes. An Atom entry with only ``<updated>`` keeps
  ``published=None`` (the caller decides). RSS items have no updated date: feedparser files
  ``dc:date`` (RSS 1.0, many RSS 2.0 feeds) under "updated", so for RSS it becomes ``published``.
* Malformed XML that feedparser still reads comes back with ``warning`` set; a document
  with no entries and no recognised RSS/Atom version raises FeedError saying why.
"""
from __future__ import annotations

import codecs
import html as _html
import io
import json
import logging
import re
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from flows.records import FeedEntry, ParsedFeed

log = logging.getLogger(__name__)

SUMMARY_MAX_CHARS = 1000
WARNING_MAX_CHARS = 200

FEED_LINK_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/feed+json", "application/json"}
)
JSON_CONTENT_TYPES = frozenset({"application/feed+json", "application/json"})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})


class FeedError(ValueError):
    """The document is not a feed we can read; the message says why."""


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
    media_type, _ = _content_type(lowered)
    start = _strip_bom_and_space(body)[:1]
    if start in (b"{", b"[") or (media_type in JSON_CONTENT_TYPES and start != b"<"):
        return _parse_json_feed(body, lowered, url)
    return _parse_xml_feed(body, lowered, url)


def discover(html: bytes, base_url: str) -> list[str]:
    """Feed URLs a web page advertises with ``<link rel="alternate" type=...>``.

    Types: application/rss+xml, atom+xml, feed+json, json. URLs are made absolute
    (honouring ``<base href>``), kept in page order and de-duplicated; only http(s).
    WordPress REST API links (``/wp-json/``), which WordPress advertises on every page as
    rel=alternate application/json, are not feeds and are left out.
    """
    finder = _FeedLinkFinder()
    finder.feed(_decode_html(html))
    finder.close()
    base = urljoin(base_url, finder.base_href) if finder.base_href else base_url
    found: list[str] = []
    for href, media_type in finder.links:
        absolute = _http_url(href, base)
        if absolute is None or absolute in found:
            continue
        if media_type == "application/json" and _is_wordpress_api(absolute):
            continue
        found.append(absolute)
    return found


# ---------------------------------------------------------------------------------------
# RSS / Atom via feedparser
# ---------------------------------------------------------------------------------------


def _parse_xml_feed(body: bytes, headers: dict[str, str], url: str) -> ParsedFeed:
    body = _strip_leading_space(body)
    encoding, encoding_note = _choose_xml_encoding(body, headers)
    fp_headers = {k: v for k, v in headers.items() if k not in ("content-type", "content-location")}
    fp_headers["content-type"] = f"application/xml; charset={encoding}" if encoding else "application/xml"
    result = feedparser.parse(io.BytesIO(body), response_headers=fp_headers)

    version = result.get("version") or ""
    raw_entries = result.get("entries") or []
    bozo = result.get("bozo_exception") if result.get("bozo") else None
    if not version and not raw_entries:
        raise FeedError(_not_a_feed_reason(body, headers, bozo))

    is_rss = version.startswith("rss")
    feed_authors = () if is_rss else _authors_from_dicts(_dict_get(result.get("feed") or {}, "authors"), None)
    entries: list[FeedEntry] = []
    skipped = 0
    for raw in raw_entries:
        entry = _entry_from_feedparser(raw, url, is_rss, feed_authors)
        if entry is None:
            skipped += 1
        else:
            entries.append(entry)
    if skipped:
        log.debug("%s: skipped %d entries without a usable link", url, skipped)

    notes = [n for n in (_bozo_message(bozo, body) if bozo else None, encoding_note) if n]
    warning = "; ".join(notes)[:WARNING_MAX_CHARS] or None
    if warning:
        log.info("%s: %s", url, warning)
    feed = result.get("feed") or {}
    return ParsedFeed(
        format=version or "unknown",
        title=_detail_text(feed, "title"),
        entries=tuple(entries),
        skipped_without_link=skipped,
        warning=warning,
    )


def _entry_from_feedparser(
    raw: Mapping[str, Any], url: str, is_rss: bool, feed_authors: tuple[str, ...]
) -> FeedEntry | None:
    """One feedparser entry dict -> FeedEntry, or None when it has no usable link."""
    link = _entry_link(raw, url, is_rss)
    if link is None:
        return None
    guid = (_dict_get(raw, "id") or "").strip() or None
    published = _struct_to_utc(_dict_get(raw, "published_parsed"))
    # dict.get on purpose: FeedParserDict.get('updated_parsed') falls back to published.
    updated = _struct_to_utc(_dict_get(raw, "updated_parsed"))
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
        absolute = _http_url(candidate, url)
        if absolute:
            return absolute
    guid = (_dict_get(raw, "id") or "").strip()
    if is_rss and guid_is_link and _is_absolute_http(guid):
        return guid
    return None


def _entry_summary(raw: Mapping[str, Any]) -> str | None:
    text = _detail_text(raw, "summary")
    if not text:
        for content in _dict_get(raw, "content") or []:
            if isinstance(content, Mapping) and content.get("value"):
                text = _to_text(content["value"], content.get("type"))
                if text:
                    break
    return _cap(text, SUMMARY_MAX_CHARS) if text else None


def _detail_text(raw: Mapping[str, Any], key: str) -> str | None:
    """Plain text of feedparser's ``key`` (title, summary), using ``key_detail``'s type."""
    value = _dict_get(raw, key)
    if not isinstance(value, str):
        return None
    detail = _dict_get(raw, f"{key}_detail") or {}
    return _to_text(value, detail.get("type") if isinstance(detail, Mapping) else None) or None


def _struct_to_utc(value: Any) -> datetime | None:
    """feedparser's *_parsed (a UTC struct_time) -> aware UTC datetime; None if unusable."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime(*value[:6], tzinfo=timezone.utc)
    except (ValueError, TypeError, OverflowError):
        return None


def _tags(raw_tags: Any) -> tuple[str, ...]:
    terms: list[str] = []
    for tag in raw_tags or []:
        if not isinstance(tag, Mapping):
            continue
        term = _collapse(tag.get("term") or tag.get("label") or "")
        if term and term not in terms:
            terms.append(term)
    return tuple(terms)


# ---------------------------------------------------------------------------------------
# authors
# ---------------------------------------------------------------------------------------

_EMAIL = r"(?:mailto:)?[^\s@()<>]+@[^\s@()<>]+"
_EMAIL_THEN_NAME = re.compile(rf"{_EMAIL}\s*\((.*?)\)?", re.S)
_NAME_THEN_EMAIL = re.compile(rf"(.*?)\s*[(<\[]\s*{_EMAIL}\s*[)>\]]?", re.S)
_BARE_EMAIL = re.compile(_EMAIL)
_BY_PREFIX = re.compile(r"^by[\s:]+", re.I)


def author_name(text: str | None) -> str | None:
    """A display name from an author string, or None.

    ``x@site.example (Name)`` and ``Name <x@site.example>`` -> ``Name``; a bare e-mail
    address -> None; a leading "By " is dropped.
    """
    value = _collapse(_html.unescape(text or ""))
    if not value:
        return None
    match = _EMAIL_THEN_NAME.fullmatch(value) or _NAME_THEN_EMAIL.fullmatch(value)
    if match:
        value = match.group(1) or ""
    elif _BARE_EMAIL.fullmatch(value):
        return None
    value = _BY_PREFIX.sub("", value.strip(" ()<>,;")).strip()
    return value or None


def _authors_from_dicts(details: Any, raw_last: str | None) -> tuple[str, ...]:
    """Names from feedparser's ``authors`` list.

    feedparser splits "x@site.example (Name)" with an e-mail regex that stops after a
    4-letter TLD, leaving name='ple (Name' and email='x@site.exam'. The entry's ``author``
    string is the raw text of the last author, so the last one is re-parsed from it; the
    others are repaired from their name/email pieces.
    """
    names: list[str] = []
    details = [d for d in details or [] if isinstance(d, Mapping)]
    for index, detail in enumerate(details):
        is_last = index == len(details) - 1
        if is_last and isinstance(raw_last, str) and "@" in raw_last:
            name = author_name(raw_last)
        else:
            name = _repaired_name(detail.get("name"), detail.get("email"))
        if name and name not in names:
            names.append(name)
    return tuple(names)


def _repaired_name(name: str | None, email: str | None) -> str | None:
    if not email:
        return author_name(name)
    text = _collapse(name or "")
    if "(" in text:  # "ple (Name" : the name was in parentheses after the e-mail
        text = text.rsplit("(", 1)[1]
    text = re.sub(r"<[^>]*>", "", text)  # "Name <ple>" : the e-mail was in angle brackets
    if re.fullmatch(r"[a-z0-9.-]*", text):  # only the cut-off end of the e-mail's TLD
        return None
    return author_name(text)


# ---------------------------------------------------------------------------------------
# character encoding (XML)
# ---------------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (codecs.BOM_UTF16_LE, "utf-16"),
)
_PROLOG_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_WINDOWS_1252_ALIASES = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii"})


def _choose_xml_encoding(body: bytes, headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(encoding to tell feedparser or None to let it sniff, a note when we overrode a label)."""
    if any(body.startswith(bom) for bom, _ in _BOMS) or b"\x00" in body[:4]:
        return None, None  # BOM or UTF-16/32 without BOM: feedparser's own sniffing handles it
    _, header_charset = _content_type(headers)
    prolog = _PROLOG_ENCODING.match(body[:512])
    declared = header_charset or (prolog.group(1).decode("ascii").lower() if prolog else None)
    if declared:
        declared = _known_codec(declared)
    if not body.isascii() and _is_utf8(body):
        if declared and codecs.lookup(declared).name != "utf-8":
            return "utf-8", f"declared {declared} but the bytes are UTF-8; read as UTF-8"
        return "utf-8", None
    if declared in _WINDOWS_1252_ALIASES:
        return "windows-1252", None
    return declared, None


def _known_codec(label: str) -> str | None:
    label = label.strip().strip("\"'").lower()
    try:
        codecs.lookup(label)
    except LookupError:
        return None
    return label


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


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
    if b"\x00" in head and not any(body.startswith(bom) for bom, _ in _BOMS):
        return "binary data, not a feed"
    if _HTML_MARKERS.search(head):
        return "HTML page, not a feed"
    if not head.startswith(b"<"):
        media_type, _ = _content_type(headers)
        return f"plain text ({media_type or 'no content type'}), not a feed"
    if bozo is not None and _bozo_line(bozo):
        return _bozo_message(bozo, body, recovered=False)
    root = _root_element(head)
    return f"XML but not RSS or Atom (root element <{root}>)" if root else "XML but not RSS or Atom"


def _root_element(head: bytes) -> str | None:
    for match in _ROOT_ELEMENT.finditer(re.sub(rb"<[?!][^>]*>", b"", head)):
        return match.group(1).decode("ascii", "replace")
    return None


def _bozo_line(exc: BaseException, body: bytes = b"<?xml") -> int | None:
    """The line of feedparser's XML error in the caller's document.

    feedparser prepends an XML declaration line to documents without one, so its line
    numbers are one too high for them.
    """
    get_line = getattr(exc, "getLineNumber", None)
    try:
        line = int(get_line()) if get_line else None
    except (TypeError, ValueError):
        return None
    if line is not None and not _strip_bom_and_space(body).startswith(b"<?xml"):
        line = max(1, line - 1)
    return line


def _bozo_message(exc: BaseException, body: bytes, recovered: bool = True) -> str:
    """A short message for feedparser's bozo exception."""
    line = _bozo_line(exc, body)
    if line is not None:
        detail = exc.getMessage() if hasattr(exc, "getMessage") else str(exc)
        message = f"XML error at line {line}: {detail}"
        if recovered:
            message += " (read leniently)"
    else:
        message = str(exc) or type(exc).__name__
    return _collapse(message)[:WARNING_MAX_CHARS]


# ---------------------------------------------------------------------------------------
# JSON Feed 1.0 / 1.1
# ---------------------------------------------------------------------------------------

_JSON_FEED_VERSIONS = {"1": "json10", "1.1": "json11"}


def _parse_json_feed(body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
    text, warning = _decode_json(body, headers)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        if _json_is_unfinished(text):
            raise FeedError(f"truncated JSON: the document stops inside an open value ({exc.msg})") from None
        raise FeedError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if not isinstance(document, dict):
        raise FeedError(f"JSON but not a JSON Feed: top level is {type(document).__name__}, not an object")
    fmt = _json_feed_format(document.get("version"))
    items = document.get("items")
    if not isinstance(items, list):
        raise FeedError("JSON but not a JSON Feed: missing items list")

    base = url
    for key in ("feed_url", "home_page_url"):  # later wins: items are relative to the site
        if isinstance(document.get(key), str) and document[key].strip():
            base = urljoin(base, document[key].strip())
    feed_authors = _json_authors(document)
    entries: list[FeedEntry] = []
    skipped = 0
    for item in items:
        entry = _json_entry(item, base, feed_authors) if isinstance(item, dict) else None
        if entry is None:
            skipped += 1
        else:
            entries.append(entry)
    return ParsedFeed(
        format=fmt,
        title=_collapse(document.get("title")) or None,
        entries=tuple(entries),
        skipped_without_link=skipped,
        warning=warning,
    )


def _json_is_unfinished(text: str) -> bool:
    """True when the text ends inside a string or with brackets still open (a cut-off body)."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
    return in_string or depth > 0


def _decode_json(body: bytes, headers: Mapping[str, str]) -> tuple[str, str | None]:
    """JSON text from bytes: BOM, else the header charset, else UTF-8 (bad bytes replaced)."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            try:
                return body.decode(name if name != "utf-8" else "utf-8-sig"), None
            except UnicodeDecodeError:
                break
    _, charset = _content_type(headers)
    for encoding in (_known_codec(charset) if charset else None, "utf-8"):
        if encoding:
            try:
                return body.decode(encoding), None
            except UnicodeDecodeError:
                continue
    return body.decode("utf-8", "replace"), "JSON Feed is not valid UTF-8; bad bytes replaced"


def _json_feed_format(version: Any) -> str:
    if not version:
        raise FeedError("JSON but not a JSON Feed: missing version")
    match = re.fullmatch(r"https?://jsonfeed\.org/version/(\d+(?:\.\d+)?)/?", str(version).strip())
    if not match:
        raise FeedError(f"JSON but not a JSON Feed: unknown version {str(version)[:80]!r}")
    number = match.group(1)
    if number.split(".")[0] != "1":
        raise FeedError(f"unsupported JSON Feed version {number}")
    return _JSON_FEED_VERSIONS.get(number, "json" + number.replace(".", ""))


def _json_entry(item: Mapping[str, Any], base: str, feed_authors: tuple[str, ...]) -> FeedEntry | None:
    link = None
    for key in ("url", "external_url"):
        if isinstance(item.get(key), str):
            link = _http_url(item[key], base)
            if link:
                break
    if link is None:
        return None
    raw_id = item.get("id")
    guid = str(raw_id).strip() if isinstance(raw_id, (str, int, float)) and not isinstance(raw_id, bool) else ""
    return FeedEntry(
        link=link,
        guid=guid or None,
        title=_collapse(item.get("title")) or None,
        published=_parse_json_date(item.get("date_published")),
        updated=_parse_json_date(item.get("date_modified")),
        authors=_json_authors(item) or feed_authors,
        tags=tuple(dict.fromkeys(t for t in (_collapse(x) for x in item.get("tags") or [] if isinstance(x, str)) if t)),
        summary=_json_summary(item),
    )


def _json_summary(item: Mapping[str, Any]) -> str | None:
    for key, kind in (("summary", "text/plain"), ("content_text", "text/plain"), ("content_html", "text/html")):
        value = item.get(key)
        if isinstance(value, str):
            text = _to_text(value, kind)
            if text:
                return _cap(text, SUMMARY_MAX_CHARS)
    return None


def _json_authors(obj: Mapping[str, Any]) -> tuple[str, ...]:
    """JSON Feed 1.1 ``authors`` (list) or 1.0 ``author`` (object) -> names."""
    raw = obj.get("authors")
    if not isinstance(raw, list):
        raw = [obj.get("author")]
    names: list[str] = []
    for author in raw:
        name = author_name(author.get("name")) if isinstance(author, dict) and isinstance(author.get("name"), str) else None
        if name and name not in names:
            names.append(name)
    return tuple(names)


def _parse_json_date(value: Any) -> datetime | None:
    """RFC 3339 (tolerating RFC 822, which some publishers use) -> aware UTC datetime."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            log.debug("unparseable JSON Feed date %r", value)
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


# ---------------------------------------------------------------------------------------
# text and URL helpers
# ---------------------------------------------------------------------------------------


class _TextExtractor(HTMLParser):
    """Text of an HTML fragment; script/style dropped, block boundaries become spaces."""

    _SKIP = frozenset({"script", "style", "template"})
    _BLOCKS = frozenset({"br", "p", "div", "li", "ul", "ol", "tr", "td", "th", "h1", "h2", "h3",
                         "h4", "h5", "h6", "blockquote", "pre", "figure", "figcaption", "hr", "img"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment, entities decoded, whitespace collapsed."""
    parser = _TextExtractor()
    try:
        parser.feed(fragment)
        parser.close()
    except Exception:  # HTMLParser is lenient; this is a last resort, never a crash
        log.debug("HTML fragment not parseable; falling back to a regex strip")
        return _collapse(_html.unescape(re.sub(r"<[^>]*>", " ", fragment)))
    return _collapse("".join(parser.parts))


def _to_text(value: str, content_type: str | None) -> str:
    if (content_type or "text/html").lower() in HTML_TYPES:
        return html_to_text(value)
    return _collapse(value)


def _collapse(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.") + "…"


def _http_url(href: Any, base: str) -> str | None:
    """``href`` made absolute against ``base``; None unless it is an http(s) URL with a host."""
    if not isinstance(href, str) or not href.strip():
        return None
    try:
        absolute = urljoin(base, href.strip())
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return absolute


def _is_absolute_http(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname) and " " not in value


def _content_type(headers: Mapping[str, str]) -> tuple[str, str | None]:
    """(media type lower-cased, charset lower-cased or None) of a lower-cased header map."""
    raw = headers.get("content-type") or ""
    media_type, _, params = raw.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'").lower()
    return media_type.strip().lower(), charset


def _strip_leading_space(body: bytes) -> bytes:
    """Whitespace before ``<?xml`` (a common server-side slip) makes the XML ill-formed."""
    if body.startswith(codecs.BOM_UTF8):
        return codecs.BOM_UTF8 + body[len(codecs.BOM_UTF8):].lstrip()
    return body.lstrip() if body[:1].isspace() else body


def _strip_bom_and_space(body: bytes) -> bytes:
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8):]
    return body.lstrip()


def _dict_get(mapping: Any, key: str) -> Any:
    """dict.get without FeedParserDict's key aliasing (e.g. updated_parsed -> published_parsed)."""
    return dict.get(mapping, key) if isinstance(mapping, dict) else None


# ---------------------------------------------------------------------------------------
# discovery
# ---------------------------------------------------------------------------------------


class _FeedLinkFinder(HTMLParser):
    """Collects <base href> and <link rel=alternate type=feed-type href> in page order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base_href: str | None = None
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        if tag == "base" and self.base_href is None and values.get("href", "").strip():
            self.base_href = values["href"].strip()
        elif tag == "link":
            rels = values.get("rel", "").lower().split()
            media_type = values.get("type", "").split(";")[0].strip().lower()
            href = values.get("href", "").strip()
            if "alternate" in rels and media_type in FEED_LINK_TYPES and href:
                self.links.append((href, media_type))

    handle_startendtag = handle_starttag


def _decode_html(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return body.decode("windows-1252", "replace")


def _is_wordpress_api(url: str) -> bool:
    parts = urlsplit(url)
    return "/wp-json/" in parts.path + "/" or "rest_route=" in parts.query


__all__ = ["FeedError", "author_name", "discover", "html_to_text", "parse"]
