-- Analyst views; recreated on every open so they follow the code.

CREATE OR REPLACE VIEW v_articles AS
SELECT a.article_id, a.published_at, a.source, s.category, a.title, a.authors,
       a.language, a.sitename, a.canonical_url, a.word_count, a.tags, a.description,
       a.published_source, a.fetched_at, a.story_id,
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
