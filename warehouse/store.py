"""The only SQL that writes. A run's results land in one transaction, in bulk.

Rows arrive as plain dicts keyed by column name and go in through Arrow tables
(executemany manages ~800 rows/s here; Arrow inserts tens of thousands). DuckLake keeps no
keys: every write is a MERGE on the table's key (schema.py), so replaying a batch changes
nothing and a key is never stored twice. Runs write one at a time (db.run_lock).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import pyarrow as pa

from warehouse import schema, search
from warehouse import stories

Rows = Sequence[Mapping[str, Any]]

_LOADED = {table.name: table for table in schema.LOADED}


def load(
    con: duckdb.DuckDBPyConnection,
    tables: Mapping[str, Rows],
    resolved_retries: Sequence[str] = (),
    matcher: stories.StoryMatcher | None = None,
) -> dict[str, int]:
    """Write one run's rows in a single transaction; returns rows written per table.

    `resolved_retries` are fetch_queue URLs that produced an article this run. New articles
    get a story id in the same transaction: that of a near-duplicate `matcher` finds, else
    their own.
    """
    unknown = set(tables) - set(_LOADED)
    if unknown:
        raise ValueError(f"unknown tables in load: {sorted(unknown)}")
    written: dict[str, int] = {}
    con.execute("BEGIN TRANSACTION")
    try:
        for table in schema.LOADED:
            rows = tables.get(table.name) or ()
            if rows:
                written[table.name] = _upsert(con, table, rows)
        stories.assign(con, tables.get("articles") or (), matcher)
        if resolved_retries:
            con.register("resolved_batch", pa.table({"url": list(resolved_retries)}))
            con.execute("DELETE FROM fetch_queue WHERE url IN (SELECT url FROM resolved_batch)")
            con.unregister("resolved_batch")
        search.keep_current(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return written


def update_articles(con: duckdb.DuckDBPyConnection, rows: Rows, matcher: stories.StoryMatcher | None = None) -> int:
    """Replace the extracted fields of existing articles where they differ (and record the
    pages' extractor version) in one transaction; returns how many articles changed.
    Rows carry article_id plus schema.EXTRACTED. With `matcher`, band keys are recomputed for
    the changed articles and any that have none yet (their story ids are kept)."""
    if not rows:
        return 0
    with _transaction(con):
        return len(_replace_extracted(con, rows, matcher))


def record_rechecks(
    con: duckdb.DuckDBPyConnection,
    checks: Rows,
    revised: Rows,
    revisions: Rows,
    pages: Rows,
    matcher: stories.StoryMatcher | None = None,
) -> None:
    """One run's re-checks in one transaction: where each article's re-checks stand, and for
    each article that changed, its first text kept as revision 1 (when it has no revision
    yet), the new text as the next revision, and the article and page rows brought up to it."""
    with _transaction(con):
        if checks:
            _upsert(con, schema.RECHECKS, checks)
        if not revisions:
            return
        batch = pa.Table.from_pylist([dict(row) for row in revisions])
        con.register("revised_batch", batch)
        try:
            con.execute(
                "INSERT INTO article_revisions (article_id, revision, seen_at, title, body, content_hash, "
                "html_zstd, run_id) SELECT a.article_id, 1, a.fetched_at, a.title, a.body, a.content_hash, "
                "p.html_zstd, a.run_id FROM articles a JOIN pages p USING (article_id) "
                "WHERE a.article_id IN (SELECT article_id FROM revised_batch) "
                "AND a.article_id NOT IN (SELECT article_id FROM article_revisions)"
            )
            columns = ", ".join(name for name in batch.column_names)
            con.execute(
                f"INSERT INTO article_revisions (revision, {columns}) SELECT "
                "(SELECT max(revision) FROM article_revisions x WHERE x.article_id = r.article_id) + 1, "
                + ", ".join(f"r.{name}" for name in batch.column_names)
                + " FROM revised_batch r"
            )
        finally:
            con.unregister("revised_batch")
        _replace_extracted(con, revised, matcher)
        _replace_pages(con, pages)


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _replace_extracted(con: duckdb.DuckDBPyConnection, rows: Rows, matcher: stories.StoryMatcher | None) -> list[str]:
    """update_articles' work inside the caller's transaction; returns the changed article ids."""
    batch = pa.Table.from_pylist([dict(row) for row in rows])
    con.register("reextracted", batch)
    try:
        assignments = ", ".join(f"{field} = r.{field}" for field in schema.EXTRACTED)
        differs = " OR ".join(
            f"articles.{field} IS DISTINCT FROM r.{field}" for field in schema.EXTRACTED if field != "extractor_version"
        )
        changed = [
            article_id
            for (article_id,) in con.execute(
                f"SELECT articles.article_id FROM articles JOIN reextracted r USING (article_id) WHERE {differs}"
            ).fetchall()
        ]
        con.execute(
            f"UPDATE articles SET {assignments} FROM reextracted r "
            f"WHERE articles.article_id = r.article_id AND ({differs})"
        )
        con.execute(
            "UPDATE pages SET extractor_version = r.extractor_version FROM reextracted r "
            "WHERE pages.article_id = r.article_id"
        )
        if matcher is not None:  # changed bodies, and articles loaded before they had band keys
            resketch = set(changed) | {
                article_id
                for (article_id,) in con.execute(
                    "SELECT article_id FROM reextracted ANTI JOIN story_bands USING (article_id)"
                ).fetchall()
            }
            stories.replace_bands(
                con, {row["article_id"]: row["body"] for row in rows if row["article_id"] in resketch}, matcher
            )
        search.forget(con, changed)  # only changed articles are indexed again
        search.keep_current(con)
    finally:
        con.unregister("reextracted")
    return changed


def _replace_pages(con: duckdb.DuckDBPyConnection, pages: Rows) -> None:
    """Replace stored raw pages (a re-check's newer page and its validators)."""
    batch = pa.Table.from_pylist([dict(row) for row in pages])
    con.register("pages_batch", batch)
    try:
        updated = [name for name in batch.column_names if name != "article_id"]
        con.execute(
            "UPDATE pages SET "
            + ", ".join(f"{name} = s.{name}" for name in updated)
            + " FROM pages_batch s WHERE pages.article_id = s.article_id"
        )
    finally:
        con.unregister("pages_batch")


def _upsert(con: duckdb.DuckDBPyConnection, table: schema.Table, rows: Rows) -> int:
    """MERGE the rows on the table's key: new keys are inserted, known ones updated (the
    `updates` columns) or left as they are. A key repeated in the batch counts once (the last)."""
    by_key = {tuple(row[k] for k in table.key): row for row in rows}
    batch = pa.Table.from_pylist([dict(row) for row in by_key.values()])
    view = f"{table.name}_batch"
    on = " AND ".join(f"{table.name}.{k} = s.{k}" for k in table.key)
    updates = [col for col in table.updates if col in batch.column_names]
    matched = ("WHEN MATCHED THEN UPDATE SET " + ", ".join(f"{col} = s.{col}" for col in updates)) if updates else ""
    columns = ", ".join(batch.column_names)
    values = ", ".join(f"s.{col}" for col in batch.column_names)
    con.register(view, batch)
    try:
        con.execute(
            f"MERGE INTO {table.name} USING {view} AS s ON {on} {matched} "
            f"WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({values})"
        )
    finally:
        con.unregister(view)
    return int(batch.num_rows)
