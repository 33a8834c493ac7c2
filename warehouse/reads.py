"""Lookups the pipeline makes against its own memory (read-only SQL)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from warehouse import schema
from warehouse.records import (
    FeedState,
    KnownEntry,
    RecheckCandidate,
    RememberedEntry,
    RetryJob,
    SitemapChild,
    StoredPage,
)

# The first feed entry that led to each article, as `first_entry` (n = 1).
_FIRST_ENTRY = """first_entry AS (
            SELECT ea.article_id, e.guid, e.title, e.published_at, e.updated_at, e.authors, e.tags,
                   e.summary, e.language, e.image_url, row_number() OVER (PARTITION BY ea.article_id
                                                 ORDER BY e.first_seen_at, e.entry_key) AS n
            FROM entry_articles ea JOIN feed_entries e USING (entry_key))"""
_ENTRY_COLUMNS = "e.guid, e.title, e.published_at, e.updated_at, e.authors, e.tags, e.summary, e.language, e.image_url"


def feed_states(con: duckdb.DuckDBPyConnection) -> dict[str, FeedState]:
    columns = ", ".join(schema.FEED_STATE.column_names)
    return {row["source"]: FeedState(**row) for row in dicts(con.execute(f"SELECT {columns} FROM feed_state"))}


def sitemap_children(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, SitemapChild]]:
    """Per source, the sitemaps its index listed, as we last read them."""
    columns = ", ".join(schema.SITEMAP_CHILDREN.column_names)
    known: dict[str, dict[str, SitemapChild]] = {}
    for row in dicts(con.execute(f"SELECT {columns} FROM sitemap_children")):
        known.setdefault(row["source"], {})[row["url"]] = SitemapChild(**row)
    return known


def known_entries(con: duckdb.DuckDBPyConnection, keys: Iterable[str]) -> dict[str, KnownEntry]:
    """The entries among `keys` seen before: their stored title and updated date, and article."""
    found = _lookup(
        con,
        "SELECT k, e.title, e.updated_at, ea.article_id FROM lookup JOIN feed_entries e ON e.entry_key = k "
        "LEFT JOIN entry_articles ea ON ea.entry_key = k",
        keys,
    )
    return {key: KnownEntry(title, updated_at, article_id) for key, title, updated_at, article_id in found}


def articles_by_url(con: duckdb.DuckDBPyConnection, urls: Iterable[str]) -> dict[str, str]:
    return _mapping(con, "SELECT k, article_id FROM lookup JOIN article_urls ON url = k", urls)


def articles_by_hash(con: duckdb.DuckDBPyConnection, hashes: Iterable[str]) -> dict[str, str]:
    return _mapping(con, "SELECT k, min(article_id) FROM lookup JOIN articles ON content_hash = k GROUP BY k", hashes)


def due_retries(con: duckdb.DuckDBPyConnection, now: datetime) -> list[RetryJob]:
    """Queued page fetches whose next attempt is due, with what their feed entry said."""
    cursor = con.execute(
        f"SELECT q.url, q.source, q.entry_key, q.attempts, {_ENTRY_COLUMNS} FROM fetch_queue q "
        "LEFT JOIN feed_entries e USING (entry_key) "
        "WHERE q.state = 'retry' AND q.next_attempt_at <= ? ORDER BY q.next_attempt_at",
        [now],
    )
    return [
        RetryJob(url, source, key, attempts, _entry(rest)) for url, source, key, attempts, *rest in cursor.fetchall()
    ]


def has_runs(con: duckdb.DuckDBPyConnection) -> bool:
    """True once a run has been recorded."""
    return bool(con.execute("SELECT EXISTS (SELECT 1 FROM runs)").fetchone()[0])  # type: ignore[index]


def robots_since(con: duckdb.DuckDBPyConnection, since: datetime) -> dict[str, str | None]:
    """robots.txt bodies fetched after `since`, by host (None: the host has no rules)."""
    return dict(con.execute("SELECT host, body FROM robots_txt WHERE fetched_at >= ?", [since]).fetchall())


def tdmrep_since(con: duckdb.DuckDBPyConnection, since: datetime) -> dict[str, str | None]:
    """tdmrep.json bodies fetched after `since`, by host (None: the host has none)."""
    return dict(con.execute("SELECT host, body FROM tdmrep_files WHERE fetched_at >= ?", [since]).fetchall())


def host_holds(con: duckdb.DuckDBPyConnection, now: datetime) -> dict[str, datetime]:
    """Hosts held as a whole (several of their resources throttled us), until when."""
    return dict(con.execute("SELECT host, held_until FROM host_holds WHERE held_until > ?", [now]).fetchall())


def stored_pages(
    con: duckdb.DuckDBPyConnection, source: str | None, since: datetime | None, limit: int, after: str = ""
) -> list[StoredPage]:
    """Stored raw pages with what re-extraction needs: URL, content type, and the feed
    entry's date, title and authors (the first entry that led to the article). A page of
    `limit` rows in article_id order, starting after the article id `after`."""
    cursor = con.execute(
        f"""
        WITH {_FIRST_ENTRY}
        SELECT p.article_id, p.url, p.content_type, p.html_zstd, f.guid, f.title, f.published_at,
               f.updated_at, f.authors, f.tags, f.summary, f.language, f.image_url
        FROM pages p JOIN articles a USING (article_id)
        LEFT JOIN first_entry f ON f.article_id = p.article_id AND f.n = 1
        WHERE (CAST(? AS VARCHAR) IS NULL OR a.source = ?)
          AND (CAST(? AS TIMESTAMPTZ) IS NULL OR coalesce(a.published_at, a.fetched_at) >= ?)
          AND p.article_id > ?
        ORDER BY p.article_id LIMIT ?""",
        [source, source, since, since, after, limit],
    )
    return [
        StoredPage(article_id, url, content_type, html, _entry(rest))
        for article_id, url, content_type, html, *rest in cursor.fetchall()
    ]


def recheck_candidates(
    con: duckdb.DuckDBPyConnection, fetched_since: datetime, below_checks: int, signalled: Iterable[str] = ()
) -> list[RecheckCandidate]:
    """Articles not withdrawn that were fetched since `fetched_since` with fewer than
    `below_checks` re-checks done, or that are `signalled`: what a re-check needs to ask
    conditionally and to compare."""
    con.register("signalled", pa.table({"k": pa.array(sorted(set(signalled)), pa.string())}))
    found = con.execute(
        f"""
        WITH {_FIRST_ENTRY}
        SELECT a.article_id, p.url, a.source, a.fetched_at, coalesce(r.checks_done, 0), p.etag,
               p.last_modified, a.title, a.content_hash, p.extractor_version, f.guid, f.title, f.published_at,
               f.updated_at, f.authors, f.tags, f.summary, f.language, f.image_url
        FROM articles a JOIN pages p USING (article_id)
        LEFT JOIN rechecks r USING (article_id)
        LEFT JOIN first_entry f ON f.article_id = a.article_id AND f.n = 1
        WHERE r.withdrawn_at IS NULL
          AND ((a.fetched_at >= ? AND coalesce(r.checks_done, 0) < ?)
               OR a.article_id IN (SELECT k FROM signalled))
        ORDER BY a.fetched_at""",
        [fetched_since, below_checks],
    ).fetchall()
    con.unregister("signalled")
    return [
        RecheckCandidate(
            article_id, url, source, fetched_at, checks, etag, last_modified, title, digest, version, _entry(rest)
        )
        for article_id, url, source, fetched_at, checks, etag, last_modified, title, digest, version, *rest in found
    ]


def stored_html(con: duckdb.DuckDBPyConnection, article_ids: Iterable[str]) -> dict[str, tuple[bytes, str | None]]:
    """The stored raw page (zstd) and content type of each of these articles."""
    found = _lookup(con, "SELECT k, html_zstd, content_type FROM lookup JOIN pages ON article_id = k", article_ids)
    return {article_id: (html, content_type) for article_id, html, content_type in found}


def article_bodies(con: duckdb.DuckDBPyConnection, article_ids: Iterable[str]) -> dict[str, str]:
    """The current body of each of these articles."""
    return _mapping(con, "SELECT k, body FROM lookup JOIN articles ON article_id = k", article_ids)


def article_changes(
    con: duckdb.DuckDBPyConnection, since: datetime | None, source: str | None, article_id: str | None = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """v_article_changes seen since `since`, optionally of one source or one article:
    headline rewrites first, then newest first."""
    cursor = con.execute(
        """
        SELECT article_id, source, change, revision, seen_at, title_before, title_after,
               words_added, words_removed, canonical_url
        FROM v_article_changes
        WHERE (CAST(? AS TIMESTAMPTZ) IS NULL OR seen_at >= ?) AND (CAST(? AS VARCHAR) IS NULL OR source = ?)
          AND (CAST(? AS VARCHAR) IS NULL OR article_id = ?)
        ORDER BY headline_changed DESC, seen_at DESC, article_id, revision""",
        [since, since, source, source, article_id, article_id],
    )
    return [column[0] for column in cursor.description], cursor.fetchall()


def revisions(con: duckdb.DuckDBPyConnection, article_id: str) -> list[tuple[int, datetime, str | None, str]]:
    """(revision, seen at, title, body) of one article, oldest first."""
    return con.execute(
        "SELECT revision, seen_at, title, body FROM article_revisions WHERE article_id = ? ORDER BY revision",
        [article_id],
    ).fetchall()


def biggest_stories(
    con: duckdb.DuckDBPyConnection, since: datetime | None, limit: int
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Stories seen since `since` (any copy), most outlets first, then most copies, then latest."""
    cursor = con.execute(
        """
        SELECT sources, articles, first_seen, last_seen, headline, source_names, story_id
        FROM v_stories
        WHERE CAST(? AS TIMESTAMPTZ) IS NULL OR last_seen >= ?
        ORDER BY sources DESC, articles DESC, last_seen DESC, story_id
        LIMIT ?""",
        [since, since, limit],
    )
    return [column[0] for column in cursor.description], cursor.fetchall()


def _entry(values: list[Any]) -> RememberedEntry:
    guid, title, published_at, updated_at, authors, tags, summary, language, image_url = values
    return RememberedEntry(
        guid, title, published_at, updated_at, tuple(authors or ()), tuple(tags or ()), summary, language, image_url
    )


def column_names(con: duckdb.DuckDBPyConnection, table: str, database: str | None = None) -> set[str]:
    """The columns `table` has in `database` (default: the connection's current one)."""
    where = "database_name = coalesce(?, current_database()) AND table_name = ?"
    found = con.execute(f"SELECT column_name FROM duckdb_columns() WHERE {where}", [database, table]).fetchall()
    return {name for (name,) in found}


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> Any:
    """The one value a query returns (count(*), max(...))."""
    row = con.execute(sql, params).fetchone()
    assert row is not None, sql
    return row[0]


def dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _matching(con: duckdb.DuckDBPyConnection, sql: str, keys: Iterable[str]) -> set[str]:
    return {row[0] for row in _lookup(con, sql, keys)}


def _mapping(con: duckdb.DuckDBPyConnection, sql: str, keys: Iterable[str]) -> dict[str, str]:
    return {row[0]: row[1] for row in _lookup(con, sql, keys)}


def _lookup(con: duckdb.DuckDBPyConnection, sql: str, keys: Iterable[str]) -> list[tuple[Any, ...]]:
    values = sorted(set(keys))
    if not values:
        return []
    con.register("lookup", pa.table({"k": pa.array(values, pa.string())}))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.unregister("lookup")
