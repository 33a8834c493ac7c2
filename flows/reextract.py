"""Re-run extraction over the stored raw pages after the extractor improved.

Pages are read and extracted in chunks (the warehouse stays readable meanwhile);
the updates land in one transaction at the end, under the run lock.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import zstandard

import warehouse
from flows import extract
from flows.identity import neardup
from flows.plan import pipeline
from flows.records import Article
from warehouse import reads, store

CHUNK = 500
log = logging.getLogger(__name__)


@dataclass
class Report:
    pages: int = 0
    changed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)   # (article_id, error)


def reextract(db: Path, source: str | None, since: datetime | None, min_body_chars: int,
              lock_wait_seconds: float) -> Report:
    """Re-extract stored pages (optionally one source's, or published since a date)."""
    report = Report()
    extracted: list[tuple[str, Article]] = []   # (article_id, its new extraction)
    with warehouse.run_lock(db, lock_wait_seconds):
        after = ""
        while True:
            with warehouse.reading(db) as con:  # readers (and `newsdesk query`) are not shut out
                rows = reads.stored_pages(con, source, since, CHUNK, after)
            if not rows:
                break
            after = rows[-1]["article_id"]
            extracted += _extract_chunk(rows, min_body_chars, report)
            log.info("re-extracted %d pages", report.pages)
        updates = [{"article_id": article_id, **pipeline.article_row(article)} for article_id, article in extracted]
        stories = neardup.Presketched({article.body: article.band_keys for _, article in extracted})
        with warehouse.writing(db) as con:
            report.changed = store.update_articles(con, updates, stories=stories)
    return report


def _extract_chunk(rows: list[dict], min_body_chars: int, report: Report) -> list[tuple[str, Article]]:
    decompressor = zstandard.ZstdDecompressor()
    extracted = []
    for row in rows:
        report.pages += 1
        headers = {"content-type": row["content_type"]} if row["content_type"] else {}
        try:
            article = extract.article(decompressor.decompress(row["html_zstd"]), row["url"], headers,
                                      pipeline.entry_from_row(row), min_body_chars)
        except extract.ExtractionFailed as exc:
            report.failed.append((row["article_id"], str(exc)))
            continue
        except Exception as exc:  # one bad page must not abort a long re-extraction
            report.failed.append((row["article_id"], f"extractor error: {type(exc).__name__}: {exc}"))
            continue
        extracted.append((row["article_id"], article))
    return extracted
