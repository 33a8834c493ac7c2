"""The only network code: one async HTTP client per run.

Timeouts, streamed size caps (on the decoded bytes, so a gzip bomb stops at the
cap too), a redirect limit, conditional GET for feeds, retries with backoff for
transient failures, and concurrency bounded globally and per host. httpx honours
the standard proxy environment variables (HTTP_PROXY, HTTPS_PROXY, NO_PROXY).
"""
from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

import httpx

from flows import urls
from flows.config import Settings
from flows.records import FeedPoll, Page, Source

log = logging.getLogger(__name__)

TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER_SECONDS = 30.0


class TooLarge(Exception):
    """The body went past the configured cap."""


@dataclass(frozen=True)
class _Response:
    status: int
    url: str
    headers: dict[str, str]
    body: bytes


class Fetcher:
    """Fetch feeds and pages politely; use as `async with Fetcher(settings) as f`."""

    def __init__(self, settings: Settings, retries: int = 2, backoff_seconds: float = 0.5):
        self.settings = settings
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self.requests_made = 0
        self._global = asyncio.Semaphore(settings.concurrency)
        self._per_host: dict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.per_host_concurrency))
        self._client = httpx.AsyncClient(
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(settings.read_timeout_seconds, connect=settings.connect_timeout_seconds),
            follow_redirects=True,
            max_redirects=settings.max_redirects,
            trust_env=True,
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._client.aclose()

    async def fetch_feed(self, source: Source, etag: str | None, last_modified: str | None) -> FeedPoll:
        """GET a feed, conditionally when we hold validators; a 304 has no body."""
        headers = {"Accept": "application/rss+xml, application/atom+xml, application/feed+json, "
                             "application/xml;q=0.9, */*;q=0.8"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        started = time.monotonic()
        try:
            response = await self._get(source.feed_url, headers, self.settings.max_feed_bytes,
                                       source.timeout_seconds)
        except (httpx.HTTPError, TooLarge) as exc:
            return FeedPoll(source=source.name, url=source.feed_url, status=None,
                            error=describe_error(exc), duration_ms=_ms_since(started))
        error = None if response.status in (200, 304) else f"HTTP {response.status}"
        return FeedPoll(
            source=source.name, url=source.feed_url, status=response.status,
            body=response.body if response.status == 200 else None,
            headers=response.headers, final_url=response.url,
            etag=response.headers.get("etag") or (etag if response.status == 304 else None),
            last_modified=response.headers.get("last-modified")
            or (last_modified if response.status == 304 else None),
            error=error, duration_ms=_ms_since(started))

    async def fetch_pages(self, page_urls: Iterable[str]) -> list[Page]:
        """Fetch many pages concurrently; order of the result follows the input."""
        return list(await asyncio.gather(*(self.fetch_page(url) for url in page_urls)))

    async def fetch_page(self, url: str) -> Page:
        headers = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"}
        try:
            response = await self._get(url, headers, self.settings.max_page_bytes, None)
        except TooLarge as exc:
            return Page(url=url, final_url=None, status=None, error=str(exc), fetched_at=_now())
        except httpx.HTTPError as exc:
            return Page(url=url, final_url=None, status=None, error=describe_error(exc),
                        transient=_is_transient_error(exc), fetched_at=_now())
        error = None if 200 <= response.status < 300 else f"HTTP {response.status}"
        return Page(url=url, final_url=response.url, status=response.status,
                    headers=response.headers, body=response.body if error is None else b"",
                    fetched_at=_now(), error=error, transient=response.status in TRANSIENT_STATUSES)

    async def _get(self, url: str, headers: dict[str, str], cap: int,
                   timeout: float | None) -> _Response:
        """GET with retries for transient failures (exponential backoff, jitter, Retry-After)."""
        for attempt in range(self.retries + 1):
            last_try = attempt == self.retries
            try:
                response = await self._get_once(url, headers, cap, timeout)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                if last_try or not _is_transient_error(exc):
                    raise
                await asyncio.sleep(self._backoff(attempt, None))
                continue
            if response.status not in TRANSIENT_STATUSES or last_try:
                return response
            await asyncio.sleep(self._backoff(attempt, retry_after_seconds(response.headers)))
        raise AssertionError("unreachable")

    async def _get_once(self, url: str, headers: dict[str, str], cap: int,
                        timeout: float | None) -> _Response:
        host = urls.host_of(url)
        request_timeout = httpx.USE_CLIENT_DEFAULT if timeout is None else httpx.Timeout(
            timeout, connect=self.settings.connect_timeout_seconds)
        async with self._global, self._per_host[host]:
            self.requests_made += 1
            async with self._client.stream("GET", url, headers=headers,
                                           timeout=request_timeout) as response:
                body = await _read_capped(response, cap) if response.status_code == 200 else b""
                return _Response(status=response.status_code, url=str(response.url),
                                 headers={k.lower(): v for k, v in response.headers.items()},
                                 body=body)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER_SECONDS)
        base = self.backoff_seconds * (2 ** attempt)
        return base + random.uniform(0, base)


async def _read_capped(response: httpx.Response, cap: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > cap:
            raise TooLarge(f"response larger than {cap} bytes (stopped reading)")
        chunks.append(chunk)
    return b"".join(chunks)


def retry_after_seconds(headers: dict[str, str]) -> float | None:
    """Retry-After as seconds, from either its delta-seconds or its HTTP-date form."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - _now()).total_seconds())


def describe_error(exc: BaseException) -> str:
    """A short, specific, user-facing description of a failed request."""
    if isinstance(exc, TooLarge):
        return str(exc)
    if isinstance(exc, httpx.TooManyRedirects):
        return "too many redirects"
    if isinstance(exc, httpx.TimeoutException):
        return f"timeout ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        return f"connection failed: {exc}" if str(exc) else "connection failed"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _is_transient_error(exc: BaseException) -> bool:
    return isinstance(exc, (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
