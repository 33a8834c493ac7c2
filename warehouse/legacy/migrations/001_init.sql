-- The warehouse is the pipeline's memory: feed state, every entry and URL seen,
-- the retry queue and the run ledger live here, next to the articles.

CREATE TABLE sources (
    name        VARCHAR PRIMARY KEY,
    feed_url    VARCHAR NOT NULL,
    site        VARCHAR,
    category    VARCHAR,
    language    VARCHAR,
    enabled     BOOLEAN NOT NULL,
    synced_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE feed_state (
    source               VARCHAR PRIMARY KEY,
    etag                 VARCHAR,
    last_modified        VARCHAR,
    last_polled_at       TIMESTAMPTZ,
    last_success_at      TIMESTAMPTZ,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_poll_at         TIMESTAMPTZ,
    last_status          INTEGER,
    last_error           VARCHAR
);

CREATE TABLE polls (
    run_id          VARCHAR NOT NULL,
    source          VARCHAR NOT NULL,
    polled_at       TIMESTAMPTZ NOT NULL,
    url             VARCHAR NOT NULL,
    status          INTEGER,
    not_modified    BOOLEAN NOT NULL,
    feed_format     VARCHAR,
    entries_seen    INTEGER NOT NULL,
    entries_new     INTEGER NOT NULL,
    entries_skipped INTEGER NOT NULL,
    duration_ms     INTEGER NOT NULL,
    error           VARCHAR,
    PRIMARY KEY (run_id, source)
);

CREATE TABLE feed_entries (
    entry_key      VARCHAR PRIMARY KEY,
    source         VARCHAR NOT NULL,
    guid           VARCHAR,
    link           VARCHAR NOT NULL,
    canonical_link VARCHAR NOT NULL,
    title          VARCHAR,
    published_at   TIMESTAMPTZ,
    updated_at     TIMESTAMPTZ,
    authors        VARCHAR[],
    tags           VARCHAR[],
    summary        VARCHAR,
    first_seen_at  TIMESTAMPTZ NOT NULL,
    run_id         VARCHAR NOT NULL
);

CREATE TABLE articles (
    article_id        VARCHAR PRIMARY KEY,
    canonical_url     VARCHAR NOT NULL UNIQUE,
    url               VARCHAR NOT NULL,
    source            VARCHAR NOT NULL,
    title             VARCHAR,
    authors           VARCHAR[],
    published_at      TIMESTAMPTZ,
    published_source  VARCHAR,
    updated_at        TIMESTAMPTZ,
    fetched_at        TIMESTAMPTZ NOT NULL,
    language          VARCHAR,
    sitename          VARCHAR,
    description       VARCHAR,
    tags              VARCHAR[],
    image_url         VARCHAR,
    body              VARCHAR NOT NULL,
    word_count        INTEGER NOT NULL,
    content_hash      VARCHAR NOT NULL,
    story_id          VARCHAR,
    extractor_version VARCHAR NOT NULL,
    run_id            VARCHAR NOT NULL
);
CREATE INDEX articles_content_hash ON articles (content_hash);

-- Every URL (canonical form) under which an article was seen, and where.
CREATE TABLE article_urls (
    url           VARCHAR PRIMARY KEY,
    article_id    VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,   -- 'canonical' | 'link' | 'redirect' | 'duplicate'
    first_seen_at TIMESTAMPTZ NOT NULL
);

-- Which article each feed entry turned into (an entry can map to an existing article).
CREATE TABLE entry_articles (
    entry_key  VARCHAR PRIMARY KEY,
    article_id VARCHAR NOT NULL
);

-- Page fetches and extractions that did not produce an article: retried while
-- state = 'retry', kept with their last error as dead letters once state = 'dead'.
CREATE TABLE fetch_queue (
    url             VARCHAR PRIMARY KEY,
    source          VARCHAR NOT NULL,
    entry_key       VARCHAR NOT NULL,
    stage           VARCHAR NOT NULL,   -- 'fetch' | 'extract'
    state           VARCHAR NOT NULL,   -- 'retry' | 'dead'
    attempts        INTEGER NOT NULL,
    first_failed_at TIMESTAMPTZ NOT NULL,
    last_attempt_at TIMESTAMPTZ NOT NULL,
    next_attempt_at TIMESTAMPTZ,
    last_status     INTEGER,
    last_error      VARCHAR NOT NULL
);

CREATE TABLE runs (
    run_id              VARCHAR PRIMARY KEY,
    flow_run_id         VARCHAR,
    started_at          TIMESTAMPTZ NOT NULL,
    finished_at         TIMESTAMPTZ NOT NULL,
    outcome             VARCHAR NOT NULL,   -- 'ok' | 'partial' | 'failed'
    sources_polled      INTEGER NOT NULL,
    sources_failed      INTEGER NOT NULL,
    not_modified        INTEGER NOT NULL,
    entries_seen        INTEGER NOT NULL,
    entries_new         INTEGER NOT NULL,
    pages_fetched       INTEGER NOT NULL,
    articles_new        INTEGER NOT NULL,
    duplicates          INTEGER NOT NULL,
    fetch_failures      INTEGER NOT NULL,
    extraction_failures INTEGER NOT NULL,
    message             VARCHAR
);
