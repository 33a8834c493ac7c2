-- A server's own wait (Retry-After) on one feed, kept apart from our schedule so that
-- `run --all` and `--source`, which skip the schedule, still honour it.
ALTER TABLE feed_state ADD COLUMN held_until TIMESTAMPTZ;

-- A host that throttled several of its resources in one run (429/503) is held as a
-- whole until the time it asked for; every run honours the hold until it expires.
CREATE TABLE host_holds (
    host       VARCHAR PRIMARY KEY,
    held_until TIMESTAMPTZ NOT NULL,
    since      TIMESTAMPTZ NOT NULL,
    run_id     VARCHAR NOT NULL,
    reason     VARCHAR NOT NULL
);
