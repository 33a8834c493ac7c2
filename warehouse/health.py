"""What monitoring reads: the ledger's totals per source, the queue, the runs, the warehouse's
size, and each run's extraction health per source (for drift detection). Read-only."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import duckdb

from warehouse import reads
from warehouse.db import LAKE
from warehouse.records import RunExtraction, RunTotals, SourceTotals

METADATA = f"__ducklake_metadata_{LAKE}"  # the catalog's own tables, as DuckLake attaches them

# A page that was fetched but gave no body waits in the queue at stage 'extract'; a failed
# fetch is classed by its last HTTP status, or 'network' when there was none.
_QUEUE_REASON = """
    CASE WHEN stage = 'extract' THEN 'extract'
         WHEN last_status IS NULL THEN 'network'
         ELSE 'http_' || CAST(last_status // 100 AS VARCHAR) || 'xx' END"""


def source_totals(con: duckdb.DuckDBPyConnection, since: datetime) -> list[SourceTotals]:
    """One record per configured source; its extraction health counts what was fetched since `since`."""
    polls = _counts(
        con,
        """SELECT source, CASE WHEN error IS NOT NULL THEN 'failed'
                               WHEN not_modified THEN 'not_modified' ELSE 'ok' END, count(*)
           FROM polls GROUP BY ALL""",
    )
    statuses = _counts(
        con, "SELECT source, coalesce(CAST(status // 100 AS VARCHAR) || 'xx', 'none'), count(*) FROM polls GROUP BY ALL"
    )
    queued = _counts(con, f"SELECT source, state || ' ' || {_QUEUE_REASON}, count(*) FROM fetch_queue GROUP BY ALL")
    rows = con.execute(
        """
        WITH produced AS (
            SELECT source, count(*) AS articles,
                   count(*) FILTER (WHERE fetched_at >= $since) AS recent,
                   count(*) FILTER (WHERE fetched_at >= $since AND published_at IS NULL) AS no_date,
                   count(*) FILTER (WHERE fetched_at >= $since AND len(coalesce(authors, [])) = 0) AS no_author,
                   median(word_count) FILTER (WHERE fetched_at >= $since) AS median_words
            FROM articles GROUP BY source
        ), revised AS (
            SELECT a.source, count(*) AS revisions
            FROM article_revisions r JOIN articles a USING (article_id)
            WHERE r.revision > 1 GROUP BY a.source
        ), empty AS (
            SELECT source, count(*) AS no_body FROM fetch_queue
            WHERE stage = 'extract' AND first_failed_at >= $since GROUP BY source
        )
        SELECT s.name, f.last_success_at, coalesce(f.consecutive_failures, 0), coalesce(p.articles, 0),
               coalesce(r.revisions, 0), coalesce(p.recent, 0), coalesce(e.no_body, 0), coalesce(p.no_date, 0),
               coalesce(p.no_author, 0), p.median_words
        FROM sources s
        LEFT JOIN feed_state f ON f.source = s.name
        LEFT JOIN produced p ON p.source = s.name
        LEFT JOIN revised r ON r.source = s.name
        LEFT JOIN empty e ON e.source = s.name
        ORDER BY s.name
        """,
        {"since": since},
    ).fetchall()
    return [
        SourceTotals(
            source=row[0],
            last_success_at=row[1],
            consecutive_failures=row[2],
            articles=row[3],
            revisions=row[4],
            polls=polls.get(row[0], {}),
            feed_statuses=statuses.get(row[0], {}),
            queued=queued.get(row[0], {}),
            recent_articles=row[5],
            recent_no_body=row[6],
            recent_no_date=row[7],
            recent_no_author=row[8],
            recent_median_words=row[9],
        )
        for row in rows
    ]


def run_totals(con: duckdb.DuckDBPyConnection) -> RunTotals:
    """The run ledger summed, and the last run."""
    runs = _counts(con, "SELECT 'runs', outcome, count(*) FROM runs GROUP BY ALL").get("runs", {})
    pages, fetch_failed, extract_failed, duplicates = con.execute(
        "SELECT coalesce(sum(pages_fetched), 0), coalesce(sum(fetch_failures), 0), "
        "coalesce(sum(extraction_failures), 0), coalesce(sum(duplicates), 0) FROM runs"
    ).fetchone() or (0, 0, 0, 0)
    last = con.execute(
        "SELECT finished_at, epoch(finished_at - started_at), outcome FROM runs ORDER BY started_at DESC LIMIT 1"
    ).fetchone()
    return RunTotals(
        runs=runs,
        pages_fetched=pages,
        page_failures={"fetch": fetch_failed, "extract": extract_failed},
        duplicates=duplicates,
        last_finished_at=last[0] if last else None,
        last_duration_seconds=last[1] if last else None,
        last_outcome=last[2] if last else None,
    )


def data_bytes(con: duckdb.DuckDBPyConnection) -> int:
    """Bytes of the Parquet files the warehouse's current snapshot reads (data and deletes)."""
    total = 0
    for kind in ("data", "delete"):
        total += reads.scalar(
            con,
            f"SELECT coalesce(sum(file_size_bytes), 0) FROM {METADATA}.ducklake_{kind}_file WHERE end_snapshot IS NULL",
        )
    return total


def extraction_by_run(con: duckdb.DuckDBPyConnection, since: datetime) -> list[RunExtraction]:
    """Per source and run since `since`, oldest first: the pages extracted (the articles it
    loaded, their word counts, how many had no date) and the pages that gave no body."""
    rows = con.execute(
        """
        WITH loaded AS (
            SELECT source, run_id, count(*) AS articles, count(*) FILTER (WHERE published_at IS NULL) AS no_date,
                   list(word_count) AS words
            FROM articles WHERE fetched_at >= $since GROUP BY ALL
        ), empty AS (
            SELECT q.source, r.run_id, count(*) AS no_body
            FROM fetch_queue q JOIN runs r ON q.first_failed_at BETWEEN r.started_at AND r.finished_at
            WHERE q.stage = 'extract' AND q.first_failed_at >= $since GROUP BY ALL
        )
        SELECT source, run_id, r.started_at, coalesce(l.articles, 0), coalesce(e.no_body, 0),
               coalesce(l.no_date, 0), coalesce(l.words, [])
        FROM loaded l FULL JOIN empty e USING (source, run_id)
        JOIN runs r USING (run_id)
        ORDER BY r.started_at, source
        """,
        {"since": since},
    ).fetchall()
    return [RunExtraction(*row) for row in rows]


def _counts(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, dict[str, int]]:
    """(key, label, count) rows as {key: {label: count}}."""
    found: dict[str, dict[str, int]] = defaultdict(dict)
    for key, label, count in con.execute(sql).fetchall():
        found[key][label] = count
    return dict(found)


def source_health(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple[Any, ...]]]:
    """v_source_health: its column names and rows (last_error is the last column)."""
    cursor = con.execute("SELECT * FROM v_source_health")
    return [c[0] for c in cursor.description], cursor.fetchall()
