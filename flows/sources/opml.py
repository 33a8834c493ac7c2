"""OPML, the feed readers' list format: read one into sources, write sources as one.

Parsing uses expat directly and refuses any DOCTYPE or entity declaration, so no
entity is ever expanded (billion laughs, external entities) whatever the file says.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any
from xml.parsers import expat

from flows.configuration import SOURCE_NAME_PATTERN, is_http_url
from flows.records import Source
from flows.sources.sourcefile import suggest_name
from flows.identity.urls import canonical

_SOURCE_NAME = re.compile(SOURCE_NAME_PATTERN)


class OpmlError(ValueError):
    """Not an OPML file we are willing to read."""


@dataclass(frozen=True)
class Feed:
    """One outline with an xmlUrl; category is the folder (outline) it sits in, if any."""

    url: str
    title: str | None = None
    site: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class Outlines:
    feeds: tuple[Feed, ...]
    skipped: tuple[str, ...]  # outlines that are neither a feed nor a folder of feeds


@dataclass(frozen=True)
class ImportPlan:
    added: tuple[dict[str, Any], ...]  # new sources.yaml entries, in file order
    present: tuple[tuple[Feed, str], ...]  # (feed, name of the source that has its URL)
    repeated: tuple[Feed, ...]  # listed again further down the same file
    skipped: tuple[str, ...]  # no xmlUrl, or not an http(s) one


def parse(data: bytes) -> Outlines:
    """The feeds of an OPML document, folders (nested outlines) becoming categories."""
    feeds: list[Feed] = []
    skipped: list[str] = []
    open_outlines: list[_Open] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag != "outline":
            return
        label = attrs.get("title") or attrs.get("text")
        url = (attrs.get("xmlUrl") or "").strip()
        if url:
            category = next((o.label for o in reversed(open_outlines) if o.label and not o.is_feed), None)
            feeds.append(Feed(url, label, attrs.get("htmlUrl") or None, category))
            for outline in open_outlines:
                outline.holds_feeds = True
        open_outlines.append(_Open(label, is_feed=bool(url)))

    def end(tag: str) -> None:
        if tag == "outline":
            outline = open_outlines.pop()
            if not outline.is_feed and not outline.holds_feeds:
                skipped.append(f"{outline.label or '(untitled outline)'} (no xmlUrl)")

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise OpmlError(f"not well-formed XML: {exc}") from None
    return Outlines(tuple(feeds), tuple(skipped))


@dataclass
class _Open:
    label: str | None
    is_feed: bool
    holds_feeds: bool = False


def _refuse_doctype(*_: object) -> None:
    raise OpmlError("refusing an OPML file with a DOCTYPE or entity declarations")


def plan_import(outlines: Outlines, existing: Sequence[tuple[str, str]]) -> ImportPlan:
    """Which feeds are new, against (name, url) pairs already listed; URLs are compared
    canonically, and names are made from titles, unique and as sources.yaml allows."""
    known = {canonical(url): name for name, url in existing}
    names = {name for name, _ in existing}
    added, present, repeated, skipped = [], [], [], list(outlines.skipped)
    seen_here: set[str] = set()
    for feed in outlines.feeds:
        if not is_http_url(feed.url):
            skipped.append(f"{feed.title or feed.url} (not an http(s) URL)")
            continue
        key = canonical(feed.url)
        if key in seen_here:
            repeated.append(feed)
            continue
        seen_here.add(key)
        if key in known:
            present.append((feed, known[key]))
            continue
        name = _unique(_name_for(feed), names)
        names.add(name)
        entry = {"name": name, "url": feed.url, "site": _http_or_none(feed.site), "category": feed.category}
        added.append({k: v for k, v in entry.items() if v is not None})
    return ImportPlan(tuple(added), tuple(present), tuple(repeated), tuple(skipped))


def _name_for(feed: Feed) -> str:
    title = (feed.title or "").strip()
    return title if _SOURCE_NAME.match(title) and len(title) <= 60 else suggest_name(title or None, feed.url)


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}-{n}"
    return candidate


def _http_or_none(url: str | None) -> str | None:
    return url if url and is_http_url(url) else None


def write(sources: Iterable[Source], title: str, now: datetime | None = None) -> str:
    """OPML 2.0 for the sources; each category becomes a folder outline, in first-seen order."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(now or datetime.now(timezone.utc))
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    for source in sources:
        parent = body
        if source.category:
            if source.category not in folders:
                folders[source.category] = ET.SubElement(body, "outline", text=source.category, title=source.category)
            parent = folders[source.category]
        attrs = {"type": "rss", "text": source.name, "title": source.name, "xmlUrl": source.feed_url}
        if source.site:
            attrs["htmlUrl"] = source.site
        ET.SubElement(parent, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
