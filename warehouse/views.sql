-- Analyst views; recreated on every open so they follow the code.

CREATE OR REPLACE VIEW v_articles AS
SELECT a.article_id, a.published_at, a.source, s.category, a.title, a.authors,
       a.language, a.sitename, a.canonical_url, a.word_count, a.tags, a.description,
       a.published_source, a.fetched_at, a.story_id, a.access, a.tdm_reserved, a.tdm_policy,
       a.ai_crawlers_disallowed,
       (SELECT count(*) FROM article_urls u WHERE u.article_id = a.article_id) AS url_count,
       a.body
FROM articles a
LEFT JOIN sources s ON s.name = a.source;

CREATE OR REPLACE VIEW v_daily_counts AS
SELECT CAST(timezone('UTC', coalesce(published_at, fetched_at)) AS DATE) AS day,
       source,
       count(*) AS articles,
       sum(word_count) AS words
FROM articles
GROUP BY ALL
ORDER BY day DESC, source;

-- Who ran each article: every feed entry (source, link) that led to it.
CREATE OR REPLACE VIEW v_article_sources AS
SELECT a.article_id, a.title, e.source, e.link, e.first_seen_at
FROM articles a
JOIN entry_articles ea USING (article_id)
JOIN feed_entries e USING (entry_key);

-- One row per configured source: polling state, output and extraction health.
CREATE OR REPLACE VIEW v_source_health AS
WITH produced AS (
    SELECT source,
           count(*) AS articles_total,
           count(*) FILTER (WHERE fetched_at >= now() - INTERVAL 24 HOUR) AS articles_24h,
           round(avg(CASE WHEN published_at IS NULL THEN 1 ELSE 0 END), 3) AS no_date_share,
           round(avg(CASE WHEN len(coalesce(authors, [])) = 0 THEN 1 ELSE 0 END), 3) AS no_author_share,
           median(word_count) AS median_words,
           count(*) FILTER (WHERE access = 'paywalled') AS paywalled,
           count(*) FILTER (WHERE tdm_reserved) AS tdm_reserved
    FROM articles GROUP BY source
), extract_failed AS (
    SELECT source, count(*) AS extraction_failures
    FROM fetch_queue WHERE stage = 'extract' GROUP BY source
), queued AS (
    SELECT source, count(*) FILTER (WHERE state = 'retry') AS pages_retrying,
           count(*) FILTER (WHERE state = 'dead' AND stage = 'fetch') AS pages_dead
    FROM fetch_queue GROUP BY source
)
SELECT s.name AS source, s.enabled, f.last_polled_at, f.last_success_at,
       coalesce(f.consecutive_failures, 0) AS consecutive_failures, f.next_poll_at,
       f.retired_at IS NOT NULL AS retired,
       coalesce(p.articles_total, 0) AS articles_total, coalesce(p.articles_24h, 0) AS articles_24h,
       round(coalesce(x.extraction_failures, 0)
             / nullif(coalesce(p.articles_total, 0) + coalesce(x.extraction_failures, 0), 0), 3)
           AS extraction_failure_rate,
       p.no_date_share, p.no_author_share, p.median_words,
       coalesce(q.pages_retrying, 0) AS pages_retrying, coalesce(q.pages_dead, 0) AS pages_dead,
       coalesce(p.paywalled, 0) AS articles_paywalled, coalesce(p.tdm_reserved, 0) AS articles_tdm_reserved,
       f.last_error
FROM sources s
LEFT JOIN feed_state f ON f.source = s.name
LEFT JOIN produced p ON p.source = s.name
LEFT JOIN extract_failed x ON x.source = s.name
LEFT JOIN queued q ON q.source = s.name
ORDER BY s.name;

-- One row per story: articles that share a story_id (near-duplicates; an article with
-- none is a story of its own, story_id = article_id), with every outlet that ran any of
-- its copies, exact copies (aliases) included. The headline is the first copy's title.
CREATE OR REPLACE VIEW v_stories AS
WITH members AS (
    SELECT story_id, article_id, title, source,
           coalesce(published_at, fetched_at) AS seen_at
    FROM articles
), outlets AS (
    SELECT m.story_id, e.source
    FROM members m
    JOIN entry_articles ea USING (article_id)
    JOIN feed_entries e USING (entry_key)
    UNION
    SELECT story_id, source FROM members
), outlet_lists AS (
    SELECT story_id, count(*) AS sources, list(source ORDER BY source) AS source_names
    FROM outlets GROUP BY story_id
)
SELECT m.story_id, min(m.seen_at) AS first_seen, max(m.seen_at) AS last_seen,
       count(*) AS articles, any_value(o.sources) AS sources,
       arg_min(m.title, m.seen_at) AS headline, any_value(o.source_names) AS source_names
FROM members m
JOIN outlet_lists o USING (story_id)
GROUP BY m.story_id;

-- What changed after publication: one row per new revision (against the one before) and one
-- per article whose page was found gone (404 / 410).
CREATE OR REPLACE VIEW v_article_changes AS
SELECT r.article_id, a.source, 'edited' AS change, r.revision, r.seen_at,
       b.title AS title_before, r.title AS title_after,
       r.title IS DISTINCT FROM b.title AS headline_changed,
       r.words_added, r.words_removed, a.canonical_url
FROM article_revisions r
JOIN article_revisions b ON b.article_id = r.article_id AND b.revision = r.revision - 1
JOIN articles a ON a.article_id = r.article_id
UNION ALL
SELECT c.article_id, a.source, 'withdrawn', NULL, c.withdrawn_at, a.title, NULL, false, NULL, NULL, a.canonical_url
FROM rechecks c
JOIN articles a ON a.article_id = c.article_id
WHERE c.withdrawn_at IS NOT NULL;
