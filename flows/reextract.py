"""Re-run extraction over the stored raw pages after the extractor improved.

Pages are read and extracted in chunks (the warehouse stays readable meanwhile);
the updates land in one transaction at the end, under the run lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import zstandard

import warehouse
from flows import extract
from flows.identity import neardup
from flows.plan.pagejobs import remembered_entry
from flows.records import Article
from warehouse import reads, rows, store
from warehouse.db import Location
from warehouse.records import StoredPage

CHUNK = 500
log = logging.getLogger(__name__)


@dataclass
class Report:
    pages: int = 0
    changed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (article_id, error)


def reextract(
    db: Location, source: str | None, since: datetime | None, min_body_chars: int, lock_wait_seconds: float | None
) -> Report:
    """Re-extract stored pages (optionally one source's, or published since a date)."""
    report = Report()
    extracted: list[tuple[str, Article]] = []  # (article_id, its new extraction)
    with warehouse.run_lock(db, lock_wait_seconds):
        after = ""
        while True:
            with warehouse.reading(db, lock_wait_seconds) as con:  # readers (and `newsdesk query`) are not shut out
                stored = reads.stored_pages(con, source, since, CHUNK, after)
            if not stored:
                break
            after = stored[-1].article_id
            extracted += _extract_chunk(stored, min_body_chars, report)
            log.info("re-extracted %d pages", report.pages)
        updates = [{"article_id": article_id, **rows.extracted(article)} for article_id, article in extracted]
        stories = neardup.Presketched({article.body: article.band_keys for _, article in extracted})
        with warehouse.writing(db, lock_wait_seconds) as con:
            report.changed = store.update_articles(con, updates, matcher=stories)
    return report


def _extract_chunk(stored: list[StoredPage], min_body_chars: int, report: Report) -> list[tuple[str, Article]]:
    decompressor = zstandard.ZstdDecompressor()
    extracted = []
    for page in stored:
        report.pages += 1
        headers = {"content-type": page.content_type} if page.content_type else {}
        try:
            article = extract.article(
                decompressor.decompress(page.html_zstd),
                page.url,
                headers,
                remembered_entry(page.url, page.entry),
                min_body_chars,
            )
        except extract.ExtractionFailed as exc:
            report.failed.append((page.article_id, str(exc)))
            continue
        except Exception as exc:  # one bad page must not abort a long re-extraction
            report.failed.append((page.article_id, f"extractor error: {type(exc).__name__}: {exc}"))
            continue
        extracted.append((page.article_id, article))
    return extracted
