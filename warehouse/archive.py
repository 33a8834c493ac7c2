"""The stored raw pages, streamed in fetch order for an archive export. Read-only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import duckdb
import zstandard

from warehouse.records import ExportedPage

CHUNK = 200  # pages held in memory at a time


def stored_pages(
    con: duckdb.DuckDBPyConnection, since: datetime | None, source: str | None, exclude_tdm_reserved: bool = False
) -> Iterator[ExportedPage]:
    """Every article's page (those published, or else fetched, on or after `since`; of
    `source` only, when given; without those whose publisher reserved text-and-data-mining
    rights, when asked), oldest fetch first."""
    cursor = con.execute(
        """
        SELECT p.article_id, p.url, a.canonical_url, a.source, p.fetched_at, p.content_type, p.etag,
               p.last_modified, p.html_zstd
        FROM pages p JOIN articles a USING (article_id)
        WHERE ($since IS NULL OR coalesce(a.published_at, a.fetched_at) >= $since)
          AND ($source IS NULL OR a.source = $source)
          AND NOT ($exclude AND a.tdm_reserved IS TRUE)
        ORDER BY p.fetched_at, p.article_id
        """,
        {"since": since, "source": source, "exclude": exclude_tdm_reserved},
    )
    unpack = zstandard.ZstdDecompressor()
    while rows := cursor.fetchmany(CHUNK):
        for article_id, url, canonical_url, source, fetched_at, content_type, etag, last_modified, html in rows:
            yield ExportedPage(
                article_id,
                url,
                canonical_url,
                source,
                fetched_at,
                content_type,
                etag,
                last_modified,
                unpack.decompress(html),
            )
