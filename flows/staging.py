"""Page results as staged Parquet files: how fetch-and-extract batches run on Dask workers
hand their work to the one process that writes the warehouse (workers never open DuckDB).

One row per page: the job (URL, the entries behind it, attempts), the response (with the
raw bytes, kept for re-extraction), the extracted article or the failure.
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from flows.records import Article, EntryRef, FeedEntry, Page, PageJob, PageResult

_UTC = pa.timestamp("us", tz="UTC")
_STRINGS = pa.list_(pa.string())
_ENTRY = pa.struct([("link", pa.string()), ("guid", pa.string()), ("title", pa.string()),
                    ("published", _UTC), ("updated", _UTC), ("authors", _STRINGS), ("tags", _STRINGS),
                    ("summary", pa.string())])
_JOB = pa.struct([("url", pa.string()),
                  ("entries", pa.list_(pa.struct([("source", pa.string()), ("entry_key", pa.string())]))),
                  ("entry", _ENTRY), ("attempts", pa.int32())])
_PAGE = pa.struct([("url", pa.string()), ("final_url", pa.string()), ("status", pa.int32()),
                   ("headers", pa.map_(pa.string(), pa.string())), ("body", pa.binary()),
                   ("fetched_at", _UTC), ("error", pa.string()), ("error_kind", pa.string()),
                   ("transient", pa.bool_()), ("retry_after", pa.float64())])
_ARTICLE = pa.struct([("url", pa.string()), ("canonical_url", pa.string()), ("title", pa.string()),
                      ("authors", _STRINGS), ("published_at", _UTC), ("published_source", pa.string()),
                      ("updated_at", _UTC), ("language", pa.string()), ("sitename", pa.string()),
                      ("description", pa.string()), ("tags", _STRINGS), ("image_url", pa.string()),
                      ("body", pa.string()), ("word_count", pa.int64()), ("content_hash", pa.string()),
                      ("band_keys", pa.list_(pa.int64())), ("extractor_version", pa.string())])
SCHEMA = pa.schema([("job", _JOB), ("page", _PAGE), ("article", _ARTICLE),
                    ("failed_stage", pa.string()), ("error", pa.string())])


def write(results: list[PageResult], path: Path) -> Path:
    """Write atomically: a reader never sees half a batch."""
    partial = path.with_suffix(".partial")
    pq.write_table(pa.Table.from_pylist([_row(r) for r in results], schema=SCHEMA), partial)
    partial.replace(path)
    return path


def read(path: Path) -> list[PageResult]:
    return [_result(row) for row in pq.read_table(path, schema=SCHEMA).to_pylist()]


def _row(result: PageResult) -> dict[str, Any]:
    page = asdict(result.page)
    page["headers"] = list(result.page.headers.items())
    job = result.job
    return {"job": {"url": job.url, "entries": [asdict(ref) for ref in job.entries],
                    "entry": asdict(job.entry) if job.entry else None, "attempts": job.attempts},
            "page": page, "article": asdict(result.article) if result.article else None,
            "failed_stage": result.failed_stage, "error": result.error}


def _result(row: dict[str, Any]) -> PageResult:
    job, page, article = row["job"], row["page"], row["article"]
    entry = job["entry"]
    return PageResult(
        job=PageJob(job["url"], tuple(EntryRef(**ref) for ref in job["entries"]),
                    FeedEntry(**{**entry, "authors": tuple(entry["authors"]), "tags": tuple(entry["tags"])})
                    if entry else None, job["attempts"]),
        page=Page(**{**page, "headers": dict(page["headers"])}),
        article=Article(**{**article, "authors": tuple(article["authors"]), "tags": tuple(article["tags"]),
                           "band_keys": tuple(article["band_keys"])})
        if article else None,
        failed_stage=row["failed_stage"], error=row["error"])
