"""The user's own SQL (`newsdesk query`), run read-only, with search_articles() available
when the full-text extension loads."""

from __future__ import annotations

from typing import Any

import duckdb

from warehouse import search
from warehouse.db import QueryFailed


def run(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows; a statement DuckDB refuses is a QueryFailed saying why."""
    unsearchable = search.try_load_extension(con)
    try:
        cursor = con.execute(sql)
    except duckdb.Error as exc:
        if unsearchable and "search_articles" in sql:
            raise QueryFailed(f"{exc} ({unsearchable})") from None
        raise QueryFailed(str(exc)) from None
    names = [c[0] for c in cursor.description] if cursor.description else []
    return names, cursor.fetchall()
