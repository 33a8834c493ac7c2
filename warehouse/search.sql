-- Search macros; recreated on every writable open so they follow the code.
-- search_articles() needs the fts extension loaded (for stem()).

-- Words of a text as the index sees them: accents stripped, lower case, letters only.
-- (One split on runs of non-letters: half the CPU of replacing them and splitting on spaces.)
CREATE OR REPLACE MACRO search_words(text) AS
    list_filter(regexp_split_to_array(lower(strip_accents(coalesce(text, ''))), '[^\p{L}]+'),
                word -> word <> '');

-- Articles matching any of the terms, best first: BM25 (k1 = 1.2, b = 0.75) per field,
-- a title match counting twice as much as a body match.
CREATE OR REPLACE MACRO search_articles(terms) AS TABLE
WITH query AS (
    SELECT termid FROM search_terms
    WHERE term IN (SELECT stem(unnest(search_words(terms)), 'porter'))
), corpus AS (
    SELECT count(*) AS docs, greatest(avg(title_len), 1) AS avg_title, greatest(avg(body_len), 1) AS avg_body
    FROM search_docs
), hits AS (
    SELECT p.* FROM search_postings p SEMI JOIN query USING (termid)
), frequency AS (
    SELECT termid, field, count(*) AS df FROM hits GROUP BY ALL
), scored AS (
    SELECT h.docid,
           sum(CASE h.field WHEN 0 THEN 2.0 ELSE 1.0 END
               * ln(1 + (c.docs - f.df + 0.5) / (f.df + 0.5))
               * h.tf * 2.2
               / (h.tf + 1.2 * (0.25 + 0.75 * CASE h.field WHEN 0 THEN d.title_len / c.avg_title
                                                           ELSE d.body_len / c.avg_body END)))
               AS score
    FROM hits h JOIN frequency f USING (termid, field) JOIN search_docs d USING (docid) CROSS JOIN corpus c
    GROUP BY h.docid
)
SELECT a.article_id, round(s.score, 4) AS score, a.published_at, a.source, a.title,
       a.canonical_url AS url
FROM scored s JOIN search_docs d USING (docid) JOIN articles a USING (article_id)
ORDER BY s.score DESC, a.published_at DESC NULLS LAST, a.article_id;
