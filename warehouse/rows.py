"""Records -> rows of the warehouse's tables, keyed by the columns schema.py declares.

The warehouse never imports flows: it reads the pipeline's records through the small
protocols below (only the attributes a row needs), and mypy holds the records to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, Protocol

import zstandard

from warehouse import schema
from warehouse.records import FeedState, QueuedPage, SitemapChild

Row = dict[str, Any]


class SourceLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def feed_url(self) -> str: ...
    @property
    def site(self) -> str | None: ...
    @property
    def category(self) -> str | None: ...
    @property
    def language(self) -> str | None: ...
    @property
    def enabled(self) -> bool: ...
    @property
    def kind(self) -> str: ...


class EntryLike(Protocol):
    @property
    def guid(self) -> str | None: ...
    @property
    def link(self) -> str: ...
    @property
    def title(self) -> str | None: ...
    @property
    def published(self) -> datetime | None: ...
    @property
    def updated(self) -> datetime | None: ...
    @property
    def authors(self) -> Sequence[str]: ...
    @property
    def tags(self) -> Sequence[str]: ...
    @property
    def summary(self) -> str | None: ...
    @property
    def language(self) -> str | None: ...
    @property
    def image_url(self) -> str | None: ...


class KeyedEntryLike(Protocol):
    @property
    def source(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def canonical_link(self) -> str: ...
    @property
    def entry(self) -> EntryLike: ...


class ArticleLike(Protocol):
    """An extracted article: the record's fields named as schema.EXTRACTED plus its URLs."""

    @property
    def url(self) -> str: ...
    @property
    def canonical_url(self) -> str: ...
    @property
    def authors(self) -> Sequence[str]: ...
    @property
    def tags(self) -> Sequence[str]: ...
    @property
    def extractor_version(self) -> str: ...
    @property
    def title(self) -> str | None: ...
    @property
    def body(self) -> str: ...
    @property
    def content_hash(self) -> str: ...
    @property
    def ai_crawlers_disallowed(self) -> Sequence[str]: ...


class PageLike(Protocol):
    @property
    def final_url(self) -> str | None: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def body(self) -> bytes: ...
    @property
    def fetched_at(self) -> datetime | None: ...


class JobLike(Protocol):
    @property
    def url(self) -> str: ...
    @property
    def source(self) -> str: ...


class FetchedLike(Protocol):
    @property
    def job(self) -> JobLike: ...
    @property
    def page(self) -> PageLike: ...


class AliasLike(Protocol):
    @property
    def url(self) -> str: ...
    @property
    def article_id(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def kind(self) -> str: ...


class HoldLike(Protocol):
    @property
    def host(self) -> str: ...
    @property
    def held_until(self) -> datetime: ...
    @property
    def reason(self) -> str: ...


class NamedLike(Protocol):
    @property
    def name(self) -> str: ...


class FeedPollLike(Protocol):
    @property
    def url(self) -> str: ...
    @property
    def status(self) -> int | None: ...
    @property
    def not_modified(self) -> bool: ...
    @property
    def duration_ms(self) -> int: ...


class ParsedFeedLike(Protocol):
    @property
    def format(self) -> str: ...
    @property
    def skipped_without_link(self) -> int: ...
    @property
    def warning(self) -> str | None: ...


class SourcePollLike(Protocol):
    @property
    def source(self) -> NamedLike: ...
    @property
    def poll(self) -> FeedPollLike: ...
    @property
    def feed(self) -> ParsedFeedLike | None: ...
    @property
    def entries(self) -> Sequence[object]: ...
    @property
    def error(self) -> str | None: ...


class ReportLike(Protocol):
    @property
    def held_until(self) -> datetime | None: ...
    @property
    def failed(self) -> bool: ...


class SummaryLike(Protocol):
    @property
    def run_id(self) -> str: ...
    @property
    def started_at(self) -> datetime: ...
    @property
    def finished_at(self) -> datetime: ...
    @property
    def outcome(self) -> str: ...
    @property
    def sources(self) -> Sequence[ReportLike]: ...
    @property
    def pages_fetched(self) -> int: ...
    @property
    def message(self) -> str | None: ...
    def total(self, field_name: str) -> int: ...


NewArticle = tuple[str, ArticleLike, FetchedLike]  # (article_id, the article, the page it came from)


def sources(items: Iterable[SourceLike], now: datetime) -> list[Row]:
    return [
        {
            "name": s.name,
            "feed_url": s.feed_url,
            "site": s.site,
            "category": s.category,
            "language": s.language,
            "enabled": s.enabled,
            "synced_at": now,
            "kind": str(s.kind),
        }
        for s in items
    ]


def feed_states(states: Iterable[FeedState]) -> list[Row]:
    return [_record_row(state) for state in states]


def sitemap_children(children: Iterable[SitemapChild]) -> list[Row]:
    return [_record_row(child) for child in children]


def queued_pages(queued: Iterable[QueuedPage]) -> list[Row]:
    return [_record_row(page) for page in queued]


def polls(run_id: str, polled: Iterable[tuple[SourcePollLike, int]], now: datetime) -> list[Row]:
    """One row per feed request, with how many of its entries were new."""
    return [
        {
            "run_id": run_id,
            "source": sp.source.name,
            "polled_at": now,
            "url": sp.poll.url,
            "status": sp.poll.status,
            "not_modified": sp.poll.not_modified,
            "feed_format": sp.feed.format if sp.feed else None,
            "entries_seen": len(sp.entries),
            "entries_new": entries_new,
            "entries_skipped": sp.feed.skipped_without_link if sp.feed else 0,
            "duration_ms": sp.poll.duration_ms,
            "error": sp.error,
            "warning": sp.feed.warning if sp.feed else None,
        }
        for sp, entries_new in polled
    ]


def run(summary: SummaryLike, flow_run_id: str | None) -> Row:
    return {
        "run_id": summary.run_id,
        "flow_run_id": flow_run_id,
        "started_at": summary.started_at,
        "finished_at": summary.finished_at,
        "outcome": summary.outcome,
        "sources_polled": sum(r.held_until is None for r in summary.sources),
        "sources_failed": sum(r.failed for r in summary.sources),
        "not_modified": summary.total("not_modified"),
        "entries_seen": summary.total("entries"),
        "entries_new": summary.total("entries_new"),
        "pages_fetched": summary.pages_fetched,
        "articles_new": summary.total("articles_new"),
        "duplicates": summary.total("duplicates"),
        "fetch_failures": summary.total("fetch_failures"),
        "extraction_failures": summary.total("extraction_failures"),
        "message": summary.message,
    }


def entries(run_id: str, keyed: Iterable[KeyedEntryLike], now: datetime) -> list[Row]:
    return [
        {
            "entry_key": k.key,
            "source": k.source,
            "guid": k.entry.guid,
            "link": k.entry.link,
            "canonical_link": k.canonical_link,
            "title": k.entry.title,
            "published_at": k.entry.published,
            "updated_at": k.entry.updated,
            "authors": list(k.entry.authors),
            "tags": list(k.entry.tags),
            "summary": k.entry.summary,
            "first_seen_at": now,
            "run_id": run_id,
            "language": k.entry.language,
            "image_url": k.entry.image_url,
        }
        for k in keyed
    ]


def extracted(article: ArticleLike) -> Row:
    """An article's extracted columns (schema.EXTRACTED), lists where the record has tuples."""
    row = {name: getattr(article, name) for name in schema.EXTRACTED}
    return {**row, "authors": list(article.authors), "tags": list(article.tags)}


def articles(run_id: str, new: Iterable[NewArticle]) -> list[Row]:
    return [
        {
            **extracted(article),
            "article_id": article_id,
            "canonical_url": article.canonical_url,
            "url": article.url,
            "source": fetched.job.source,
            "run_id": run_id,
            "fetched_at": fetched.page.fetched_at,
            "ai_crawlers_disallowed": list(article.ai_crawlers_disallowed),
        }
        for article_id, article, fetched in new
    ]


def pages(new: Iterable[NewArticle]) -> list[Row]:
    """The raw HTML of each new article, zstd-compressed, for later re-extraction."""
    return [page(article_id, article, fetched.page, fetched.job.url) for article_id, article, fetched in new]


def page(article_id: str, article: ArticleLike, fetched: PageLike, url: str) -> Row:
    """One article's raw page with its validators (ETag, Last-Modified) for re-checks."""
    return {
        "article_id": article_id,
        "url": fetched.final_url or url,
        "fetched_at": fetched.fetched_at,
        "content_type": fetched.headers.get("content-type"),
        "html_zstd": zstandard.ZstdCompressor(level=1).compress(fetched.body),
        "html_bytes": len(fetched.body),
        "extractor_version": article.extractor_version,
        "etag": fetched.headers.get("etag"),
        "last_modified": fetched.headers.get("last-modified"),
    }


def recheck(article_id: str, checks_done: int, now: datetime, status: int | None, outcome: str) -> Row:
    """Where an article's re-checks stand after one more; a 404 / 410 marks it withdrawn."""
    return {
        "article_id": article_id,
        "checks_done": checks_done,
        "last_checked_at": now,
        "last_status": status,
        "last_outcome": outcome,
        "withdrawn_at": now if outcome == "withdrawn" else None,
    }


def revision(
    article_id: str, article: ArticleLike, fetched: PageLike, words: tuple[int, int], run_id: str, now: datetime
) -> Row:
    """A new revision of an article (the store numbers it after the ones it has)."""
    added, removed = words
    return {
        "article_id": article_id,
        "seen_at": now,
        "title": article.title,
        "body": article.body,
        "content_hash": article.content_hash,
        "words_added": added,
        "words_removed": removed,
        "html_zstd": zstandard.ZstdCompressor(level=1).compress(fetched.body),
        "run_id": run_id,
    }


def article_urls(aliases: Iterable[AliasLike], now: datetime) -> list[Row]:
    return [
        {"url": a.url, "article_id": a.article_id, "source": a.source, "kind": a.kind, "first_seen_at": now}
        for a in aliases
    ]


def entry_articles(links: Iterable[tuple[str, str]]) -> list[Row]:
    return [{"entry_key": key, "article_id": article_id} for key, article_id in links]


def host_files(fetched: Mapping[str, tuple[int | None, str | None]], when: datetime) -> list[Row]:
    """robots.txt or tdmrep.json as each host answered: (status, body) by host."""
    return [
        {"host": host, "fetched_at": when, "status": status, "body": body} for host, (status, body) in fetched.items()
    ]


def host_holds(holds: Iterable[HoldLike], since: datetime, run_id: str) -> list[Row]:
    return [
        {"host": h.host, "held_until": h.held_until, "since": since, "run_id": run_id, "reason": h.reason}
        for h in holds
    ]


def _record_row(record: FeedState | QueuedPage | SitemapChild) -> Row:
    return {field.name: getattr(record, field.name) for field in fields(record)}
