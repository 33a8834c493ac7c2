"""The warehouse's tables, declared once: columns and types, the key that identifies a row,
and what a repeated load of the same key updates.

ddl.py creates the tables from here (and adds columns added here later); DuckLake keeps no
keys, so the loader (store.py) keeps them, and the row builders (rows.py) and the readers
derive their column lists from here. tests/test_schema.py compares all of them with DESCRIBE.
"""

from __future__ import annotations

from dataclasses import dataclass

TEXT, TEXTS, INT, BIGINT, TINYINT = "VARCHAR", "VARCHAR[]", "INTEGER", "BIGINT", "TINYINT"
BOOL, BLOB, TIME = "BOOLEAN", "BLOB", "TIMESTAMP WITH TIME ZONE"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = True


def required(name: str, type_: str) -> Column:
    return Column(name, type_, nullable=False)


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    updates: tuple[str, ...] = ()  # replaced when a load meets an existing key; empty: keep the first

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


SOURCES = Table(
    "sources",
    (
        required("name", TEXT),
        required("feed_url", TEXT),
        Column("site", TEXT),
        Column("category", TEXT),
        Column("language", TEXT),
        required("enabled", BOOL),
        required("synced_at", TIME),
        Column("kind", TEXT),
    ),
    key=("name",),
    updates=("feed_url", "site", "category", "language", "enabled", "synced_at", "kind"),
)

FEED_STATE = Table(
    "feed_state",
    (
        required("source", TEXT),
        Column("etag", TEXT),
        Column("last_modified", TEXT),
        Column("last_polled_at", TIME),
        Column("last_success_at", TIME),
        required("consecutive_failures", INT),
        Column("next_poll_at", TIME),
        Column("last_status", INT),
        Column("last_error", TEXT),
        Column("retired_at", TIME),
        Column("hint_seconds", INT),
        Column("held_until", TIME),
    ),
    key=("source",),
    updates=(
        "etag",
        "last_modified",
        "last_polled_at",
        "last_success_at",
        "consecutive_failures",
        "next_poll_at",
        "last_status",
        "last_error",
        "retired_at",
        "hint_seconds",
        "held_until",
    ),
)

SITEMAP_CHILDREN = Table(
    "sitemap_children",
    (
        required("source", TEXT),
        required("url", TEXT),
        Column("lastmod", TIME),
        Column("etag", TEXT),
        Column("last_modified", TEXT),
        required("read_at", TIME),
    ),
    key=("source", "url"),
    updates=("lastmod", "etag", "last_modified", "read_at"),
)

POLLS = Table(
    "polls",
    (
        required("run_id", TEXT),
        required("source", TEXT),
        required("polled_at", TIME),
        required("url", TEXT),
        Column("status", INT),
        required("not_modified", BOOL),
        Column("feed_format", TEXT),
        required("entries_seen", INT),
        required("entries_new", INT),
        required("entries_skipped", INT),
        required("duration_ms", INT),
        Column("error", TEXT),
        Column("warning", TEXT),
    ),
    key=("run_id", "source"),
)

FEED_ENTRIES = Table(
    "feed_entries",
    (
        required("entry_key", TEXT),
        required("source", TEXT),
        Column("guid", TEXT),
        required("link", TEXT),
        required("canonical_link", TEXT),
        Column("title", TEXT),
        Column("published_at", TIME),
        Column("updated_at", TIME),
        Column("authors", TEXTS),
        Column("tags", TEXTS),
        Column("summary", TEXT),
        required("first_seen_at", TIME),
        required("run_id", TEXT),
        Column("language", TEXT),
        Column("image_url", TEXT),
    ),
    key=("entry_key",),
    updates=("title", "updated_at"),  # a known entry retitled or updated: see plan.rechecks.signalled
)

ARTICLES = Table(
    "articles",
    (
        required("article_id", TEXT),
        required("canonical_url", TEXT),
        required("url", TEXT),
        required("source", TEXT),
        Column("title", TEXT),
        Column("authors", TEXTS),
        Column("published_at", TIME),
        Column("published_source", TEXT),
        Column("updated_at", TIME),
        required("fetched_at", TIME),
        Column("language", TEXT),
        Column("sitename", TEXT),
        Column("description", TEXT),
        Column("tags", TEXTS),
        Column("image_url", TEXT),
        required("body", TEXT),
        required("word_count", INT),
        required("content_hash", TEXT),
        Column("story_id", TEXT),
        required("extractor_version", TEXT),
        required("run_id", TEXT),
        Column("access", TEXT),  # free, paywalled, metered or unknown
        Column("tdm_reserved", BOOL),  # the TDM Reservation Protocol's tdm-reservation; NULL: not declared
        Column("tdm_policy", TEXT),
        Column("tdm_source", TEXT),  # header or meta
        Column("ai_crawlers_disallowed", TEXTS),  # named AI crawlers robots.txt disallows for the URL
    ),
    key=("article_id",),
)

PAGES = Table(
    "pages",
    (
        required("article_id", TEXT),
        required("url", TEXT),
        required("fetched_at", TIME),
        Column("content_type", TEXT),
        required("html_zstd", BLOB),
        required("html_bytes", INT),
        required("extractor_version", TEXT),
        Column("etag", TEXT),  # the page's own validators, for conditional re-checks
        Column("last_modified", TEXT),
    ),
    key=("article_id",),
)

# Every version of an article whose title or body changed after we first loaded it: revision 1
# is the text first loaded, the highest is the articles row. Only changed articles have rows.
ARTICLE_REVISIONS = Table(
    "article_revisions",
    (
        required("article_id", TEXT),
        required("revision", INT),
        required("seen_at", TIME),
        Column("title", TEXT),
        required("body", TEXT),
        required("content_hash", TEXT),
        Column("words_added", INT),  # against the revision before
        Column("words_removed", INT),
        Column("html_zstd", BLOB),
        required("run_id", TEXT),
    ),
    key=("article_id", "revision"),
)

# Where each article's re-checks stand: how many are done, the last answer, and when its page
# was found gone (404 / 410). An article without a row has had no re-check yet.
RECHECKS = Table(
    "rechecks",
    (
        required("article_id", TEXT),
        required("checks_done", INT),
        required("last_checked_at", TIME),
        Column("last_status", INT),
        Column("last_outcome", TEXT),  # not_modified, unchanged, changed, withdrawn, failed
        Column("withdrawn_at", TIME),
    ),
    key=("article_id",),
    updates=("checks_done", "last_checked_at", "last_status", "last_outcome", "withdrawn_at"),
)

ARTICLE_URLS = Table(
    "article_urls",
    (
        required("url", TEXT),
        required("article_id", TEXT),
        required("source", TEXT),
        required("kind", TEXT),
        required("first_seen_at", TIME),
    ),
    key=("url",),
)

ENTRY_ARTICLES = Table(
    "entry_articles", (required("entry_key", TEXT), required("article_id", TEXT)), key=("entry_key",)
)

FETCH_QUEUE = Table(
    "fetch_queue",
    (
        required("url", TEXT),
        required("source", TEXT),
        required("entry_key", TEXT),
        required("stage", TEXT),
        required("state", TEXT),
        required("attempts", INT),
        required("first_failed_at", TIME),
        required("last_attempt_at", TIME),
        Column("next_attempt_at", TIME),
        Column("last_status", INT),
        required("last_error", TEXT),
    ),
    key=("url",),
    updates=("stage", "state", "attempts", "last_attempt_at", "next_attempt_at", "last_status", "last_error"),
)


def _host_file(name: str) -> Table:
    """A file every host may serve at a well-known path, as it last answered (fetched once a day)."""
    return Table(
        name,
        (
            required("host", TEXT),
            required("fetched_at", TIME),
            Column("status", INT),
            Column("body", TEXT),
        ),
        key=("host",),
        updates=("fetched_at", "status", "body"),
    )


ROBOTS_TXT = _host_file("robots_txt")
TDMREP_FILES = _host_file("tdmrep_files")  # /.well-known/tdmrep.json

HOST_HOLDS = Table(
    "host_holds",
    (
        required("host", TEXT),
        required("held_until", TIME),
        required("since", TIME),
        required("run_id", TEXT),
        required("reason", TEXT),
    ),
    key=("host",),
    updates=("held_until", "since", "run_id", "reason"),
)

RUNS = Table(
    "runs",
    (
        required("run_id", TEXT),
        Column("flow_run_id", TEXT),
        required("started_at", TIME),
        required("finished_at", TIME),
        required("outcome", TEXT),
        required("sources_polled", INT),
        required("sources_failed", INT),
        required("not_modified", INT),
        required("entries_seen", INT),
        required("entries_new", INT),
        required("pages_fetched", INT),
        required("articles_new", INT),
        required("duplicates", INT),
        required("fetch_failures", INT),
        required("extraction_failures", INT),
        Column("message", TEXT),
    ),
    key=("run_id",),
)

# Written by the story matcher, the search index and ddl.py, not by a run's load.
STORY_BANDS = Table(
    "story_bands", (required("band_key", BIGINT), required("article_id", TEXT)), key=("band_key", "article_id")
)
SEARCH_DOCS = Table(
    "search_docs",
    (
        required("docid", INT),
        required("article_id", TEXT),
        required("title_len", INT),
        required("body_len", INT),
    ),
    key=("docid",),
)
SEARCH_TERMS = Table("search_terms", (required("termid", INT), required("term", TEXT)), key=("termid",))
SEARCH_POSTINGS = Table(
    "search_postings",
    (
        required("termid", INT),
        required("docid", INT),
        required("field", TINYINT),
        required("tf", INT),
    ),
    key=("termid", "docid", "field"),
)
WAREHOUSE_META = Table("warehouse_meta", (required("name", TEXT), required("value", TEXT)), key=("name",))

# What one run loads, in the order it is written (there are no foreign keys; the order
# only keeps the ledger readable).
LOADED = (
    SOURCES,
    FEED_STATE,
    SITEMAP_CHILDREN,
    POLLS,
    FEED_ENTRIES,
    ARTICLES,
    PAGES,
    ARTICLE_URLS,
    ENTRY_ARTICLES,
    FETCH_QUEUE,
    ROBOTS_TXT,
    TDMREP_FILES,
    HOST_HOLDS,
    RUNS,
)
ALL = (
    (WAREHOUSE_META,) + LOADED + (ARTICLE_REVISIONS, RECHECKS, STORY_BANDS, SEARCH_DOCS, SEARCH_TERMS, SEARCH_POSTINGS)
)

# The columns extraction fills, which a re-extraction may replace.
EXTRACTED = (
    "title",
    "authors",
    "published_at",
    "published_source",
    "updated_at",
    "language",
    "sitename",
    "description",
    "tags",
    "image_url",
    "body",
    "word_count",
    "content_hash",
    "extractor_version",
    "access",
    "tdm_reserved",
    "tdm_policy",
    "tdm_source",
)
