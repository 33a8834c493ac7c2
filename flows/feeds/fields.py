"""What the RSS/Atom and JSON Feed readers share: their error, links and field text.
Pure: no network, no feedparser.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

log = logging.getLogger(__name__)

_SUMMARY_MAX_CHARS = 1000
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})


class FeedError(ValueError):
    """The document is not a feed we can read; the message says why."""


def http_url(href: Any, base: str) -> str | None:
    """``href`` made absolute against ``base``; None unless it is an http(s) URL with a host."""
    if not isinstance(href, str) or not href.strip():
        return None
    try:
        absolute = urljoin(base, href.strip())
        parts = urlsplit(absolute)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return absolute


def plain_text(value: str, media_type: str | None) -> str:
    """Text of a field whose type is ``media_type``; a field without a type counts as HTML."""
    if (media_type or "text/html").lower() in _HTML_TYPES:
        return _html_to_text(value)
    return collapse(value)


def summary(text: str | None) -> str | None:
    """``text`` cut to the summary length at a word boundary, or None when empty."""
    if not text:
        return None
    if len(text) <= _SUMMARY_MAX_CHARS:
        return text
    cut = text[: _SUMMARY_MAX_CHARS - 1]
    if " " in cut[_SUMMARY_MAX_CHARS // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.") + "…"


def collapse(value: Any) -> str:
    """Whitespace runs collapsed to one space; "" for anything that is not a string."""
    return " ".join(value.split()) if isinstance(value, str) else ""


def distinct(values: Iterable[str | None]) -> tuple[str, ...]:
    """The non-empty values, first occurrence kept, in order."""
    return tuple(dict.fromkeys(value for value in values if value))


# ---------------------------------------------------------------------------------------
# HTML fragments
# ---------------------------------------------------------------------------------------


class _TextExtractor(HTMLParser):
    """Text of an HTML fragment; script/style dropped, block boundaries become spaces."""

    _SKIP = frozenset({"script", "style", "template"})
    _BLOCKS = frozenset(
        {
            "br",
            "p",
            "div",
            "li",
            "ul",
            "ol",
            "tr",
            "td",
            "th",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "blockquote",
            "pre",
            "figure",
            "figcaption",
            "hr",
            "img",
        }
    )

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


def _html_to_text(fragment: str) -> str:
    parser = _TextExtractor()
    try:
        parser.feed(fragment)
        parser.close()
    except Exception:  # HTMLParser is lenient; this is a last resort, never a crash
        log.debug("HTML fragment not parseable; falling back to a regex strip")
        return collapse(html.unescape(re.sub(r"<[^>]*>", " ", fragment)))
    return collapse("".join(parser.parts))
