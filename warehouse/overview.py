"""What the HTML report shows, read from the analyst views and the run ledger."""

from __future__ import annotations

from datetime import datetime, time, timezone
from typing import Any

import duckdb

from warehouse import reads

Rows = list[dict[str, Any]]


def gather(
    con: duckdb.DuckDBPyConnection, days: int, stories: int = 10, runs: int = 12, changes: int = 20
) -> dict[str, Rows]:
    """The report's rows. The window is the `days` days up to the latest article, so an
    old warehouse still shows its last activity; its stories are those `newsdesk stories`
    would list for the same window."""
    first_day = reads.scalar(con, "SELECT max(day) - CAST(? AS INTEGER) + 1 FROM v_daily_counts", [days])
    since = datetime.combine(first_day, time(), timezone.utc) if first_day else None
    names, biggest = reads.biggest_stories(con, since, stories)
    change_names, changed = reads.article_changes(con, since, None)
    return {
        "changes": [dict(zip(change_names, row)) for row in changed[:changes]],
        "daily": _dicts(
            con, "SELECT day, source, articles FROM v_daily_counts WHERE day >= ? ORDER BY day, source", [first_day]
        ),
        "stories": [dict(zip(names, row)) for row in biggest],
        "health": _dicts(
            con,
            """
            SELECT source, enabled, retired, consecutive_failures, last_success_at, next_poll_at,
                   last_error, articles_total, extraction_failure_rate, no_date_share, no_author_share,
                   median_words, articles_paywalled, articles_tdm_reserved
            FROM v_source_health ORDER BY source""",
        ),
        "runs": _dicts(
            con,
            """
            SELECT run_id, started_at, finished_at, outcome, sources_polled, sources_failed,
                   articles_new, pages_fetched, fetch_failures, extraction_failures, message
            FROM runs ORDER BY started_at DESC LIMIT ?""",
            [runs],
        ),
    }


def _dicts(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Rows:
    return reads.dicts(con.execute(sql, params or []))
