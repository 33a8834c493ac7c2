"""What the warehouse remembers and hands back: frozen records, one per kind of state.

A record whose fields are a table's columns (FeedState, QueuedPage, SitemapChild) is written as it is;
tests/test_schema.py holds them to the schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class QueueState(StrEnum):
    RETRY = "retry"  # asked again when next_attempt_at comes
    DEAD = "dead"  # kept, with its error, for a person to look at


@dataclass(frozen=True)
class SitemapChild:
    """A sitemap that an index lists, as we last read it: with its <lastmod> unchanged it is
    not fetched again; otherwise it is asked for conditionally."""

    source: str
    url: str
    lastmod: datetime | None
    etag: str | None
    last_modified: str | None
    read_at: datetime


@dataclass(frozen=True)
class FeedState:
    """One source's polling memory: validators, schedule, failures, what the server asked."""

    source: str
    etag: str | None = None
    last_modified: str | None = None
    last_polled_at: datetime | None = None
    last_success_at: datetime | None = None
    consecutive_failures: int = 0
    next_poll_at: datetime | None = None
    last_status: int | None = None
    last_error: str | None = None
    retired_at: datetime | None = None  # 410 Gone: asked once a day until it answers again
    hint_seconds: int | None = None  # the feed's own refresh hint (ttl, max-age, Expires)
    held_until: datetime | None = None  # the server's Retry-After, which no forced run skips


@dataclass(frozen=True)
class QueuedPage:
    """A page fetch or extraction that failed, queued for a retry or kept as a dead letter."""

    url: str
    source: str
    entry_key: str
    stage: str
    state: QueueState
    attempts: int
    first_failed_at: datetime
    last_attempt_at: datetime
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str


@dataclass(frozen=True)
class RememberedEntry:
    """What the feed entry behind a page said, as feed_entries keeps it."""

    guid: str | None = None
    title: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    summary: str | None = None
    language: str | None = None
    image_url: str | None = None


@dataclass(frozen=True)
class RetryJob:
    """A queued page whose next attempt is due."""

    url: str
    source: str
    entry_key: str
    attempts: int
    entry: RememberedEntry


@dataclass(frozen=True)
class StoredPage:
    """An article's raw page, kept for re-extraction, with the entry that led to it."""

    article_id: str
    url: str
    content_type: str | None
    html_zstd: bytes
    entry: RememberedEntry


@dataclass(frozen=True)
class KnownEntry:
    """What we stored of a feed entry seen before, and the article it led to (if any)."""

    title: str | None
    updated_at: datetime | None
    article_id: str | None


@dataclass(frozen=True)
class RecheckCandidate:
    """A loaded article whose page may be due a re-check, with what the check compares."""

    article_id: str
    url: str
    source: str
    fetched_at: datetime
    checks_done: int
    etag: str | None
    last_modified: str | None
    title: str | None
    content_hash: str
    extractor_version: str  # of the stored extraction: another version may read the same page otherwise
    entry: RememberedEntry


@dataclass(frozen=True)
class SharedWarehouse:
    """A warehouse several machines use at once: its catalog in PostgreSQL, its Parquet files
    in a place every machine reaches under the same name (a shared folder, or s3://…)."""

    catalog: str  # a libpq connection string: "dbname=news host=db.internal user=newsdesk"
    data_path: str

    def __str__(self) -> str:
        return f"postgres:{self.catalog} ({self.data_path})"


@dataclass(frozen=True)
class SourceTotals:
    """One source as monitoring sees it: the ledger's counts so far, and the extraction
    health of what it fetched recently."""

    source: str
    last_success_at: datetime | None
    consecutive_failures: int
    articles: int
    revisions: int  # new versions of its articles found after the first load
    polls: dict[str, int]  # by outcome: ok, not_modified, failed
    feed_statuses: dict[str, int]  # by HTTP status class: 2xx … 5xx, 'none' (no response)
    queued: dict[str, int]  # pages waiting, by "state reason": "retry extract", "dead http_4xx", …
    recent_articles: int
    recent_no_body: int  # pages fetched recently that gave no body
    recent_no_date: int
    recent_no_author: int
    recent_median_words: float | None


@dataclass(frozen=True)
class RunTotals:
    """The run ledger summed, and its last run."""

    runs: dict[str, int]  # by outcome
    pages_fetched: int
    page_failures: dict[str, int]  # by stage: fetch, extract
    duplicates: int
    last_finished_at: datetime | None
    last_duration_seconds: float | None
    last_outcome: str | None


@dataclass(frozen=True)
class RunExtraction:
    """What one run extracted for one source: the articles it loaded (their word counts, how
    many without a date) and the pages that gave no body."""

    source: str
    run_id: str
    started_at: datetime
    articles: int
    no_body: int
    no_date: int
    words: list[int]


@dataclass(frozen=True)
class ExportedPage:
    """An article's raw page as the warehouse keeps it, for a WARC export."""

    article_id: str
    url: str  # where the page was read from, after redirects
    canonical_url: str
    source: str
    fetched_at: datetime
    content_type: str | None
    etag: str | None
    last_modified: str | None
    html: bytes
