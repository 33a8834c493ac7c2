"""The bundled newsroom, served on loopback (stdlib only, on :mod:`flows.demo.server`).

Every publisher lives under its own path prefix on one ``host:port``; pages and feeds
are rendered with absolute URLs when the server starts, because only then is the port
known. Feeds answer conditional GETs (ETag, Last-Modified) except the ones marked
``conditional: false`` in ``content/publishers.yaml``. Tests add or replace responses
with :meth:`Newsroom.route` and read every request back from :attr:`Newsroom.requests`.

Run ``python -m flows.demo.site --port 8800`` to browse it by hand.
"""

from __future__ import annotations

import argparse
import hashlib
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import Message
from email.utils import format_datetime, parsedate_to_datetime
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from flows.demo import feedgen, render, sitemapgen
from flows.demo.catalog import NEWS_SITEMAP, Article, Catalog, Feed, listing_url, load, newest_listed, too_old
from flows.demo.catalog import edition as catalog_edition
from flows.demo.server import Exchange, LoopbackServer

HTML = "text/html; charset=utf-8"
# `newsdesk demo` shows its edits at once: each later run re-checks every page (five times).
DEMO_RECHECK_HOURS = (0.0001, 0.0002, 0.0003, 0.0004, 0.0005)
TRACKING_PARAMS = ("utm_", "fbclid", "gclid")


@dataclass(frozen=True)
class SeenRequest:
    """One request the server answered; ``headers`` are the request's, names in Title-Case."""

    method: str
    path: str
    status: int
    headers: dict[str, str]


@dataclass(frozen=True)
class Expectation:
    """What a correct ingest of the newsroom finds, computed from the content."""

    distinct_articles: int
    articles_per_source: dict[str, int]
    missing_urls: tuple[str, ...]
    syndicated_urls: tuple[str, ...]  # word-for-word copies of wire stories
    wire_stories: dict[str, tuple[int, tuple[str, ...]]]  # wire id -> (articles, feeds), cut copies too
    edited_urls: tuple[str, ...]  # articles whose text the second edition changes


@dataclass(frozen=True)
class Response:
    """A canned response; ``headers`` holds ETag / Last-Modified when it supports conditional GET."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class Newsroom:
    """The newsroom server. Use as a context manager, or call :meth:`start` and :meth:`stop`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, edition: int = 1) -> None:
        """`edition` 2 and later serve the articles edited after publication."""
        self.host = host
        self.port = port
        self.base_url = ""
        self._catalog: Catalog = catalog_edition(load(), edition)
        self._feed_types = {f.path: feedgen.CONTENT_TYPES[f.format] for f in self._catalog.feeds}
        self._unconditional = {f.path for f in self._catalog.feeds if not f.conditional}
        self._routes: dict[str, Response] = {}
        self._overrides: dict[str, Response] = {}
        self._lock = threading.Lock()
        self._server: LoopbackServer | None = None
        self._served: list[LoopbackServer] = []  # every server started, so the log outlives stop()

    def start(self) -> Newsroom:
        """Bind, render the site for the bound address and serve it from a daemon thread."""
        server = LoopbackServer(
            self._answer,
            self.host,
            self.port,
            methods=("GET", "HEAD"),
            server_version="NewsroomDemo/1.0",
            timeout=10,
            name="newsroom",
        )
        self.port = server.port
        self.base_url = server.base_url
        self._routes = build_routes(self._catalog, self.base_url)
        self._server = server
        self._served.append(server)
        server.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def requests(self) -> list[SeenRequest]:
        """Every request answered so far, in arrival order; each is logged before its answer is sent."""
        return [
            SeenRequest(seen.method, seen.path, seen.status, _title_cased(seen.headers))
            for server in self._served
            for seen in server.logged()
            if seen.status is not None
        ]

    def __enter__(self) -> Newsroom:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def sources(self) -> list[dict[str, Any]]:
        """One sources.yaml entry per feed and news sitemap, with absolute URLs on :attr:`base_url`."""
        return [self._source(feed) for feed in self._catalog.feeds]

    def _source(self, feed: Feed) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "name": feed.name,
            "url": self.base_url + feed.path,
            "site": self.base_url + f"/{feed.publisher}/",
            "category": feed.category,
            "language": self._catalog.publisher(feed.publisher).language,
        }
        if feed.kind != "feed":
            entry["kind"] = feed.kind
        if feed.max_age_days is not None:
            # The content's dates are fixed: count the limit from today, back past the newest article.
            days_since = -((newest_listed(self._catalog, feed) - datetime.now(timezone.utc)) // timedelta(days=1))
            entry["max_age_days"] = feed.max_age_days + max(days_since, 0)
        return entry

    def route(
        self, path: str, status: int = 200, body: bytes | str = b"", headers: dict[str, str] | None = None
    ) -> None:
        """Add or replace the response for ``path`` (a path, optionally with its query).

        Unless ``headers`` says otherwise, the Content-Type is the feed's own for a feed
        path and HTML elsewhere, and a 200 answer gets an ETag hashed from its body
        (except on the feed that never supports conditional GET).
        """
        data = body.encode("utf-8") if isinstance(body, str) else body
        defaults = {"Content-Type": self._feed_types.get(path, HTML)}
        if status == 200 and path not in self._unconditional:
            defaults["ETag"] = _etag(data)
        given = dict(headers or {})
        overridden = {name.lower() for name in given}
        merged = {k: v for k, v in defaults.items() if k.lower() not in overridden} | given
        with self._lock:
            self._overrides[path] = Response(status, data, merged)

    def expected(self) -> Expectation:
        """What a correct ingest finds in the feeds (needs :meth:`start` for the URLs)."""
        return expectation(self._catalog, self.base_url)

    def respond(self, target: str) -> Response:
        """The response for a request target; 404 when nothing matches.

        Tried in turn: the target as sent, without tracking parameters, without any
        query. At each step an override from :meth:`route` beats the built-in response.
        """
        with self._lock:
            for key in _lookup_keys(target):
                found = self._overrides.get(key) or self._routes.get(key)
                if found:
                    return found
        return Response(404, b"<!DOCTYPE html><title>Not found</title><h1>404 Not Found</h1>", {"Content-Type": HTML})

    def _answer(self, exchange: Exchange) -> None:
        """Serve :meth:`respond` with conditional GET, closing the connection after each answer
        (so nothing is served after :meth:`stop`)."""
        request = exchange.request
        response = self.respond(request.path)
        status = 304 if _not_modified(response, request.headers) else response.status
        body = b"" if status == 304 else response.body
        headers = [
            (name, value)
            for name, value in response.headers.items()
            if status != 304 or name in ("ETag", "Last-Modified")
        ]
        exchange.send(status, body, headers, send_body=request.command != "HEAD", close=True)


def build_routes(catalog: Catalog, base_url: str) -> dict[str, Response]:
    """Every built-in response of the newsroom, keyed by path (plus query where it matters)."""
    routes = {
        "/": Response(200, _directory(catalog, base_url).encode(), {"Content-Type": HTML}),
        "/robots.txt": Response(200, _robots(catalog, base_url), {"Content-Type": "text/plain; charset=utf-8"}),
    }
    for publisher in catalog.publishers:
        routes[publisher.home_path] = _page(render.index_page(catalog, publisher, None, base_url))
        for section in publisher.sections:
            page = render.index_page(catalog, publisher, section, base_url)
            routes[f"/{publisher.slug}/{section}/"] = _page(page)
    for article in catalog.articles:
        if article.removed:
            continue
        routes[article.path] = _page(render.article_page(catalog, article, base_url))
        if article.moved_from:
            routes[article.moved_from] = Response(301, b"", {"Location": base_url + article.path})
    for feed in catalog.feeds:
        if feed.kind == NEWS_SITEMAP:
            routes |= _sitemap_routes(catalog, feed, base_url)
            continue
        doc = feedgen.feed_doc(catalog, feed, base_url)
        body = feedgen.render(doc)
        headers = {"Content-Type": feedgen.CONTENT_TYPES[feed.format]}
        if feed.conditional:
            last_modified = format_datetime(doc.updated.astimezone(timezone.utc), usegmt=True)
            headers |= {"ETag": _etag(body), "Last-Modified": last_modified}
        routes[feed.path] = Response(200, body, headers)
    return routes


def _robots(catalog: Catalog, base_url: str) -> bytes:
    sitemaps = "".join(f"Sitemap: {base_url}{feed.path}\n" for feed in catalog.feeds if feed.kind == NEWS_SITEMAP)
    return f"User-agent: *\nAllow: /\n\n{sitemaps}".encode()


def _sitemap_routes(catalog: Catalog, feed: Feed, base_url: str) -> dict[str, Response]:
    routes = {}
    for path, (body, newest) in sitemapgen.documents(catalog, feed, base_url).items():
        last_modified = format_datetime(newest.astimezone(timezone.utc), usegmt=True)
        headers = {
            "Content-Type": feedgen.CONTENT_TYPES[feed.format],
            "ETag": _etag(body),
            "Last-Modified": last_modified,
        }
        routes[path] = Response(200, body, headers)
    return routes


def expectation(catalog: Catalog, base_url: str) -> Expectation:
    """Count what the feeds lead to, the way the pipeline's dedup rules should."""
    live = [a for a in catalog.articles if not a.removed and not too_old(catalog, a)]
    per_source = {
        feed.name: sum(1 for a in live if any(item.feed == feed.name for item in a.listings)) for feed in catalog.feeds
    }
    feeds = {feed.name: feed for feed in catalog.feeds}
    missing = tuple(
        listing_url(a, item, feeds[item.feed], base_url) for a in catalog.articles if a.removed for item in a.listings
    )
    return Expectation(
        distinct_articles=len({a.story for a in live}),
        articles_per_source=per_source,
        missing_urls=missing,
        syndicated_urls=tuple(base_url + a.path for a in live if a.exact_copy),
        wire_stories=_wire_stories(live),
        edited_urls=tuple(base_url + a.path for a in live if a.edit and a.edit.is_real),
    )


def _wire_stories(live: list[Article]) -> dict[str, tuple[int, tuple[str, ...]]]:
    """Per wire story: how many distinct articles its copies make, and every feed listing one."""
    copies: dict[str, list[Article]] = {}
    for article in live:
        if article.wire:
            copies.setdefault(article.wire, []).append(article)
    return {
        wire: (len({a.story for a in found}), tuple(sorted({item.feed for a in found for item in a.listings})))
        for wire, found in copies.items()
    }


def _not_modified(response: Response, request_headers: Message) -> bool:
    """True when the request's validators match (If-None-Match wins over If-Modified-Since)."""
    if response.status != 200:
        return False
    if_none_match = request_headers.get("If-None-Match")
    etag = response.headers.get("ETag")
    if if_none_match is not None:
        return etag is not None and etag in (tag.strip() for tag in if_none_match.split(","))
    if_modified_since = request_headers.get("If-Modified-Since")
    last_modified = response.headers.get("Last-Modified")
    if not (if_modified_since and last_modified):
        return False
    try:
        return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False


def _lookup_keys(target: str) -> list[str]:
    """The request target as sent, without tracking parameters, and without any query."""
    parts = urlsplit(target)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith(TRACKING_PARAMS)]
    stripped = parts.path + (f"?{urlencode(kept)}" if kept else "")
    return [target, stripped, parts.path]


def _title_cased(headers: dict[str, str]) -> dict[str, str]:
    """``if-none-match`` -> ``If-None-Match``, whatever case the client sent."""
    return {"-".join(word.capitalize() for word in name.split("-")): value for name, value in headers.items()}


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def _page(html: str) -> Response:
    return Response(200, html.encode("utf-8"), {"Content-Type": HTML})


def _directory(catalog: Catalog, base_url: str) -> str:
    """A plain index of the publishers and their feeds, for people browsing the demo."""
    rows = "\n".join(
        f'<li><a href="{base_url}{p.home_path}">{p.name}</a>: '
        + ", ".join(f'<a href="{base_url}{f.path}">{f.name}</a> ({f.format})' for f in p.feeds)
        + "</li>"
        for p in catalog.publishers
    )
    return (
        f'<!DOCTYPE html><html lang="en"><title>Demo newsroom</title><h1>Demo newsroom</h1><ul>\n{rows}\n</ul></html>'
    )


def main(argv: list[str] | None = None) -> None:
    """Serve the newsroom in the foreground and print its feed URLs."""
    parser = argparse.ArgumentParser(description="Serve the bundled demo newsroom.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8800)
    args = parser.parse_args(argv)
    newsroom = Newsroom(args.host, args.port).start()
    print(f"Demo newsroom at {newsroom.base_url}/ (Ctrl-C to stop)")
    for source in newsroom.sources():
        print(f"  {source['name']:32} {source['url']}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        newsroom.stop()


if __name__ == "__main__":
    main()
