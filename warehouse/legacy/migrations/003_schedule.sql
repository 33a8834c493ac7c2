-- The feed's own refresh hint (RSS ttl, Cache-Control max-age, Expires), kept so a
-- 304 answer, which has no body to read a ttl from, still honours it.
ALTER TABLE feed_state ADD COLUMN hint_seconds INTEGER;
