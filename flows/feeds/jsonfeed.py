"""JSON Feed 1.0/1.1 documents -> ParsedFeed (pure; feedparser does not read JSON Feed).

Items are resolved against the feed's ``home_page_url`` (else ``feed_url``, else the
response URL); items without an http(s) ``url`` or ``external_url`` are skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from flows.feeds.fields import FeedError, collapse, distinct, http_url, plain_text, summary
from flows.text import bylines, dates, mediatype
from flows.text.charset import bom_codec, known_codec
from flows.records import FeedEntry, ParsedFeed

_VERSIONS = {"1": "json10", "1.1": "json11"}


def parse(body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
    """A JSON Feed response (``headers`` lower-cased) -> ParsedFeed; FeedError if it is none."""
    document, warning = _load(body, headers)
    fmt = _format(document.get("version"))
    items = document.get("items")
    if not isinstance(items, list):
        raise FeedError("JSON but not a JSON Feed: missing items list")
    base = url
    for key in ("feed_url", "home_page_url"):  # later wins: items are relative to the site
        base = http_url(document.get(key), base) or base
    feed_authors = _authors(document)
    entries = tuple(entry for item in items if isinstance(item, dict) and (entry := _entry(item, base, feed_authors)))
    return ParsedFeed(
        format=fmt,
        title=collapse(document.get("title")) or None,
        entries=entries,
        skipped_without_link=len(items) - len(entries),
        warning=warning,
    )


def _load(body: bytes, headers: Mapping[str, str]) -> tuple[dict[str, Any], str | None]:
    text, warning = _decode(body, headers)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        if _is_unfinished(text):
            raise FeedError(f"truncated JSON: the document stops inside an open value ({exc.msg})") from None
        raise FeedError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:  # a number too long to convert, nesting too deep
        raise FeedError(f"unreadable JSON: {str(exc)[:100]}") from None
    if not isinstance(document, dict):
        raise FeedError(f"JSON but not a JSON Feed: top level is {type(document).__name__}, not an object")
    return document, warning


def _decode(body: bytes, headers: Mapping[str, str]) -> tuple[str, str | None]:
    """JSON text from bytes: BOM, else the header charset, else UTF-8 (bad bytes replaced)."""
    _, charset = mediatype.parse(headers.get("content-type"))
    for encoding in (bom_codec(body), known_codec(charset), "utf-8"):
        if encoding:
            try:
                return body.decode(encoding), None
            except UnicodeError:  # idna and punycode raise the base class
                continue
    return body.decode("utf-8", "replace"), "JSON Feed is not valid UTF-8; bad bytes replaced"


def _is_unfinished(text: str) -> bool:
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


def _format(version: Any) -> str:
    if not version:
        raise FeedError("JSON but not a JSON Feed: missing version")
    if not isinstance(version, str):
        raise FeedError(f"JSON but not a JSON Feed: version is not a string ({type(version).__name__})")
    match = re.fullmatch(r"https?://jsonfeed\.org/version/(\d+(?:\.\d+)?)/?", version.strip())
    if not match:
        raise FeedError(f"JSON but not a JSON Feed: unknown version {version[:80]!r}")
    number = match.group(1)
    if number.split(".")[0] != "1":
        raise FeedError(f"unsupported JSON Feed version {number}")
    return _VERSIONS.get(number, "json" + number.replace(".", ""))


def _entry(item: Mapping[str, Any], base: str, feed_authors: tuple[str, ...]) -> FeedEntry | None:
    link = next(filter(None, (http_url(item.get(key), base) for key in ("url", "external_url"))), None)
    if link is None:
        return None
    return FeedEntry(
        link=link,
        guid=_guid(item.get("id")),
        title=collapse(item.get("title")) or None,
        published=dates.parse(item.get("date_published")),
        updated=dates.parse(item.get("date_modified")),
        authors=_authors(item) or feed_authors,
        tags=_tags(item.get("tags")),
        summary=_summary(item),
    )


def _guid(raw_id: Any) -> str | None:
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int, float)):
        return None
    return str(raw_id).strip() or None


def _tags(raw: Any) -> tuple[str, ...]:
    """``tags`` must be a list of strings: other items in it, or any other value, give no tags."""
    if not isinstance(raw, list):
        return ()
    return distinct(collapse(tag) for tag in raw if isinstance(tag, str))


def _summary(item: Mapping[str, Any]) -> str | None:
    for key, media_type in (("summary", "text/plain"), ("content_text", "text/plain"), ("content_html", "text/html")):
        value = item.get(key)
        if isinstance(value, str) and (text := plain_text(value, media_type)):
            return summary(text)
    return None


def _authors(obj: Mapping[str, Any]) -> tuple[str, ...]:
    """JSON Feed 1.1 ``authors`` (list) or 1.0 ``author`` (object) -> names."""
    raw = obj.get("authors")
    if not isinstance(raw, list):
        raw = [obj.get("author")]
    return distinct(
        bylines.name(author["name"])
        for author in raw
        if isinstance(author, dict) and isinstance(author.get("name"), str)
    )
