"""Full-text search over articles: an index kept current by every load, and the query.

DuckDB's `PRAGMA create_fts_index` has no incremental update: keeping it current means
rebuilding it over every article after each load (bench/search.py measures that). So the
index here is our own tables (migrations/007_search.sql): every load tokenizes
only the articles that are not indexed yet, with the fts extension's Porter `stem()`,
and `search_articles()` (search.sql) scores the postings with BM25 at query time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse import reads
from warehouse.literals import quoted

log = logging.getLogger(__name__)

# Left out of the index: words so common they say nothing about an article.
STOPWORDS = tuple(
    """
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it
its itself just me more most my myself no nor not now of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours yourself yourselves
""".split()
)


class SearchUnavailable(RuntimeError):
    """The fts extension built for this duckdb is not installed, or would not load."""


@dataclass(frozen=True)
class Hit:
    rank: int
    score: float
    published_at: datetime | None
    source: str
    title: str | None
    url: str
    article_id: str


@dataclass(frozen=True)
class Results:
    hits: tuple[Hit, ...]
    unindexed: int  # articles the index does not cover yet (loaded while fts was unavailable)


def extension_path() -> Path:
    """The fts extension shipped by the `duckdb-extension-fts` wheel for this duckdb version."""
    try:
        import duckdb_extension_fts
    except ImportError:
        raise SearchUnavailable(
            f"full-text search needs the fts extension: pip install 'duckdb-extension-fts=={duckdb.__version__}'"
        ) from None
    folder = Path(duckdb_extension_fts.__file__).parent / "extensions"
    path = folder / f"v{duckdb.__version__}" / "fts.duckdb_extension"
    if not path.is_file():
        builds = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
        raise SearchUnavailable(
            f"full-text search needs the fts extension built for duckdb {duckdb.__version__}, "
            f"but {folder} has {', '.join(builds) or 'none'}; "
            f"pip install 'duckdb-extension-fts=={duckdb.__version__}'"
        )
    return path


def load_extension(con: duckdb.DuckDBPyConnection) -> None:
    """Load fts from the wheel. Its version metadata is checked by DuckDB, never overridden:
    a mismatched build is refused here instead of crashing the process."""
    path = extension_path()
    try:
        con.execute(f"LOAD '{quoted(path)}'")
    except duckdb.Error as exc:
        raise SearchUnavailable(f"cannot load the fts extension {path}: {exc}") from None


def try_load_extension(con: duckdb.DuckDBPyConnection) -> str | None:
    """Load fts if possible; returns why not otherwise (plain SQL works without it)."""
    try:
        load_extension(con)
    except SearchUnavailable as exc:
        return str(exc)
    return None


def index_new_articles(con: duckdb.DuckDBPyConnection) -> int:
    """Index every article not indexed yet (normally just the ones this load added);
    returns how many. Runs inside the caller's transaction."""
    start = int(reads.scalar(con, "SELECT coalesce(max(docid), 0) FROM search_docs"))
    added = _number_new_articles(con, start)
    if added:
        _tokenize(con, start)
        _store_terms(con)
    return added


def _number_new_articles(con: duckdb.DuckDBPyConnection, start: int) -> int:
    con.execute(
        """
        INSERT INTO search_docs (docid, article_id, title_len, body_len)
        SELECT $start + row_number() OVER (ORDER BY article_id), article_id, 0, 0
        FROM articles a WHERE NOT EXISTS (SELECT 1 FROM search_docs d WHERE d.article_id = a.article_id)
        """,
        {"start": start},
    )
    return int(reads.scalar(con, "SELECT count(*) FROM search_docs WHERE docid > $start", {"start": start}))


def _tokenize(con: duckdb.DuckDBPyConnection, start: int) -> None:
    """fresh_terms: (docid, field, stemmed term, count) for the articles numbered after `start`."""
    con.register("search_stopwords", pa.table({"word": list(STOPWORDS)}))
    try:
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE fresh_terms AS
            WITH words AS (
                SELECT d.docid, 0 AS field, unnest(search_words(a.title)) AS word
                FROM search_docs d JOIN articles a USING (article_id) WHERE d.docid > $start
                UNION ALL
                SELECT d.docid, 1, unnest(search_words(a.body))
                FROM search_docs d JOIN articles a USING (article_id) WHERE d.docid > $start
            )
            , counted AS (
                SELECT docid, field, word, count(*) AS tf
                FROM words ANTI JOIN search_stopwords USING (word)
                GROUP BY ALL
            ), stems AS (  -- each distinct word stemmed once, not once per occurrence
                SELECT word, stem(word, 'porter') AS term FROM (SELECT DISTINCT word FROM counted)
            )
            SELECT docid, field, term, sum(tf) AS tf
            FROM counted JOIN stems USING (word)
            GROUP BY ALL""",
            {"start": start},
        )
    finally:
        con.unregister("search_stopwords")


def _store_terms(con: duckdb.DuckDBPyConnection) -> None:
    """fresh_terms into the index: new terms numbered, postings appended, field lengths set."""
    con.execute("""
        INSERT INTO search_terms (termid, term)
        SELECT (SELECT coalesce(max(termid), 0) FROM search_terms) + row_number() OVER (ORDER BY term), term
        FROM (SELECT DISTINCT term FROM fresh_terms) ANTI JOIN search_terms USING (term)""")
    con.execute(
        "INSERT INTO search_postings SELECT t.termid, f.docid, f.field, f.tf "
        "FROM fresh_terms f JOIN search_terms t USING (term)"
    )
    con.execute("""
        UPDATE search_docs SET title_len = coalesce(l.title_len, 0), body_len = coalesce(l.body_len, 0)
        FROM (SELECT docid, sum(tf) FILTER (WHERE field = 0) AS title_len,
                     sum(tf) FILTER (WHERE field = 1) AS body_len
              FROM fresh_terms GROUP BY docid) l
        WHERE search_docs.docid = l.docid""")
    con.execute("DROP TABLE fresh_terms")


def keep_current(con: duckdb.DuckDBPyConnection) -> None:
    """Called by every load: index the new articles, or leave them for a later load
    (and say so) when the extension is unavailable. A load never fails over search."""
    reason = try_load_extension(con)
    if reason:
        log.warning("search index not updated: %s", reason)
        return
    index_new_articles(con)


def forget(con: duckdb.DuckDBPyConnection, article_ids: Sequence[str]) -> None:
    """Drop articles from the index (their text changed); the next index_new_articles redoes them."""
    con.register("forgotten", pa.table({"article_id": pa.array(list(article_ids), pa.string())}))
    try:
        con.execute("""
            CREATE OR REPLACE TEMP TABLE forgotten_docs AS
            SELECT docid FROM search_docs SEMI JOIN forgotten USING (article_id)""")
        con.execute("DELETE FROM search_postings WHERE docid IN (SELECT docid FROM forgotten_docs)")
        con.execute("DELETE FROM search_docs WHERE docid IN (SELECT docid FROM forgotten_docs)")
        con.execute("DROP TABLE forgotten_docs")
    finally:
        con.unregister("forgotten")


def search(
    con: duckdb.DuckDBPyConnection,
    terms: str,
    since: datetime | None = None,
    source: str | None = None,
    limit: int = 20,
) -> Results:
    """Ranked articles for `terms`; the extension must be loaded (load_extension)."""
    rows = con.execute(
        """
        SELECT score, published_at, source, title, url, article_id
        FROM search_articles($terms)
        WHERE (CAST($since AS TIMESTAMPTZ) IS NULL OR published_at >= $since)
          AND (CAST($source AS VARCHAR) IS NULL OR source = $source)
        ORDER BY score DESC, published_at DESC NULLS LAST, article_id
        LIMIT $limit""",
        {"terms": terms, "since": since, "source": source, "limit": limit},
    ).fetchall()
    unindexed = int(
        reads.scalar(
            con,
            "SELECT count(*) FROM articles a WHERE NOT EXISTS "
            "(SELECT 1 FROM search_docs d WHERE d.article_id = a.article_id)",
        )
    )
    return Results(tuple(Hit(rank, *row) for rank, row in enumerate(rows, start=1)), unindexed)
