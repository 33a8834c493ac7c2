-- Stories: near-duplicate articles (the same story as run by several outlets) share a
-- story_id, the id of the story's first article. story_bands keeps every article's LSH
-- band keys (see flows/neardup.py), so a new batch finds its candidates with one join on
-- band_key, and a fresh process needs nothing rebuilt in memory.
CREATE TABLE story_bands (
    band_key   BIGINT NOT NULL,
    article_id VARCHAR NOT NULL
);

-- Articles loaded before stories existed are stories of their own; they get band keys
-- (and so can be found by later copies) when `newsdesk reextract` reads them again.
UPDATE articles SET story_id = article_id WHERE story_id IS NULL;
