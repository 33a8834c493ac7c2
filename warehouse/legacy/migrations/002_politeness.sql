-- A source whose feed answered 410 Gone is retired: still listed, polled once a day
-- in case it comes back, and reported as retired.
ALTER TABLE feed_state ADD COLUMN retired_at TIMESTAMPTZ;

-- robots.txt per host, reused for a day so a run over unchanged feeds costs one
-- request per feed. body NULL means "no rules" (404, or unreachable).
CREATE TABLE robots_txt (
    host       VARCHAR PRIMARY KEY,
    fetched_at TIMESTAMPTZ NOT NULL,
    status     INTEGER,
    body       VARCHAR
);
