"""The only network code: one Fetcher per run, with a connection pool per host.

Timeouts (connect, read, and a total deadline that a slow-loris server cannot
stretch), streamed size caps on the decoded bytes (so a gzip bomb stops at the cap
too), a redirect limit, conditional GET for feeds, retries with backoff and jitter
for transient failures honouring Retry-After, per-host politeness (concurrency,
spacing, robots.txt with Crawl-delay), and a guard against private addresses.

A Retry-After is about the resource that got it: that feed or page waits (within the run
when the wait is short, across runs when it is long), and its host is only slowed down.
A host that throttles several of its resources in one run is held as a whole
(politeness.HostThrottle); `host_holds` lists those holds for the warehouse.
httpx honours the standard proxy environment variables (HTTP_PROXY, HTTPS_PROXY,
NO_PROXY); through a proxy only literal IP hosts are checked, since the proxy
resolves names.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import time
import urllib.request
from collections import Counter, OrderedDict, defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import httpx

from flows.text import dates
from flows.identity import urls
from flows.configuration import Settings
from flows.politeness import (
    AI_CRAWLERS,
    HostDeferred,
    HostGate,
    HostThrottle,
    RobotsRules,
    ip_literal,
    is_private,
    robots_agent,
)
from flows import sitemaps
from flows.records import FeedPoll, FetchErrorKind, HostHold, Page, Source, SourceKind

log = logging.getLogger(__name__)

TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
THROTTLE_STATUSES = frozenset({429, 503})
MAX_RETRY_AFTER_SECONDS = 30.0
HOST_FILE_MAX_BYTES = 500_000  # robots.txt, tdmrep.json
TDMREP_PATH = "/.well-known/tdmrep.json"
HOST_POOL_IDLE_SECONDS = 5.0  # an idle connection is kept this long (httpx's default), and a host's pool too


class FetchError(Exception):
    """A request that produced no usable response; `kind` says why, `transient` whether to retry."""

    def __init__(self, message: str, kind: FetchErrorKind, transient: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.kind = kind
        self.transient = transient
        self.retry_after = retry_after


@dataclass(frozen=True)
class _Response:
    status: int
    url: str
    headers: dict[str, str]
    body: bytes
    retry_after: float | None = None


class Fetcher:
    """Fetch feeds and pages politely; use as `async with Fetcher(settings) as f`."""

    def __init__(
        self,
        settings: Settings,
        retries: int = 2,
        backoff_seconds: float = 0.5,
        known_robots: dict[str, str | None] | None = None,
        held_hosts: dict[str, datetime] | None = None,
        known_tdmrep: dict[str, str | None] | None = None,
    ):
        """`known_robots`, `known_tdmrep`: robots.txt and tdmrep.json bodies by host from earlier
        runs (None: the host has none).
        `held_hosts`: hosts an earlier run was told to leave alone, until when."""
        self.settings = settings
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self.requests_made = 0
        self._global = asyncio.Semaphore(settings.concurrency)
        self._gates: dict[str, HostGate] = {}
        self._held_hosts = dict(held_hosts or {})
        self._throttles: dict[str, HostThrottle] = defaultdict(HostThrottle)
        self.host_holds: dict[str, HostHold] = {}
        self._agent = robots_agent(settings.user_agent)
        self._robots = {host: RobotsRules(body, self._agent) for host, body in (known_robots or {}).items()}
        self._robots_locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.robots_fetched: dict[str, tuple[int | None, str | None]] = {}
        self._tdmrep: dict[str, str | None] = dict(known_tdmrep or {})
        self._tdmrep_locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.tdmrep_fetched: dict[str, tuple[int | None, str | None]] = {}
        self._tls = httpx.create_ssl_context(trust_env=True)  # the CA bundle is read once, not per host
        self._clients = _HostClients(self._new_client)

    def _new_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            headers={"User-Agent": self.settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(self.settings.read_timeout_seconds, connect=self.settings.connect_timeout_seconds),
            follow_redirects=True,
            max_redirects=self.settings.max_redirects,
            trust_env=True,
            verify=self._tls,
            event_hooks={"request": [self._refuse_private_addresses]},
            # the host's gate bounds its requests (redirects to other hosts aside), and so this
            # pool: every connection it opens is kept alive for the next request
            limits=httpx.Limits(
                max_connections=None, max_keepalive_connections=None, keepalive_expiry=HOST_POOL_IDLE_SECONDS
            ),
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._clients.aclose()

    def configure_host(self, url: str, concurrency: int | None, delay: float | None) -> None:
        """Per-source politeness overrides for the host serving `url`."""
        self._gates[urls.host_of(url)] = self._new_gate(
            urls.host_of(url),
            concurrency or self.settings.per_host_concurrency,
            self.settings.min_delay_seconds if delay is None else delay,
        )

    async def fetch_feed(self, source: Source, etag: str | None, last_modified: str | None) -> FeedPoll:
        """GET a feed, conditionally when we hold validators; a 304 has no body."""
        headers = {
            "Accept": "application/rss+xml, application/atom+xml, application/feed+json, "
            "application/xml;q=0.9, */*;q=0.8"
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        started = time.monotonic()
        try:
            response = await self._get(source.feed_url, headers, self._feed_cap(source), source.timeout_seconds)
        except FetchError as exc:
            return FeedPoll(
                source=source.name,
                url=source.feed_url,
                status=None,
                error=str(exc),
                error_kind=exc.kind,
                retry_after=exc.retry_after,
                duration_ms=_ms_since(started),
            )
        ok = response.status in (200, 304)
        return FeedPoll(
            source=source.name,
            url=source.feed_url,
            status=response.status,
            body=response.body if response.status == 200 else None,
            headers=response.headers,
            final_url=response.url,
            etag=response.headers.get("etag") or (etag if response.status == 304 else None),
            last_modified=response.headers.get("last-modified") or (last_modified if response.status == 304 else None),
            error=None if ok else _status_error(response.status),
            error_kind=None if ok else FetchErrorKind.HTTP,
            retry_after=response.retry_after,
            duration_ms=_ms_since(started),
        )

    def _feed_cap(self, source: Source) -> int:
        """A sitemap may be as large as its protocol allows (gzip'd, it is checked again uncompressed)."""
        if source.kind is SourceKind.FEED:
            return self.settings.max_feed_bytes
        return max(self.settings.max_feed_bytes, sitemaps.MAX_BYTES)

    async def fetch_page(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Page:
        """GET a page; with its validators from an earlier fetch, conditionally (304: unchanged)."""
        headers = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            response = await self._get(url, headers, self.settings.max_page_bytes, None)
        except FetchError as exc:
            return Page(
                url=url,
                final_url=None,
                status=None,
                error=str(exc),
                error_kind=exc.kind,
                transient=exc.transient,
                retry_after=exc.retry_after,
                fetched_at=_now(),
            )
        ok = 200 <= response.status < 300
        return Page(
            url=url,
            final_url=response.url,
            status=response.status,
            headers=response.headers,
            body=response.body if ok else b"",
            fetched_at=_now(),
            error=None if ok else _status_error(response.status),
            error_kind=None if ok else FetchErrorKind.HTTP,
            transient=response.status in TRANSIENT_STATUSES,
            retry_after=response.retry_after,
        )

    async def _get(self, url: str, headers: dict[str, str], cap: int, timeout: float | None) -> _Response:
        """GET with retries for transient failures: exponential backoff with jitter, or the
        server's Retry-After for this URL. A wait longer than a run should take is returned
        to the caller, who keeps it for the next runs."""
        for attempt in range(self.retries + 1):
            last_try = attempt == self.retries
            try:
                response = await self._get_once(url, headers, cap, timeout)
            except FetchError as exc:
                if last_try or not exc.transient or exc.kind == FetchErrorKind.DEFERRED:
                    raise
                await asyncio.sleep(self._backoff(attempt))
                continue
            self._note_answer(url, response)
            wait = response.retry_after
            if (
                response.status not in TRANSIENT_STATUSES
                or last_try
                or (wait is not None and wait > MAX_RETRY_AFTER_SECONDS)
            ):
                return response
            await asyncio.sleep(self._backoff(attempt) if wait is None else wait)
        raise AssertionError("unreachable")

    def _note_answer(self, url: str, response: _Response) -> None:
        """A resource's first 429/503 slows its host down (its retries do not slow it again);
        several throttled resources hold the whole host."""
        throttled = response.status in THROTTLE_STATUSES
        host = urls.host_of(url)
        if self._throttles[host].first_throttle(url, throttled):
            self._gate(url).throttle()
        hold = self._throttles[host].answered(url, throttled, response.retry_after)
        if hold is None or host in self.host_holds:
            return
        self._gate(url).hold(hold)
        count = self._throttles[host].throttled
        self.host_holds[host] = HostHold(
            host, _now() + timedelta(seconds=hold), f"{count} resources answered 429/503 in one run"
        )
        log.warning("holding every request to %s for %.0fs: %d resources answered 429/503", host, hold, count)

    async def _get_once(self, url: str, headers: dict[str, str], cap: int, timeout: float | None) -> _Response:
        if not (await self._robots_for(url)).allows(url):
            raise FetchError("disallowed by robots.txt", FetchErrorKind.ROBOTS)
        return await self._request(url, headers, cap, timeout)

    async def _request(self, url: str, headers: dict[str, str], cap: int, timeout: float | None) -> _Response:
        read_timeout = timeout or self.settings.read_timeout_seconds
        request_timeout = httpx.Timeout(read_timeout, connect=self.settings.connect_timeout_seconds)
        # The host's turn first: requests waiting on a slow host must not hold global slots.
        async with self._deferrable(url), self._global:
            self.requests_made += 1
            try:
                async with asyncio.timeout(self.settings.total_timeout_seconds):
                    async with self._clients.stream(url, headers, request_timeout) as response:
                        body = await _read_capped(response, cap) if response.status_code == 200 else b""
            except TimeoutError:
                raise FetchError(
                    f"timeout (no complete response within {self.settings.total_timeout_seconds:g}s)",
                    FetchErrorKind.TIMEOUT,
                    True,
                ) from None
            except httpx.HTTPError as exc:
                raise _classify(exc) from exc
        response_headers = {k.lower(): v for k, v in response.headers.items()}
        return _Response(
            status=response.status_code,
            url=str(response.url),
            headers=response_headers,
            body=body,
            retry_after=retry_after_seconds(response_headers),
        )

    def ai_crawlers_disallowed(self, url: str) -> tuple[str, ...]:
        """The named AI crawlers that the robots.txt of the URL's host (as read for this run) keeps off it."""
        rules = self._robots.get(urls.host_of(url))
        return rules.disallowing(url, AI_CRAWLERS) if rules else ()

    async def _robots_for(self, url: str) -> RobotsRules:
        """robots.txt of the URL's host, fetched once per run; its Crawl-delay slows the host's gate."""
        host = urls.host_of(url)
        async with self._robots_locks[host]:
            if host not in self._robots:
                status, body = await self._fetch_robots(url)
                if status is not None:  # an unreachable host is asked again next run
                    self.robots_fetched[host] = (status, body)
                self._robots[host] = RobotsRules(body, self._agent)
            rules = self._robots[host]
        if rules.crawl_delay:
            self._gate(url).slow_down_to(rules.crawl_delay)
        return rules

    async def tdmrep(self, url: str) -> str | None:
        """The URL's host's /.well-known/tdmrep.json (the TDM Reservation Protocol's site-wide
        declaration), asked for once a day like robots.txt; None when it has none."""
        host = urls.host_of(url)
        async with self._tdmrep_locks[host]:
            if host not in self._tdmrep:
                status, body = await self._fetch_host_file(url, TDMREP_PATH, "application/json")
                if status is not None:
                    self.tdmrep_fetched[host] = (status, body)
                self._tdmrep[host] = body
            return self._tdmrep[host]

    async def _fetch_robots(self, url: str) -> tuple[int | None, str | None]:
        """(status, body); no body when the host has none or cannot be asked: then all is allowed."""
        return await self._fetch_host_file(url, "/robots.txt", "text/plain")

    async def _fetch_host_file(self, url: str, path: str, accept: str) -> tuple[int | None, str | None]:
        """(status, body) of a file every host may have at `path`; no status when the host cannot be asked."""
        file_url = str(httpx.URL(url).copy_with(path=path, query=None, fragment=None))
        try:
            response = await self._request(file_url, {"Accept": accept}, HOST_FILE_MAX_BYTES, None)
        except FetchError as exc:
            log.info("no %s for %s (%s)", path, urls.host_of(url), exc)
            return None, None
        if response.status != 200:
            return response.status, None
        return response.status, response.body.decode("utf-8", errors="replace")

    async def _refuse_private_addresses(self, request: httpx.Request) -> None:
        """Runs before every request, redirects included."""
        if self.settings.allow_private_networks:
            return
        host = request.url.host
        literal = ip_literal(host)
        if literal is not None:
            addresses = [literal]
        elif _goes_through_proxy(request.url):
            return
        else:
            addresses = await _resolve(host, request.url.port or (443 if request.url.scheme == "https" else 80))
        private = [a for a in addresses if is_private(a)]
        if private:
            raise FetchError(
                f"refused: {host} is a private address ({private[0]}); set allow_private_networks to allow it",
                FetchErrorKind.PRIVATE,
            )

    @asynccontextmanager
    async def _deferrable(self, url: str) -> AsyncIterator[None]:
        try:
            async with self._gate(url).turn(MAX_RETRY_AFTER_SECONDS):
                yield
        except HostDeferred as exc:
            raise FetchError(str(exc), FetchErrorKind.DEFERRED, transient=True, retry_after=exc.seconds) from None

    def _gate(self, url: str) -> HostGate:
        host = urls.host_of(url)
        if host not in self._gates:
            self._gates[host] = self._new_gate(
                host, self.settings.per_host_concurrency, self.settings.min_delay_seconds
            )
        return self._gates[host]

    def _new_gate(self, host: str, concurrency: int, delay: float) -> HostGate:
        gate = HostGate(concurrency, delay)
        if host in self._held_hosts:
            gate.hold((self._held_hosts[host] - _now()).total_seconds())
        return gate

    def _backoff(self, attempt: int) -> float:
        base = self.backoff_seconds * (1 << attempt)
        return base + random.uniform(0, base)


class _HostClients:
    """One httpx client (connection pool) per host. httpcore checks every connection in a
    pool on each request and response, so one pool shared by every host cost ~0.8 ms more
    CPU per page at 20 hosts. A host's pool is closed once nothing has used it for as long
    as httpx keeps an idle connection alive, so idle sockets do not pile up."""

    def __init__(self, new_client: Callable[[], httpx.AsyncClient]):
        self._new_client = new_client
        self._clients: OrderedDict[str, httpx.AsyncClient] = OrderedDict()  # least recently used first
        self._in_use: Counter[str] = Counter()
        self._last_used: dict[str, float] = {}

    @asynccontextmanager
    async def stream(self, url: str, headers: dict[str, str], timeout: httpx.Timeout) -> AsyncIterator[httpx.Response]:
        host = urls.host_of(url)
        self._in_use[host] += 1
        try:
            await self._close_idle()
            if host not in self._clients:
                self._clients[host] = self._new_client()
            self._clients.move_to_end(host)
            async with self._clients[host].stream("GET", url, headers=headers, timeout=timeout) as response:
                yield response
        finally:
            self._in_use[host] -= 1
            self._last_used[host] = time.monotonic()

    async def _close_idle(self) -> None:
        """From the least recently used, until one was used lately; pools in use are skipped."""
        stale = time.monotonic() - HOST_POOL_IDLE_SECONDS
        for host in list(self._clients):
            if self._in_use[host] or host not in self._clients:
                continue
            if self._last_used.get(host, stale) > stale:
                return
            del self._in_use[host], self._last_used[host]
            await self._clients.pop(host).aclose()

    async def aclose(self) -> None:
        while self._clients:
            await self._clients.popitem()[1].aclose()


async def _read_capped(response: httpx.Response, cap: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > cap:
            raise FetchError(f"response larger than {cap} bytes (stopped reading)", FetchErrorKind.SIZE)
        chunks.append(chunk)
    return b"".join(chunks)


async def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return []  # the connection attempt will fail and say so
    return [str(info[4][0]) for info in infos]


def _goes_through_proxy(url: httpx.URL) -> bool:
    proxies = urllib.request.getproxies_environment()
    if url.scheme not in proxies and "all" not in proxies:
        return False
    return not urllib.request.proxy_bypass_environment(url.host)  # type: ignore[attr-defined]  # not in typeshed


def retry_after_seconds(headers: dict[str, str]) -> float | None:
    """Retry-After as seconds, from either its delta-seconds or its HTTP-date form."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    when = dates.parse(value)
    return None if when is None else max(0.0, (when - _now()).total_seconds())


def _classify(exc: httpx.HTTPError) -> FetchError:
    """A short, specific, user-facing description of a failed request."""
    if isinstance(exc, httpx.TooManyRedirects):
        return FetchError("too many redirects", FetchErrorKind.REDIRECTS)
    if isinstance(exc, httpx.TimeoutException):
        return FetchError(f"timeout ({type(exc).__name__})", FetchErrorKind.TIMEOUT, True)
    if isinstance(exc, httpx.ConnectError):
        return FetchError(
            f"connection failed: {exc}" if str(exc) else "connection failed", FetchErrorKind.CONNECT, True
        )
    if isinstance(exc, (httpx.NetworkError, httpx.RemoteProtocolError)):
        return FetchError(f"{type(exc).__name__}: {exc}", FetchErrorKind.PROTOCOL, True)
    return FetchError(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, FetchErrorKind.PROTOCOL)


def _status_error(status: int) -> str:
    return "HTTP 410 Gone" if status == 410 else f"HTTP {status}"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
