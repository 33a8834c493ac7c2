-- The raw HTML behind every article, zstd-compressed, so extraction can be re-run
-- over stored pages after the extractor improves (`newsdesk reextract`).
CREATE TABLE pages (
    article_id        VARCHAR PRIMARY KEY,
    url               VARCHAR NOT NULL,
    fetched_at        TIMESTAMPTZ NOT NULL,
    content_type      VARCHAR,
    html_zstd         BLOB NOT NULL,
    html_bytes        INTEGER NOT NULL,
    extractor_version VARCHAR NOT NULL
);
