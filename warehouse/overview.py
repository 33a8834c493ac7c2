"""What the HTML report shows, read from the analyst views and the run ledger."""
from __future__ import annotations

from typing import Any

import duckdb

Rows = list[dict[str, Any]]


def gather(con: duckdb.DuckDBPyConnection, days: int, stories: int = 10, runs: int = 12) -> dict[str, Rows]:
    """The report's rows. The window is the `days` days up to the latest article, so an
    old warehouse still shows its last activity."""
    return {
        "daily": _dicts(con, """
            SELECT day, source, articles FROM v_daily_counts
            WHERE day > (SELECT max(day) FROM v_daily_counts) - CAST($days AS INTEGER)
            ORDER BY day, source""", {"days": days}),
        "stories": _dicts(con, """
            SELECT story_id, headline, articles, sources, source_names, first_seen FROM v_stories
            WHERE CAST(timezone('UTC', last_seen) AS DATE)
                  > (SELECT max(day) FROM v_daily_counts) - CAST($days AS INTEGER)
            ORDER BY sources DESC, articles DESC, first_seen DESC, story_id LIMIT $stories""",
                          {"days": days, "stories": stories}),
        "health": _dicts(con, """
            SELECT source, enabled, retired, consecutive_failures, last_success_at, next_poll_at,
                   last_error, articles_total, extraction_failure_rate, no_date_share, no_author_share,
                   median_words
            FROM v_source_health ORDER BY source"""),
        "runs": _dicts(con, """
            SELECT run_id, started_at, finished_at, outcome, sources_polled, sources_failed,
                   articles_new, pages_fetched, fetch_failures, extraction_failures, message
            FROM runs ORDER BY started_at DESC LIMIT $runs""", {"runs": runs}),
    }


def _dicts(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None) -> Rows:
    cursor = con.execute(sql, params or {})
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
