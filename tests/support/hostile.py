"""Building blocks for the hostile-web tests: feeds and pages of our own, and nasty replies."""

from __future__ import annotations

import gzip
import itertools
from collections.abc import Iterator
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from html import escape

from tests.support.loopback import Reply

RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}
HTML_TYPE = {"Content-Type": "text/html; charset=utf-8"}

_PARAGRAPHS = (
    "The river authority opened the new weir gates at dawn, letting the spring meltwater through "
    "the town for the first time since the old gates jammed during last year's flood.",
    "Engineers had tested each of the six gates twice over the weekend, and a crowd of early "
    "walkers watched from the footbridge as the first one rose with a long metallic groan.",
    "The authority said the gates can now be worked from the control room in under four minutes, "
    "where the old ones needed a crew of three and most of an hour in bad weather.",
)


def rss(title: str, links: list[str], extra_items: str = "") -> bytes:
    """An RSS 2.0 feed listing `links`, one item each."""
    items = "".join(
        f"<item><title>{escape(title)} story {n}</title><link>{escape(link)}</link>"
        f"<guid isPermaLink='false'>{escape(title)}-{n}</guid>"
        f"<pubDate>Tue, 24 Nov 2026 0{n % 10}:15:00 +0000</pubDate></item>"
        for n, link in enumerate(links)
    )
    return (
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>{escape(title)}"
        f"</title><link>http://example.invalid/</link>{items}{extra_items}</channel></rss>"
    ).encode()


def article(title: str, serial: int = 0) -> bytes:
    """A small but real article page; `serial` makes its body unique."""
    body = "".join(f"<p>{p}</p>" for p in _PARAGRAPHS)
    return (
        f"<!DOCTYPE html><html lang='en'><head><title>{escape(title)}</title></head><body>"
        f"<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article><h1>{escape(title)}</h1>"
        f"<p>Report number {serial} from the river desk, filed for this test.</p>{body}</article>"
        f"<footer>Contact the newsroom</footer></body></html>"
    ).encode()


def ok(body: bytes, headers: dict[str, str] | None = None) -> Reply:
    return Reply(200, body, headers or HTML_TYPE)


def gzip_bomb(size: int) -> Reply:
    return Reply(200, gzip.compress(b"<p>" + b"a" * size), {"Content-Encoding": "gzip", **HTML_TYPE})


def endless() -> Reply:
    return Reply(200, headers=HTML_TYPE, chunks=itertools.repeat(b"<p>more</p>" * 1000))


def slow_loris(delay: float) -> Reply:
    return Reply(200, headers=HTML_TYPE, chunks=itertools.repeat(b" "), chunk_delay=delay)


def flapping(good: Reply) -> Iterator[Reply]:
    """500, then the good reply, alternately."""
    return itertools.cycle([Reply(500, b"try again"), good])


def http_date(delta: timedelta) -> str:
    return format_datetime(datetime.now(timezone.utc) + delta, usegmt=True)
