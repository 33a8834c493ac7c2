"""Typed records that flow between the pipeline's steps.

Every record is a frozen dataclass: a step receives values, never shared mutable
state. Datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class FetchErrorKind(StrEnum):
    """Why a request produced no usable response."""

    HTTP = "http"  # an error status
    CONNECT = "connect"  # no connection (DNS, refused, reset)
    TIMEOUT = "timeout"
    PROTOCOL = "protocol"  # a malformed or broken response
    REDIRECTS = "redirects"  # too many
    SIZE = "size"  # larger than the cap
    ROBOTS = "robots"  # disallowed by robots.txt
    PRIVATE = "private"  # a private address, refused
    DEFERRED = "deferred"  # not asked: the host asked us to wait


class Stage(StrEnum):
    """Where a page failed."""

    FETCH = "fetch"
    EXTRACT = "extract"


class Outcome(StrEnum):
    """A run's outcome: failed when every source asked failed, partial when some did."""

    OK = "ok"
    PARTIAL = "partial"
    FAILED = "failed"


class SourceKind(StrEnum):
    """What a source's URL serves."""

    FEED = "feed"  # RSS, Atom or JSON Feed
    NEWS_SITEMAP = "news_sitemap"  # a Google News sitemap: the last two days' articles
    SITEMAP = "sitemap"  # a sitemap or sitemap index: large, changes slowly


@dataclass(frozen=True)
class Source:
    """One source from sources.yaml, with settings defaults already applied."""

    name: str
    feed_url: str
    kind: SourceKind = SourceKind.FEED
    site: str | None = None
    category: str | None = None
    language: str | None = None
    enabled: bool = True
    max_entries: int = 200
    timeout_seconds: float = 20.0
    per_host_concurrency: int | None = None
    min_delay_seconds: float | None = None
    interval_minutes: float = 30.0
    max_age_days: float | None = None  # sitemaps: entries older than this are left out
    url_pattern: str | None = None  # sitemaps: only URLs this regular expression finds
    recheck_after_hours: tuple[float, ...] = ()  # after first fetch, when to fetch the page again


@dataclass(frozen=True)
class FeedPoll:
    """The answer to one feed request; body is None when the server said 304."""

    source: str
    url: str
    status: int | None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    final_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    error_kind: FetchErrorKind | None = None
    retry_after: float | None = None
    duration_ms: int = 0

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 400


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed, reduced to what the pipeline uses."""

    link: str
    guid: str | None = None
    title: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    summary: str | None = None
    language: str | None = None  # as the feed or news sitemap declares it
    image_url: str | None = None
    origin: str = "feed"  # where its dates come from: "feed" or "sitemap"


@dataclass(frozen=True)
class ParsedFeed:
    """A feed document turned into entries; entries without a link are only counted."""

    format: str
    title: str | None
    entries: tuple[FeedEntry, ...]
    skipped_without_link: int = 0
    warning: str | None = None
    ttl_minutes: int | None = None


@dataclass(frozen=True)
class Page:
    """One fetched article page (or the error that stopped the fetch)."""

    url: str
    final_url: str | None
    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    fetched_at: datetime | None = None
    error: str | None = None
    error_kind: FetchErrorKind | None = None
    transient: bool = False
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class Article:
    """An extracted article, ready for dedup and loading."""

    url: str
    canonical_url: str
    title: str | None
    authors: tuple[str, ...]
    published_at: datetime | None
    published_source: str | None
    updated_at: datetime | None
    language: str | None
    sitename: str | None
    description: str | None
    tags: tuple[str, ...]
    image_url: str | None
    body: str
    word_count: int
    content_hash: str
    band_keys: tuple[int, ...]  # the body's near-duplicate sketch (neardup.RULES)
    extractor_version: str
    access: str = "unknown"  # free, paywalled, metered or unknown (flows.extract.access)
    tdm_reserved: bool | None = None  # text-and-data-mining rights reserved (flows.extract.consent); None: not said
    tdm_policy: str | None = None
    tdm_source: str | None = None  # header or meta
    ai_crawlers_disallowed: tuple[str, ...] = ()  # named AI crawlers the host's robots.txt keeps off this URL


@dataclass(frozen=True)
class EntryRef:
    """Which source's entry asked for a page."""

    source: str
    entry_key: str


@dataclass(frozen=True)
class PageJob:
    """A page to fetch, for one or more entries (the same link in two feeds is fetched once)."""

    url: str
    entries: tuple[EntryRef, ...]
    entry: FeedEntry | None = None
    attempts: int = 0

    @property
    def source(self) -> str:
        return self.entries[0].source


@dataclass(frozen=True)
class PageResult:
    """What became of a page job: an article, or the stage that failed and why."""

    job: PageJob
    page: Page
    article: Article | None = None
    failed_stage: Stage | None = None
    error: str | None = None


@dataclass(frozen=True)
class HostHold:
    """A host held as a whole: no request to it before `held_until`."""

    host: str
    held_until: datetime
    reason: str


@dataclass(frozen=True)
class SourceReport:
    """Per-source counts for the run summary."""

    source: str
    kind: SourceKind = SourceKind.FEED
    status: int | None = None
    not_modified: bool = False
    feed_format: str | None = None
    entries: int = 0
    entries_new: int = 0
    entries_skipped: int = 0
    articles_new: int = 0
    duplicates: int = 0
    fetch_failures: int = 0
    extraction_failures: int = 0
    error: str | None = None
    held_until: datetime | None = None  # not requested: the server asked us to wait

    @property
    def failed(self) -> bool:
        return self.error is not None


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    started_at: datetime
    finished_at: datetime
    outcome: Outcome
    sources: tuple[SourceReport, ...]
    pages_fetched: int
    requests_made: int
    warehouse: str
    message: str | None = None
    host_holds: tuple[HostHold, ...] = ()

    def total(self, field_name: str) -> int:
        return sum(int(getattr(report, field_name)) for report in self.sources)
