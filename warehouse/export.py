"""Copy warehouse tables to files other tools read: Parquet (partitioned by day), JSON lines, CSV."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from warehouse import reads
from warehouse.literals import quoted

FORMATS = ("parquet", "jsonl", "csv")
# Tables (and views) worth exporting, with the timestamp --since filters on.
TABLES = {
    "articles": "coalesce(published_at, fetched_at)",
    "feed_entries": "first_seen_at",
    "polls": "polled_at",
    "runs": "started_at",
    "fetch_queue": "last_attempt_at",
    "article_urls": "first_seen_at",
    "v_article_changes": "seen_at",
    "v_source_health": None,
}


def export(
    con: duckdb.DuckDBPyConnection,
    table: str,
    fmt: str,
    out: Path,
    since: datetime | None,
    exclude_tdm_reserved: bool = False,
) -> int:
    """Write `table` to `out` and return the row count. Parquet goes into a folder partitioned
    by publication day (published_date=YYYY-MM-DD/), which Spark, Polars and DuckDB all read.
    `exclude_tdm_reserved` (articles only) leaves out articles whose publisher reserved
    text-and-data-mining rights."""
    if table not in TABLES:
        raise ValueError(f"cannot export {table!r}; choose one of {', '.join(TABLES)}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    stamp = TABLES[table]
    if since is not None and stamp is None:
        raise ValueError(f"--since does not apply to {table}")
    if exclude_tdm_reserved and table != "articles":
        raise ValueError("--exclude-tdm-reserved applies to articles (and --format warc)")
    conditions = [f"{stamp} >= $since"] * (since is not None) + ["tdm_reserved IS NOT TRUE"] * exclude_tdm_reserved
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    day = f", CAST(timezone('UTC', {stamp}) AS DATE) AS published_date" if fmt == "parquet" and stamp else ""
    select = f"SELECT *{day} FROM {table} {where}"
    options = {
        "parquet": "FORMAT PARQUET" + (", PARTITION_BY (published_date), OVERWRITE_OR_IGNORE" if day else ""),
        "jsonl": "FORMAT JSON",
        "csv": "FORMAT CSV, HEADER",
    }[fmt]
    params = {"since": since} if since is not None else {}
    out.parent.mkdir(parents=True, exist_ok=True)
    return int(reads.scalar(con, f"COPY ({select}) TO '{quoted(out)}' ({options})", params))
