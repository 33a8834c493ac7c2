"""A generated newsroom for throughput runs.

N article pages of realistic size (100-200 KiB: navigation, inline styles and scripts,
a sidebar, a footer, JSON-LD, then about 1,700 words of body) in F RSS feeds (with an
ETag, so an unchanged feed answers 304) spread over H hosts, each with a robots.txt.
Hosts are loopback addresses, 127.0.0.2, 127.0.0.3, ... 127.0.1.2 ..., all on one port
and one listener (flows.demo.server.LoopbackServer bound to every address; it answers
loopback clients only) that tells them apart by the Host header, so any number of hosts
costs one socket. Every request waits `latency_ms` first, as a distant server would.
Pages are written to disk before the run and the server only reads them, so serving
costs little CPU next to the pipeline it feeds; it runs in a child process
(GeneratedNewsroom), so it does not compete with the pipeline for its interpreter.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import multiprocessing
import random
import threading
import time
from functools import partial
from dataclasses import dataclass
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape

from flows.demo.server import Exchange, LoopbackServer

PLACES = [
    "Harrowgate",
    "Lindenfield",
    "Port Averly",
    "Ostmere",
    "Carrick Bay",
    "Wenlow",
    "Dunmarsh",
    "Kesterton",
    "Falbridge",
    "Norhaven",
    "Ebbwater",
    "Saltmoor",
]
SUBJECTS = [
    "The county council",
    "A group of residents",
    "The harbour authority",
    "Local traders",
    "The regional health board",
    "Engineers from the water company",
    "The school governors",
    "A spokesperson for the bus operator",
    "Volunteers at the food bank",
    "The fire service",
    "Researchers at the university",
    "The planning committee",
    "Farmers in the valley",
]
VERBS = [
    "said on Tuesday that",
    "warned that",
    "confirmed that",
    "announced that",
    "argued that",
    "told a public meeting that",
    "insisted that",
    "admitted that",
    "estimated that",
]
CLAIMS = [
    "the new timetable would start in the spring",
    "repairs to the sea wall would cost more than planned",
    "the number of visitors had doubled since last summer",
    "the old mill would be turned into flats",
    "waiting times had fallen for the third month running",
    "the bridge would stay closed until March",
    "the plan had been delayed by a shortage of materials",
    "most shops reported a quieter season",
    "a second consultation would open next week",
    "rents in the town centre had risen sharply",
    "the river level was being watched around the clock",
    "the grant would pay for forty new homes",
]
TAILS = [
    "according to figures released this week",
    "despite objections from neighbours",
    "after a vote of seven to four",
    "although details are still being worked out",
    "in a statement published on its website",
    "while campaigners called for a full inquiry",
    "with the first results expected by the end of the year",
    "as costs continue to climb",
]
SECTIONS = [
    "News",
    "Local",
    "Business",
    "Politics",
    "Environment",
    "Transport",
    "Health",
    "Education",
    "Sport",
    "Culture",
    "Opinion",
    "Weather",
]


@dataclass(frozen=True)
class Layout:
    root: Path
    hosts: int
    port: int
    feeds: int

    def host(self, index: int) -> str:
        """Loopback addresses from 127.0.0.2 up, 250 to each third octet."""
        return f"127.0.{index // 250}.{index % 250 + 2}"

    def host_of_feed(self, feed: int) -> int:
        return feed % self.hosts

    def feed_url(self, feed: int) -> str:
        return f"http://{self.host(self.host_of_feed(feed))}:{self.port}/feed-{feed}.xml"

    def article_url(self, number: int) -> str:
        return f"http://{self.host(self.host_of_feed(number % self.feeds))}:{self.port}/news/{number:06d}"

    def page_path(self, number: int) -> Path:
        return self.root / f"host-{self.host_of_feed(number % self.feeds)}" / f"{number:06d}.html"


@dataclass(frozen=True)
class Article:
    number: int
    title: str
    published: datetime
    body: tuple[str, ...]


def generate(root: Path, articles: int, hosts: int, port: int, feeds: int | None = None, seed: int = 7) -> Layout:
    """Write every page and feed under `root`: article i is in feed i mod F, on that feed's host."""
    layout = Layout(root, hosts, port, feeds or hosts)
    rng = random.Random(seed)
    now = datetime(2026, 11, 27, 6, 0, tzinfo=timezone.utc)
    items: dict[int, list[str]] = {f: [] for f in range(layout.feeds)}
    for number in range(articles):
        article = new_article(rng, number, now - timedelta(minutes=7 * number))
        write_page(layout, rng, article)
        items[number % layout.feeds].append(feed_item(layout, article))
    write_feeds(layout, items)
    return layout


def new_article(rng: random.Random, number: int, published: datetime) -> Article:
    return Article(number, headline(rng, number), published, tuple(paragraphs(rng, rng.randint(9, 17))))


def write_page(layout: Layout, rng: random.Random, article: Article) -> None:
    """The article's page, written (or rewritten, for an edit) where the server finds it."""
    host = layout.host_of_feed(article.number % layout.feeds)
    path = layout.page_path(article.number)
    path.parent.mkdir(parents=True, exist_ok=True)
    page = _page(rng, host, article.title, layout.article_url(article.number), article.published, list(article.body))
    _replace(path, page)


def feed_item(layout: Layout, article: Article) -> str:
    url = layout.article_url(article.number)
    return (
        f"<item><title>{escape(article.title)}</title><link>{url}</link><guid>{url}</guid>"
        f"<pubDate>{format_datetime(article.published)}</pubDate>"
        f"<description>{escape(article.body[0][:200])}</description></item>"
    )


def write_feeds(layout: Layout, items: dict[int, list[str]]) -> None:
    """Feed f lists items[f] (newest first, as feeds do)."""
    for feed, entries in items.items():
        host = layout.host_of_feed(feed)
        document = (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Gazette {host} desk {feed}</title><link>http://{layout.host(host)}:{layout.port}/</link>"
            f"<description>Generated news</description>{''.join(entries)}</channel></rss>"
        )
        folder = layout.root / f"host-{host}"
        folder.mkdir(parents=True, exist_ok=True)
        _replace(folder / f"feed-{feed}.xml", document)


def _replace(path: Path, text: str) -> None:
    """Write `path` whole, so the server never sends half an edit."""
    unfinished = path.with_name(path.name + ".part")
    unfinished.write_text(text, encoding="utf-8")
    unfinished.replace(path)


def headline(rng: random.Random, number: int) -> str:
    return f"{rng.choice(PLACES)}: {rng.choice(CLAIMS).capitalize()} ({number})"


def paragraphs(rng: random.Random, count: int) -> list[str]:
    """Sentences in a fixed frame around clauses drawn from a large lexicon: like real reports
    on different stories, two articles share stock phrases but few runs of words."""
    return [
        " ".join(
            f"{rng.choice(SUBJECTS)} in {rng.choice(PLACES)} {rng.choice(VERBS)} {_clause(rng)}, {rng.choice(TAILS)}."
            for _ in range(rng.randint(3, 6))
        )
        for _ in range(count)
    ]


def _clause(rng: random.Random) -> str:
    words = []
    for _ in range(rng.randint(8, 20)):
        if rng.random() < 0.4:
            words.append(rng.choice(FUNCTION_WORDS))
        else:
            words.append(LEXICON[bisect.bisect(_LEXICON_WEIGHTS, rng.random() * _LEXICON_WEIGHTS[-1])])
    return " ".join(words)


def _lexicon(size: int, seed: int = 11) -> list[str]:
    """Pronounceable made-up words, most common first."""
    rng = random.Random(seed)
    syllables = [c + v for c in "bcdfghklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]
    codas = ["", "", "", "n", "r", "s", "t", "nd", "rk", "st"]
    return [
        ("".join(rng.choice(syllables) for _ in range(rng.choice((1, 2, 2, 3, 3, 4)))) + rng.choice(codas))
        for _ in range(size)
    ]


FUNCTION_WORDS = (
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "for",
    "on",
    "with",
    "at",
    "by",
    "from",
    "its",
    "their",
    "after",
    "over",
    "new",
    "more",
    "than",
    "this",
    "last",
    "year",
)
LEXICON = _lexicon(30_000)
_LEXICON_WEIGHTS = list(itertools.accumulate(1 / (rank + 20) for rank in range(len(LEXICON))))  # Zipf-like


def _page(rng: random.Random, host: int, title: str, url: str, published: datetime, body: list[str]) -> str:
    nav = "".join(
        f'<li class="menu"><a href="/section/{s.lower()}">{s}</a><ul>'
        + "".join(f'<li><a href="/section/{s.lower()}/{p.lower().replace(" ", "-")}">{p}</a></li>' for p in PLACES)
        + "</ul></li>"
        for s in SECTIONS
    )
    cards = "".join(_card(rng) for _ in range(rng.randint(90, 170)))
    footer = "".join(f'<li><a href="/about/{i}">About us {i}</a></li>' for i in range(60))
    style = "".join(
        f".c{i}{{margin:{i % 9}px;padding:{i % 7}px;color:#{i * 2654435761 % 0xFFFFFF:06x}}}"
        for i in range(rng.randint(100, 300))
    )
    script = ",".join(
        f'"k{i}":"{hashlib.md5(f"{url}{i}".encode()).hexdigest()}"' for i in range(rng.randint(700, 2300))
    )
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in body)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)} | Gazette {host}</title>"
        f'<link rel="canonical" href="{url}"><meta property="og:title" content="{escape(title)}">'
        f'<script type="application/ld+json">{{"@type":"NewsArticle","headline":"{escape(title)}",'
        f'"datePublished":"{published.isoformat()}","author":{{"name":"Staff reporter"}}}}</script>'
        f"<style>{style}</style><script>var config={{{script}}};</script></head><body>"
        f'<header><nav><ul>{nav}</ul></nav><form><input name="q"></form></header>'
        f'<main><article><h1>{escape(title)}</h1><p class="byline">By Staff reporter</p>'
        f'<time datetime="{published.isoformat()}">{published:%d %B %Y}</time>{paragraphs}</article>'
        f'<aside><h2>More from the Gazette</h2><div class="grid">{cards}</div></aside></main>'
        f"<footer><ul>{footer}</ul><p>All rights reserved.</p></footer></body></html>"
    )


def _card(rng: random.Random) -> str:
    number = rng.randint(0, 99999)
    return (
        f'<div class="card"><a class="thumb" href="/news/{number:06d}"><img src="/img/{number}.jpg" '
        f'alt="" width="320" height="180"></a><div class="meta"><span class="section">{rng.choice(SECTIONS)}</span>'
        f'<h3><a href="/news/{number:06d}">{headline(rng, number)}</a></h3>'
        f'<p class="teaser">{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(CLAIMS)}.</p>'
        f'<span class="time">{rng.randint(1, 23)} hours ago</span></div></div>'
    )


class Counters:
    """Requests the server saw, shared with the benchmark process."""

    def __init__(self, context: multiprocessing.context.BaseContext):
        self.feeds, self.feeds_unchanged = context.Value("i", 0), context.Value("i", 0)
        self.pages, self.robots = context.Value("i", 0), context.Value("i", 0)

    def total(self) -> int:
        return self.feeds.value + self.pages.value + self.robots.value

    @staticmethod
    def bump(counter) -> None:
        with counter.get_lock():
            counter.value += 1


def serve(layout: Layout, latency_ms: float, counters: Counters, ready) -> None:
    """Run in its own process: one threaded server for every host, forever."""
    folders = {f"{layout.host(index)}:{layout.port}": layout.root / f"host-{index}" for index in range(layout.hosts)}
    handler = partial(_answer, folders, latency_ms / 1000, counters)
    LoopbackServer(handler, "0.0.0.0", layout.port, name="gazette").start()
    ready.set()
    threading.Event().wait()


def _answer(folders: dict[str, Path], latency: float, counters: Counters, exchange: Exchange) -> None:
    root = folders.get(exchange.request.headers.get("Host", ""))
    if root is None or not exchange.request.client_address[0].startswith("127."):
        return _send(exchange, 404, b"no such host here", "text/plain")
    time.sleep(latency)  # the distant server's round trip: what this server is for
    path = exchange.logged.path
    if path == "/robots.txt":
        Counters.bump(counters.robots)
        return _send(exchange, 200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
    if path.startswith("/feed-") and path.endswith(".xml"):
        return _feed(root / path.lstrip("/"), counters, exchange)
    if path.startswith("/news/"):
        Counters.bump(counters.pages)
        page = root / f"{path.rsplit('/', 1)[-1]}.html"
        if page.is_file():
            return _send(exchange, 200, page.read_bytes(), "text/html; charset=utf-8")
    _send(exchange, 404, b"not here", "text/plain")


def _feed(feed: Path, counters: Counters, exchange: Exchange) -> None:
    Counters.bump(counters.feeds)
    if not feed.is_file():
        return _send(exchange, 404, b"no such feed", "text/plain")
    body = feed.read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    if exchange.request.headers.get("If-None-Match") == etag:
        Counters.bump(counters.feeds_unchanged)
        return _send(exchange, 304, b"", None, {"ETag": etag})
    _send(exchange, 200, body, "application/rss+xml", {"ETag": etag})


def _send(
    exchange: Exchange, status: int, body: bytes, content_type: str | None, extra: dict[str, str] | None = None
) -> None:
    headers = ({"Content-Type": content_type} if content_type else {}) | (extra or {})
    exchange.send(status, body, headers)


class GeneratedNewsroom:
    """The generated newsroom served from a child process, as a context manager
    (not the demo's flows.demo.site.Newsroom: this one is generated for a benchmark's size)."""

    def __init__(self, layout: Layout, latency_ms: float):
        context = multiprocessing.get_context("spawn")
        self.layout, self.counters = layout, Counters(context)
        ready = context.Event()
        self.process = context.Process(target=serve, args=(layout, latency_ms, self.counters, ready), daemon=True)
        self.process.start()
        if not ready.wait(30):
            raise RuntimeError("the generated newsroom did not start within 30 s")

    def __enter__(self) -> GeneratedNewsroom:
        return self

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.join(10)

    def sources(self) -> list[dict]:
        return [{"name": f"gazette-{f}", "url": self.layout.feed_url(f)} for f in range(self.layout.feeds)]
